package heatmap

import (
	"slices"
	"strconv"

	"github.com/corescope/corescope/cpuwatch"
)

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

// coreRows is how a chart's core rows are ordered and labelled.
type coreRows struct {
	// rowOf maps a series row (ascending CPU id) to its chart row; nil
	// means the same row.
	rowOf []int
	// labels are the row labels, names the hover texts' names of the
	// rows, and pairs the terminal's labels of two rows on one line, by
	// chart row.
	labels, names []string
	pair          func(upper, lower int) string
	// breaks and joins are as in chart.
	breaks []int
	joins  [][2]int
}

// plainRows puts the cores ids in id order, each named by its id.
func plainRows(ids []int) coreRows {
	labels := make([]string, len(ids))
	for r, id := range ids {
		labels[r] = "cpu" + strconv.Itoa(id)
	}
	return coreRows{labels: labels, names: labels}
}

// rowsByCore puts the cores ids (ascending) in groups by physical core of
// top: the first row of a group is labelled with its core, every hover
// text names the core, and a join marks each core with several rows.
func rowsByCore(top *cpuwatch.Topology, ids []int) coreRows {
	rowOf := make(map[int]int, len(ids)) // CPU id → series row
	for r, id := range ids {
		rowOf[id] = r
	}
	cr := coreRows{rowOf: make([]int, len(ids))}
	var cpus, cores []string // by chart row
	for _, g := range groupByCore(top, ids) {
		first := len(cr.labels)
		cr.breaks = append(cr.breaks, first)
		if len(g.ids) > 1 {
			cr.joins = append(cr.joins, [2]int{first, first + len(g.ids) - 1})
		}
		for i, id := range g.ids {
			cr.rowOf[rowOf[id]] = len(cr.labels)
			cpu := "cpu" + strconv.Itoa(id)
			name, label := cpu, cpu
			if g.label != "" {
				name = g.label + " · " + cpu
				if i == 0 {
					label = name
				}
			}
			cr.labels = append(cr.labels, label)
			cr.names = append(cr.names, name)
			cpus, cores = append(cpus, cpu), append(cores, g.label)
		}
	}
	// The terminal pairs rows within a group only: siblings, such as
	// "core 0 · cpu0/4".
	cr.pair = func(upper, lower int) string {
		label := pairLabel(cpus[upper], cpus[lower])
		if cores[upper] != "" {
			label = cores[upper] + " · " + label
		}
		return label
	}
	return cr
}
