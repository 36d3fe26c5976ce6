package experiment

import (
	"context"
	"fmt"
	"time"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/workload"
)

// Workload names one of the experiment's workloads, spelled as the seed's
// watch_cpu.py and the watchcpu command spell them.
type Workload string

// The workloads of the experiment.
const (
	// DoNothing records the idle machine: the baseline.
	DoNothing Workload = "do-nothing"
	// NonThreaded runs the work serially on one thread.
	NonThreaded Workload = "non-threaded"
	// Multiprocessing runs one child process per worker.
	Multiprocessing Workload = "multiprocessing"
	// Threading runs OS threads serialised by an emulated Python 3 GIL.
	Threading Workload = "threading"
	// ThreadingPy2 runs OS threads serialised by an emulated Python 2 GIL.
	ThreadingPy2 Workload = "threading-py2"
	// Threads runs goroutines locked to their own OS threads, with no GIL.
	Threads Workload = "threads"
	// Goroutines runs plain goroutines under the Go scheduler.
	Goroutines Workload = "goroutines"
)

// Workloads lists every Workload, in the order the experiment runs them.
func Workloads() []Workload {
	return []Workload{DoNothing, NonThreaded, Multiprocessing, Threads, Goroutines, Threading, ThreadingPy2}
}

// ParseWorkload returns the Workload named s, or an error listing the
// names it knows.
func ParseWorkload(s string) (Workload, error) {
	for _, w := range Workloads() {
		if string(w) == s {
			return w, nil
		}
	}
	return "", fmt.Errorf("corescope: unknown workload %q (want one of %v)", s, Workloads())
}

// Parallel reports whether the workload takes a number of workers.
func (w Workload) Parallel() bool { return w != DoNothing && w != NonThreaded }

// GIL reports whether the workload runs under an emulated GIL.
func (w Workload) GIL() bool { return w == Threading || w == ThreadingPy2 }

// Spec describes one run of the experiment: which workload, how many
// workers, and how much work each does. The zero value of every field but
// Workload has a meaning (see each field, and [Spec.WithDefaults]): a Spec
// with only Workload set sizes its run — workers, work per worker, idle
// time — as the watchcpu command does by default, from the seed's sizes.
type Spec struct {
	Workload Workload
	// Workers is the number of processes, threads or goroutines; it is
	// ignored for DoNothing and NonThreaded, which have none and one. 0
	// means corescope.UsableCPUs() processes for Multiprocessing, one per CPU, the
	// most that can all run at once; and 2 for the threaded models and
	// goroutines, the fewest that show whether they run in parallel (the
	// seed's first threading run).
	Workers int
	// Kernel is the loop every worker runs.
	Kernel workload.Kernel
	// Unit is the n of one sum(range(n)); each worker prints the result
	// of one unit. 0 means the seed's: SeedUnit (2^28) for the serial run
	// and each process, thread or goroutine, and SeedUnit/4 (2^26) per GIL
	// thread, so that four GIL threads share one serial run's work, as
	// Plan sizes them.
	Unit uint64
	// Units is how many times each worker repeats its unit; 0 means 1.
	Units int
	// Idle is how long DoNothing waits. 0 means long enough to fill the
	// watcher's MinSamples between its lead and trail, when Run is given
	// a watcher with MinSamples set, so that the baseline's summary covers
	// most of the recording; otherwise one second.
	Idle time.Duration
	// Pin pins worker i to the i-th CPU the process may use, as the seed's
	// --pin-cpu did. Goroutines ignore it: the Go scheduler places them.
	Pin bool
}

// WithDefaults returns s with its zero Workers, Unit, Units and Idle
// replaced by the defaults the fields document, for the workloads that use
// them. w is the watcher s will run under, or nil: only DoNothing's Idle
// depends on it. Run, Model, DataID and Size apply the defaults
// themselves; WithDefaults shows beforehand what will run. Values that are
// set, including invalid ones such as negative Workers, are kept for
// Model to reject.
//
// A zero Multiprocessing Workers costs a read of the process's CPU limits
// (see UsableCPUs) every time it is resolved.
func (s Spec) WithDefaults(w *cpuwatch.Watcher) Spec {
	switch {
	case s.Workload == DoNothing:
		if s.Idle == 0 {
			s.Idle = idleFilling(w)
		}
		return s
	case s.Workload.Parallel():
		s.Workers = s.workers()
	}
	s.Unit = s.unit()
	if s.Units == 0 {
		s.Units = 1
	}
	return s
}

// idleFilling is how long an idle baseline must last for w's recording to
// reach MinSamples with lead and trail around it, and one more for the
// sample in progress when it ends; one second when w sets no minimum.
func idleFilling(w *cpuwatch.Watcher) time.Duration {
	if w == nil || w.MinSamples <= 0 || w.Interval <= 0 {
		return time.Second
	}
	lead, trail := w.Lead, w.Trail
	if lead == 0 {
		lead = cpuwatch.DefaultLead
	}
	if trail == 0 {
		trail = cpuwatch.DefaultTrail
	}
	return time.Duration(max(w.MinSamples-max(lead, 0)-max(trail, 0)-1, 1)) * w.Interval
}

// workers returns how many workers the spec really runs.
func (s Spec) workers() int {
	switch s.Workload {
	case DoNothing:
		return 0
	case NonThreaded:
		return 1
	case Multiprocessing:
		if s.Workers == 0 {
			return corescope.UsableCPUs()
		}
	default:
		if s.Workers == 0 {
			return 2
		}
	}
	return s.Workers
}

// unit returns the spec's Unit, or the seed's default for its workload.
func (s Spec) unit() uint64 {
	switch {
	case s.Unit != 0 || s.Workload == DoNothing:
		return s.Unit
	case s.Workload.GIL():
		return SeedUnit / 4
	}
	return SeedUnit
}

// DataID returns the seed-style name of the run, such as
// "multiprocessing:4", "non-threaded:1" or "do-nothing", with the default
// number of workers when Workers is 0.
func (s Spec) DataID() string {
	if s.Workload == DoNothing {
		return string(DoNothing)
	}
	return fmt.Sprintf("%s:%d", s.Workload, s.workers())
}

// Size returns the loop iterations each worker does: Unit × Units, with
// their defaults when they are 0.
func (s Spec) Size() uint64 { return s.unit() * uint64(max(s.Units, 1)) }

// Model returns the workload model that runs the spec, with the defaults
// of WithDefaults(nil), or an error naming what is wrong with it.
func (s Spec) Model() (workload.Model, error) {
	return s.WithDefaults(nil).model()
}

// model returns the model of a spec whose defaults have been applied.
func (s Spec) model() (workload.Model, error) {
	if s.Workload == DoNothing {
		if s.Idle < 0 {
			return nil, fmt.Errorf("corescope: negative idle time %v", s.Idle)
		}
		return workload.Idle{Duration: s.Idle}, nil
	}
	if s.Workload.Parallel() && s.Workers <= 0 {
		return nil, fmt.Errorf("corescope: %s needs at least one worker, got %d", s.Workload, s.Workers)
	}
	if s.Units < 0 {
		return nil, fmt.Errorf("corescope: %s: negative unit count %d", s.Workload, s.Units)
	}
	work := workload.Work{Kernel: s.Kernel, N: s.Unit, Units: s.Units}
	switch s.Workload {
	case NonThreaded:
		return workload.Serial{Work: work, Pin: s.Pin}, nil
	case Multiprocessing:
		return workload.Processes{N: s.Workers, Work: work, Pin: s.Pin}, nil
	case Threads:
		return workload.Threads{N: s.Workers, Work: work, Pin: s.Pin}, nil
	case Goroutines:
		return workload.Goroutines{N: s.Workers, Work: work}, nil
	case Threading:
		return workload.GIL{N: s.Workers, Work: work, Version: workload.Python3, Pin: s.Pin}, nil
	case ThreadingPy2:
		return workload.GIL{N: s.Workers, Work: work, Version: workload.Python2, Pin: s.Pin}, nil
	}
	return nil, fmt.Errorf("corescope: unknown workload %q", s.Workload)
}

// Run runs the spec, with the defaults of WithDefaults(w), under w as Run
// does, and names the result after the spec. The watcher's recording gets
// the spec's DataID.
func (s Spec) Run(ctx context.Context, w *cpuwatch.Watcher) (*corescope.Result, error) {
	s = s.WithDefaults(w)
	m, err := s.model()
	if err != nil {
		return nil, err
	}
	res, err := corescope.Run(ctx, w, m)
	if res != nil {
		res.Workload = string(s.Workload)
		res.DataID = s.DataID()
		res.Unit = s.Unit
		if s.Workload == DoNothing {
			res.Unit = 0
		}
		if res.Recording != nil {
			res.Recording.DataID = res.DataID
		}
	}
	return res, err
}
