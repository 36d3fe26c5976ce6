package heatmap

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/google/go-cmp/cmp"
)

// smtTopology is four logical CPUs on two cores: {0, 2} and {1, 3}.
func smtTopology() *cpuwatch.Topology {
	return &cpuwatch.Topology{CPUs: []cpuwatch.LogicalCPU{
		{ID: 0, Core: 0, Siblings: []int{0, 2}},
		{ID: 1, Core: 1, Siblings: []int{1, 3}},
		{ID: 2, Core: 0, Siblings: []int{0, 2}},
		{ID: 3, Core: 1, Siblings: []int{1, 3}},
	}}
}

// decodeByCore writes rec with WritePNG and GroupByCore set, decodes it,
// and lays it out the way WritePNG does, so tests know where cells are.
func decodeByCore(t *testing.T, rec *cpuwatch.Recording, opts Options) (image.Image, *chart, *layout) {
	t.Helper()
	opts.GroupByCore = true
	img := decodePNG(t, rec, opts)
	c, l := layoutOf(t, rec, opts)
	if got, want := img.Bounds().Size(), image.Pt(l.w, l.h); got != want {
		t.Errorf("image size = %v, want %v", got, want)
	}
	return img, c, l
}

func TestByCoreGroupsSiblings(t *testing.T) {
	busy := map[int]float64{0: 1, 1: 0, 2: 0.5, 3: 0.25}
	rec := makeRec([]int{0, 1, 2, 3}, 4, func(i, id int) (float64, float64) { return busy[id], 0 })
	rec.Host.Topology = smtTopology()
	img, c, l := decodeByCore(t, rec, Options{CellWidth: 40, CellHeight: 20})

	if diff := cmp.Diff([]string{"core 0 · cpu0", "cpu2", "core 1 · cpu1", "cpu3"}, c.rows); diff != "" {
		t.Errorf("rows mismatch (-want +got):\n%s", diff)
	}
	vir := Viridis()
	for r, b := range []float64{1, 0.5, 0, 0.25} {
		if got, want := cellAt(img, c, l, r, 1), vir.At(b); !near(got, want, 3) {
			t.Errorf("row %q = %v, want %v (busy %v)", c.rows[r], got, want, b)
		}
	}
	// Physical cores stand further apart than siblings, with background
	// between them.
	if within, between := c.rowY(1)-c.rowY(0), c.rowY(2)-c.rowY(1); between <= within {
		t.Errorf("row pitch between cores = %d, within a core = %d; want more between", between, within)
	}
	x := l.grid.Min.X + l.grid.Dx()/2
	for y := l.grid.Min.Y + c.rowY(1) + c.cellH; y < l.grid.Min.Y+c.rowY(2); y++ {
		if got := rgba(img.At(x, y)); got != colBackground {
			t.Errorf("between core 0 and core 1 at y=%d: %v, want background %v", y, got, colBackground)
		}
	}
	// The SMT bar left of the grid spans both rows of a core, and not the
	// space between cores.
	for _, y := range []int{l.grid.Min.Y + c.cellH/2, l.grid.Min.Y + c.rowY(1) + c.cellH/2, l.grid.Min.Y + c.rowY(3) + c.cellH/2} {
		if got := rgba(img.At(l.grid.Min.X-3, y)); got != colAxis {
			t.Errorf("SMT bar at y=%d = %v, want %v", y, got, colAxis)
		}
	}
	if got := rgba(img.At(l.grid.Min.X-3, l.grid.Min.Y+c.rowY(2)-2)); got == colAxis {
		t.Errorf("SMT bar drawn between two cores")
	}
	if !strings.Contains(c.subtitle, "SMT siblings") {
		t.Errorf("subtitle = %q, want it to explain the SMT bar", c.subtitle)
	}
}

func TestByCoreWithoutSMT(t *testing.T) {
	rec := makeRec([]int{0, 1, 5}, 3, func(i, id int) (float64, float64) { return 0.5, 0 })
	// Two packages, no SMT; cpu5 is not in the topology at all.
	rec.Host.Topology = &cpuwatch.Topology{CPUs: []cpuwatch.LogicalCPU{
		{ID: 0, Package: 1, Core: 0, Siblings: []int{0}},
		{ID: 1, Package: 0, Core: 3, Siblings: []int{1}},
	}}
	img, c, l := decodeByCore(t, rec, Options{CellWidth: 40, CellHeight: 20})
	if diff := cmp.Diff([]string{"pkg 0 core 3 · cpu1", "pkg 1 core 0 · cpu0", "cpu5"}, c.rows); diff != "" {
		t.Errorf("rows mismatch (-want +got):\n%s", diff)
	}
	if got := rgba(img.At(l.grid.Min.X-3, l.grid.Min.Y+c.cellH/2)); got == colAxis {
		t.Errorf("SMT bar drawn for a core with one CPU")
	}
	if strings.Contains(c.subtitle, "SMT") {
		t.Errorf("subtitle = %q, want no SMT note without SMT", c.subtitle)
	}
}

func TestByCoreSplitAndSVG(t *testing.T) {
	rec := makeRec([]int{0, 1, 2, 3}, 3, func(i, id int) (float64, float64) { return 0.1 * float64(id), 0.05 })
	rec.Host.Topology = smtTopology()
	img, c, l := decodeByCore(t, rec, Options{Mode: Split, CellWidth: 40, CellHeight: 20})
	// Row 1 is cpu2: user 20 % in its upper half.
	y := l.grid.Min.Y + c.rowY(1) + 2
	if got, want := rgba(img.At(l.grid.Min.X+20, y)), Viridis().At(0.2); !near(got, want, 3) {
		t.Errorf("cpu2 upper half = %v, want %v", got, want)
	}
	var buf bytes.Buffer
	if err := WriteSVG(&buf, rec, Options{GroupByCore: true}); err != nil {
		t.Fatalf("WriteSVG: %v", err)
	}
	// Hover texts follow their rows to the new order, and name the core
	// of every row, not only of the first.
	if i, j := strings.Index(buf.String(), "core 0 · cpu2 · 0–1 s"), strings.Index(buf.String(), "core 1 · cpu1 · 0–1 s"); i < 0 || j < 0 || i > j {
		t.Errorf("SVG hover texts: cpu2 at %d, cpu1 at %d; want both, cpu2 first", i, j)
	}
}

// TestByCoreHTML checks that WriteHTML groups rows as WritePNG does: the
// labels, the hover texts in the new row order and the SMT bars.
func TestByCoreHTML(t *testing.T) {
	busy := map[int]float64{0: 1, 1: 0, 2: 0.5, 3: 0.25}
	rec := makeRec([]int{0, 1, 2, 3}, 2, func(i, id int) (float64, float64) { return busy[id], 0 })
	rec.Host.Topology = smtTopology()
	opts := Options{GroupByCore: true, CellWidth: 40, CellHeight: 20}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, rec, opts); err != nil {
		t.Fatalf("WriteHTML: %v", err)
	}
	p := parsePage(t, buf.String())
	texts, tips, lines := p.texts, p.tips, p.lines
	for _, want := range []string{"core 0 · cpu0", "cpu2", "core 1 · cpu1", "cpu3"} {
		if !containsStr(texts, want) {
			t.Errorf("no row label %q in %q", want, texts)
		}
	}
	wantTips := []string{
		"core 0 · cpu0 · 0–1 s · busy 100.0 % · user 100.0 % · system 0.0 %",
		"core 0 · cpu0 · 1–2 s · busy 100.0 % · user 100.0 % · system 0.0 %",
		"core 0 · cpu2 · 0–1 s · busy 50.0 % · user 50.0 % · system 0.0 %",
		"core 0 · cpu2 · 1–2 s · busy 50.0 % · user 50.0 % · system 0.0 %",
		"core 1 · cpu1 · 0–1 s · busy 0.0 % · user 0.0 % · system 0.0 %",
		"core 1 · cpu1 · 1–2 s · busy 0.0 % · user 0.0 % · system 0.0 %",
		"core 1 · cpu3 · 0–1 s · busy 25.0 % · user 25.0 % · system 0.0 %",
		"core 1 · cpu3 · 1–2 s · busy 25.0 % · user 25.0 % · system 0.0 %",
	}
	if diff := cmp.Diff(wantTips, tips); diff != "" {
		t.Errorf("hover texts mismatch (-want +got):\n%s", diff)
	}
	// Each core's SMT bar: two vertical lines from its first row's top to
	// its last row's bottom, through pixel centres.
	c, l := layoutOf(t, rec, opts)
	for _, j := range [][2]int{{0, 1}, {2, 3}} {
		y1 := strconv.Itoa(l.grid.Min.Y+c.rowY(j[0])) + ".5"
		y2 := strconv.Itoa(l.grid.Min.Y+c.rowY(j[1])+c.cellH-1) + ".5"
		for _, x := range []int{l.grid.Min.X - 4, l.grid.Min.X - 3} {
			xs := strconv.Itoa(x) + ".5"
			if want := [4]string{xs, y1, xs, y2}; !slices.Contains(lines, want) {
				t.Errorf("no SMT bar line %v for rows %v in %v", want, j, lines)
			}
		}
	}
}

// TestByCoreEightOnFour draws 8 logical CPUs on 4 hyperthreaded cores,
// numbered as Intel machines number them (cpuN and cpuN+4 share a core),
// with the first four busy and their siblings half busy. The PNG is left
// in the test's artifact directory (go test -artifacts) to look at.
func TestByCoreEightOnFour(t *testing.T) {
	rec := eightOnFour(20, func(i, id int) float64 {
		if i < 3 || i >= 17 {
			return 0.03
		}
		if id < 4 {
			return 1
		}
		return 0.5
	})
	rec.DataID = "8 processes on 4 cores with SMT"
	rec.RunStart, rec.RunEnd = t0.Add(3*time.Second), t0.Add(17*time.Second)
	img, c, l := decodeByCore(t, rec, Options{})
	want := []string{"core 0 · cpu0", "cpu4", "core 1 · cpu1", "cpu5", "core 2 · cpu2", "cpu6", "core 3 · cpu3", "cpu7"}
	if diff := cmp.Diff(want, c.rows); diff != "" {
		t.Errorf("rows mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{0, 2, 4, 6}, c.breaks); diff != "" {
		t.Errorf("breaks mismatch (-want +got):\n%s", diff)
	}
	vir := Viridis()
	for r := range c.rows {
		b := 0.5
		if r%2 == 0 {
			b = 1
		}
		if got, want := cellAt(img, c, l, r, c.cols/2), vir.At(b); !near(got, want, 3) {
			t.Errorf("row %q mid-run = %v, want %v (busy %v)", c.rows[r], got, want, b)
		}
		if got := rgba(img.At(l.grid.Min.X-3, l.grid.Min.Y+c.rowY(r)+c.cellH/2)); got != colAxis {
			t.Errorf("SMT bar beside row %q = %v, want %v", c.rows[r], got, colAxis)
		}
	}
	f, err := os.Create(filepath.Join(t.ArtifactDir(), "bycore-8-on-4.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := WritePNG(f, rec, Options{GroupByCore: true}); err != nil {
		t.Fatalf("WritePNG: %v", err)
	}
}

func TestByCoreErrors(t *testing.T) {
	rec := makeRec([]int{0}, 2, func(i, id int) (float64, float64) { return 0.5, 0 })
	opts := Options{GroupByCore: true}
	for name, write := range map[string]func(io.Writer, *cpuwatch.Recording, Options) error{
		"PNG": WritePNG, "SVG": WriteSVG, "HTML": WriteHTML,
		"Render": func(_ io.Writer, rec *cpuwatch.Recording, opts Options) error {
			_, err := Render(rec, opts)
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			if err := write(io.Discard, rec, opts); !errors.Is(err, ErrNoTopology) || !strings.Contains(err.Error(), "GroupByCore") {
				t.Errorf("without topology: error = %v, want ErrNoTopology naming GroupByCore", err)
			}
			if err := write(io.Discard, nil, opts); !errors.Is(err, ErrBadRecording) {
				t.Errorf("nil recording: error = %v, want ErrBadRecording", err)
			}
		})
	}
}

func TestByCoreDistributionUnchanged(t *testing.T) {
	var ids []int
	top := &cpuwatch.Topology{}
	for id := range 80 {
		ids = append(ids, id)
		top.CPUs = append(top.CPUs, cpuwatch.LogicalCPU{ID: id, Core: id % 40, Siblings: []int{id % 40, id%40 + 40}})
	}
	rec := makeRec(ids, 3, func(i, id int) (float64, float64) { return 0.5, 0 })
	rec.Host.Topology = top
	_, c, _ := decodeByCore(t, rec, Options{})
	if len(c.rows) != DefaultBuckets || c.breaks != nil {
		t.Errorf("80 cores: %d rows, breaks %v; want the %d-bucket distribution, ungrouped", len(c.rows), c.breaks, DefaultBuckets)
	}
}

// eightOnFour is a recording of 8 logical CPUs on 4 hyperthreaded cores,
// cpuN and cpuN+4 sharing core N, with busy(id) the busy fraction of
// every sample.
func eightOnFour(n int, busy func(i, id int) float64) *cpuwatch.Recording {
	top := &cpuwatch.Topology{}
	var ids []int
	for id := range 8 {
		ids = append(ids, id)
		top.CPUs = append(top.CPUs, cpuwatch.LogicalCPU{ID: id, Core: id % 4, Siblings: []int{id % 4, id%4 + 4}})
	}
	rec := makeRec(ids, n, func(i, id int) (float64, float64) { return busy(i, id), 0 })
	rec.Host.Topology = top
	return rec
}

func TestByCoreTerminal(t *testing.T) {
	rec := eightOnFour(3, func(_, id int) float64 {
		if id < 4 {
			return 1
		}
		return 0
	})
	top, bottom := Viridis().At(1), Viridis().At(0)
	cell := fmt.Sprintf("\x1b[38;2;%d;%d;%dm\x1b[48;2;%d;%d;%dm▀▀▀\x1b[0m\n", top.R, top.G, top.B, bottom.R, bottom.G, bottom.B)
	tests := []struct {
		name  string
		rec   *cpuwatch.Recording
		color ColorSupport
		want  []string // consecutive lines of cell rows
	}{
		{"siblings share a line", rec, TrueColor, []string{
			"core 0 · cpu0/4 " + cell,
			"core 1 · cpu1/5 " + cell,
			"core 2 · cpu2/6 " + cell,
			"core 3 · cpu3/7 " + cell,
		}},
		{"plain", rec, NoColor, []string{
			"core 0 · cpu0 ███\n",
			"         cpu4    \n",
			"core 1 · cpu1 ███\n",
		}},
	}
	// Without SMT every core is alone on its line, its lower half empty,
	// rather than pairing cpu0 with cpu1 of another core.
	noSMT := makeRec([]int{0, 1}, 3, func(_, id int) (float64, float64) { return 1, 0 })
	noSMT.Host.Topology = &cpuwatch.Topology{CPUs: []cpuwatch.LogicalCPU{
		{ID: 0, Core: 0, Siblings: []int{0}},
		{ID: 1, Core: 1, Siblings: []int{1}},
	}}
	alone := fmt.Sprintf("\x1b[38;2;%d;%d;%dm\x1b[49m▀▀▀\x1b[0m\n", top.R, top.G, top.B)
	tests = append(tests, struct {
		name  string
		rec   *cpuwatch.Recording
		color ColorSupport
		want  []string
	}{"one CPU per core", noSMT, TrueColor, []string{"core 0 · cpu0 " + alone, "core 1 · cpu1 " + alone}})

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteTerminal(&buf, tc.rec, TerminalOptions{GroupByCore: true, Color: tc.color}); err != nil {
				t.Fatalf("WriteTerminal: %v", err)
			}
			if want := strings.Join(tc.want, ""); !strings.Contains(buf.String(), want) {
				t.Errorf("output\n%s\nlacks the lines\n%s", buf.String(), want)
			}
		})
	}
}

func TestByCoreLiveIsAnError(t *testing.T) {
	rec := eightOnFour(1, func(_, _ int) float64 { return 0.5 })
	var buf bytes.Buffer
	l := NewLive(&buf, TerminalOptions{GroupByCore: true, Color: NoColor})
	if err := l.Add(rec.Sample(0)); !errors.Is(err, ErrNoTopology) || !strings.Contains(err.Error(), "Live cannot GroupByCore") {
		t.Errorf("Live.Add with GroupByCore: error = %v, want ErrNoTopology saying Live cannot GroupByCore", err)
	}
	if buf.Len() != 0 {
		t.Errorf("Live drew %q despite the error", buf.String())
	}
}
