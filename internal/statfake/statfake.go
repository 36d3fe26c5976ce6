// Package statfake keeps a copy of a /proc/stat file whose counters move
// on, for benchmarks of code that reads it: a sample of an unchanging file
// finds no ticks and takes a reader's cheap path, which is not what a
// kernel's file costs.
package statfake

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// Advancing is a copy of a stat file in a temporary proc root, which
// Advance rewrites in place with every cpu line's counters moved on, as a
// kernel's are between two readings. Advance allocates nothing, so that
// the garbage collector's work does not land in the timing of the code
// being measured.
type Advancing struct {
	// Root is the temporary proc root holding the copy as Root/stat.
	Root string
	// Steps is how many ticks each counter of every cpu line moves by per
	// Advance, in /proc/stat order (user, nice, system, idle, ...).
	// NewAdvancing sets user 1 and idle 9: a core 10 % busy, whose other
	// counters stand still, as most of a kernel's do between two samples.
	// It may be changed between calls of Advance.
	Steps [10]uint64

	f     *os.File
	lines []line
	k     uint64
	buf   []byte
}

// line is one line of the original file: its text, and for a cpu line the
// name and the counters.
type line struct {
	text     []byte
	name     []byte // "cpu  ", "cpu0 ", ...: up to the first counter; nil for other lines
	counters []uint64
}

// NewAdvancing copies srcRoot/stat into a temporary proc root, removed
// when tb ends, and advances it once.
func NewAdvancing(tb testing.TB, srcRoot string) *Advancing {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(srcRoot, "stat"))
	if err != nil {
		tb.Fatal(err)
	}
	root := tb.TempDir()
	f, err := os.Create(filepath.Join(root, "stat"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	a := &Advancing{Root: root, f: f}
	a.Steps[0], a.Steps[3] = 1, 9
	for _, text := range bytes.SplitAfter(data, []byte("\n")) {
		l := line{text: text}
		if bytes.HasPrefix(text, []byte("cpu")) {
			fields := bytes.Fields(text)
			n := len(fields[0])
			for n < len(text) && text[n] == ' ' {
				n++
			}
			l.name = text[:n]
			for _, f := range fields[1:] {
				v, err := strconv.ParseUint(string(f), 10, 64)
				if err != nil {
					tb.Fatal(err)
				}
				l.counters = append(l.counters, v)
			}
		}
		a.lines = append(a.lines, l)
	}
	a.Advance(tb)
	return a
}

// Advance rewrites the file with each counter Steps[i]·k ticks on from the
// original, for the next k.
func (a *Advancing) Advance(tb testing.TB) {
	tb.Helper()
	a.k++
	a.buf = a.buf[:0]
	for _, l := range a.lines {
		if l.name == nil {
			a.buf = append(a.buf, l.text...)
			continue
		}
		a.buf = append(a.buf, l.name...)
		for i, v := range l.counters {
			if i < len(a.Steps) {
				v += a.k * a.Steps[i]
			}
			if i > 0 {
				a.buf = append(a.buf, ' ')
			}
			a.buf = strconv.AppendUint(a.buf, v, 10)
		}
		a.buf = append(a.buf, '\n')
	}
	// Rewrite the same inode in place, which a reader's kept descriptor
	// sees, as os.WriteFile would but without allocating.
	if _, err := a.f.WriteAt(a.buf, 0); err != nil {
		tb.Fatal(err)
	}
	if err := a.f.Truncate(int64(len(a.buf))); err != nil {
		tb.Fatal(err)
	}
}

// Size returns the length of root/stat, for b.SetBytes. /proc files report
// size 0, so it reads the file.
func Size(tb testing.TB, root string) int64 {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(root, "stat"))
	if err != nil {
		tb.Fatal(err)
	}
	return int64(len(data))
}
