package heatmap

import (
	"bufio"
	"bytes"
	"image"
	"image/color"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestChartCategoricalGroups drives the drawing layer directly, the way a
// thread timeline would: categorical cells, a legend of entries, and rows
// grouped with a break.
func TestChartCategoricalGroups(t *testing.T) {
	red, green, blue := color.RGBA{200, 0, 0, 255}, color.RGBA{0, 160, 0, 255}, color.RGBA{0, 0, 220, 255}
	c := &chart{
		title:    "threads",
		rows:     []string{"t1", "t2", "t3", "t4"},
		cols:     3,
		cellW:    30,
		cellH:    16,
		breaks:   []int{2},
		cells:    []uint8{1, 1, 2, 2, 3, 3, 3, 2, 1, 0, 0, 1},
		swatches: []color.RGBA{colNoData, red, green, blue},
		t0:       0, t1: 3,
		legend: legend{title: []string{"core"}, entries: []entry{{1, "cpu0"}, {2, "cpu1"}, {3, "cpu2"}}},
	}
	f := newFonts()
	l, err := c.layout(f)
	if err != nil {
		t.Fatal(err)
	}
	img := c.raster(l, f)
	if got, want := l.grid.Dy(), 4*16+breakGap; got != want {
		t.Errorf("grid height = %d, want %d (4 rows and one break)", got, want)
	}
	for r := range c.rows {
		for col := range c.cols {
			x := l.grid.Min.X + col*c.cellW + c.cellW/2
			y := l.grid.Min.Y + c.rowY(r) + c.cellH/2
			if got, want := rgba(img.At(x, y)), c.swatches[c.cells[r*c.cols+col]]; got != want {
				t.Errorf("cell (%s, %d) = %v, want %v", c.rows[r], col, got, want)
			}
		}
	}
	// The break between t2 and t3 is background.
	if got := rgba(img.At(l.grid.Min.X+5, l.grid.Min.Y+2*16+breakGap/2)); got != colBackground {
		t.Errorf("break pixel = %v, want background", got)
	}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"SVG":  func(b *bytes.Buffer) error { return c.writeSVG(b) },
		"HTML": func(b *bytes.Buffer) error { return c.writeHTML(b) },
		"PNG":  func(b *bytes.Buffer) error { return c.writePNG(b) },
	} {
		var buf bytes.Buffer
		if err := write(&buf); err != nil {
			t.Errorf("write%s: %v", name, err)
		}
		if name != "PNG" && !strings.Contains(buf.String(), `fill="#0000dc"`) {
			t.Errorf("%s lacks the blue swatch", name)
		}
	}
	if len(l.boxes) != 3 {
		t.Fatalf("%d legend boxes, want 3", len(l.boxes))
	}
	for i, b := range l.boxes {
		mid := b.r.Min.Add(b.r.Size().Div(2))
		if got, want := rgba(img.At(mid.X, mid.Y)), c.swatches[c.legend.entries[i].swatch]; got != want {
			t.Errorf("legend box %d = %v, want %v", i, got, want)
		}
	}
}

// TestChartText draws a categorical chart as text: the terminal writer
// must not assume a colour bar.
func TestChartText(t *testing.T) {
	c := &chart{
		title:    "threads",
		rows:     []string{"t1", "t2", "t3"},
		cols:     2,
		cells:    []uint8{1, 2, 2, 1, 0, 1},
		swatches: []color.RGBA{colNoData, {200, 0, 0, 255}, {0, 0, 220, 255}},
		t0:       0, t1: 2,
		legend: legend{title: []string{"core"}, entries: []entry{{1, "cpu0"}, {2, "cpu1"}}},
	}
	for _, cs := range []ColorSupport{TrueColor, Color256, NoColor} {
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		n := c.writeText(w, cs)
		w.Flush()
		if got := strings.Count(buf.String(), "\n"); got != n {
			t.Errorf("color %d: writeText says %d lines, wrote %d", cs, n, got)
		}
		if cs == TrueColor && !strings.Contains(buf.String(), "\x1b[38;2;200;0;0m\x1b[48;2;200;0;0m▀\x1b[0m cpu0") {
			t.Errorf("truecolor key lacks cpu0's swatch: %q", buf.String())
		}
	}
}

// TestLabelsNeverOverlap lays out recordings of many shapes and checks
// that no two labels share a pixel and every label lies on the canvas.
func TestLabelsNeverOverlap(t *testing.T) {
	ids := func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = 2 * i
		}
		return out
	}
	tests := []struct {
		name    string
		cores   int
		samples int
		run     [2]int // run start and end, in samples; 0 for none
		opts    Options
		smt     int // logical CPUs per core, with a topology; 0 for none
	}{
		{"1 core 1 sample", 1, 1, [2]int{0, 1}, Options{}, 0},
		{"1 core", 1, 12, [2]int{2, 10}, Options{}, 0},
		{"markers together", 2, 100, [2]int{50, 51}, Options{}, 0},
		{"8 cores split", 8, 30, [2]int{3, 27}, Options{Mode: Split}, 0},
		{"64 cores", 64, 600, [2]int{2, 598}, Options{}, 0},
		{"256 cores", 256, 60, [2]int{2, 58}, Options{MaxRows: -1}, 0},
		{"256 cores thin", 256, 60, [2]int{2, 58}, Options{MaxRows: -1, GridHeight: 256}, 0},
		{"1000 cores distribution", 1000, 20, [2]int{2, 18}, Options{}, 0},
		{"long title", 2, 5, [2]int{1, 4}, Options{Title: strings.Repeat("a very long title ", 10)}, 0},
		{"tiny budget", 3, 7, [2]int{1, 6}, Options{GridWidth: 1, GridHeight: 1}, 0},
		{"64 CPUs by core, thin", 64, 30, [2]int{2, 28}, Options{GroupByCore: true, GridHeight: 200}, 2},
		{"256 CPUs by core of 4", 256, 30, [2]int{2, 28}, Options{GroupByCore: true, MaxRows: -1, GridHeight: 256}, 4},
		{"8 CPUs by core, split", 8, 30, [2]int{3, 27}, Options{GroupByCore: true, Mode: Split}, 2},
	}
	f := newFonts()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := makeRec(ids(tc.cores), tc.samples, func(i, id int) (float64, float64) { return 0.5, 0.1 })
			if tc.smt > 0 {
				rec = smtRec(tc.cores/tc.smt, tc.smt, tc.samples)
			}
			if tc.run != [2]int{} {
				rec.RunStart = t0.Add(time.Duration(tc.run[0]) * time.Second)
				rec.RunEnd = t0.Add(time.Duration(tc.run[1]) * time.Second)
			}
			c, l := layoutOf(t, rec, tc.opts)
			canvas := image.Rect(0, 0, l.w, l.h)
			boxes := make([]image.Rectangle, len(l.texts))
			for i, tx := range l.texts {
				w := f.width(tx.face, tx.s)
				x := tx.x
				switch tx.anchor {
				case anchorMiddle:
					x -= w / 2
				case anchorEnd:
					x -= w
				}
				asc, desc := f.asc, f.desc
				if tx.face == faceTitle {
					asc = f.titleAsc
				}
				boxes[i] = image.Rect(x, tx.y-asc, x+w, tx.y+desc)
				if !boxes[i].In(canvas) {
					t.Errorf("label %q at %v is off the %v canvas", tx.s, boxes[i], canvas.Max)
				}
				for j := range i {
					if boxes[i].Overlaps(boxes[j]) {
						t.Errorf("labels %q %v and %q %v overlap", tx.s, boxes[i], l.texts[j].s, boxes[j])
					}
				}
			}
			// The row labels, left of the grid: a core is named by its
			// first row whenever it is named at all.
			var rows []int
			for _, tx := range l.texts {
				if tx.anchor != anchorEnd || tx.x >= l.grid.Min.X {
					continue
				}
				if r := slices.Index(c.rows, tx.s); r >= 0 {
					rows = append(rows, r)
				} else {
					t.Errorf("row label %q names no row", tx.s)
				}
			}
			if len(rows) == 0 {
				t.Errorf("no row labels among %d rows", len(c.rows))
			}
			checkLabelRows(t, c, rows, f.lineH)
		})
	}
}
