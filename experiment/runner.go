package experiment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/workload"
)

// Experiment runs a list of specs one after the other, each under its own
// recording, and reports progress as it goes. The zero value runs nothing;
// set Specs, from a Plan.
type Experiment struct {
	// Specs are the runs, in order.
	Specs []Spec
	// Watcher records each run; its zero fields have cpuwatch's defaults.
	Watcher cpuwatch.Watcher
	// Progress, if set, is called when a run starts, every ProgressEvery
	// while it runs, and when it ends. Calls come from one goroutine the
	// experiment starts, never two at once, and never after Run returns.
	// A slow Progress delays the next report, not the runs.
	Progress func(Progress)
	// ProgressEvery is the time between progress reports during a run;
	// 0 means 250 ms.
	ProgressEvery time.Duration
	// NsPerIteration is the expected cost of one loop iteration on one
	// core, used only to estimate time left before the serial run has
	// measured it. 0 means 1 ns (the native kernel's order).
	NsPerIteration float64
	// Tracer, if set, records the scheduler events of the runs Traced
	// chooses, for the report's zoom pictures. A run that cannot be
	// traced (no privilege, no tracefs) runs untraced, and the report
	// says why. nil traces nothing.
	Tracer Tracer
	// Traced chooses the runs to trace; nil means DefaultTraced.
	Traced func(Job) bool
}

// paceKey names the pace an experiment shares between its paced runs.
type paceKey struct {
	interpreter string
	ns          float64
	kernel      workload.Kernel
}

// Run resolves every spec once, runs them in order and returns their
// results. Paced specs (SpeedOf) that bring no Pace share one per
// interpreter and kernel, measured just before the first of them runs. It stops at the first failing run, or when ctx ends, returning
// the results so far with the error.
func (e *Experiment) Run(ctx context.Context) (*Results, error) {
	w := e.Watcher
	res := &Results{Interval: w.WithDefaults().Interval, Runs: []*corescope.Result{}}
	jobs := make([]Job, len(e.Specs))
	for i, s := range e.Specs {
		jobs[i] = s.Resolve(&w)
	}
	est := newEstimator(&w, e.NsPerIteration)

	// Two events a run at most, so sending never waits for Progress.
	events := make(chan Progress, 2*len(jobs))
	reporterDone := make(chan struct{})
	go e.report(events, reporterDone)
	defer func() {
		close(events)
		<-reporterDone
	}()

	paces := map[paceKey]*workload.Pace{}
	for i, j := range jobs {
		if j.SpeedOf != nil && j.Python == nil && j.Pace == nil && j.SpeedOf.NsPerIteration > 0 {
			// Measured just before the first run that needs it, then
			// shared: the speed-ups of paced runs compare runs
			// paced alike.
			k := paceKey{j.SpeedOf.Interpreter.Path, j.SpeedOf.NsPerIteration, j.Kernel}
			if paces[k] == nil {
				p, err := workload.MeasurePace(j.Kernel, j.SpeedOf.NsPerIteration)
				if err != nil {
					return res, fmt.Errorf("experiment: pacing %s to %s: %w", j.DataID(), j.SpeedOf.Interpreter, err)
				}
				paces[k] = &p
			}
			j.Pace = paces[k]
		}
		p := Progress{Run: i, Runs: len(jobs), Job: j, Expected: est.estimate(j), Left: est.left(jobs[i:])}
		events <- p
		start := time.Now()
		r, rt, err := e.runJob(ctx, j, &w)
		p.Elapsed, p.Done, p.Result = time.Since(start), true, r
		if rt != nil {
			if res.Traces == nil {
				res.Traces = map[string]*RunTrace{}
			}
			res.Traces[j.DataID()] = rt
		}
		if r != nil {
			res.Runs = append(res.Runs, r)
			if r.Recording != nil && res.Host.NumCPU == 0 {
				res.Host = r.Recording.Host
			}
		}
		if err != nil {
			events <- p
			if errors.Is(err, ErrInvalidSpec) || errors.Is(err, ErrUnknownWorkload) {
				return res, err // already says which spec, with our prefix
			}
			return res, fmt.Errorf("experiment: run %s: %w", j.DataID(), err)
		}
		est.learn(j, r)
		p.Left = est.left(jobs[i+1:])
		events <- p
	}
	return res, nil
}
