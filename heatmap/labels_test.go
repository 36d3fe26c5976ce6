package heatmap

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/google/go-cmp/cmp"
)

// groupedChart is a chart of groups of the given sizes (rows "gN rM"),
// with a break before every group; nil sizes and plain rows make a chart
// of plain rows without breaks.
func groupedChart(sizes []int, plain, cellH int) *chart {
	c := &chart{cellH: cellH}
	for r := range plain {
		c.rows = append(c.rows, fmt.Sprintf("row %d", r))
	}
	for g, n := range sizes {
		c.breaks = append(c.breaks, len(c.rows))
		for r := range n {
			c.rows = append(c.rows, fmt.Sprintf("g%d r%d", g, r))
		}
	}
	return c
}

// groupFirst returns, for every row, the first row of its group.
func groupFirst(c *chart) []int {
	first := make([]int, len(c.rows))
	for r := range first {
		if len(c.breaks) == 0 {
			first[r] = r
			continue
		}
		for _, b := range c.breaks {
			if b <= r {
				first[r] = b
			}
		}
	}
	return first
}

// checkLabelRows checks what every choice of labelled rows must satisfy:
// ascending, centres at least lineH apart, and no group named by a later
// row while its first row goes unlabelled.
func checkLabelRows(t *testing.T, c *chart, rows []int, lineH int) {
	t.Helper()
	if !slices.IsSorted(rows) || len(slices.Compact(slices.Clone(rows))) != len(rows) {
		t.Errorf("labelled rows %v are not strictly ascending", rows)
	}
	for i := 1; i < len(rows); i++ {
		if d := c.rowY(rows[i]) - c.rowY(rows[i-1]); d < lineH {
			t.Errorf("rows %d and %d are labelled %d pixels apart, want at least %d", rows[i-1], rows[i], d, lineH)
		}
	}
	first := groupFirst(c)
	for _, r := range rows {
		if !slices.Contains(rows, first[r]) {
			t.Errorf("row %q is labelled but its group's first row %q is not", c.rows[r], c.rows[first[r]])
		}
	}
}

func TestLabelRows(t *testing.T) {
	const lineH = 17 // the label font's line height
	tests := []struct {
		name string
		c    *chart
		want []int
	}{
		{"plain rows tall enough", groupedChart(nil, 4, 20), []int{0, 1, 2, 3}},
		// 4 rows of 5 pixels are the nearest nice step that clears 17.
		{"plain rows thinned", groupedChart(nil, 20, 5), []int{0, 4, 8, 12, 16}},
		// A core of 2 rows of 4 pixels plus the break is 12 pixels, so
		// every other core is named. A step of 5 rows, which is what 4
		// pixels a row asks for, would name cores by their second row.
		{"SMT pairs", groupedChart([]int{2, 2, 2, 2, 2, 2, 2, 2}, 0, 4), []int{0, 4, 8, 12}},
		// Cores 8 pixels apart: every fourth fits, and the last core too,
		// 24 pixels below the last of the stride.
		{"last core after the stride", groupedChart(slices.Repeat([]int{2}, 16), 0, 2), []int{0, 8, 16, 24, 30}},
		// 2-thread performance cores, then 1-thread efficiency cores.
		{"hybrid cores", groupedChart([]int{2, 2, 2, 2, 1, 1, 1, 1}, 0, 6), []int{0, 4, 8, 10}},
		// Cores of 44 pixels have room for a sibling's label in between.
		{"tall groups label siblings", groupedChart([]int{4, 4, 4}, 0, 10), []int{0, 2, 4, 6, 8, 10}},
		{"room for one label", groupedChart([]int{1, 1, 1}, 0, 1), []int{0}},
		{"no rows", groupedChart(nil, 0, 10), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.c.labelRows(lineH)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("labelRows(%d) mismatch (-want +got):\n%s", lineH, diff)
			}
			checkLabelRows(t, tt.c, got, lineH)
		})
	}
}

// smtRec is a recording of cores×smt logical CPUs, numbered as Intel
// numbers them: cpuN, cpuN+cores, … share core N.
func smtRec(cores, smt, samples int) *cpuwatch.Recording {
	top := &cpuwatch.Topology{}
	var ids []int
	for id := range cores * smt {
		ids = append(ids, id)
		var sib []int
		for k := range smt {
			sib = append(sib, id%cores+k*cores)
		}
		top.CPUs = append(top.CPUs, cpuwatch.LogicalCPU{ID: id, Core: id % cores, Siblings: sib})
	}
	rec := makeRec(ids, samples, func(i, id int) (float64, float64) { return 0.5, 0.1 })
	rec.Host.Topology = top
	return rec
}

// TestByCoreThinnedLabels lays out cores whose rows are too thin for a
// label each, and checks the row labels the layout places: every core
// that is named is named on its first row, level with that row.
func TestByCoreThinnedLabels(t *testing.T) {
	tests := []struct {
		name       string
		rec        *cpuwatch.Recording
		opts       Options
		wantLabels []string
	}{
		{
			// 4-pixel rows: a core and its break take 12 pixels, so every
			// other core fits a label.
			name:       "16 CPUs on 8 cores",
			rec:        smtRec(8, 2, 10),
			opts:       Options{GroupByCore: true, CellHeight: 4},
			wantLabels: []string{"core 0 · cpu0", "core 2 · cpu2", "core 4 · cpu4", "core 6 · cpu6"},
		},
		{
			// 4-pixel rows: 20 pixels a core of 4 with its break, room
			// for each core's label but for none of its other rows'.
			name:       "32 CPUs on 8 cores of 4",
			rec:        smtRec(8, 4, 10),
			opts:       Options{GroupByCore: true, CellHeight: 4},
			wantLabels: []string{"core 0 · cpu0", "core 1 · cpu1", "core 2 · cpu2", "core 3 · cpu3", "core 4 · cpu4", "core 5 · cpu5", "core 6 · cpu6", "core 7 · cpu7"},
		},
	}
	f := newFonts()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, l := layoutOf(t, tt.rec, tt.opts)
			var labels []string
			for _, tx := range l.texts {
				if tx.anchor != anchorEnd || tx.x >= l.grid.Min.X {
					continue
				}
				labels = append(labels, tx.s)
				r := slices.Index(c.rows, tx.s)
				if r < 0 {
					t.Errorf("row label %q names no row of %q", tx.s, c.rows)
					continue
				}
				if want := l.grid.Min.Y + c.rowY(r) + c.cellH/2 + (f.asc-f.desc)/2; tx.y != want {
					t.Errorf("label %q at y %d, want %d, level with its row", tx.s, tx.y, want)
				}
				if !strings.HasPrefix(tx.s, "core ") {
					t.Errorf("label %q names a core by a row other than its first", tx.s)
				}
			}
			if diff := cmp.Diff(tt.wantLabels, labels); diff != "" {
				t.Errorf("row labels mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
