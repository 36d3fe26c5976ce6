package experiment

import (
	"fmt"

	"github.com/corescope/corescope/workload"
)

// Workload names one of the experiment's workloads, spelled as the seed's
// watch_cpu.py and the watchcpu command spell them. The workloads and all
// there is to know about each — its title and explanation on the report
// page, its Group, how its model is built — are one table in this file.
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

// Group says how the experiment sizes a workload and compares it: how
// many workers a Plan gives it, how much work each does, and which of the
// seed's runs it is set beside.
type Group int

const (
	// GroupBaseline runs nothing: the idle machine every picture sits on.
	GroupBaseline Group = iota
	// GroupSerial runs one worker: the yardstick of every speed-up.
	GroupSerial
	// GroupScaling runs 1 … 2×CPUs workers, each doing the serial run's
	// work; the seed's processes pair with it by workers per CPU.
	GroupScaling
	// GroupGIL runs Plan.GILThreads threads that take turns under a lock,
	// each doing a quarter of the serial run's work (the seed's 2^26
	// against 2^28); the seed's threads pair with it by thread count.
	GroupGIL
)

// entry is one row of the workload table.
type entry struct {
	name Workload
	// title heads the workload's section of the report page; about
	// explains it there.
	title, about string
	group        Group
	// onePerCPU makes a zero Spec.Workers one worker per usable CPU, the
	// most that all run at once, instead of 2, the fewest that show
	// whether the workers run in parallel.
	onePerCPU bool
	// model builds the model of a resolved job; work is the job's.
	model func(j Job, work workload.Work) workload.Model
	// The estimate of a run's wall time: slowdown is a GIL's guessed cost
	// over the serial loop until a run has measured it; goScheduled
	// workers run on at most GOMAXPROCS threads.
	slowdown    float64
	goScheduled bool
}

// workloads is the table of workloads, in the order the experiment runs
// them. It is never modified. Adding a workload is adding an entry here,
// and its constant above; see the package documentation.
var workloads = []entry{
	{
		name:  DoNothing,
		title: "Baseline (do-nothing)",
		about: "The machine with nothing of ours running: the background every other picture sits on.",
		group: GroupBaseline,
		model: func(j Job, _ workload.Work) workload.Model { return workload.Idle{Duration: j.Idle} },
	},
	{
		name:  NonThreaded,
		title: "Serial (non-threaded)",
		about: "The loop on one thread: the yardstick every speed-up is measured against.",
		group: GroupSerial,
		model: func(j Job, w workload.Work) workload.Model { return workload.Serial{Work: w, Pin: j.Pin} },
	},
	{
		name:      Multiprocessing,
		title:     "Processes (multiprocessing)",
		about:     "One child process per worker, each doing the serial run's work, as Python's multiprocessing does.",
		group:     GroupScaling,
		onePerCPU: true,
		model: func(j Job, w workload.Work) workload.Model {
			return workload.Processes{N: j.Workers, Work: w, Pin: j.Pin}
		},
	},
	{
		name:  Threads,
		title: "Locked OS threads, no GIL (threads)",
		about: "One goroutine locked to its own OS thread per worker, each doing the serial run's work, with no lock between them.",
		group: GroupScaling,
		model: func(j Job, w workload.Work) workload.Model {
			return workload.Threads{N: j.Workers, Work: w, Pin: j.Pin}
		},
	},
	{
		name:        Goroutines,
		title:       "Goroutines (goroutines)",
		about:       "Plain goroutines, each doing the serial run's work, which Go schedules onto GOMAXPROCS threads.",
		group:       GroupScaling,
		goScheduled: true,
		model:       func(j Job, w workload.Work) workload.Model { return workload.Goroutines{N: j.Workers, Work: w} },
	},
	{
		name:  Threading,
		title: "Python 3 GIL (threading)",
		about: "OS threads that must hold an emulated Python 3 GIL to run a bytecode; each does a quarter of the serial run's work, as the seed's threads did.",
		group: GroupGIL,
		// Python 3's GIL costs a little in cache misses.
		slowdown: 1.15,
		model: func(j Job, w workload.Work) workload.Model {
			return workload.GIL{N: j.Workers, Work: w, Version: workload.Python3, Pin: j.Pin}
		},
	},
	{
		name:  ThreadingPy2,
		title: "Python 2 GIL (threading-py2)",
		about: "OS threads under an emulated Python 2 GIL, the seed's Python 2.7; each does a quarter of the serial run's work.",
		group: GroupGIL,
		// Python 2's futex storm cost the seed 1.9–2.5×.
		slowdown: 2.5,
		model: func(j Job, w workload.Work) workload.Model {
			return workload.GIL{N: j.Workers, Work: w, Version: workload.Python2, Pin: j.Pin}
		},
	},
}

// lookup returns the table's entry for w.
func lookup(w Workload) (entry, bool) {
	for _, e := range workloads {
		if e.name == w {
			return e, true
		}
	}
	return entry{}, false
}

// Workloads lists every Workload, in the order the experiment runs them.
func Workloads() []Workload {
	out := make([]Workload, len(workloads))
	for i, e := range workloads {
		out[i] = e.name
	}
	return out
}

// ParseWorkload returns the Workload named s, or an error wrapping
// ErrUnknownWorkload that lists the names it knows.
func ParseWorkload(s string) (Workload, error) {
	if _, ok := lookup(Workload(s)); ok {
		return Workload(s), nil
	}
	return "", unknown(Workload(s))
}

func unknown(w Workload) error {
	return fmt.Errorf("%w %q (want one of %v)", ErrUnknownWorkload, w, Workloads())
}

// Group returns the workload's Group; an unknown workload's is
// GroupBaseline.
func (w Workload) Group() Group {
	e, _ := lookup(w)
	return e.group
}

// Parallel reports whether the workload takes a number of workers.
func (w Workload) Parallel() bool {
	e, ok := lookup(w)
	return ok && (e.group == GroupScaling || e.group == GroupGIL)
}

// GIL reports whether the workload runs under an emulated GIL.
func (w Workload) GIL() bool {
	e, ok := lookup(w)
	return ok && e.group == GroupGIL
}

// unit returns the unit a worker of group g does when the serial run's
// unit is serial: a quarter of it for GIL threads, at least 1.
func (g Group) unit(serial uint64) uint64 {
	if g == GroupGIL {
		return max(serial/4, 1)
	}
	return serial
}

// serialUnit returns u, or SeedUnit when u is 0: the one place the
// serial run's default unit is decided.
func serialUnit(u uint64) uint64 {
	if u == 0 {
		return SeedUnit
	}
	return u
}
