package heatmap

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"

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

func decodeByCore(t *testing.T, rec *cpuwatch.Recording, opts Options) (image.Image, *chart, *layout) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteByCorePNG(&buf, rec, opts); err != nil {
		t.Fatalf("WriteByCorePNG: %v", err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("png.Decode: %v", err)
	}
	c, l, _, err := buildByCore(rec, opts)
	if err != nil {
		t.Fatal(err)
	}
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
	if err := WriteByCoreSVG(&buf, rec, Options{}); err != nil {
		t.Fatalf("WriteByCoreSVG: %v", err)
	}
	// Hover texts follow their rows to the new order.
	if i, j := strings.Index(buf.String(), "cpu2 · 0–1 s"), strings.Index(buf.String(), "cpu1 · 0–1 s"); i < 0 || j < 0 || i > j {
		t.Errorf("SVG hover texts: cpu2 at %d, cpu1 at %d; want both, cpu2 first", i, j)
	}
}

func TestByCoreErrors(t *testing.T) {
	rec := makeRec([]int{0}, 2, func(i, id int) (float64, float64) { return 0.5, 0 })
	var buf bytes.Buffer
	if err := WriteByCorePNG(&buf, rec, Options{}); err == nil || !strings.Contains(err.Error(), "heatmap: recording has no CPU topology") {
		t.Errorf("WriteByCorePNG without topology: error = %v, want \"heatmap: recording has no CPU topology…\"", err)
	}
	if err := WriteByCorePNG(&buf, nil, Options{}); err == nil || !strings.HasPrefix(err.Error(), "heatmap: ") {
		t.Errorf("WriteByCorePNG(nil): error = %v, want a heatmap error", err)
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
