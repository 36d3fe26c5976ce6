package cpuwatch

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// padded returns s in a buffer with room after it, filled with fill, as a
// statReader's buffer has: parseAfter loads words past the end of a line
// up to a buffer's capacity, and what lies there must not matter.
func padded(s string, fill byte) []byte {
	b := make([]byte, len(s), len(s)+64)
	copy(b, s)
	tail := b[len(s):cap(b)]
	for i := range tail {
		tail[i] = fill
	}
	return b
}

// checkParseAfter parses cur after prev and fresh, and fails unless both
// give the same reading or the same error.
func checkParseAfter(t *testing.T, prevText, curText []byte) {
	t.Helper()
	var prev, got, want reading
	if err := prev.parse(prevText); err != nil {
		t.Fatalf("previous reading %q: %v", prevText, err)
	}
	wantErr := want.parse(curText)
	gotErr := got.parseAfter(curText, &prev)
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("parseAfter(%q) after %q: error %v, parse gives %v", curText, prevText, gotErr, wantErr)
	}
	if diff := cmp.Diff(want, got, cmpReading); wantErr == nil && diff != "" {
		t.Errorf("parseAfter(%q) after %q differs from parse (-parse +parseAfter):\n%s", curText, prevText, diff)
	}
}

func TestParseAfterMatchesParse(t *testing.T) {
	const agg = "cpu  100 0 50 1000 0 0 0 0 0 0\n"
	tests := []struct {
		name, prev, cur string
	}{
		{"unchanged", agg + "cpu0 10 0 5 100 1 0 0 0 0 0\n", agg + "cpu0 10 0 5 100 1 0 0 0 0 0\n"},
		{"user and idle moved", agg + "cpu0 10 0 5 100 1 0 0 0 0 0\n", agg + "cpu0 11 0 5 109 1 0 0 0 0 0\n"},
		{"every counter moved", agg + "cpu0 10 1 5 100 1 2 3 4 5 6\n", agg + "cpu0 11 2 6 101 2 3 4 5 6 7\n"},
		{"a counter gained a digit", agg + "cpu0 99 0 5 100\n", agg + "cpu0 100 0 5 100\n"},
		{"one gained and one lost a digit", agg + "cpu0 99 10 5 100\n", agg + "cpu0 100 9 5 100\n"},
		{"digits swapped places", agg + "cpu0 12 3 5 100\n", agg + "cpu0 1 23 5 100\n"},
		{"counter went backwards", agg + "cpu0 10 0 5 100 7 0 0 0 0 0\n", agg + "cpu0 10 0 5 100 3 0 0 0 0 0\n"},
		{"core went offline", agg + "cpu0 1 0 0 9\ncpu1 2 0 0 9\ncpu2 3 0 0 9\n", agg + "cpu0 1 0 0 9\ncpu2 3 0 0 9\n"},
		{"core came online", agg + "cpu0 1 0 0 9\ncpu2 3 0 0 9\n", agg + "cpu0 1 0 0 9\ncpu1 2 0 0 9\ncpu2 3 0 0 9\n"},
		{"ids renumbered", agg + "cpu0 1 0 0 9\ncpu1 2 0 0 9\n", agg + "cpu1 1 0 0 9\ncpu2 2 0 0 9\n"},
		{"id gained a digit", agg + "cpu9 1 0 0 9\n", agg + "cpu10 1 0 0 9\n"},
		{"field appeared", agg + "cpu0 1 0 0 9\n", agg + "cpu0 1 0 0 9 0\n"},
		{"field went away", agg + "cpu0 1 0 0 9 0\n", agg + "cpu0 1 0 0 9\n"},
		{"newer kernel's eleventh field", agg + "cpu0 1 2 3 4 5 6 7 8 9 10 11\n", agg + "cpu0 1 2 3 4 5 6 7 8 9 10 12\n"},
		{"eleventh field turned bad", agg + "cpu0 1 2 3 4 5 6 7 8 9 10 11\n", agg + "cpu0 1 2 3 4 5 6 7 8 9 10 1x\n"},
		{"space became a tab", agg + "cpu0 1 0 0 9\n", agg + "cpu0 1\t0 0 9\n"},
		{"tab became a space", "cpu  1\t0 0 9\n", "cpu  1 0 0 9\n"},
		{"crlf", "cpu  1 0 0 9\r\n", "cpu  1 0 0 9\r\n"},
		{"name spacing changed", "cpu  1 0 0 9\n", "cpu   1 0 0\n"},
		{"name spacing shifted", "cpu  1 0 0 9\n", "cpu 11 0 0 9\n"},
		{"core name spacing shifted", agg + "cpu1  2 0 0 9\n", agg + "cpu1 12 0 0 9\n"},
		{"digit became a letter", agg + "cpu0 10 0 5 100\n", agg + "cpu0 1x 0 5 100\n"},
		{"separator became a letter", agg + "cpu0 10 0 5 100\n", agg + "cpu0 10x0 5 100\n"},
		{"newline became a digit", agg + "cpu0 10 0 5 100\ncpu1 10 0 5 100\n", agg + "cpu0 10 0 5 1001cpu1 10 0 5 100\n"},
		{"no final newline", agg + "cpu0 10 0 5 100", agg + "cpu0 10 0 5 101"},
		{"final newline went away", agg + "cpu0 10 0 5 100\n", agg + "cpu0 10 0 5 100"},
		{"lines after the cpu block changed", agg + "cpu0 1 0 0 9\nintr 5\n", agg + "cpu0 1 0 0 9\nintr 6 7\n"},
		{"aggregate duplicated", agg + "cpu0 1 0 0 9\n", agg + agg + "cpu0 1 0 0 9\n"},
		{"aggregate went missing", agg + "cpu0 1 0 0 9\n", "cpu0 1 0 0 9\n"},
		{"unsorted", agg + "cpu1 1 0 0 9\ncpu0 2 0 0 9\n", agg + "cpu1 1 0 0 9\ncpu0 2 0 0 9\n"},
		{"became unsorted", agg + "cpu0 1 0 0 9\ncpu1 2 0 0 9\n", agg + "cpu1 2 0 0 9\ncpu0 1 0 0 9\n"},
		{"duplicate core", agg + "cpu0 1 0 0 9\ncpu1 2 0 0 9\n", agg + "cpu0 1 0 0 9\ncpu0 1 0 0 9\n"},
		{"16 digits", "cpu  1234567890123456 0 0 9\n", "cpu  1234567890123456 0 0 9\n"},
		{"19 digits moved", "cpu  1234567890123456789 0 0 9\n", "cpu  1234567890123456780 0 0 9\n"},
		{"21 digits", "cpu  000001234567890123456 0 0 9\n", "cpu  000001234567890123456 0 0 9\n"},
		{"leading zeros", "cpu  007 0 0 9\n", "cpu  008 0 0 9\n"},
		{"file emptied", agg, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Unpadded, where the lines near the end cannot be compared a
			// word at a time, and padded with bytes that look like digits
			// and with bytes that do not.
			checkParseAfter(t, []byte(tt.prev), []byte(tt.cur))
			checkParseAfter(t, padded(tt.prev, '7'), padded(tt.cur, '7'))
			checkParseAfter(t, padded(tt.prev, ' '), padded(tt.cur, '\n'))
		})
	}
}

// TestParseAfterReuses checks that the work is really saved: a counter whose
// text is unchanged is taken from the previous reading, not parsed, while
// a counter that changed, and every counter of a line whose layout
// changed, is parsed. Marking the previous reading's values shows which.
func TestParseAfterReuses(t *testing.T) {
	prevText := padded("cpu  100 0 50 1000\ncpu0 10 0 5 100\ncpu1 20 0 5 100\ncpu2 30 0 5 100\n", 0)
	curText := padded("cpu  100 0 50 1001\ncpu0 11 0 5 100\ncpu1 20 0 5 99\ncpu2 30 0 5 100\n", 0)
	var prev, got reading
	if err := prev.parse(prevText); err != nil {
		t.Fatal(err)
	}
	// got held ten counters per line before: the four-counter lines must
	// not keep the other six.
	if err := got.parse([]byte("cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 2 3 4 5 6 7 8 9 10\ncpu1 1 2 3 4 5 6 7 8 9 10\ncpu2 1 2 3 4 5 6 7 8 9 10\n")); err != nil {
		t.Fatal(err)
	}
	const mark = 1 << 40
	for i := range prev.total {
		prev.total[i] += mark
	}
	for k := range prev.cores {
		for i := range prev.cores[k].t {
			prev.cores[k].t[i] += mark
		}
	}
	if err := got.parseAfter(curText, &prev); err != nil {
		t.Fatal(err)
	}
	want := reading{
		total: ticks{mark + 100, mark, mark + 50, 1001, mark, mark, mark, mark, mark, mark},
		cores: []coreTicks{
			{0, ticks{11, mark, mark + 5, mark + 100, mark, mark, mark, mark, mark, mark}},
			{1, ticks{20, 0, 5, 99}}, // shorter: parsed whole
			{2, ticks{mark + 30, mark, mark + 5, mark + 100, mark, mark, mark, mark, mark, mark}},
		},
	}
	// Fields past a line's last counter are zero whatever prev holds.
	for i := 4; i < numFields; i++ {
		want.total[i] = 0
		want.cores[0].t[i] = 0
		want.cores[2].t[i] = 0
	}
	if diff := cmp.Diff(want, got, cmpReading); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

// TestParseAfterAdvancingFixtures runs parseAfter along the way a watch
// does, alternating two buffers, over fixtures whose counters move by
// different amounts, and checks every reading against a fresh parse.
func TestParseAfterAdvancingFixtures(t *testing.T) {
	for _, dir := range []string{"normal", "gaps", "old-kernel", "cpu256"} {
		t.Run(dir, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", dir, "proc", "stat"))
			if err != nil {
				t.Fatal(err)
			}
			var rs [2]reading
			for k := range 40 {
				// Move counter i of every line by k·i·37 ticks: some grow a
				// digit on the way, most keep their length.
				var text []byte
				for _, line := range bytes.SplitAfter(data, []byte("\n")) {
					fields := bytes.Fields(line)
					if !bytes.HasPrefix(line, []byte("cpu")) {
						text = append(text, line...)
						continue
					}
					text = append(text, fields[0]...)
					for i, f := range fields[1:] {
						v, err := strconv.ParseUint(string(f), 10, 64)
						if err != nil {
							t.Fatal(err)
						}
						text = append(text, ' ')
						text = strconv.AppendUint(text, v+uint64(k*i*37), 10)
					}
					text = append(text, '\n')
				}
				cur, prev := &rs[k%2], &rs[(k+1)%2]
				var want reading
				if err := want.parse(text); err != nil {
					t.Fatal(err)
				}
				buf := padded(string(text), '5')
				if err := cur.parseAfter(buf, prev); err != nil {
					t.Fatalf("reading %d: %v", k, err)
				}
				if diff := cmp.Diff(want, *cur, cmpReading); diff != "" {
					t.Fatalf("reading %d differs from parse (-parse +parseAfter):\n%s", k, diff)
				}
			}
		})
	}
}

// FuzzParseAfter mutates pairs of readings: whatever the previous reading
// held, parseAfter must give exactly what parse gives, error or reading.
func FuzzParseAfter(f *testing.F) {
	for _, pair := range [][2]string{
		{"hotplug/before", "hotplug/after"},
		{"hotplug/after", "hotplug/later"},
		{"iowait-backwards/before", "iowait-backwards/after"},
		{"guest/before", "guest/after"},
		{"normal", "gaps"},
		{"old-kernel", "normal"},
		{"normal", "malformed"},
	} {
		var texts [2][]byte
		for i, dir := range pair {
			b, err := os.ReadFile(filepath.Join("testdata", dir, "proc", "stat"))
			if err != nil {
				f.Fatal(err)
			}
			texts[i] = b
		}
		f.Add(texts[0], texts[1], byte('7'))
	}
	f.Add([]byte("cpu  1 2 3 4\ncpu0 1 2 3 4\n"), []byte("cpu  1 2 3 5\ncpu0 1 2 3 4\n"), byte(' '))
	f.Fuzz(func(t *testing.T, prevText, curText []byte, fill byte) {
		var prev reading
		if prev.parse(padded(string(prevText), fill)) != nil {
			return
		}
		var got, want reading
		wantErr := want.parse(curText)
		gotErr := got.parseAfter(padded(string(curText), fill), &prev)
		if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Fatalf("parseAfter error %v, parse gives %v", gotErr, wantErr)
		}
		if diff := cmp.Diff(want, got, cmpReading); wantErr == nil && diff != "" {
			t.Errorf("parseAfter differs from parse (-parse +parseAfter):\n%s", diff)
		}
	})
}

// TestParseDigits checks the 8-at-a-time digit parser against strconv for
// every length, and that every non-digit byte in every position is
// refused.
func TestParseDigits(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 32)
	for n := 1; n <= 15; n++ {
		for range 1000 {
			for i := range buf {
				buf[i] = byte(rng.IntN(256)) // what follows must not matter
			}
			for i := range n {
				buf[i] = byte('0' + rng.IntN(10))
			}
			want, err := strconv.ParseUint(string(buf[:n]), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := parseDigits(unsafe.Pointer(&buf[0]), n); !ok || got != want {
				t.Fatalf("parseDigits(%q) = %d, %v; want %d, true", buf[:n], got, ok, want)
			}
		}
		for pos := range n {
			for c := range 256 {
				if c >= '0' && c <= '9' {
					continue
				}
				for i := range n {
					buf[i] = '9'
				}
				buf[pos] = byte(c)
				if got, ok := parseDigits(unsafe.Pointer(&buf[0]), n); ok {
					t.Fatalf("parseDigits(%q) = %d, true; want false", buf[:n], got)
				}
			}
		}
	}
}
