package corescope

import (
	"context"
	"fmt"
	"time"

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
// Workload has a meaning; see each field.
type Spec struct {
	Workload Workload
	// Workers is the number of processes or threads; it is ignored for
	// DoNothing and NonThreaded, which have none and one.
	Workers int
	// Kernel is the loop every worker runs.
	Kernel workload.Kernel
	// Unit is the n of one sum(range(n)): the seed's 2^28 for processes
	// and 2^26 per GIL thread. Each worker prints the result of one unit.
	Unit uint64
	// Units is how many times each worker repeats its unit; 0 means 1.
	Units int
	// Idle is how long DoNothing waits; 0 means one second.
	Idle time.Duration
	// Pin pins worker i to the i-th CPU the process may use, as the seed's
	// --pin-cpu did. Goroutines ignore it: the Go scheduler places them.
	Pin bool
}

// workers returns how many workers the spec really runs.
func (s Spec) workers() int {
	switch s.Workload {
	case DoNothing:
		return 0
	case NonThreaded:
		return 1
	}
	return s.Workers
}

// DataID returns the seed-style name of the run, such as
// "multiprocessing:4", "non-threaded:1" or "do-nothing".
func (s Spec) DataID() string {
	if s.Workload == DoNothing {
		return string(DoNothing)
	}
	return fmt.Sprintf("%s:%d", s.Workload, s.workers())
}

// Size returns the loop iterations each worker does: Unit × Units.
func (s Spec) Size() uint64 { return s.Unit * uint64(max(s.Units, 1)) }

// Model returns the workload model that runs the spec, or an error naming
// what is wrong with it.
func (s Spec) Model() (workload.Model, error) {
	if s.Workload == DoNothing {
		d := s.Idle
		if d == 0 {
			d = time.Second
		}
		if d < 0 {
			return nil, fmt.Errorf("corescope: negative idle time %v", d)
		}
		return workload.Idle{Duration: d}, nil
	}
	if s.Workload.Parallel() && s.Workers <= 0 {
		return nil, fmt.Errorf("corescope: %s needs at least one worker, got %d", s.Workload, s.Workers)
	}
	if s.Unit == 0 {
		return nil, fmt.Errorf("corescope: %s: size 0 is not positive", s.Workload)
	}
	if s.Units < 0 {
		return nil, fmt.Errorf("corescope: %s: negative unit count %d", s.Workload, s.Units)
	}
	work := workload.Work{Kernel: s.Kernel, N: s.Unit, Units: max(s.Units, 1)}
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

// Run runs the spec under w, as Run does, and names the result after the
// spec. The watcher's recording gets the spec's DataID.
func (s Spec) Run(ctx context.Context, w *cpuwatch.Watcher) (*Result, error) {
	m, err := s.Model()
	if err != nil {
		return nil, err
	}
	res, err := Run(ctx, w, m)
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
