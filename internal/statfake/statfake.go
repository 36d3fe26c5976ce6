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
// Advance rewrites in place with every cpu line's user and idle counters
// moved on, as a kernel's are between two readings.
type Advancing struct {
	// Root is the temporary proc root holding the copy as Root/stat.
	Root  string
	path  string
	lines [][]byte
	k     uint64
	buf   []byte
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
	a := &Advancing{Root: root, path: filepath.Join(root, "stat"), lines: bytes.SplitAfter(data, []byte("\n"))}
	a.Advance(tb)
	return a
}

// Advance rewrites the file with user and idle k and 9k ticks on from the
// original, for the next k.
func (a *Advancing) Advance(tb testing.TB) {
	tb.Helper()
	const userField, idleField = 1, 4 // after the "cpuN" name
	a.k++
	a.buf = a.buf[:0]
	for _, line := range a.lines {
		if !bytes.HasPrefix(line, []byte("cpu")) {
			a.buf = append(a.buf, line...)
			continue
		}
		for i, f := range bytes.Fields(line) {
			if i > 0 {
				a.buf = append(a.buf, ' ')
			}
			var step uint64
			switch i {
			case userField:
				step = 1
			case idleField:
				step = 9
			}
			if step > 0 {
				v, err := strconv.ParseUint(string(f), 10, 64)
				if err != nil {
					tb.Fatal(err)
				}
				f = strconv.AppendUint(nil, v+a.k*step, 10)
			}
			a.buf = append(a.buf, f...)
		}
		a.buf = append(a.buf, '\n')
	}
	// os.WriteFile truncates and rewrites the same inode, which a reader's
	// kept descriptor sees.
	if err := os.WriteFile(a.path, a.buf, 0o644); err != nil {
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
