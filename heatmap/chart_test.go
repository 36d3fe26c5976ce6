package heatmap

import (
	"image/color"
	"testing"
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
