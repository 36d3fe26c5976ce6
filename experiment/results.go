package experiment

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/cpuwatch"
)

// Results are the runs of an experiment, in the order they ran.
type Results struct {
	// Host describes the machine, from the first recording.
	Host cpuwatch.Host `json:"host"`
	// Interval is the watcher's interval.
	Interval time.Duration `json:"interval"`
	// Runs holds one summary per run, in order.
	Runs []*corescope.Result `json:"runs"`
	// PythonNote says which real interpreters ran beside the emulation,
	// or that none was found (Pythons.Note); empty when none was looked
	// for.
	PythonNote string `json:"python_note,omitempty"`
	// Traces holds, by DataID, the scheduler trace of each run the
	// experiment traced or tried to.
	Traces map[string]*RunTrace `json:"traces,omitempty"`
}

// CPUs returns how many CPUs the recorded machine let the experiment use,
// counted as a Plan counts them on the live machine:
// corescope.WorkersFor(Host.Limits), or Host.NumCPU when the limits are
// unknown. It is 0 when the results know no host.
func (r *Results) CPUs() int {
	if n := corescope.WorkersFor(r.Host.Limits); n > 0 {
		return n
	}
	return r.Host.NumCPU
}

// Find returns the run named id, or nil.
func (r *Results) Find(id string) *corescope.Result {
	for _, run := range r.Runs {
		if run != nil && run.DataID == id {
			return run
		}
	}
	return nil
}

// Serial returns the experiment's serial run, which every speed-up is
// measured against, or nil if it has none.
//
// Runs of a real interpreter have their own serial run: see SerialOf.
func (r *Results) Serial() *corescope.Result { return r.SerialOf("") }

// SerialOf returns the serial run of the real interpreter named
// interpreter (a Result's Interpreter, such as "CPython 2.7.18"), or of the
// emulation at the kernel's own speed for "", or nil if there is none.
func (r *Results) SerialOf(interpreter string) *corescope.Result { return r.serial(interpreter, "") }

// PacedSerialOf returns the serial run of the emulation paced to the
// interpreter named interpreter (a Result's SpeedOf), or nil: the run a
// paced emulation's speed-ups are measured against.
func (r *Results) PacedSerialOf(interpreter string) *corescope.Result {
	if interpreter == "" {
		return nil
	}
	return r.serial("", interpreter)
}

func (r *Results) serial(interpreter, speedOf string) *corescope.Result {
	for _, run := range r.Runs {
		if run != nil && Workload(run.Workload).Group() == GroupSerial && run.Interpreter == interpreter &&
			run.SpeedOf == speedOf && run.WallSeconds > 0 {
			return run
		}
	}
	return nil
}

// Speedup returns how much faster run got through its loop iterations than
// the serial run did through the same number: serial time per iteration ×
// run's iterations ÷ run's wall time. Processes that each repeat the serial
// work score n on n free cores; four GIL threads that share the serial
// work score about 1 under Python 3. It is 0 when there is no serial run or
// run did no work.
//
// A real interpreter's run is measured against that interpreter's serial
// run, and an emulation paced to an interpreter's speed against the
// emulation's serial run paced the same way.
func (r *Results) Speedup(run *corescope.Result) float64 {
	s := r.serial(run.Interpreter, run.SpeedOf)
	if s == nil || run.WallSeconds <= 0 || run.Iterations() == 0 || s.Iterations() == 0 {
		return 0
	}
	perIt := s.WallSeconds / float64(s.Iterations())
	return perIt * float64(run.Iterations()) / run.WallSeconds
}

// Implausible returns the runs whose speed-up is more than their workers
// could give on the CPUs the process could use (the least of workers,
// Host.NumCPU and, when known, Host.Limits.UsableCPUs, which counts a
// cgroup quota, cpuset and affinity; with 5 % to spare). No run can do
// that; when one seems to, the machine's speed per core changed between
// the serial run and that run — on a shared virtual machine the host's
// load moves it by up to 2× — and its speed-up says more about the host
// than about the model. Cores used, which compares a run with itself, is
// unaffected.
func (r *Results) Implausible() []*corescope.Result {
	var out []*corescope.Result
	for _, run := range r.Runs {
		if run == nil {
			continue
		}
		limit := float64(run.Workers)
		if n := r.Host.NumCPU; n > 0 && float64(n) < limit {
			limit = float64(n)
		}
		if l := r.Host.Limits; l != nil && l.UsableCPUs > 0 && l.UsableCPUs < limit {
			limit = l.UsableCPUs
		}
		if sp := r.Speedup(run); limit > 0 && sp > 1.05*limit {
			out = append(out, run)
		}
	}
	return out
}

// check reports whether r can be written: it has runs, and none is nil.
func (r *Results) check() error {
	if len(r.Runs) == 0 {
		return ErrNoRuns
	}
	for i, run := range r.Runs {
		if run == nil {
			return fmt.Errorf("experiment: results: run %d is nil", i)
		}
	}
	return nil
}

// UnmarshalJSON decodes results as encoding/json's default encoding of
// them, and refuses a null run (a hand-edited or damaged results.json),
// so that every method may take each run to be there.
func (r *Results) UnmarshalJSON(b []byte) error {
	type plain Results // without this method
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	for i, run := range p.Runs {
		if run == nil {
			return fmt.Errorf("experiment: results: run %d is null", i)
		}
	}
	*r = Results(p)
	return nil
}
