package experiment

import (
	"context"
	"fmt"
	"time"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/schedtrace"
	"github.com/corescope/corescope/workload"
)

// Spec describes one run of the experiment: which workload, how many
// workers, and how much work each does. The zero value of every field but
// Workload has a meaning (see each field): a Spec with only Workload set
// sizes its run — workers, work per worker, idle time — as the watchcpu
// command does by default, from the seed's sizes. [Spec.Resolve] turns it
// into the [Job] that runs, with every default filled in.
type Spec struct {
	Workload Workload
	// Workers is the number of processes, threads or goroutines; it is
	// ignored for DoNothing and NonThreaded, which have none and one. 0
	// means corescope.UsableCPUs() processes for Multiprocessing, one per
	// CPU, the most that can all run at once; and 2 for the threaded
	// models and goroutines, the fewest that show whether they run in
	// parallel (the seed's first threading run).
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
	// watcher's MinSamples between its lead and trail, when Resolve is
	// given a watcher with MinSamples set, so that the baseline's summary
	// covers most of the recording; otherwise one second.
	Idle time.Duration
	// Pin pins worker i to the i-th CPU the process may use, as the seed's
	// --pin-cpu did. Goroutines ignore it: the Go scheduler places them.
	// A real interpreter (Python) ignores it too.
	Pin bool
	// Python, if set, runs the workload in that real interpreter instead
	// of the emulation, with the project's own version of the seed's
	// script (workload.Python): NonThreaded, Multiprocessing, Threading
	// (a Python 3 interpreter) and ThreadingPy2 (a Python 2 one) only.
	// Its NsPerIteration, if measured, is recorded in the Result.
	Python *workload.Speed
	// SpeedOf, if set, runs the emulation at that interpreter's measured
	// speed (workload.Work.NsPerIteration), so that the emulated GIL's
	// check and switch intervals fall as often as the real one's.
	SpeedOf *workload.Speed
	// Pace, if set, is the padding the emulation runs at
	// (workload.MeasurePace, for SpeedOf's NsPerIteration and the
	// spec's Kernel) instead of one measured before the run: runs
	// compared with each other should share one, and Experiment.Run
	// gives every paced spec without one the pace it measured for that
	// interpreter and kernel at the first of them. A real interpreter
	// runs at its own speed: Pace with Python is an invalid spec.
	Pace *workload.Pace
	// Trace, if set, records the run's scheduler events with it, as
	// corescope.RunTraced does: into the Result's Trace, or the reason
	// why not into its TraceError.
	Trace *schedtrace.Tracer
}

// Job is a Spec resolved for the watcher it runs under: every default is
// filled in, so its methods are plain arithmetic, with no I/O. Build one
// with [Spec.Resolve]; Plan's specs resolve without reading anything.
type Job struct {
	Workload Workload
	// Workers is how many workers run: 0 for DoNothing, 1 for
	// NonThreaded.
	Workers int
	Kernel  workload.Kernel
	// Unit and Units are the n of each sum(range(n)) and how many times
	// each worker repeats it; both are 0 for DoNothing.
	Unit  uint64
	Units int
	// Idle is how long DoNothing waits; 0 for the others.
	Idle time.Duration
	Pin  bool
	// Python, SpeedOf and Pace are the Spec's.
	Python, SpeedOf *workload.Speed
	Pace            *workload.Pace
	// Trace is the Spec's: the tracer Run records the run's scheduler
	// events with, or nil.
	Trace *schedtrace.Tracer
}

// Resolve returns the job s describes, with its zero Workers, Unit, Units
// and Idle replaced by the defaults the fields document, under w (nil
// means the zero cpuwatch.Watcher): only DoNothing's Idle depends on it.
// Values that are set, including invalid ones such as negative Workers,
// are kept for Job.Model to reject.
//
// A zero Multiprocessing Workers costs one read of the process's CPU
// limits (see corescope.UsableCPUs); nothing else does I/O.
func (s Spec) Resolve(w *cpuwatch.Watcher) Job {
	e, _ := lookup(s.Workload)
	j := Job{Workload: s.Workload, Kernel: s.Kernel, Pin: s.Pin, Python: s.Python, SpeedOf: s.SpeedOf, Pace: s.Pace, Trace: s.Trace}
	switch e.group {
	case GroupBaseline:
		j.Kernel, j.Pin = 0, false
		if j.Idle = s.Idle; j.Idle == 0 {
			j.Idle = idleFilling(w)
		}
		return j
	case GroupSerial:
		j.Workers = 1
	default:
		j.Workers = s.Workers
		if j.Workers == 0 {
			j.Workers = 2
			if e.onePerCPU {
				j.Workers = corescope.UsableCPUs()
			}
		}
	}
	if j.Unit = s.Unit; j.Unit == 0 {
		j.Unit = e.group.unit(SeedUnit)
	}
	if j.Units = s.Units; j.Units == 0 {
		j.Units = 1
	}
	return j
}

// idleFilling is how long an idle baseline must last for w's recording to
// reach MinSamples with lead and trail around it, and one more for the
// sample in progress when it ends; one second when w sets no minimum.
func idleFilling(w *cpuwatch.Watcher) time.Duration {
	if w == nil || w.MinSamples <= 0 {
		return time.Second
	}
	t := newTiming(w)
	return time.Duration(max(w.MinSamples-t.lead-t.trail-1, 1)) * t.interval
}

// DataID returns the seed-style name of the run, such as
// "multiprocessing:4", "non-threaded:1" or "do-nothing"; a real
// interpreter's run adds its name ("threading-py2:2 CPython 2.7.18"), and
// an emulation paced to one says so ("threading-py2:2 paced to CPython
// 2.7.18"), so that one experiment can hold all three.
func (j Job) DataID() string {
	switch {
	case j.Workload.Group() == GroupBaseline:
		return string(j.Workload)
	case j.Python != nil:
		return fmt.Sprintf("%s:%d %s", j.Workload, j.Workers, j.Python.Interpreter)
	case j.SpeedOf != nil:
		return fmt.Sprintf("%s:%d paced to %s", j.Workload, j.Workers, j.SpeedOf.Interpreter)
	}
	return fmt.Sprintf("%s:%d", j.Workload, j.Workers)
}

// pythonProgram returns the real interpreter's program for the job, or an
// error if the workload has none or the interpreter is the wrong Python
// for it.
func (j Job) pythonProgram() (workload.PythonProgram, error) {
	in := j.Python.Interpreter
	switch j.Workload {
	case NonThreaded:
		return workload.PyNonThreaded, nil
	case Multiprocessing:
		return workload.PyMultiprocessing, nil
	case Threading:
		if in.Major != 3 {
			return 0, fmt.Errorf("%w: %s is the Python 3 GIL, but %s is %s: use %s for Python 2", ErrInvalidSpec, j.Workload, in.Path, in, ThreadingPy2)
		}
		return workload.PyThreading, nil
	case ThreadingPy2:
		if in.Major != 2 {
			return 0, fmt.Errorf("%w: %s is the Python 2 GIL, but %s is %s: use %s for Python 3", ErrInvalidSpec, j.Workload, in.Path, in, Threading)
		}
		return workload.PyThreading, nil
	}
	return 0, fmt.Errorf("%w: %s has no Python program; a real interpreter runs %s, %s, %s or %s",
		ErrInvalidSpec, j.Workload, NonThreaded, Multiprocessing, Threading, ThreadingPy2)
}

// Size returns the loop iterations each worker does: Unit × Units.
func (j Job) Size() uint64 { return j.Unit * uint64(max(j.Units, 0)) }

// Model returns the workload model that runs the job, or an error
// wrapping ErrInvalidSpec or ErrUnknownWorkload that names what is wrong.
func (j Job) Model() (workload.Model, error) {
	e, ok := lookup(j.Workload)
	switch {
	case !ok:
		return nil, unknown(j.Workload)
	case e.group == GroupBaseline && j.Idle < 0:
		return nil, fmt.Errorf("%w: negative idle time %v", ErrInvalidSpec, j.Idle)
	case e.group == GroupBaseline:
	case j.Workers <= 0:
		return nil, fmt.Errorf("%w: %s needs at least one worker, got %d", ErrInvalidSpec, j.Workload, j.Workers)
	case j.Units < 0:
		return nil, fmt.Errorf("%w: %s: negative unit count %d", ErrInvalidSpec, j.Workload, j.Units)
	}
	work := workload.Work{Kernel: j.Kernel, N: j.Unit, Units: j.Units, Pace: j.Pace}
	if j.Python != nil && j.Pace != nil {
		return nil, fmt.Errorf("%w: %s: a real interpreter (%s) runs at its own speed; Pace is for the emulation", ErrInvalidSpec, j.Workload, j.Python.Interpreter)
	}
	if j.Python != nil {
		prog, err := j.pythonProgram()
		if err != nil {
			return nil, err
		}
		return workload.Python{Interpreter: j.Python.Interpreter.Path, Program: prog, N: j.Workers, Work: work}, nil
	}
	if j.SpeedOf != nil {
		work.NsPerIteration = j.SpeedOf.NsPerIteration
	}
	return e.model(j, work), nil
}

// Run runs the job under w as corescope.Run does (corescope.RunTraced
// when Trace is set), and names the result
// and its recording after the job's DataID. An invalid job returns its
// Model error and no result.
func (j Job) Run(ctx context.Context, w *cpuwatch.Watcher) (*corescope.Result, error) {
	m, err := j.Model()
	if err != nil {
		return nil, err
	}
	res, err := corescope.RunTraced(ctx, w, j.Trace, m)
	if res != nil {
		res.Workload = string(j.Workload)
		res.DataID = j.DataID()
		res.Unit = j.Unit
		if j.Python != nil {
			res.Interpreter = j.Python.Interpreter.String()
			res.NsPerIteration = j.Python.NsPerIteration
		}
		if j.SpeedOf != nil && res.Pace != nil {
			res.SpeedOf = j.SpeedOf.Interpreter.String()
			res.NsPerIteration = j.SpeedOf.NsPerIteration
		}
		if res.Recording != nil {
			res.Recording.DataID = res.DataID
		}
	}
	return res, err
}

// Run resolves s for w and runs it: s.Resolve(w).Run(ctx, w).
func (s Spec) Run(ctx context.Context, w *cpuwatch.Watcher) (*corescope.Result, error) {
	return s.Resolve(w).Run(ctx, w)
}
