package cpuwatch

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/prometheus/procfs/sysfs"
)

// Topology reads the CPU topology from the sys tree at w.SysRoot:
// devices/system/cpu/online and each online CPU's topology directory.
// Without an online file every CPU that has a topology directory counts as
// online. A malformed file is an error that names it.
func (w *Watcher) Topology() (*Topology, error) {
	root := cmp.Or(w.SysRoot, sysfs.DefaultMountPoint)
	sfs, err := sysfs.NewFS(root)
	if err != nil {
		return nil, fmt.Errorf("cpuwatch: sys root %q: %w", root, err)
	}
	cpuDir := filepath.Join(root, "devices", "system", "cpu")
	var online []int
	haveOnline := false
	if b, err := readRegular(filepath.Join(cpuDir, "online")); err == nil {
		if online, err = parseCPUList(string(b)); err != nil {
			return nil, fmt.Errorf("cpuwatch: %s: %w", filepath.Join(cpuDir, "online"), err)
		}
		haveOnline = true
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("cpuwatch: %w", err)
	}

	cpus, err := sfs.CPUs()
	if err != nil {
		return nil, fmt.Errorf("cpuwatch: list CPUs under %s: %w", cpuDir, err)
	}
	t := &Topology{}
	for _, c := range cpus {
		id, err := strconv.Atoi(c.Number())
		if err != nil {
			continue // cpufreq, cpuidle and the like match cpu[0-9]* too
		}
		if haveOnline && !slices.Contains(online, id) {
			continue // offline CPUs have no topology
		}
		for _, f := range []string{"core_id", "physical_package_id", "core_siblings_list", "thread_siblings_list"} {
			if err := refuseSpecial(filepath.Join(string(c), "topology", f)); err != nil {
				return nil, fmt.Errorf("cpuwatch: topology of cpu%d: %w", id, err)
			}
		}
		top, err := c.Topology()
		if err != nil {
			if !haveOnline && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("cpuwatch: topology of cpu%d: %w", id, err)
		}
		lc := LogicalCPU{ID: id}
		dir := filepath.Join(string(c), "topology")
		if lc.Package, err = strconv.Atoi(top.PhysicalPackageID); err != nil {
			return nil, fmt.Errorf("cpuwatch: %s: bad package id %s", filepath.Join(dir, "physical_package_id"), excerptString(top.PhysicalPackageID))
		}
		if lc.Core, err = strconv.Atoi(top.CoreID); err != nil {
			return nil, fmt.Errorf("cpuwatch: %s: bad core id %s", filepath.Join(dir, "core_id"), excerptString(top.CoreID))
		}
		sib, err := parseCPUList(top.ThreadSiblingsList)
		if err != nil {
			return nil, fmt.Errorf("cpuwatch: %s: %w", filepath.Join(dir, "thread_siblings_list"), err)
		}
		lc.Siblings = sib[:0]
		for _, s := range sib {
			if !haveOnline || slices.Contains(online, s) {
				lc.Siblings = append(lc.Siblings, s)
			}
		}
		t.CPUs = append(t.CPUs, lc)
	}
	if len(t.CPUs) == 0 {
		return nil, fmt.Errorf("cpuwatch: no online CPU with a topology under %s", cpuDir)
	}
	slices.SortFunc(t.CPUs, func(a, b LogicalCPU) int { return a.ID - b.ID })
	return t, nil
}
