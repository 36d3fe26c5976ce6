package heatmap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/corescope/corescope/cpuwatch"
)

// hostile is a title an attacker controls, such as a --data-id: it would
// retitle a terminal window, clear the screen, move the cursor back and
// cut the output short, and is not valid UTF-8.
const hostile = "run\x1b]0;pwned\a\x1b[2J\r\b\x00\x7f\u009b2J\xff\xfe\u202eend\nsecond line\nthird"

// terminalSafe reports the first byte of out that a terminal would act on
// rather than show: any C0 or C1 control but the newline, DEL, and
// invalid UTF-8.
func terminalSafe(out string, allowEscapes bool) error {
	for i, r := range out {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(out[i:], "\uFFFD"):
			return fmt.Errorf("invalid UTF-8 at byte %d: %q", i, out[max(i-10, 0):min(i+10, len(out))])
		case r == '\n':
		case r == 0x1b && allowEscapes && isSGR(out[i:]):
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return fmt.Errorf("control %U at byte %d: %q", r, i, out[max(i-10, 0):min(i+10, len(out))])
		}
	}
	return nil
}

// isSGR reports whether s starts with a colour escape (ESC [ digits ; m)
// or the Live redraw's cursor moves (ESC [ n F, ESC [ J).
func isSGR(s string) bool {
	if !strings.HasPrefix(s, "\x1b[") {
		return false
	}
	for _, c := range []byte(s[2:]) {
		switch {
		case c >= '0' && c <= '9', c == ';':
		case c == 'm', c == 'F', c == 'J':
			return true
		default:
			return false
		}
	}
	return false
}

func TestTerminalSanitisesTitle(t *testing.T) {
	rec := makeRec([]int{0, 1}, 4, func(i, id int) (float64, float64) { return 0.5, 0 })
	rec.DataID = hostile
	for _, cs := range []ColorSupport{NoColor, Color256, TrueColor} {
		for _, mode := range []Mode{Busy, Split, Distribution} {
			t.Run(fmt.Sprint(cs, mode), func(t *testing.T) {
				var buf bytes.Buffer
				if err := WriteTerminal(&buf, rec, TerminalOptions{Color: cs, Mode: mode}); err != nil {
					t.Fatal(err)
				}
				if err := terminalSafe(buf.String(), cs != NoColor); err != nil {
					t.Error(err)
				}
				if !strings.Contains(buf.String(), "run") || !strings.Contains(buf.String(), "third") {
					t.Errorf("the title's printable text is lost: %q", buf.String())
				}
			})
		}
	}
}

// TestLiveTitleWithNewlines checks that each redraw moves the cursor up by
// exactly the lines of the frame before, whatever the title holds.
func TestLiveTitleWithNewlines(t *testing.T) {
	rec := makeRec([]int{0, 1, 2, 3}, 4, func(i, id int) (float64, float64) { return 0.5, 0 })
	var buf bytes.Buffer
	t.Setenv("TERM", "xterm-256color") // Live redraws in place
	l := NewLive(&buf, TerminalOptions{Title: hostile, Color: TrueColor})
	prevLines := 0
	for i, s := range rec.All() {
		buf.Reset()
		if err := l.Add(s); err != nil {
			t.Fatal(err)
		}
		frame := buf.String()
		if err := terminalSafe(frame, true); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if i > 0 {
			want := fmt.Sprintf("\x1b[%dF\x1b[J", prevLines)
			if !strings.HasPrefix(frame, want) {
				t.Fatalf("frame %d starts %q, want %q: the frame before had %d lines", i, frame[:min(len(frame), 12)], want, prevLines)
			}
			frame = strings.TrimPrefix(frame, want)
		}
		prevLines = strings.Count(frame, "\n")
	}
}

func TestHTMLSanitisesText(t *testing.T) {
	rec := makeRec([]int{0, 1}, 4, func(i, id int) (float64, float64) { return 0.5, 0 })
	rec.DataID = hostile
	for i := range rec.Len() {
		mutate(rec, func(ss []cpuwatch.Sample) {
			ss[i].Threads = []cpuwatch.ThreadUsage{{PID: 7, TID: 7, Name: hostile, CPU: 1, User: 0.5}}
		})
	}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"cores":   func(b *bytes.Buffer) error { return WriteHTML(b, rec, Options{}) },
		"threads": func(b *bytes.Buffer) error { return WriteThreadsHTML(b, rec, ThreadOptions{}) },
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := write(&buf); err != nil {
				t.Fatal(err)
			}
			page := buf.String()
			if !utf8.ValidString(page) {
				t.Error("page is not valid UTF-8")
			}
			if strings.ContainsAny(page, "\x1b\x00\a\b\x7f") {
				t.Error("page holds control characters")
			}
			p := parsePage(t, page)
			if !strings.Contains(p.title, "pwned") {
				t.Errorf("title %q lost its printable text", p.title)
			}
		})
	}
}

func TestPictureTextsAreSanitised(t *testing.T) {
	rec := makeRec([]int{0, 1}, 4, func(i, id int) (float64, float64) { return 0.5, 0 })
	rec.DataID = hostile
	for i := range rec.Len() {
		mutate(rec, func(ss []cpuwatch.Sample) {
			ss[i].Threads = []cpuwatch.ThreadUsage{{PID: 7, TID: 7, Name: hostile, CPU: 1, User: 0.5}}
		})
	}
	cs := []*chart{}
	o, _ := Options{}.resolve()
	c, err := buildChart(rec, o, fAll)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := buildThreadChart(rec, ThreadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cs = append(cs, c, tc)
	for _, c := range cs {
		l, err := c.layout(newFonts())
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range l.texts {
			if err := terminalSafe(tx.s, false); err != nil || strings.Contains(tx.s, "\n") {
				t.Errorf("laid-out text %q: %v", tx.s, err)
			}
		}
		if err := terminalSafe(c.tip(0, 0), false); err != nil {
			t.Errorf("tip: %v", err)
		}
	}
}

// TestTerminalTicksBoundedForAnySpan draws recordings whose spans reach
// from a second to the whole of time.Time's range in well under a second
// of work each.
func TestTerminalTicksBoundedForAnySpan(t *testing.T) {
	year1 := time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)
	year9999 := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		a, b    time.Time
		elapsed time.Duration
	}{
		{"30 years", t0, t0.AddDate(30, 0, 0), time.Second},
		{"year 1 to 9999", year1, year9999, time.Second},
		{"huge elapsed", t0, t0.Add(time.Second), 1<<63 - 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &cpuwatch.Recording{Interval: time.Second}
			for _, at := range []time.Time{tc.a, tc.b} {
				rec.Append(cpuwatch.Sample{Time: at, Elapsed: tc.elapsed,
					Cores: []cpuwatch.CoreUsage{{ID: 0, Usage: cpuwatch.Usage{User: 0.5, Idle: 0.5}}}})
			}
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			done := make(chan error, 1)
			var out bytes.Buffer
			go func() {
				err := WriteTerminal(&out, rec, TerminalOptions{Color: NoColor})
				if err == nil {
					l := NewLive(&bytes.Buffer{}, TerminalOptions{Color: NoColor})
					for _, s := range rec.All() {
						if err = l.Add(s); err != nil {
							break
						}
					}
				}
				done <- err
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
				lines := strings.Split(out.String(), "\n")
				for _, ln := range lines {
					if strings.HasSuffix(ln, " s") && strings.Contains(ln, "|") && len(ln) > 400 {
						t.Errorf("time axis of %d bytes", len(ln))
					}
				}
			case <-ctx.Done():
				t.Fatal("WriteTerminal and Live did not finish in 20 s")
			}
		})
	}
}

// TestByCoreRefusesBadTopology draws, with every writer, a recording whose
// topology lists a CPU twice: each returns an error that says so, none
// panics.
func TestByCoreRefusesBadTopology(t *testing.T) {
	for name, top := range map[string]*cpuwatch.Topology{
		"cpu listed twice": {CPUs: []cpuwatch.LogicalCPU{
			{ID: 0, Core: 0, Siblings: []int{0}}, {ID: 0, Core: 0, Siblings: []int{0}}, {ID: 1, Core: 1, Siblings: []int{1}}}},
		"descending": {CPUs: []cpuwatch.LogicalCPU{{ID: 1, Core: 1}, {ID: 0, Core: 0}}},
	} {
		rec := makeRec([]int{0, 1}, 3, func(i, id int) (float64, float64) { return 0.5, 0 })
		rec.Host.Topology = top
		for wname, write := range map[string]func() error{
			"PNG":  func() error { return WritePNG(io.Discard, rec, Options{GroupByCore: true}) },
			"SVG":  func() error { return WriteSVG(io.Discard, rec, Options{GroupByCore: true}) },
			"HTML": func() error { return WriteHTML(io.Discard, rec, Options{GroupByCore: true}) },
			"terminal": func() error {
				return WriteTerminal(io.Discard, rec, TerminalOptions{GroupByCore: true, Color: NoColor})
			},
			"Render": func() error { _, err := Render(rec, Options{GroupByCore: true}); return err },
		} {
			t.Run(name+"/"+wname, func(t *testing.T) {
				err := write()
				if !errors.Is(err, ErrBadRecording) || !strings.Contains(err.Error(), "topology") {
					t.Errorf("error = %v, want ErrBadRecording about the topology", err)
				}
			})
		}
	}
}

// TestThreadsAndCoresShareColumns draws the core heatmap and the thread
// timeline of one recording, whose samples come a little early or late as
// real ones do, and checks by pixels that every column shows the thread
// where it shows its core busy, and nowhere else.
func TestThreadsAndCoresShareColumns(t *testing.T) {
	const n = 12
	jitter := []time.Duration{0, 40, -30, 20, -45, 10, 35, -20, 45, -10, 25, -35}
	busyIn := func(i int) bool { return i >= 3 && i <= 7 }
	rec := &cpuwatch.Recording{DataID: "jitter", Interval: 500 * time.Millisecond, Start: t0}
	prev := t0
	for i := range n {
		at := t0.Add(time.Duration(i+1)*500*time.Millisecond + jitter[i]*time.Millisecond)
		s := cpuwatch.Sample{Time: at, Elapsed: at.Sub(prev)}
		prev = at
		u := 0.0
		if busyIn(i) {
			u = 1
			s.Threads = []cpuwatch.ThreadUsage{{PID: 9, TID: 9, Name: "proc/0", CPU: 0, User: 1}}
		}
		s.Cores = []cpuwatch.CoreUsage{{ID: 0, Usage: cpuwatch.Usage{User: u, Idle: 1 - u}}, {ID: 1, Usage: cpuwatch.Usage{Idle: 1}}}
		rec.Append(s)
	}
	rec.RunStart, rec.RunEnd = rec.Sample(2).Time, rec.Sample(7).Time
	for _, cellW := range []int{12, 5} { // 5: fewer columns than samples
		t.Run(fmt.Sprint("cell width ", cellW), func(t *testing.T) {
			width := cellW * n
			if cellW == 5 {
				width = 5 * 7 // 7 columns for 12 samples
			}
			opts := Options{CellWidth: cellW, GridWidth: width, CellHeight: 10}
			img := decodePNG(t, rec, opts)
			c, l := layoutOf(t, rec, opts)

			var tbuf bytes.Buffer
			topts := ThreadOptions{CellWidth: cellW, GridWidth: width, CellHeight: 10}
			if err := WriteThreadsPNG(&tbuf, rec, topts); err != nil {
				t.Fatal(err)
			}
			timg, err := png.Decode(&tbuf)
			if err != nil {
				t.Fatal(err)
			}
			tc, err := buildThreadChart(rec, topts)
			if err != nil {
				t.Fatal(err)
			}
			tl, err := tc.layout(newFonts())
			if err != nil {
				t.Fatal(err)
			}
			if c.cols != tc.cols || c.t0 != tc.t0 || c.t1 != tc.t1 {
				t.Fatalf("time axes differ: cores %d columns %v–%v s, threads %d columns %v–%v s", c.cols, c.t0, c.t1, tc.cols, tc.t0, tc.t1)
			}
			// Decode the core's busy fraction from its colour, and the
			// thread's strength level from its.
			vir := Viridis()
			coreBusy := func(px color.RGBA) float64 {
				best, bd := 0.0, 1<<30
				for k := 0; k <= 255; k++ {
					if d := dist2(px, int(vir.table[k].R), int(vir.table[k].G), int(vir.table[k].B)); d < bd {
						best, bd = float64(k)/255, d
					}
				}
				return best
			}
			threadLevel := func(px color.RGBA) int {
				if near(px, colNoData, 2) {
					return -1
				}
				for k := range threadLevels {
					st := idleTint + (1-idleTint)*float64(k)/(threadLevels-1)
					if near(px, blend(colBackground, OkabeIto()[0], st), 2) {
						return k
					}
				}
				return -2
			}
			for col := range c.cols {
				busy := coreBusy(cellAt(img, c, l, 0, col))
				want := int(math.Round(busy * (threadLevels - 1)))
				got := threadLevel(cellAt(timg, tc, tl, 0, col))
				if got != want && !(want == 0 && got == -1) {
					from, to := tc.t0+float64(col)*(tc.t1-tc.t0)/float64(tc.cols), tc.t0+float64(col+1)*(tc.t1-tc.t0)/float64(tc.cols)
					t.Errorf("column %d (%.2f–%.2f s): core %.0f %% busy, so thread level %d; thread drawn at level %d (-1: absent)", col, from, to, 100*busy, want, got)
				}
			}
		})
	}
}

// TestWriteFileKeepsTheOldPicture fails to draw over a picture already on
// disk: the old one stays, and no temporary file is left.
func TestWriteFileKeepsTheOldPicture(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "a.png")
	rec := makeRec([]int{0, 1}, 4, func(i, id int) (float64, float64) { return 0.5, 0 })
	if err := WriteFile(name, rec, Options{}); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(name)
	if err := WriteFile(name, &cpuwatch.Recording{}, Options{}); !errors.Is(err, ErrBadRecording) {
		t.Fatalf("WriteFile(empty recording) = %v, want ErrBadRecording", err)
	}
	if now, _ := os.ReadFile(name); !bytes.Equal(now, old) {
		t.Errorf("the old picture is gone: %d bytes, were %d", len(now), len(old))
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files in the folder, want the one picture", len(ents))
	}
	if fi, err := os.Stat(name); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("picture mode %v (%v), want 0644", fi.Mode(), err)
	}
}
