package experiment

import (
	"runtime"
	"time"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/cpuwatch"
)

// estimator guesses how long a run takes from the cost of an iteration,
// which it learns from the serial run, and the GIL's slowdown, which it
// learns from the first GIL run of each version.
type estimator struct {
	timing   timing
	cpus     float64 // usable CPUs, a fraction under a quota
	procs    int
	nsPerIt  float64
	slowdown map[Workload]float64 // wall of a GIL run over its ideal serial time
}

func newEstimator(w *cpuwatch.Watcher, nsPerIt float64) *estimator {
	if nsPerIt <= 0 {
		nsPerIt = 1
	}
	return &estimator{
		timing:   newTiming(w),
		cpus:     usableCPUs(),
		procs:    runtime.GOMAXPROCS(0),
		nsPerIt:  nsPerIt,
		slowdown: map[Workload]float64{},
	}
}

// timing is how a watcher spaces a recording, from cpuwatch's own
// defaults (Watcher.WithDefaults): its interval, and its lead and trail in
// whole intervals, none when negative.
type timing struct {
	interval                time.Duration
	lead, trail, minSamples int
}

func newTiming(w *cpuwatch.Watcher) timing {
	d := w.WithDefaults()
	return timing{interval: d.Interval, lead: max(d.Lead, 0), trail: max(d.Trail, 0), minSamples: max(d.MinSamples, 0)}
}

// usableCPUs is the process's usable CPUs before rounding: a fraction
// under a quota, where corescope.UsableCPUs rounds up to whole workers.
func usableCPUs() float64 {
	var w cpuwatch.Watcher
	if l, err := w.Limits(); err == nil && l.UsableCPUs > 0 {
		return l.UsableCPUs
	}
	return float64(runtime.NumCPU())
}

// overhead is the recording around a run: lead and trail, plus the sample
// in progress when the run ends and a little start-up.
func (e *estimator) overhead() time.Duration {
	return time.Duration(e.timing.lead+e.timing.trail+1)*e.timing.interval + 50*time.Millisecond
}

// work estimates the workload's own wall time.
func (e *estimator) work(j Job) time.Duration {
	ent, _ := lookup(j.Workload)
	if ent.group == GroupBaseline {
		return j.Idle
	}
	n := float64(j.Workers)
	nsPerIt := e.nsPerIt
	if j.Python != nil && j.Python.NsPerIteration > 0 {
		nsPerIt = j.Python.NsPerIteration
	} else if j.SpeedOf != nil && j.SpeedOf.NsPerIteration > 0 {
		nsPerIt = j.SpeedOf.NsPerIteration
	}
	serial := float64(j.Size()) * nsPerIt // one worker's work on one core
	var wall float64
	switch {
	case ent.group == GroupGIL:
		wall = serial * n * e.gilFactor(ent)
	case ent.goScheduled:
		wall = serial * n / min(n, float64(e.procs), e.cpus)
	default:
		wall = serial * n / min(n, e.cpus)
	}
	return time.Duration(wall)
}

// gilFactor is how much slower the GIL runs than the serial loop: the
// table's guess until a GIL run of the workload has been seen, then its
// own slowdown.
func (e *estimator) gilFactor(ent entry) float64 {
	if f, ok := e.slowdown[ent.name]; ok {
		return f
	}
	return max(ent.slowdown, 1)
}

func (e *estimator) estimate(j Job) time.Duration {
	d := e.work(j) + e.overhead()
	if e.timing.minSamples > 0 {
		return max(d, time.Duration(e.timing.minSamples)*e.timing.interval)
	}
	return d
}

// left is the estimated time the jobs take together.
func (e *estimator) left(jobs []Job) time.Duration {
	var d time.Duration
	for _, j := range jobs {
		d += e.estimate(j)
	}
	return d
}

// learn updates the estimates from a finished run.
func (e *estimator) learn(j Job, r *corescope.Result) {
	if r == nil || r.WallSeconds <= 0 || j.Python != nil || j.SpeedOf != nil {
		return // a real interpreter's runs, or a paced one, say nothing of the kernel's
	}
	switch j.Workload.Group() {
	case GroupSerial:
		e.nsPerIt = r.WallSeconds * 1e9 / float64(max(j.Size(), 1))
	case GroupGIL:
		ideal := float64(j.Size()) * float64(j.Workers) * e.nsPerIt / 1e9
		if ideal > 0 {
			e.slowdown[j.Workload] = r.WallSeconds / ideal
		}
	}
}
