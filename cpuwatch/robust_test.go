package cpuwatch

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCountersNearTheTop diffs two readings of a core whose counters sit
// just below 2^64: their sum does not fit in a uint64, and the core must
// still be there, with the right usage, not taken for a hot-plug reset.
func TestCountersNearTheTop(t *testing.T) {
	parse := func(s string) *reading {
		t.Helper()
		var r reading
		if err := r.parse([]byte(s)); err != nil {
			t.Fatal(err)
		}
		return &r
	}
	prev := parse("cpu 18446744073709551605 0 0 0\ncpu0 18446744073709551605 0 0 0\n")
	cur := parse("cpu 18446744073709551615 0 0 100\ncpu0 18446744073709551615 0 0 100\n")
	cores := diff(nil, prev, cur)
	if len(cores) != 1 {
		t.Fatalf("diff gave %d cores, want cpu0", len(cores))
	}
	if got, want := cores[0].Usage.User, 10.0/110; got < want-1e-12 || got > want+1e-12 {
		t.Errorf("User = %v, want %v", got, want)
	}
	if wentBack(&prev.total, &cur.total) {
		t.Error("the aggregate line is taken for a reset")
	}
	// A real reset still is one.
	reset := parse("cpu 5 0 0 5\ncpu0 5 0 0 5\n")
	if got := diff(nil, cur, reset); len(got) != 0 {
		t.Errorf("diff after a reset = %v, want the core left out", got)
	}
}

// TestErrorsQuoteAnExcerpt feeds a stat file with a 4 MB bad cpu line:
// the error must say what is wrong and where, in a few hundred bytes.
func TestErrorsQuoteAnExcerpt(t *testing.T) {
	huge := strings.Repeat("1", 4<<20) // 50 MB in the issue; 4 MB shows the bound as well
	for name, line := range map[string]string{
		"bad counter at the end": "cpu0 1 2 3 " + huge + "x",
		"overflowing counter":    "cpu0 1 2 3 " + huge,
		"bad name":               "cpu0" + huge + "x 1 2 3 4",
		"too few counters":       "cpu0 1" + strings.Repeat(" ", 4<<20),
	} {
		t.Run(name, func(t *testing.T) {
			var r reading
			err := r.parse([]byte("cpu 1 2 3 4\n" + line + "\n"))
			if err == nil {
				t.Fatal("parse succeeded")
			}
			if n := len(err.Error()); n > 400 {
				t.Errorf("error of %d bytes: %.200s…", n, err.Error())
			}
			if !strings.Contains(err.Error(), "cpu0") || !strings.Contains(err.Error(), "bytes") {
				t.Errorf("error %q does not quote the line's start and say its length", err)
			}
		})
	}
	// And through a Watcher: stat's whole line is in neither error.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "stat"), []byte("cpu 1 2 3 4\ncpu0 1 2 3 "+huge+"x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w := Watcher{Interval: time.Millisecond, ProcRoot: dir}
	err := w.Watch(t.Context(), func(Sample) {})
	if err == nil || len(err.Error()) > 400 {
		t.Errorf("Watch error of %d bytes", len(err.Error()))
	}
}

func TestExcerpt(t *testing.T) {
	long := bytes.Repeat([]byte("a"), 1000)
	long[500] = 'X'
	for _, tc := range []struct {
		in   []byte
		at   int
		want string
	}{
		{[]byte("cpu0 1 2 x"), 9, `"cpu0 1 2 x"`},
		{long, 500, `"` + strings.Repeat("a", 24) + `"…"` + strings.Repeat("a", 24) + `X` + strings.Repeat("a", 23) + `"… (1000 bytes)`},
		{long, 0, `"` + strings.Repeat("a", 48) + `"… (1000 bytes)`},
		{[]byte("\xff\xfe" + strings.Repeat("é", 100)), 0, ``},
	} {
		got := excerpt(tc.in, tc.at)
		if tc.want != "" && got != tc.want {
			t.Errorf("excerpt(%.20q, %d) = %s, want %s", tc.in, tc.at, got, tc.want)
		}
		if len(got) > 200 {
			t.Errorf("excerpt of %d bytes", len(got))
		}
	}
}
