// This file turns two readings of /proc/stat into Usage: the arithmetic
// and the diff of cores. The parser that produces readings is in stat.go.

package cpuwatch

import "math/bits"

// usageOf turns the counters of two readings of the same cpu line into
// fractions. A counter that went backwards contributes nothing instead of a
// negative amount. Iowait does go backwards (see the kernel's
// Documentation/filesystems/proc.rst): the tickless idle code moves time it
// had shown as iowait over to idle once the waiting task has gone, so a
// drop in iowait is taken out of idle's rise rather than counted twice.
// Guest time is moved out of user and nice, where the kernel also counts it.
func usageOf(prev, cur *ticks) Usage {
	var u Usage
	u.setFrom(prev, cur)
	return u
}

// setFrom sets u to usageOf(prev, cur) in place: diff fills a slice of
// CoreUsage this way without copying each Usage twice. It works on integer
// deltas in locals and converts each once; counters that move by 2^59 or
// more in one interval (only in made-up input) take setFromFloat, whose
// float sums cannot overflow.
func (u *Usage) setFrom(prev, cur *ticks) {
	user := uintDelta(prev[fUser], cur[fUser])
	nice := uintDelta(prev[fNice], cur[fNice])
	system := uintDelta(prev[fSystem], cur[fSystem])
	idle := uintDelta(prev[fIdle], cur[fIdle])
	iowait := uintDelta(prev[fIOWait], cur[fIOWait])
	irq := uintDelta(prev[fIRQ], cur[fIRQ])
	softirq := uintDelta(prev[fSoftIRQ], cur[fSoftIRQ])
	steal := uintDelta(prev[fSteal], cur[fSteal])
	guest := uintDelta(prev[fGuest], cur[fGuest])
	guestNice := uintDelta(prev[fGuestNice], cur[fGuestNice])
	if (user|nice|system|idle|iowait|irq|softirq|steal|guest|guestNice)>>59 != 0 {
		u.setFromFloat(prev, cur)
		return
	}
	if back := prev[fIOWait] - cur[fIOWait]; prev[fIOWait] > cur[fIOWait] {
		idle = uintDelta(back, idle)
	}
	user = uintDelta(guest, user)
	nice = uintDelta(guestNice, nice)
	// Ten values below 2^59 sum below 2^63: no overflow, and int64
	// conversions are single instructions on amd64.
	sum := user + nice + system + idle + iowait + irq + softirq + steal + guest + guestNice
	if sum == 0 {
		*u = Usage{Idle: 1}
		return
	}
	s := float64(int64(sum))
	u.User = float64(int64(user)) / s
	u.Nice = float64(int64(nice)) / s
	u.System = float64(int64(system)) / s
	u.Idle = float64(int64(idle)) / s
	u.IOWait = float64(int64(iowait)) / s
	u.IRQ = float64(int64(irq)) / s
	u.SoftIRQ = float64(int64(softirq)) / s
	u.Steal = float64(int64(steal)) / s
	u.Guest = float64(int64(guest)) / s
	u.GuestNice = float64(int64(guestNice)) / s
}

// uintDelta returns cur − prev, or 0 if the counter went backwards.
func uintDelta(prev, cur uint64) uint64 {
	if cur < prev {
		return 0
	}
	return cur - prev
}

// setFromFloat is setFrom for counters that moved too far to be summed as
// integers.
func (u *Usage) setFromFloat(prev, cur *ticks) {
	var d [numFields]float64
	for i := range d {
		// Signed: usageOfDeltas clamps, and takes iowait's drop out of idle.
		d[i] = tickDelta(prev[i], cur[i]) - tickDelta(cur[i], prev[i])
	}
	*u = usageOfDeltas(&d)
}

// sum returns the total ticks a line has counted, guest time excluded since
// it is already inside user and nice, as a 128-bit number (hi, lo): eight
// counters near 2^64 add up to more than a uint64 holds, and a sum that
// wrapped would make a core look reset and drop it.
func (t *ticks) sum() (hi, lo uint64) {
	for _, f := range [...]int{fUser, fNice, fSystem, fIdle, fIOWait, fIRQ, fSoftIRQ, fSteal} {
		var c uint64
		lo, c = bits.Add64(lo, t[f], 0)
		hi += c
	}
	return hi, lo
}

// wentBack reports whether the total of cur is below prev's: the line's
// counters were reset, as a CPU back from hot-plug starts again from 0.
func wentBack(prev, cur *ticks) bool {
	ph, pl := prev.sum()
	ch, cl := cur.sum()
	return ch < ph || ch == ph && cl < pl
}

// tickDelta returns cur − prev, or 0 if the counter went backwards. It
// converts through int64 when it can, a single instruction on amd64, where
// converting a uint64 takes a branchy sequence: this runs ten times per
// core per sample.
func tickDelta(prev, cur uint64) float64 {
	if cur <= prev {
		return 0
	}
	if d := cur - prev; d < 1<<63 {
		return float64(int64(d))
	}
	return float64(cur - prev)
}

// nonNegative clamps x at 0. Unlike the max builtin it need not order NaN
// and signed zeros, which cannot occur here, so it compiles to less.
func nonNegative(x float64) float64 {
	if x < 0 {
		return 0
	}
	return x
}

// diff appends to dst the usage of every core present in both readings.
// A core whose total went backwards was reset by hot-plug: its old counters
// mean nothing, so it is left out of this sample and starts fresh from cur.
func diff(dst []CoreUsage, prev, cur *reading) []CoreUsage {
	i := 0
	for k := range cur.cores {
		c := &cur.cores[k]
		for i < len(prev.cores) && prev.cores[i].id < c.id {
			i++
		}
		if i == len(prev.cores) || prev.cores[i].id != c.id {
			continue
		}
		p := &prev.cores[i]
		if wentBack(&p.t, &c.t) {
			continue
		}
		// Extend dst without zeroing the new element: setFrom and the ID
		// store write all of it.
		n := len(dst)
		if n == cap(dst) {
			dst = append(dst, CoreUsage{})
		}
		dst = dst[:n+1]
		cu := &dst[n]
		cu.ID = c.id
		cu.setFrom(&p.t, &c.t)
	}
	return dst
}
