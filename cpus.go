package corescope

import (
	"math"
	"runtime"

	"github.com/corescope/corescope/cpuwatch"
)

// UsableCPUs returns how many CPU-bound workers this process can keep busy
// at once, at least 1: [WorkersFor] the process's [cpuwatch.Limits] — its
// affinity mask, its cgroup's cpuset and its cgroup's CPU quota — or
// runtime.NumCPU when the limits cannot be read (not Linux, no /proc, a
// malformed cgroup file). runtime.NumCPU and /proc/stat see a container's
// quota no more than they see the host's other tenants: on a 64-core host,
// a container allowed 2 CPUs' worth of time gets 2 from UsableCPUs, not 64.
//
// It reads the limits afresh on every call (a few small files under /proc
// and /sys/fs/cgroup, about a tenth of a millisecond), so a quota changed at run
// time is seen; call it once when sizing a run, not once per work item.
func UsableCPUs() int { return workers(usableCPUs()) }

// WorkersFor returns how many CPU-bound workers fill the limits l:
// l.UsableCPUs rounded up to a whole number, and at least 1. It returns 0
// when l is nil or knows of no CPUs (UsableCPUs 0), so that the caller
// picks its own fallback; UsableCPUs falls back to runtime.NumCPU. l may
// come from another machine, such as a recording's Host.Limits.
//
// A fractional quota rounds up, as Go's runtime rounds it for its default
// GOMAXPROCS. Under a quota of 1.5 CPUs, two workers on two or more cores
// do 1.5 CPUs' worth of work a period between them and are throttled for
// the rest of it, while one worker would do 1 and leave a third of the
// quota unused. Rounding up costs at most one worker more than could run
// without throttling; rounding down would waste up to one CPU's worth of
// time that the cgroup allows. A quota below one CPU still runs one worker.
func WorkersFor(l *cpuwatch.Limits) int {
	if l == nil || l.UsableCPUs <= 0 {
		return 0
	}
	return workers(l.UsableCPUs)
}

// usableCPUs is the process's usable CPUs before rounding: a fraction
// under a quota, for estimates of how long a run takes.
func usableCPUs() float64 {
	var w cpuwatch.Watcher
	if l, err := w.Limits(); err == nil && l.UsableCPUs > 0 {
		return l.UsableCPUs
	}
	return float64(runtime.NumCPU())
}

// workers rounds a positive number of CPUs up to whole workers, at least 1.
func workers(cpus float64) int {
	return max(int(math.Ceil(cpus)), 1)
}
