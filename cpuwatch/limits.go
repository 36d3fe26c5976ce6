package cpuwatch

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/procfs"
)

// Limits is how much of the machine this process may use: the CPUs the
// scheduler lets it run on and the CPU time its cgroup lets it spend. In a
// container /proc/stat shows every core of the host, so these say which
// part of a recording the workload could ever have filled.
type Limits struct {
	// Cgroup is the cgroup hierarchy the limits come from: "v2", "v1", or
	// "" when the process's cgroup could not be found.
	Cgroup string `json:"cgroup,omitempty"`
	// CgroupPath is the process's cgroup, relative to the hierarchy root
	// (for v1, the cpu controller's).
	CgroupPath string `json:"cgroup_path,omitempty"`
	// Quota is the CPU bandwidth limit in CPUs: quota ÷ period from cpu.max
	// (v2) or cpu.cfs_quota_us ÷ cpu.cfs_period_us (v1), the smallest along
	// the cgroup's ancestors. 1.5 means one and a half CPUs' worth of time
	// per period, however many CPUs share it. 0 means no quota.
	Quota float64 `json:"quota,omitempty"`
	// QuotaPeriod is the period over which Quota is enforced: a workload
	// that uses its quota early in a period is throttled for the rest of it.
	// 0 when there is no quota.
	QuotaPeriod time.Duration `json:"quota_period,omitempty"`
	// CPUSet is the cgroup's effective cpuset (cpuset.cpus.effective in v2,
	// cpuset.effective_cpus or cpuset.cpus in v1), ascending. nil when no
	// cpuset applies.
	CPUSet []int `json:"cpuset,omitempty"`
	// Affinity is the CPUs this process may run on, ascending: its
	// sched_getaffinity mask, which taskset, cpusets and container runtimes
	// all narrow. From a fixture proc tree it is Cpus_allowed_list of
	// self/status. nil when unknown.
	Affinity []int `json:"affinity,omitempty"`
	// UsableCPUs is how many CPUs' worth of work the process can really do
	// at once: the number of CPUs in Affinity or CPUSet, whichever is
	// smaller, or Quota if that is smaller still. 0 when none is known.
	UsableCPUs float64 `json:"usable_cpus"`
}

// String summarises the limits, such as
// "2 usable CPUs (affinity 0-3, quota 2 CPUs per 100ms, cgroup v2)".
func (l *Limits) String() string {
	var parts []string
	if l.Affinity != nil {
		parts = append(parts, "affinity "+formatCPUList(l.Affinity))
	}
	if l.CPUSet != nil {
		parts = append(parts, "cpuset "+formatCPUList(l.CPUSet))
	}
	if l.Quota > 0 {
		parts = append(parts, fmt.Sprintf("quota %g CPUs per %v", l.Quota, l.QuotaPeriod))
	} else {
		parts = append(parts, "no quota")
	}
	if l.Cgroup != "" {
		parts = append(parts, "cgroup "+l.Cgroup)
	}
	return fmt.Sprintf("%g usable CPUs (%s)", l.UsableCPUs, strings.Join(parts, ", "))
}

// formatCPUList writes ascending ids in the kernel's list format.
func formatCPUList(ids []int) string {
	var b strings.Builder
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(ids[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(ids[j]))
		}
		i = j + 1
	}
	return b.String()
}

// Limits reads this process's CPU limits: its affinity (sched_getaffinity
// when ProcRoot is "", else self/status in the proc tree), its cgroup from
// self/cgroup, and that cgroup's quota and cpuset from the cgroup tree
// mounted at SysRoot/fs/cgroup. Missing files mean "no limit"; a file that
// is there but malformed is an error that names it.
func (w *Watcher) Limits() (*Limits, error) {
	procRoot := w.ProcRoot
	if procRoot == "" {
		if err := platformDefault(); err != nil {
			return nil, err
		}
		procRoot = procfs.DefaultMountPoint
	}
	cgRoot := filepath.Join(cmp.Or(w.SysRoot, "/sys"), "fs", "cgroup")
	l := &Limits{}

	var err error
	if w.ProcRoot == "" {
		l.Affinity, err = selfAffinity()
	} else {
		l.Affinity, err = statusAffinity(filepath.Join(procRoot, "self", "status"))
	}
	if err != nil {
		return nil, err
	}

	pfs, err := procfs.NewFS(procRoot)
	if err != nil {
		return nil, fmt.Errorf("cpuwatch: proc root %q: %w", procRoot, err)
	}
	groups, err := readCgroups(pfs, procRoot)
	if err != nil {
		return nil, err
	}
	if groups != nil {
		if exists(filepath.Join(cgRoot, "cgroup.controllers")) {
			err = l.readV2(cgRoot, groups)
		} else {
			err = l.readV1(cgRoot, groups)
		}
		if err != nil {
			return nil, err
		}
	}

	n := len(l.Affinity)
	if l.CPUSet != nil && (n == 0 || len(l.CPUSet) < n) {
		n = len(l.CPUSet) // the affinity mask outgrew a cpuset set later
	}
	l.UsableCPUs = float64(n)
	if l.Quota > 0 && (n == 0 || l.Quota < l.UsableCPUs) {
		l.UsableCPUs = l.Quota
	}
	return l, nil
}

// readCgroups reads self/cgroup; nil, nil when the proc tree has none.
func readCgroups(pfs procfs.FS, procRoot string) ([]procfs.Cgroup, error) {
	if err := refuseSpecial(filepath.Join(procRoot, "self", "cgroup")); err != nil {
		return nil, fmt.Errorf("cpuwatch: %w", err)
	}
	self, err := pfs.Self()
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("cpuwatch: find own process: %w", err)
	}
	groups, err := self.Cgroups()
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("cpuwatch: read own cgroup: %w", err)
	}
	return groups, nil
}

// readV2 reads the unified hierarchy: the tightest cpu.max from the
// process's cgroup up to the root, and the nearest cpuset.cpus.effective.
func (l *Limits) readV2(root string, groups []procfs.Cgroup) error {
	for _, g := range groups {
		if g.HierarchyID != 0 {
			continue
		}
		l.Cgroup, l.CgroupPath = "v2", g.Path
		for dir := range ancestors(root, g.Path) {
			if err := l.readQuota(filepath.Join(dir, "cpu.max"), ""); err != nil {
				return err
			}
			if l.CPUSet == nil {
				if err := l.readCPUSet(filepath.Join(dir, "cpuset.cpus.effective")); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return nil
}

// readV1 reads the cpu and cpuset controllers of a v1 hierarchy. Each is
// looked for at root/<controllers>/<path>, and at root/<controllers> for
// a container whose cgroup namespace mounts its own cgroup as the root.
func (l *Limits) readV1(root string, groups []procfs.Cgroup) error {
	for _, g := range groups {
		ctl := strings.Join(g.Controllers, ",")
		hasCPU, hasCPUSet := false, false
		for _, c := range g.Controllers {
			hasCPU = hasCPU || c == "cpu"
			hasCPUSet = hasCPUSet || c == "cpuset"
		}
		if !hasCPU && !hasCPUSet {
			continue
		}
		base := filepath.Join(root, ctl)
		dir := filepath.Join(base, g.Path)
		if !exists(dir) {
			dir = base
		}
		if !exists(dir) {
			continue
		}
		if hasCPU {
			l.Cgroup, l.CgroupPath = "v1", g.Path
			for d := range ancestors(base, strings.TrimPrefix(dir, base)) {
				if err := l.readQuota(filepath.Join(d, "cpu.cfs_quota_us"), filepath.Join(d, "cpu.cfs_period_us")); err != nil {
					return err
				}
			}
		}
		if hasCPUSet {
			if l.Cgroup == "" {
				l.Cgroup = "v1"
			}
			if err := l.readCPUSet(filepath.Join(dir, "cpuset.effective_cpus")); err != nil {
				return err
			}
			if l.CPUSet == nil {
				if err := l.readCPUSet(filepath.Join(dir, "cpuset.cpus")); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// ancestors yields root/path and each of its parents up to root.
func ancestors(root, path string) func(func(string) bool) {
	return func(yield func(string) bool) {
		p := filepath.Clean("/" + path)
		for {
			if !yield(filepath.Join(root, p)) || p == "/" {
				return
			}
			p = filepath.Dir(p)
		}
	}
}

// readQuota reads a v2 cpu.max ("max 100000" or "150000 100000"), or, when
// periodFile is set, a v1 quota file ("-1" or microseconds) and its period
// file, and keeps the quota if it is tighter than l's. Missing files are no
// quota.
func (l *Limits) readQuota(quotaFile, periodFile string) error {
	q, ok, err := readTrimmed(quotaFile)
	if err != nil || !ok {
		return err
	}
	var quotaStr, periodStr string
	if periodFile == "" {
		f := strings.Fields(q)
		if len(f) != 2 {
			return fmt.Errorf("cpuwatch: %s: want \"<quota> <period>\", got %s", quotaFile, excerptString(q))
		}
		if f[0] == "max" {
			quotaStr = ""
		} else {
			quotaStr = f[0]
		}
		periodStr = f[1]
	} else {
		if q == "-1" {
			quotaStr = ""
		} else {
			quotaStr = q
		}
		p, ok, err := readTrimmed(periodFile)
		if err != nil {
			return err
		}
		if !ok {
			if quotaStr == "" {
				return nil
			}
			return fmt.Errorf("cpuwatch: %s: quota set but %s missing", quotaFile, periodFile)
		}
		periodStr = p
	}
	periodFile = cmp.Or(periodFile, quotaFile)
	period, err := strconv.ParseInt(periodStr, 10, 64)
	if err != nil || period <= 0 {
		return fmt.Errorf("cpuwatch: %s: bad period %s: want a positive number of microseconds", periodFile, excerptString(periodStr))
	}
	if quotaStr == "" {
		return nil
	}
	quota, err := strconv.ParseInt(quotaStr, 10, 64)
	if err != nil || quota <= 0 {
		return fmt.Errorf("cpuwatch: %s: bad quota %s: want a positive number of microseconds, or no limit", quotaFile, excerptString(quotaStr))
	}
	cpus := float64(quota) / float64(period)
	if l.Quota == 0 || cpus < l.Quota {
		l.Quota = cpus
		l.QuotaPeriod = time.Duration(period) * time.Microsecond
	}
	return nil
}

// readCPUSet sets l.CPUSet from a cpuset file if it exists and is not
// empty (an empty v1 cpuset.cpus means "not configured here").
func (l *Limits) readCPUSet(file string) error {
	s, ok, err := readTrimmed(file)
	if err != nil || !ok || s == "" {
		return err
	}
	ids, err := parseCPUList(s)
	if err != nil {
		return fmt.Errorf("cpuwatch: %s: %w", file, err)
	}
	l.CPUSet = ids
	return nil
}

// statusAffinity reads Cpus_allowed_list from a status file; nil when the
// file is missing.
func statusAffinity(file string) ([]int, error) {
	b, err := readRegular(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("cpuwatch: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Cpus_allowed_list:"); ok {
			ids, err := parseCPUList(v)
			if err != nil {
				return nil, fmt.Errorf("cpuwatch: %s: %w", file, err)
			}
			return ids, nil
		}
	}
	return nil, nil
}

// readTrimmed reads a small file; ok is false when it does not exist.
func readTrimmed(file string) (s string, ok bool, err error) {
	b, err := readRegular(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("cpuwatch: %w", err)
	}
	return strings.TrimSpace(string(b)), true, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// describeHost fills h.Topology and h.Limits as far as they can be read.
// Record calls it; what cannot be read is noted in h.Notes, not an error,
// so that a recording works where sysfs is missing or locked down.
func (w *Watcher) describeHost(h *Host) {
	if t, err := w.Topology(); err == nil {
		h.Topology = t
	} else {
		h.Notes = append(h.Notes, "topology unknown: "+err.Error())
	}
	if l, err := w.Limits(); err == nil {
		h.Limits = l
	} else {
		h.Notes = append(h.Notes, "limits unknown: "+err.Error())
	}
}
