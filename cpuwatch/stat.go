package cpuwatch

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// Field indexes into a ticks array, in /proc/stat order.
const (
	fUser = iota
	fNice
	fSystem
	fIdle
	fIOWait
	fIRQ
	fSoftIRQ
	fSteal
	fGuest
	fGuestNice
	numFields
)

// minFields is the fewest numbers a cpu line may carry: user, nice, system
// and idle have been there since Linux 2.4; the rest arrived later and are
// read as zero when absent.
const minFields = 4

// ticks is one cpu line's cumulative counters, in USER_HZ ticks.
type ticks [numFields]uint64

// coreTicks is one "cpuN" line.
type coreTicks struct {
	id int
	t  ticks
}

// reading is one parse of the cpu lines of /proc/stat. Its slices are reused
// from one reading to the next.
type reading struct {
	total ticks
	cores []coreTicks // ascending id
}

// errNoCPULines is wrapped by parse when a file holds no cpu lines at all.
var errNoCPULines = errors.New("no cpu lines")

// parse fills r from the contents of a /proc/stat file. It reads only the
// leading block of lines that start with "cpu" and stops at the first other
// line, so the long interrupt lines that follow cost nothing. It allocates
// only when the number of cores grows.
func (r *reading) parse(b []byte) error {
	r.cores = r.cores[:0]
	sawTotal := false
	sorted := true
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if !hasCPUPrefix(line) {
			if sawTotal || len(r.cores) > 0 {
				break
			}
			continue
		}
		id, t, err := parseCPULine(line)
		if err != nil {
			return err
		}
		if id < 0 {
			if sawTotal {
				return fmt.Errorf("duplicate aggregate line %q", line)
			}
			sawTotal = true
			r.total = t
			continue
		}
		if n := len(r.cores); n > 0 && r.cores[n-1].id >= id {
			sorted = false
		}
		r.cores = append(r.cores, coreTicks{id: id, t: t})
	}
	if !sawTotal && len(r.cores) == 0 {
		return errNoCPULines
	}
	if !sawTotal {
		return errors.New("no aggregate \"cpu\" line")
	}
	if !sorted {
		sortCores(r.cores)
		for i := 1; i < len(r.cores); i++ {
			if r.cores[i].id == r.cores[i-1].id {
				return fmt.Errorf("duplicate line for cpu%d", r.cores[i].id)
			}
		}
	}
	return nil
}

// sortCores is an insertion sort: the kernel writes ids in ascending order,
// so this only runs on odd input and never allocates.
func sortCores(c []coreTicks) {
	for i := 1; i < len(c); i++ {
		for j := i; j > 0 && c[j].id < c[j-1].id; j-- {
			c[j], c[j-1] = c[j-1], c[j]
		}
	}
}

// parseCPULine parses "cpu" or "cpuN" followed by 4 to 10 unsigned decimal
// numbers separated by spaces. Extra trailing fields from a newer kernel are
// ignored. id is -1 for the aggregate line.
func parseCPULine(line []byte) (id int, t ticks, err error) {
	rest := line[len("cpu"):]
	id = -1
	if len(rest) > 0 && rest[0] != ' ' {
		n, i := 0, 0
		for ; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
			if n > 1<<20 {
				return 0, t, fmt.Errorf("cpu id out of range in %q", line)
			}
			n = n*10 + int(rest[i]-'0')
		}
		if i == 0 || (i < len(rest) && rest[i] != ' ') {
			return 0, t, fmt.Errorf("malformed cpu name in %q", line)
		}
		id, rest = n, rest[i:]
	}
	nf := 0
	for i := 0; i < len(rest); {
		// Test for a digit first: in the kernel's format that is what
		// starts here, as the single space after each counter is skipped
		// below without another round of this loop.
		if rest[i]-'0' > 9 {
			if c := rest[i]; c == ' ' || c == '\t' || c == '\r' {
				i++
				continue
			}
			return 0, t, fmt.Errorf("malformed counter in %q", line)
		}
		// The hot loop of a watch: no overflow check per digit, as 19
		// decimal digits always fit in a uint64; longer numbers are
		// checked below.
		from := i
		var v uint64
		for ; i < len(rest); i++ {
			d := rest[i] - '0'
			if d > 9 {
				break
			}
			v = v*10 + uint64(d)
		}
		end := i
		if i < len(rest) {
			if c := rest[i]; c == ' ' {
				i++
			} else if c != '\t' && c != '\r' {
				return 0, t, fmt.Errorf("malformed counter in %q", line)
			}
		}
		if end-from > 19 {
			var err error
			if v, err = strconv.ParseUint(string(rest[from:end]), 10, 64); err != nil {
				return 0, t, fmt.Errorf("counter overflows in %q", line)
			}
		}
		if nf < numFields {
			t[nf] = v
		}
		nf++
	}
	if nf < minFields {
		return 0, t, fmt.Errorf("cpu line has %d counters, want at least %d: %q", nf, minFields, line)
	}
	return id, t, nil
}

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
		d[i] = tickDelta(prev[i], cur[i])
	}
	if prev[fIOWait] > cur[fIOWait] {
		d[fIdle] = nonNegative(d[fIdle] - tickDelta(cur[fIOWait], prev[fIOWait]))
	}
	d[fUser] = nonNegative(d[fUser] - d[fGuest])
	d[fNice] = nonNegative(d[fNice] - d[fGuestNice])
	var sum float64
	for _, v := range d {
		sum += v
	}
	if sum == 0 {
		*u = Usage{Idle: 1}
		return
	}
	*u = Usage{
		User:      d[fUser] / sum,
		Nice:      d[fNice] / sum,
		System:    d[fSystem] / sum,
		Idle:      d[fIdle] / sum,
		IOWait:    d[fIOWait] / sum,
		IRQ:       d[fIRQ] / sum,
		SoftIRQ:   d[fSoftIRQ] / sum,
		Steal:     d[fSteal] / sum,
		Guest:     d[fGuest] / sum,
		GuestNice: d[fGuestNice] / sum,
	}
}

// sum returns the total ticks a line has counted, guest time excluded since
// it is already inside user and nice.
func (t *ticks) sum() uint64 {
	return t[fUser] + t[fNice] + t[fSystem] + t[fIdle] + t[fIOWait] + t[fIRQ] + t[fSoftIRQ] + t[fSteal]
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
		if c.t.sum() < p.t.sum() {
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
