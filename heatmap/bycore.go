package heatmap

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/corescope/corescope/cpuwatch"
)

// RenderByCore draws rec like Render, but with the core rows ordered and
// grouped by physical core, from the topology the recording carries
// (cpuwatch.Record keeps it in Host.Topology). Extra space separates
// physical cores; SMT (hyperthread) siblings sit next to each other, joined
// by a bar left of the grid, and the first row of each group names its
// core. That is what it takes to read "8 busy CPUs" on a machine with 4
// hyperthreaded cores: two busy siblings share one core's execution units
// and do not do the work of two cores.
//
// A recording without a topology is an error. Distribution mode, which has
// no per-core rows, is drawn as Render draws it.
func RenderByCore(rec *cpuwatch.Recording, opts Options) (image.Image, error) {
	c, l, f, err := buildByCore(rec, opts)
	if err != nil {
		return nil, err
	}
	return c.raster(l, f), nil
}

// WriteByCorePNG renders rec grouped by physical core, as RenderByCore
// does, and writes it to w as a paletted PNG.
func WriteByCorePNG(w io.Writer, rec *cpuwatch.Recording, opts Options) error {
	c, l, f, err := buildByCore(rec, opts)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(bw, c.raster(l, f)); err != nil {
		return fmt.Errorf("heatmap: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("heatmap: %w", err)
	}
	return nil
}

// WriteByCoreSVG writes rec grouped by physical core to w as a standalone
// SVG document with the same layout as RenderByCore and hover values.
func WriteByCoreSVG(w io.Writer, rec *cpuwatch.Recording, opts Options) error {
	c, l, _, err := buildByCore(rec, opts)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	c.scene(l).writeSVG(bw, true)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("heatmap: %w", err)
	}
	return nil
}

// coreGroup is the rows of one physical core, top to bottom.
type coreGroup struct {
	label string // such as "core 3", or "" for a CPU the topology lacks
	ids   []int
}

// groupByCore orders ids (ascending CPU ids of a recording) by physical
// core. CPUs the topology does not know, such as one that went offline
// before it was read, come last, one group each.
func groupByCore(top *cpuwatch.Topology, ids []int) []coreGroup {
	packages := map[int]bool{}
	for _, c := range top.CPUs {
		packages[c.Package] = true
	}
	placed := map[int]bool{}
	var groups []coreGroup
	for _, core := range top.Cores() {
		var g coreGroup
		for _, id := range core {
			if _, ok := slices.BinarySearch(ids, id); ok {
				g.ids = append(g.ids, id)
				placed[id] = true
			}
		}
		if len(g.ids) == 0 {
			continue
		}
		lc, _ := top.CPU(core[0])
		g.label = "core " + strconv.Itoa(lc.Core)
		if len(packages) > 1 {
			g.label = "pkg " + strconv.Itoa(lc.Package) + " " + g.label
		}
		groups = append(groups, g)
	}
	for _, id := range ids {
		if !placed[id] {
			groups = append(groups, coreGroup{ids: []int{id}})
		}
	}
	return groups
}

// buildByCore builds and lays out Render's chart with its rows regrouped.
func buildByCore(rec *cpuwatch.Recording, opts Options) (*chart, *layout, *fonts, error) {
	o, err := opts.resolve()
	if err != nil {
		return nil, nil, nil, err
	}
	if rec != nil && rec.Host.Topology == nil {
		return nil, nil, nil, errors.New("heatmap: recording has no CPU topology to group by (cpuwatch.Record keeps one where sysfs is readable)")
	}
	c, err := buildChart(rec, o, fAll)
	if err != nil {
		return nil, nil, nil, err
	}
	ids, err := coreIDs(rec)
	if err != nil {
		return nil, nil, nil, err
	}
	f := newFonts()
	if effectiveMode(o, len(ids)) == Distribution {
		l, err := c.layout(f)
		return c, l, f, err
	}

	groups := groupByCore(rec.Host.Topology, ids)
	rowOf := make(map[int]int, len(ids))
	for r, id := range ids {
		rowOf[id] = r
	}
	var (
		order  []int // new row → old row
		labels []string
		starts []int // first new row of each group
	)
	for _, g := range groups {
		starts = append(starts, len(order))
		for i, id := range g.ids {
			order = append(order, rowOf[id])
			label := "cpu" + strconv.Itoa(id)
			if i == 0 && g.label != "" {
				label = g.label + " · " + label
			}
			labels = append(labels, label)
		}
	}
	permute := func(cells []uint8) []uint8 {
		if cells == nil {
			return nil
		}
		out := make([]uint8, len(cells))
		for nr, or := range order {
			copy(out[nr*c.cols:(nr+1)*c.cols], cells[or*c.cols:(or+1)*c.cols])
		}
		return out
	}
	c.cells, c.lower = permute(c.cells), permute(c.lower)
	if tip := c.tip; tip != nil {
		// Render's hover text starts with the label of the row it is
		// asked for, read from c.rows when called: swap in the right one.
		c.tip = func(r, col int) string {
			s := tip(order[r], col)
			if rest, ok := strings.CutPrefix(s, c.rows[order[r]]); ok {
				return c.rows[r] + rest
			}
			return s
		}
	}
	c.rows = labels
	c.breaks = starts
	c.subtitle += " · rows grouped by physical core"
	smt := slices.ContainsFunc(groups, func(g coreGroup) bool { return len(g.ids) > 1 })
	if smt {
		c.subtitle += "; a bar joins SMT siblings"
	}

	l, err := c.layout(f)
	if err != nil {
		return nil, nil, nil, err
	}
	// The SMT bars: the chart has no shape for them, so they are added to
	// the laid-out lines, which every output draws.
	g := l.grid
	for i, s := range starts {
		n := len(groups[i].ids)
		if n < 2 {
			continue
		}
		top, bottom := g.Min.Y+c.rowY(s), g.Min.Y+c.rowY(s+n-1)+c.cellH-1
		for x := g.Min.X - 4; x <= g.Min.X-3; x++ {
			l.lines = append(l.lines, line{x, top, x, bottom, false})
		}
	}
	return c, l, f, nil
}
