package cpuwatch

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// guarded returns s at the very end of a readable page that is followed by
// one that is not, so that any load past the end of s faults.
func guarded(t *testing.T, s string) []byte {
	t.Helper()
	page := os.Getpagesize()
	if len(s) > page {
		t.Fatalf("%d bytes do not fit a page", len(s))
	}
	mem, err := unix.Mmap(-1, 0, 2*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(mem) })
	if err := unix.Mprotect(mem[page:], unix.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	b := mem[page-len(s) : page : page]
	copy(b, s)
	return b
}

// TestParseAfterStaysInBuffer puts both readings against a guard page: the
// word-at-a-time comparison must fall back to parsing rather than load
// past the end of a buffer.
func TestParseAfterStaysInBuffer(t *testing.T) {
	const agg = "cpu  100 0 50 1000 0 0 0 0 0 0\n"
	for _, tt := range []struct{ prev, cur string }{
		{agg + "cpu0 10 0 5 100\ncpu1 1 2 3 4\n", agg + "cpu0 10 0 5 100\ncpu1 1 2 3 4\n"},
		{agg + "cpu0 10 0 5 100\ncpu1 1 2 3 4\n", agg + "cpu0 11 0 5 100\ncpu1 1 2 3 5\n"},
		{agg + "cpu0 1234567890123456 0 5 100\n", agg + "cpu0 1234567890123456 0 5 100\n"},
	} {
		checkParseAfter(t, guarded(t, tt.prev), guarded(t, tt.cur))
	}
}
