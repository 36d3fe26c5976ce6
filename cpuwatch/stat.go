package cpuwatch

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unsafe"
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

	// src is the text this reading was parsed from; totalText and texts
	// (one per core, or none) say where each line lies in it, so that the
	// next reading can compare a line with it and take the counters whose
	// text has not changed without parsing them again. src must not change
	// while it may still be compared with; statReader reads each reading
	// into its own buf.
	src       []byte
	totalText lineText
	texts     []lineText
	buf       []byte
}

// lineText is where a cpu line lies in its reading's src, and the layout of
// its counters, when it is in the kernel's form: counters of 1 to 15
// digits, each followed by exactly one separator, the last by the line's
// newline. A line in any other form has length 0 and is never compared.
type lineText struct {
	start  int              // offset of the line in src
	length int              // of the line without its newline, or 0
	first  int              // index in the line of the first counter
	nf     int              // number of counters
	digits [numFields]uint8 // of each counter
}

// errNoCPULines is wrapped by parse when a file holds no cpu lines at all.
var errNoCPULines = errors.New("no cpu lines")

// parse fills r from the contents of a /proc/stat file, parsing every
// counter.
func (r *reading) parse(b []byte) error { return r.parseAfter(b, nil) }

// parseAfter fills r from the contents of a /proc/stat file. It reads only
// the leading block of lines that start with "cpu" and stops at the first
// other line, so the long interrupt lines that follow cost nothing. It
// allocates only when the number of cores grows.
//
// If prev is not nil it is the previous reading of the same file, whose
// src is unchanged. Most of a kernel's counters do not move from one
// reading to the next: where a line has the same length and layout as the
// same cpu's line in prev, each counter's text is compared with prev's, a
// word at a time, and only those that differ are parsed. The result is
// the same as parse's; only the work differs.
func (r *reading) parseAfter(b []byte, prev *reading) error {
	r.cores = r.cores[:0]
	r.texts = r.texts[:0]
	r.totalText = lineText{}
	r.src = b
	if err := r.scan(b, prev); err != nil {
		// A failed reading is never compared with.
		r.src, r.texts = nil, r.texts[:0]
		return err
	}
	return nil
}

// scan is parseAfter's loop over the lines of b.
func (r *reading) scan(b []byte, prev *reading) error {
	var prevSrc []byte
	if prev != nil && prev.src != nil {
		prevSrc = prev.src[:cap(prev.src)]
	}
	// Words are loaded past the end of a counter up to the capacity of
	// either buffer: bytes that are masked out of every comparison.
	cur := b[:cap(b)]
	sawTotal := false
	sorted := true
	for off := 0; off < len(b); {
		start := off
		if !hasCPUPrefix(b[start:]) {
			if sawTotal || len(r.cores) > 0 {
				break
			}
			off = len(b)
			if i := bytes.IndexByte(b[start:], '\n'); i >= 0 {
				off = start + i + 1
			}
			continue
		}
		id, first, err := parseCPUName(b[start:])
		if err == nil && id < 0 && sawTotal {
			err = errors.New("duplicate aggregate line")
		}
		if err != nil {
			// Parse the line alone again for an error that quotes it.
			line := b[start:]
			if i := bytes.IndexByte(line, '\n'); i >= 0 {
				line = line[:i]
			}
			if _, _, err := parseCPUName(line); err != nil {
				return err
			}
			return fmt.Errorf("%w: %s", err, excerpt(line, 0))
		}
		var t *ticks
		var lt *lineText
		if id < 0 {
			sawTotal = true
			t, lt = &r.total, &r.totalText
		} else {
			n := len(r.cores)
			if n > 0 && r.cores[n-1].id >= id {
				sorted = false
			}
			// Extend both slices without zeroing the new elements:
			// each path below writes all of them.
			if n == cap(r.cores) {
				r.cores = append(r.cores, coreTicks{})
			}
			if n == cap(r.texts) {
				r.texts = append(r.texts, lineText{})
			}
			r.cores, r.texts = r.cores[:n+1], r.texts[:n+1]
			r.cores[n].id = id
			t, lt = &r.cores[n].t, &r.texts[n]
		}
		// The same line of the previous reading, if it has one: at the
		// same position when no core came or went. If this line has the
		// same layout, its length is known and no search for its end is
		// needed.
		if prevSrc != nil {
			var pt *ticks
			var pl *lineText
			if id < 0 {
				pt, pl = &prev.total, &prev.totalText
			} else if k := prev.find(id, len(r.cores)-1); k >= 0 {
				pt, pl = &prev.cores[k].t, &prev.texts[k]
			}
			if pl != nil && pl.length > 0 && start+pl.length < len(b) && b[start+pl.length] == '\n' &&
				sameLayout(cur, start, prevSrc, pl, pt, t) {
				*lt = *pl
				lt.start = start
				off = start + pl.length + 1
				continue
			}
		}
		line := b[start:]
		off = len(b)
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line, off = line[:i], start+i+1
		}
		*t, *lt = ticks{}, lineText{}
		if err := parseCounters(line, first, t, lt); err != nil {
			return err
		}
		if lt.length > 0 {
			if off == start+len(line) {
				lt.length = 0 // no newline after the line
			}
			lt.start = start
		}
	}
	if !sawTotal && len(r.cores) == 0 {
		return errNoCPULines
	}
	if !sawTotal {
		return errors.New("no aggregate \"cpu\" line")
	}
	if !sorted {
		// Texts are not carried through the sort: a kernel writes ids in
		// order, so this input is odd and the next reading parses it all.
		r.texts = r.texts[:0]
		sortCores(r.cores)
		for i := 1; i < len(r.cores); i++ {
			if r.cores[i].id == r.cores[i-1].id {
				return fmt.Errorf("duplicate line for cpu%d", r.cores[i].id)
			}
		}
	}
	return nil
}

// find returns the index of cpu id among r's cores that have texts, trying
// index k first, or -1.
func (r *reading) find(id, k int) int {
	n := len(r.texts)
	if k < n && r.cores[k].id == id {
		return k
	}
	// A core came or went: search the sorted ids.
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if r.cores[m].id < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < n && r.cores[lo].id == id {
		return lo
	}
	return -1
}

// wordMasks[n] selects the first n bytes of two little-endian words.
var wordMasks = func() (m [17][2]uint64) {
	for n := range m {
		for k := range n {
			m[n][k/8] |= 0xff << (8 * (k % 8))
		}
	}
	return m
}()

// sameLayout parses the cpu line at cur[p:] into t if
// it has the layout pl records of the same cpu's line at prev[pl.start:]:
// the same name and spacing, and each counter with the same number of
// digits and the same separator after it. A counter whose text is the
// same, separator included, takes its value from pt; the others are
// parsed, and the fields past the line's last counter are zeroed. It
// reports false, with t in any state, if the layouts differ.
// Both lines have the same length and end in a newline, and both buffers
// extend at least 16 bytes past them or sameLayout reports false at once.
func sameLayout(cur []byte, p int, prev []byte, pl *lineText, pt, t *ticks) bool {
	q := pl.start
	if p+pl.length+16 > len(cur) || q+pl.length+16 > len(prev) || pl.first > 16 {
		return false
	}
	// From here on every load is within both buffers: the checks above
	// cover the line and 16 bytes past it.
	c, o := unsafe.Pointer(&cur[p]), unsafe.Pointer(&prev[q])
	// The name and the spacing up to the first counter; the id was
	// matched, and names are short.
	if differ(c, o, pl.first) {
		return false
	}
	i := pl.first
	for f := range pl.nf {
		n := int(pl.digits[f])
		if !differ(unsafe.Add(c, i), unsafe.Add(o, i), n+1) {
			t[f] = pt[f]
		} else {
			// Changed: as many digits, then the same separator.
			v, ok := parseDigits(unsafe.Add(c, i), n)
			if !ok || *(*byte)(unsafe.Add(c, i+n)) != *(*byte)(unsafe.Add(o, i+n)) {
				return false
			}
			t[f] = v
		}
		i += n + 1
	}
	for f := pl.nf; f < numFields; f++ {
		t[f] = 0
	}
	return true
}

// parseDigits parses the n decimal digits, 1 to 15, at p, 8 at a time, or
// reports false if one is not a digit. Knowing n is what makes this pay:
// without it, finding where a number ends costs as much as the loop it
// replaces.
func parseDigits(p unsafe.Pointer, n int) (uint64, bool) {
	if n <= 8 {
		return parse8(load64(p), n)
	}
	hi, ok1 := parse8(load64(p), n-8)
	lo, ok2 := parse8(load64(unsafe.Add(p, n-8)), 8)
	return hi*100_000_000 + lo, ok1 && ok2
}

// parse8 parses the first n, 1 to 8, of the 8 bytes in x (the first in
// the lowest byte), or reports false if one is not a digit.
func parse8(x uint64, n int) (uint64, bool) {
	// Move the n digits to the top and fill below them with zeros, which
	// lead and so do not change the value.
	x = x<<(8*(8-n)) | 0x3030303030303030>>(8*n)
	// Every byte is a digit if its high nibble is 3 and adding 6 to it
	// keeps the high nibble 3.
	if x&0xf0f0f0f0f0f0f0f0|(x+0x0606060606060606)&0xf0f0f0f0f0f0f0f0>>4 != 0x3333333333333333 {
		return 0, false
	}
	x -= 0x3030303030303030
	// Pairs of digits, then fours, then eights: each step multiplies the
	// more significant half of each lane and adds the other, and no lane
	// overflows into the next.
	x = (x*10 + x>>8) & 0x00ff00ff00ff00ff
	x = (x*100 + x>>16) & 0x0000ffff0000ffff
	x = (x*10000 + x>>32) & 0xffffffff
	return x, true
}

// differ reports whether the n ≤ 16 bytes at a and b differ, loading two
// words from each, whatever lies past the n bytes.
func differ(a, b unsafe.Pointer, n int) bool {
	m := &wordMasks[n]
	x := (load64(a) ^ load64(b)) & m[0]
	y := (load64(unsafe.Add(a, 8)) ^ load64(unsafe.Add(b, 8))) & m[1]
	return x|y != 0
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

// parseCPUName parses the "cpu" or "cpuN" that starts line and returns the
// id, -1 for the aggregate line, and the index where the counters start.
// line may run on past its newline.
func parseCPUName(line []byte) (id, i int, err error) {
	i = len("cpu")
	if i == len(line) || line[i] == ' ' || line[i] == '\n' {
		return -1, i, nil
	}
	n := 0
	for ; i < len(line) && line[i] >= '0' && line[i] <= '9'; i++ {
		if n > 1<<20 {
			return 0, 0, fmt.Errorf("cpu id out of range in %s", excerpt(line, i))
		}
		n = n*10 + int(line[i]-'0')
	}
	if i == len("cpu") || (i < len(line) && line[i] != ' ' && line[i] != '\n') {
		return 0, 0, fmt.Errorf("malformed cpu name in %s", excerpt(line, i))
	}
	return n, i, nil
}

// parseCounters parses the counters of a cpu line from index i on into t,
// which must be zero: 4 to 10 unsigned decimal numbers separated by
// spaces, of which any extra trailing ones from a newer kernel are
// ignored. It records their layout in lt, whose length it leaves 0 unless
// the line is in the kernel's form.
func parseCounters(line []byte, i int, t *ticks, lt *lineText) error {
	nf := 0
	first := -1
	canon := true
	for i < len(line) {
		// Test for a digit first: in the kernel's format that is what
		// starts here, as the single space after each counter is skipped
		// below without another round of this loop.
		if line[i]-'0' > 9 {
			if c := line[i]; c == ' ' || c == '\t' || c == '\r' {
				i++
				continue
			}
			return fmt.Errorf("malformed counter in %s", excerpt(line, i))
		}
		from := i
		if first < 0 {
			first = i
		}
		// The hot loop of a first reading: no overflow check per digit,
		// as 19 decimal digits always fit in a uint64; longer numbers are
		// checked below.
		var v uint64
		for ; i < len(line); i++ {
			d := line[i] - '0'
			if d > 9 {
				break
			}
			v = v*10 + uint64(d)
		}
		n := i - from
		if n > 19 {
			var err error
			if v, err = strconv.ParseUint(string(line[from:i]), 10, 64); err != nil {
				return fmt.Errorf("counter overflows in %s", excerpt(line, from))
			}
		}
		if i < len(line) {
			if c := line[i]; c == ' ' {
				i++
			} else if c != '\t' && c != '\r' {
				return fmt.Errorf("malformed counter in %s", excerpt(line, i))
			}
		}
		if nf < numFields {
			t[nf] = v
			lt.digits[nf] = uint8(min(n, 255))
			canon = canon && n <= 15
		}
		nf++
	}
	if nf < minFields {
		return fmt.Errorf("cpu line has %d counters, want at least %d: %s", nf, minFields, excerpt(line, len(line)))
	}
	// The kernel's form: one separator after each counter and nothing after
	// the last, which the line's length tells once the digits are known.
	if canon && nf <= numFields {
		end := first - 1
		for _, n := range lt.digits[:nf] {
			end += int(n) + 1
		}
		if end == len(line) {
			lt.length, lt.first, lt.nf = len(line), first, nf
		}
	}
	return nil
}
