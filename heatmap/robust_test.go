package heatmap

import (
	"bytes"
	"context"
	"fmt"
	"io"
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
	l := NewLive(&buf, TerminalOptions{Title: hostile, Color: TrueColor, Getenv: func(k string) string {
		return map[string]string{"TERM": "xterm-256color"}[k]
	}})
	prevLines := 0
	for i, s := range rec.Samples {
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
	for i := range rec.Samples {
		rec.Samples[i].Threads = []cpuwatch.ThreadUsage{{PID: 7, TID: 7, Name: hostile, CPU: 1, User: 0.5}}
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
	for i := range rec.Samples {
		rec.Samples[i].Threads = []cpuwatch.ThreadUsage{{PID: 7, TID: 7, Name: hostile, CPU: 1, User: 0.5}}
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
				rec.Samples = append(rec.Samples, cpuwatch.Sample{Time: at, Elapsed: tc.elapsed,
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
					for _, s := range rec.Samples {
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
			"PNG":      func() error { return WritePNG(io.Discard, rec, Options{GroupByCore: true}) },
			"SVG":      func() error { return WriteSVG(io.Discard, rec, Options{GroupByCore: true}) },
			"HTML":     func() error { return WriteHTML(io.Discard, rec, Options{GroupByCore: true}) },
			"terminal": func() error { return WriteTerminal(io.Discard, rec, TerminalOptions{GroupByCore: true, Color: NoColor}) },
			"Render":   func() error { _, err := Render(rec, Options{GroupByCore: true}); return err },
		} {
			t.Run(name+"/"+wname, func(t *testing.T) {
				err := write()
				if err == nil || !strings.Contains(err.Error(), "topology") {
					t.Errorf("error = %v, want one about the topology", err)
				}
			})
		}
	}
}
