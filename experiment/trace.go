package experiment

import (
	"context"
	"errors"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/schedtrace"
)

// Tracer records the kernel's scheduler events while run executes.
// *schedtrace.Tracer is one: the experiment then traces through
// corescope.RunTraced (Job.Trace), which adds a GIL model's own events to
// the trace. Other tracers, such as tests' fakes, wrap the run; their
// Record must not call run when tracing cannot start, and then return the
// reason.
type Tracer interface {
	Record(ctx context.Context, run func(context.Context) error) (*schedtrace.Trace, error)
}

// RunTrace is one run's scheduler trace, or why it has none.
type RunTrace struct {
	// Trace is what the tracer saw; nil when the run could not be traced.
	// It is left out of the Results' JSON, whose recordings are already
	// large; the report folder keeps each trace as a page.
	Trace *schedtrace.Trace `json:"-"`
	// NotTraced says why there is no trace, such as the tracer's error
	// naming a missing privilege; "" when there is one.
	NotTraced string `json:"not_traced,omitempty"`
}

// DefaultTraced reports whether an Experiment with a Tracer and no Traced
// function traces the run j: every GIL run, whose hand-offs are the
// mechanism the pictures explain, and the processes and locked-threads
// runs with 2 workers, which show what running side by side looks like.
func DefaultTraced(j Job) bool {
	switch j.Workload {
	case Threading, ThreadingPy2:
		return true
	case Multiprocessing, Threads:
		return j.Workers == 2
	}
	return false
}

// runJob runs j under w, traced when the experiment traces it. The
// returned RunTrace is nil for a run the experiment does not trace.
func (e *Experiment) runJob(ctx context.Context, j Job, w *cpuwatch.Watcher) (*corescope.Result, *RunTrace, error) {
	traced := e.Traced
	if traced == nil {
		traced = DefaultTraced
	}
	if st, ok := e.Tracer.(*schedtrace.Tracer); ok && st != nil && traced(j) && j.Trace == nil {
		// schedtrace's own recorder goes through the job, as
		// corescope.RunTraced, which adds a GIL model's own events.
		j.Trace = st
	}
	if j.Trace != nil {
		r, err := j.Run(ctx, w)
		if r == nil {
			return r, nil, err
		}
		rt := &RunTrace{Trace: r.Trace, NotTraced: r.TraceError}
		if rt.Trace != nil {
			rt.NotTraced = ""
		} else if rt.NotTraced == "" {
			rt.NotTraced = "the tracer returned no trace"
		}
		return r, rt, err
	}
	if e.Tracer == nil || !traced(j) {
		r, err := j.Run(ctx, w)
		return r, nil, err
	}
	var (
		r      *corescope.Result
		runErr error
		called bool
	)
	tr, err := e.Tracer.Record(ctx, func(ctx context.Context) error {
		called = true
		r, runErr = j.Run(ctx, w)
		return runErr
	})
	if !called {
		// Tracing could not start: the run goes ahead untraced, and the
		// report says why.
		rt := &RunTrace{NotTraced: notTraced(err)}
		r, runErr = j.Run(ctx, w)
		return r, rt, runErr
	}
	rt := &RunTrace{Trace: tr}
	if tr == nil {
		rt.NotTraced = notTraced(err)
	}
	if err != nil && !errors.Is(err, runErr) && runErr == nil {
		// The run went well but the tracer failed at the end.
		rt.NotTraced = notTraced(err)
		rt.Trace = nil
	}
	return r, rt, runErr
}

func notTraced(err error) string {
	if err == nil {
		return "the tracer returned no trace"
	}
	return err.Error()
}
