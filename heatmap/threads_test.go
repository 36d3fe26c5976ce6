package heatmap

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/google/go-cmp/cmp"
)

// threadRec builds a recording of n one-second samples of two idle cores
// whose samples carry the threads th(i) returns.
func threadRec(n int, th func(i int) []cpuwatch.ThreadUsage) *cpuwatch.Recording {
	rec := makeRec([]int{0, 1}, n, func(i, id int) (float64, float64) { return 0, 0 })
	for i := range rec.Len() {
		mutate(rec, func(ss []cpuwatch.Sample) { ss[i].Threads = th(i) })
	}
	return rec
}

// gilRec is a lock passed between threads 101 and 102 of process 100,
// across cpu0 and cpu1, with 103 asleep throughout and 101 gone at the end.
//
//	sample:   0          1          2          3
//	101 a:    cpu0 100%  cpu0 0%    cpu1 100%  —
//	102 b:    cpu1 50%   cpu1 100%  cpu0 0%    cpu0 100%
//	103 idle: cpu1 0%    cpu1 0%    cpu1 0%    cpu1 0%
func gilRec() *cpuwatch.Recording {
	a := []struct {
		cpu  int
		busy float64
	}{{0, 1}, {0, 0}, {1, 1}}
	b := []struct {
		cpu  int
		busy float64
	}{{1, 0.5}, {1, 1}, {0, 0}, {0, 1}}
	return threadRec(4, func(i int) []cpuwatch.ThreadUsage {
		var ts []cpuwatch.ThreadUsage
		if i < len(a) {
			ts = append(ts, cpuwatch.ThreadUsage{PID: 100, TID: 101, Name: "a", CPU: a[i].cpu, User: a[i].busy * 0.9, System: a[i].busy * 0.1})
		}
		ts = append(ts,
			cpuwatch.ThreadUsage{PID: 100, TID: 102, Name: "b", CPU: b[i].cpu, User: b[i].busy},
			cpuwatch.ThreadUsage{PID: 100, TID: 103, Name: "idle", CPU: 1})
		return ts
	})
}

func decodeThreadsPNG(t *testing.T, rec *cpuwatch.Recording, opts ThreadOptions) (image.Image, *chart, *layout) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteThreadsPNG(&buf, rec, opts); err != nil {
		t.Fatalf("WriteThreadsPNG: %v", err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("png.Decode: %v", err)
	}
	c, err := buildThreadChart(rec, opts)
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.layout(newFonts())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := img.Bounds().Size(), image.Pt(l.w, l.h); got != want {
		t.Errorf("image size = %v, want %v", got, want)
	}
	return img, c, l
}

func TestThreadTimelinePixels(t *testing.T) {
	rec := gilRec()
	img, c, l := decodeThreadsPNG(t, rec, ThreadOptions{CellWidth: 40, CellHeight: 20})

	if diff := cmp.Diff([]string{"101 a", "102 b"}, c.rows); diff != "" {
		t.Errorf("rows mismatch (-want +got), the idle thread must be left out:\n%s", diff)
	}
	oi := OkabeIto()
	orange, blue := oi[0], oi[1]
	tint := func(col color.RGBA, busy float64) color.RGBA {
		return blend(colBackground, col, idleTint+(1-idleTint)*busy)
	}
	want := [][]color.RGBA{
		{orange, tint(orange, 0), blue, colNoData},
		{tint(blue, 0.6), blue, tint(orange, 0), orange}, // 50 % shows in the 60 % step
	}
	for r, row := range want {
		for col, w := range row {
			if got := cellAt(img, c, l, r, col); !near(got, w, 1) {
				t.Errorf("%s at column %d = %v, want %v", c.rows[r], col, got, w)
			}
		}
	}

	var labels []string
	for _, e := range c.legend.entries {
		labels = append(labels, e.label)
	}
	if diff := cmp.Diff([]string{"cpu0", "cpu1"}, labels); diff != "" {
		t.Errorf("legend mismatch (-want +got):\n%s", diff)
	}
	// Each legend swatch shows its CPU's full colour.
	for i, bx := range l.boxes {
		mid := image.Pt((bx.r.Min.X+bx.r.Max.X)/2, (bx.r.Min.Y+bx.r.Max.Y)/2)
		if got := rgba(img.At(mid.X, mid.Y)); got != oi[i] {
			t.Errorf("legend swatch %d = %v, want %v", i, got, oi[i])
		}
	}
}

func TestThreadTimelineRows(t *testing.T) {
	tests := []struct {
		name    string
		rec     *cpuwatch.Recording
		opts    ThreadOptions
		rows    []string
		subtext string
	}{
		{"all threads", gilRec(), ThreadOptions{AllThreads: true}, []string{"101 a", "102 b", "103 idle"}, ""},
		// b ran 2.5 s, a 2 s: the busiest is kept.
		{"max threads", gilRec(), ThreadOptions{MaxThreads: 1}, []string{"102 b"}, "1 of 3 threads"},
		{
			"two processes",
			threadRec(2, func(i int) []cpuwatch.ThreadUsage {
				return []cpuwatch.ThreadUsage{{PID: 7, TID: 7, Name: "p", User: 1}, {PID: 3, TID: 4, Name: "q", User: 1}}
			}),
			ThreadOptions{},
			[]string{"3/4 q", "7/7 p"}, "",
		},
		{
			// A worker names itself while it runs and takes its old name
			// back at the end: the row keeps the name it worked under.
			"renamed worker",
			threadRec(4, func(i int) []cpuwatch.ThreadUsage {
				names := []string{"main", "gil-py2/0", "gil-py2/0", "main"}
				busy := []float64{0, 1, 1, 0.1}
				return []cpuwatch.ThreadUsage{{PID: 5, TID: 6, Name: names[i], User: busy[i]}}
			}),
			ThreadOptions{},
			[]string{"6 gil-py2/0"}, "",
		},
		{
			"never ran: latest name",
			threadRec(2, func(i int) []cpuwatch.ThreadUsage {
				return []cpuwatch.ThreadUsage{{PID: 5, TID: 5, Name: []string{"old", "new"}[i]}}
			}),
			ThreadOptions{AllThreads: true},
			[]string{"5 new"}, "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c, _ := decodeThreadsPNG(t, tt.rec, tt.opts)
			if diff := cmp.Diff(tt.rows, c.rows); diff != "" {
				t.Errorf("rows mismatch (-want +got):\n%s", diff)
			}
			if !strings.Contains(c.subtitle, tt.subtext) {
				t.Errorf("subtitle = %q, want it to contain %q", c.subtitle, tt.subtext)
			}
		})
	}
}

func TestThreadTimelineManyCPUsShareColours(t *testing.T) {
	rec := threadRec(10, func(i int) []cpuwatch.ThreadUsage {
		return []cpuwatch.ThreadUsage{{PID: 1, TID: 1, Name: "w", CPU: i, User: 1}}
	})
	img, c, l := decodeThreadsPNG(t, rec, ThreadOptions{CellWidth: 30, CellHeight: 20})
	if len(c.legend.entries) != 8 || c.legend.entries[0].label != "cpu0, 8" || c.legend.entries[1].label != "cpu1, 9" {
		t.Errorf("legend entries = %v, want 8, the first \"cpu0, 8\" and \"cpu1, 9\"", c.legend.entries)
	}
	if a, b := cellAt(img, c, l, 0, 0), cellAt(img, c, l, 0, 8); a != b {
		t.Errorf("cpu0 and cpu8 cells = %v and %v, want the same colour", a, b)
	}
}

func TestThreadTimelineAveragesLongRecordings(t *testing.T) {
	// 8 samples into 4 columns: each column holds one second on cpu0 at
	// 100 % and one on cpu1 at 20 %; the hue follows where it ran most.
	rec := threadRec(8, func(i int) []cpuwatch.ThreadUsage {
		if i%2 == 0 {
			return []cpuwatch.ThreadUsage{{PID: 1, TID: 1, Name: "w", CPU: 0, User: 1}}
		}
		return []cpuwatch.ThreadUsage{{PID: 1, TID: 1, Name: "w", CPU: 1, User: 0.2}}
	})
	img, c, l := decodeThreadsPNG(t, rec, ThreadOptions{GridWidth: 160, CellWidth: 40, CellHeight: 20})
	if c.cols != 4 {
		t.Fatalf("cols = %d, want 4", c.cols)
	}
	want := blend(colBackground, OkabeIto()[0], idleTint+(1-idleTint)*0.6) // mean 60 %
	for col := range 4 {
		if got := cellAt(img, c, l, 0, col); !near(got, want, 1) {
			t.Errorf("column %d = %v, want %v", col, got, want)
		}
	}
}

func TestThreadTimelineBadInput(t *testing.T) {
	tests := []struct {
		name    string
		rec     *cpuwatch.Recording
		opts    ThreadOptions
		wantErr string
		is      error // the sentinel the error wraps, or nil for none
	}{
		{"nil", nil, ThreadOptions{}, "nil recording", ErrBadRecording},
		{"no threads", makeRec([]int{0}, 3, func(i, id int) (float64, float64) { return 0.5, 0 }), ThreadOptions{}, "no threads", ErrNoThreads},
		{"all idle", threadRec(2, func(i int) []cpuwatch.ThreadUsage { return []cpuwatch.ThreadUsage{{PID: 1, TID: 1}} }), ThreadOptions{}, "AllThreads", ErrNoThreads},
		{"negative cpu", threadRec(2, func(i int) []cpuwatch.ThreadUsage { return []cpuwatch.ThreadUsage{{PID: 1, TID: 1, CPU: -1}} }), ThreadOptions{}, "negative cpu", ErrBadRecording},
		{"usage above 1", threadRec(2, func(i int) []cpuwatch.ThreadUsage { return []cpuwatch.ThreadUsage{{PID: 1, TID: 1, User: 3}} }), ThreadOptions{}, "out of [0, 1]", ErrBadRecording},
		{"negative max", gilRec(), ThreadOptions{MaxThreads: -1}, "MaxThreads", nil},
		{"huge cell", gilRec(), ThreadOptions{CellWidth: 1000}, "CellWidth", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteThreadsPNG(&buf, tt.rec, tt.opts)
			if err == nil || !strings.HasPrefix(err.Error(), "heatmap: ") || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("WriteThreadsPNG error = %v, want \"heatmap: …%s…\"", err, tt.wantErr)
			}
			for _, sentinel := range []error{ErrBadRecording, ErrNoThreads} {
				if got, want := errors.Is(err, sentinel), sentinel == tt.is; got != want {
					t.Errorf("errors.Is(%v, %v) = %v, want %v", err, sentinel, got, want)
				}
			}
		})
	}
}

func TestThreadTimelineSVG(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteThreadsSVG(&buf, gilRec(), ThreadOptions{}); err != nil {
		t.Fatalf("WriteThreadsSVG: %v", err)
	}
	svg := buf.String()
	for _, want := range []string{"<svg", "101 a · 0–1 s · cpu0 · ran 100 %", "102 b · 0–1 s · cpu1 · ran 50 %", "101 a · 3–4 s · not running"} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
}

func TestThreadTimelineHTML(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteThreadsHTML(&buf, gilRec(), ThreadOptions{}); err != nil {
		t.Fatalf("WriteThreadsHTML: %v", err)
	}
	page := buf.String()
	for _, want := range []string{"<html", "<svg", "102 b · 1–2 s · cpu1 · ran 100 %"} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

func TestThreadTimelineRealTimes(t *testing.T) {
	// Samples of a live 10 ms watch: times on the clock, not from zero.
	rec := gilRec()
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range rec.Len() {
		mutate(rec, func(ss []cpuwatch.Sample) { ss[i].Time = start.Add(time.Duration(i+1) * 10 * time.Millisecond) })
		mutate(rec, func(ss []cpuwatch.Sample) { ss[i].Elapsed = 10 * time.Millisecond })
	}
	rec.Interval = 10 * time.Millisecond
	_, c, _ := decodeThreadsPNG(t, rec, ThreadOptions{})
	if c.cols != 4 || !strings.Contains(c.subtitle, "1 column = 10 ms") {
		t.Errorf("cols = %d, subtitle %q; want 4 columns of 10 ms", c.cols, c.subtitle)
	}
}
