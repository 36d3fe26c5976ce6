package cpuwatch

import (
	"math"
	"time"
)

// deltas is one cpu line's change between two readings, in USER_HZ ticks
// and /proc/stat order: what the kernel gave, before any clamping. A
// counter that went backwards has a negative delta.
type deltas [numFields]int64

// usage returns the Usage that usageOf gives for any two readings whose
// counters differ by d: usageOf depends on the readings only through their
// differences, so it is evaluated here on a pair of readings placed half
// way up the counter range, whose differences are d.
func (d *deltas) usage() Usage {
	// The common case, every delta in [0, 2^59), is setFrom's integer
	// path written out on the deltas: the same operations on the same
	// values, so the same bits, without building two readings.
	var or int64
	for _, v := range d {
		or |= v
	}
	if or >= 0 && or < 1<<59 {
		user := uint64(d[fUser])
		nice := uint64(d[fNice])
		guest, guestNice := uint64(d[fGuest]), uint64(d[fGuestNice])
		user = uintDelta(guest, user)
		nice = uintDelta(guestNice, nice)
		system, idle, iowait := uint64(d[fSystem]), uint64(d[fIdle]), uint64(d[fIOWait])
		irq, softirq, steal := uint64(d[fIRQ]), uint64(d[fSoftIRQ]), uint64(d[fSteal])
		sum := user + nice + system + idle + iowait + irq + softirq + steal + guest + guestNice
		if sum == 0 {
			return Usage{Idle: 1}
		}
		s := float64(int64(sum))
		return Usage{
			User:      float64(int64(user)) / s,
			Nice:      float64(int64(nice)) / s,
			System:    float64(int64(system)) / s,
			Idle:      float64(int64(idle)) / s,
			IOWait:    float64(int64(iowait)) / s,
			IRQ:       float64(int64(irq)) / s,
			SoftIRQ:   float64(int64(softirq)) / s,
			Steal:     float64(int64(steal)) / s,
			Guest:     float64(int64(guest)) / s,
			GuestNice: float64(int64(guestNice)) / s,
		}
	}
	var prev, cur ticks
	for i, v := range d {
		prev[i] = 1 << 63
		cur[i] = 1<<63 + uint64(v)
	}
	return usageOf(&prev, &cur)
}

// deltasOf returns cur − prev, or false if some counter moved by 2^63 ticks
// or more either way (only in made-up input), which an int64 cannot hold.
func deltasOf(prev, cur *ticks) (d deltas, ok bool) {
	for i := range d {
		v := int64(cur[i] - prev[i])
		if (cur[i] >= prev[i]) != (v >= 0) {
			return d, false
		}
		d[i] = v
	}
	return d, true
}

// maxDenominator bounds the tick sums recoverDeltas looks for. Below 2^26
// two different fractions p/q are more than 2^-52 apart, so the float64
// nearest to one cannot be taken for another; above it a search may find
// the wrong fraction, which the final check of recoverDeltas rejects, so
// the bound only keeps the search short and the sums exact in a float64.
const maxDenominator = 1 << 40

// recoverDeltas finds tick deltas whose usage is exactly u, bit for bit,
// scaled so that they sum to about expect ticks (what a core counts over
// the sample's interval), or reports false. A Usage computed by a watch
// from two readings always has such deltas, unless a core counted more
// than 2^40 ticks in the interval; a Usage from anywhere else (an average,
// a hand-made sample) usually has none, and is then kept as floats.
//
// The deltas it returns are not always the kernel's own: counters that
// went backwards, and guest time the kernel also counted in user, are
// folded in as usageOf folds them, and a common factor of all ten counts
// is lost when it differs from expect's.
func recoverDeltas(u *Usage, expect float64) (deltas, bool) {
	f := u.fields()
	// Most often the ticks sum to expect itself: one try, without the
	// search for the fractions' denominators.
	if e := math.Round(expect); e >= 1 && e < 1<<40 {
		if d, ok := deltasSumming(u, &f, int64(e)); ok {
			return d, true
		}
	}
	var d deltas
	lcm := int64(1)
	for _, v := range f {
		if v == 0 && !math.Signbit(v) {
			continue
		}
		q, ok := denominator(v)
		if !ok {
			return d, false
		}
		lcm = lcm / gcd(lcm, q) * q
		if lcm > maxDenominator {
			return d, false
		}
	}
	k := int64(1)
	if expect > float64(lcm) && expect < 1<<40 {
		k = int64(math.Round(expect / float64(lcm)))
	}
	return deltasSumming(u, &f, lcm*k)
}

// deltasSumming returns the deltas of sum ticks in all whose usage is u,
// whose fields are f, if there are any.
func deltasSumming(u *Usage, f *[numFields]float64, sum int64) (deltas, bool) {
	var a [numFields]int64
	var total int64
	for i, v := range f {
		if v < 0 || v > 1 {
			return deltas{}, false
		}
		a[i] = int64(math.Round(v * float64(sum)))
		total += a[i]
	}
	if total != sum {
		return deltas{}, false
	}
	// Raw deltas from usageOf's folded counts: guest time back into user
	// and nice, where the kernel counts it too.
	d := deltas(a)
	d[fUser] += a[fGuest]
	d[fNice] += a[fGuestNice]
	if got := d.usage(); !sameBits(&got, u) {
		return d, false
	}
	return d, true
}

// denominator returns the least q < maxDenominator for which some p/q
// rounds to v, found among the convergents of v's continued fraction.
func denominator(v float64) (int64, bool) {
	if !(v > 0 && v <= 1) {
		return 0, false
	}
	// Convergents h/k of the continued fraction of v.
	h0, h1 := int64(0), int64(1)
	k0, k1 := int64(1), int64(0)
	x := v
	for range 64 {
		a := math.Floor(x)
		if a > maxDenominator {
			return 0, false
		}
		ai := int64(a)
		h0, h1 = h1, ai*h1+h0
		k0, k1 = k1, ai*k1+k0
		if k1 >= maxDenominator {
			return 0, false
		}
		if float64(h1)/float64(k1) == v {
			return k1, true
		}
		frac := x - a
		if frac == 0 {
			return 0, false
		}
		x = 1 / frac
	}
	return 0, false
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// sameBits reports whether a and b are identical field by field, telling
// 0 from −0.
func sameBits(a, b *Usage) bool {
	fa, fb := a.fields(), b.fields()
	for i := range fa {
		if math.Float64bits(fa[i]) != math.Float64bits(fb[i]) {
			return false
		}
	}
	return true
}

// fields returns u's fields in /proc/stat order.
func (u *Usage) fields() [numFields]float64 {
	return [numFields]float64{u.User, u.Nice, u.System, u.Idle, u.IOWait, u.IRQ, u.SoftIRQ, u.Steal, u.Guest, u.GuestNice}
}

// setFields sets u's fields from f, in /proc/stat order.
func (u *Usage) setFields(f *[numFields]float64) {
	*u = Usage{User: f[0], Nice: f[1], System: f[2], Idle: f[3], IOWait: f[4], IRQ: f[5], SoftIRQ: f[6], Steal: f[7], Guest: f[8], GuestNice: f[9]}
}

// threadTicks finds the count of USER_HZ ticks whose fraction of elapsed
// is exactly v, as threadReader computes it, or reports false.
func threadTicks(v float64, elapsed time.Duration) (uint64, bool) {
	if v == 0 && !math.Signbit(v) {
		return 0, true
	}
	if elapsed <= 0 || !(v > 0 && v <= 1) {
		return 0, false
	}
	x := v * float64(elapsed) / float64(time.Second/userHZ)
	if x > 1<<53 {
		return 0, false
	}
	// A fraction clamped at 1 takes the least count that reaches it.
	for _, n := range []float64{math.Round(x), math.Ceil(x), math.Floor(x)} {
		if t := uint64(n); math.Float64bits(tickFraction(t, elapsed)) == math.Float64bits(v) {
			return t, true
		}
	}
	return 0, false
}
