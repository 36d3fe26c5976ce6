package cpuwatch

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Topology is how the machine's online logical CPUs sit on physical cores
// and packages, as sysfs describes it. Knowing it turns "8 busy CPUs" into
// "4 cores with both hyperthreads busy", which do not do the work of 8.
type Topology struct {
	// CPUs holds one entry per online logical CPU, ascending by ID.
	CPUs []LogicalCPU `json:"cpus"`
}

// LogicalCPU is one online logical CPU: what the kernel schedules on, and
// what /proc/stat calls cpuN.
type LogicalCPU struct {
	// ID is the kernel's CPU id, the N of cpuN.
	ID int `json:"id"`
	// Package is the physical package (socket) id; some virtual machines
	// report -1.
	Package int `json:"package"`
	// Core is the physical core id, unique only within its package and
	// not necessarily dense.
	Core int `json:"core"`
	// Siblings are the online logical CPUs that share this physical core
	// (SMT or hyperthread siblings), including this one, ascending. One
	// entry means the core runs one thread.
	Siblings []int `json:"siblings"`
}

// CPU returns the entry for logical CPU id, and whether it is online.
func (t *Topology) CPU(id int) (LogicalCPU, bool) {
	i, ok := slices.BinarySearchFunc(t.CPUs, id, func(c LogicalCPU, id int) int { return cmp.Compare(c.ID, id) })
	if !ok {
		return LogicalCPU{}, false
	}
	return t.CPUs[i], true
}

// Validate reports whether t is a topology the kernel could describe:
// CPU ids in [0, 65536], strictly ascending (so that no CPU is listed
// twice), and each CPU among its own siblings, which are ascending and
// distinct. Topologies read by [Watcher.Topology] always are; one decoded
// from a file may not be, and users that index by CPU id, such as a
// heatmap grouped by core, call Validate first.
func (t *Topology) Validate() error {
	for i, c := range t.CPUs {
		if c.ID < 0 || c.ID > maxCPUID {
			return fmt.Errorf("cpuwatch: topology: cpu id %d out of [0, %d]", c.ID, maxCPUID)
		}
		if i > 0 && c.ID <= t.CPUs[i-1].ID {
			if c.ID == t.CPUs[i-1].ID {
				return fmt.Errorf("cpuwatch: topology: cpu%d listed twice", c.ID)
			}
			return fmt.Errorf("cpuwatch: topology: cpu%d listed after cpu%d, not in ascending order", c.ID, t.CPUs[i-1].ID)
		}
		for j, s := range c.Siblings {
			if j > 0 && s <= c.Siblings[j-1] {
				return fmt.Errorf("cpuwatch: topology: cpu%d: siblings %v not ascending and distinct", c.ID, c.Siblings)
			}
		}
		if len(c.Siblings) > 0 && !slices.Contains(c.Siblings, c.ID) {
			return fmt.Errorf("cpuwatch: topology: cpu%d: siblings %v lack the CPU itself", c.ID, c.Siblings)
		}
	}
	return nil
}

// Cores groups the online logical CPUs by physical core: one entry per
// core, ordered by package, then core id, each listing its logical CPU
// ids in ascending order. The result is freshly allocated.
func (t *Topology) Cores() [][]int {
	type key struct{ pkg, core int }
	var keys []key
	byKey := map[key][]int{}
	for _, c := range t.CPUs {
		k := key{c.Package, c.Core}
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], c.ID)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.pkg, b.pkg), cmp.Compare(a.core, b.core))
	})
	cores := make([][]int, 0, len(keys))
	for _, k := range keys {
		cores = append(cores, byKey[k])
	}
	return cores
}

// SMT reports whether any physical core runs more than one online
// logical CPU.
func (t *Topology) SMT() bool {
	for _, c := range t.CPUs {
		if len(c.Siblings) > 1 {
			return true
		}
	}
	return false
}

// String summarises the topology, such as
// "4 logical CPUs on 2 physical cores in 1 package (SMT on)".
func (t *Topology) String() string {
	pkgs := map[int]bool{}
	for _, c := range t.CPUs {
		pkgs[c.Package] = true
	}
	smt := "off"
	if t.SMT() {
		smt = "on"
	}
	return fmt.Sprintf("%d logical CPUs on %d physical cores in %d package%s (SMT %s)",
		len(t.CPUs), len(t.Cores()), len(pkgs), plural(len(pkgs)), smt)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// maxCPUID bounds the CPU ids a cpu list may name. Linux's NR_CPUS tops
// out at 8192; the bound stops "0-4000000000" from eating memory.
const maxCPUID = 1 << 16

// parseCPUList parses the kernel's cpu list format ("0-3,8,10-11", or
// empty for none) into ascending, de-duplicated ids.
func parseCPUList(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var ids []int
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 || a > maxCPUID {
			return nil, fmt.Errorf("bad cpu list %s: %s is not a CPU id", excerptString(s), excerptString(lo))
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a || b > maxCPUID {
				return nil, fmt.Errorf("bad cpu list %s: bad range %s", excerptString(s), excerptString(part))
			}
		}
		for id := a; id <= b; id++ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}
