package experiment

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
	// ReportDir, if set, is the report folder the caller will give
	// Results.WriteReport: each traced run's zoom picture and page are
	// written there as soon as the run ends, before the next run starts,
	// and its trace is then let go (RunTrace.Trace and the Result's Trace
	// are nil, RunTrace.Drawn names the files), so that the experiment
	// holds one trace at a time: a Python 2 GIL run's has millions of
	// events, hundreds of MB. "" keeps every trace in the Results until
	// the caller lets go of them, for a caller that reads them; the
	// report is the same either way. Run creates the folder when it
	// first draws a trace; when the experiment fails it removes what it
	// drew (and the folder, if it made it), so that a stopped experiment
	// leaves no partial report, and each RunTrace concerned says so.
	ReportDir string
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
func (e *Experiment) Run(ctx context.Context) (_ *Results, err error) {
	w := e.Watcher
	res := &Results{Interval: w.WithDefaults().Interval, Runs: []*corescope.Result{}}
	var draw func(*Results, *corescope.Result, *RunTrace) (*RunTrace, bool)
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

	if e.ReportDir != "" {
		d := &drawer{dir: e.ReportDir}
		defer func() {
			if err != nil {
				d.undo()
			}
		}()
		draw = d.draw
	}
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
		if rt != nil && rt.Trace != nil && draw != nil {
			if drawn, ok := draw(res, r, rt); ok {
				res.Traces[j.DataID()] = drawn
				r.Trace = nil
			}
		}
	}
	return res, nil
}

// drawer draws an Experiment's traces into its ReportDir as their runs
// end, and takes them back if the experiment fails: an experiment that
// stops leaves no partial report.
type drawer struct {
	dir string
	// made says the drawer created dir; drawn are the RunTraces whose
	// files it wrote.
	made  bool
	drawn []*RunTrace
}

// draw writes the files of run's trace rt and returns the RunTrace that
// replaces rt in res. It returns false, keeping rt and its trace for
// WriteReport, when the folder cannot be made.
func (d *drawer) draw(res *Results, run *corescope.Result, rt *RunTrace) (*RunTrace, bool) {
	if !d.made {
		if _, err := os.Stat(d.dir); errors.Is(err, fs.ErrNotExist) {
			if os.MkdirAll(d.dir, 0o755) != nil {
				return rt, false
			}
			d.made = true
		}
	}
	// The names depend on the runs before this one only, so they are
	// those WriteReport will use.
	picture, page := res.TraceNames(run)
	drawn := drawTrace(d.dir, run, rt, picture, page)
	if drawn.Drawn != nil {
		d.drawn = append(d.drawn, drawn)
	}
	return drawn, true
}

// undo removes the files draw wrote, and the folder if draw made it and
// it is empty, and says so in each RunTrace concerned.
func (d *drawer) undo() {
	for _, rt := range d.drawn {
		os.Remove(filepath.Join(d.dir, rt.Drawn.Picture))
		os.Remove(filepath.Join(d.dir, rt.Drawn.Page))
		rt.Drawn = nil
		rt.NotTraced = "the experiment stopped before its report was written, and the trace, drawn when its run ended, was removed with the report's other files"
	}
	if d.made {
		os.Remove(d.dir)
	}
}
