package experiment

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

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
	// Trace is what the tracer saw; nil when the run could not be traced,
	// or when it was drawn as the run ended (Drawn). It is left out of the
	// Results' JSON, whose recordings are already large; the report
	// folder keeps each trace as a page.
	Trace *schedtrace.Trace `json:"-"`
	// Drawn is set, and Trace nil, when an Experiment with a ReportDir
	// wrote the trace's zoom picture and page as the run ended and let
	// the trace go: it names the files, which WriteReport links to
	// instead of drawing the trace again.
	Drawn *DrawnTrace `json:"-"`
	// NotTraced says why there is no trace, such as the tracer's error
	// naming a missing privilege; "" when there is one.
	NotTraced string `json:"not_traced,omitempty"`
	// Switches counts the context switches of the workload's own threads
	// in the trace — the sum of their schedtrace Thread.Switches — and
	// Threads how many threads that is, and Seconds the trace's length
	// (which may exceed the run's wall: it also covers the model's set-up
	// and tear-down).
	// The workload's threads are those named as workload names its
	// workers ("gil-py2/0", …), those that recorded GIL events, and,
	// when the trace followed this process and its children rather than
	// the whole machine, every thread of another process: a real
	// interpreter and a Processes model are child processes. All three
	// are 0 when the trace has none, lost kernel events or left more
	// than schedtrace.MaxUnreportedShare of its switches unreported: the
	// count would be short. Unlike the Trace they are kept in the JSON.
	Switches int     `json:"switches,omitempty"`
	Threads  int     `json:"threads,omitempty"`
	Seconds  float64 `json:"seconds,omitempty"`
	// Uncounted says why a trace's switches were not counted, such as
	// "the trace lost 1200 kernel events"; "" when they were, or when
	// there is no trace.
	Uncounted string `json:"uncounted,omitempty"`
}

// workerPrefixes begin the names workload's locked workers and child
// processes give their threads while they work.
var workerPrefixes = []string{"serial/", "thread/", "gil-py2/", "gil-py3/", "proc/"}

// countSwitches sets rt's Switches, Threads and Seconds from its trace.
// self is the experiment's own process id; children says whether a thread
// of another process in the trace is one of the workload's.
func (rt *RunTrace) countSwitches(self int, children bool) {
	rt.Switches, rt.Threads, rt.Seconds, rt.Uncounted = 0, 0, 0, ""
	tr := rt.Trace
	switch {
	case tr == nil:
		return
	case tr.Duration <= 0:
		rt.Uncounted = "the trace is empty"
		return
	case tr.Lost.Kernel > 0:
		rt.Uncounted = fmt.Sprintf("the trace lost %d kernel events", tr.Lost.Kernel)
		return
	case tr.UnreportedShare() > schedtrace.MaxUnreportedShare:
		rt.Uncounted = fmt.Sprintf("the kernel left %.1f %% of the trace's switches unreported", 100*tr.UnreportedShare())
		return
	}
	gil := map[int]bool{}
	for _, e := range tr.GIL {
		gil[int(e.TID)] = true
	}
	for _, th := range tr.Threads {
		worker := gil[th.TID] || (children && th.PID != self)
		for _, p := range workerPrefixes {
			worker = worker || strings.HasPrefix(th.Name, p)
		}
		if worker {
			rt.Switches += th.Switches
			rt.Threads++
		}
	}
	if rt.Threads > 0 {
		rt.Seconds = tr.Duration.Seconds()
	} else {
		rt.Uncounted = "the trace holds none of the workload's threads"
	}
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
			rt.countSwitches(os.Getpid(), !j.Trace.All)
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
	// Who this tracer followed is its own affair: only the threads
	// named as workers count.
	rt.countSwitches(os.Getpid(), false)
	if err != nil && !errors.Is(err, runErr) && runErr == nil {
		// The run went well but the tracer failed at the end.
		rt.NotTraced = notTraced(err)
		rt.Trace = nil
		rt.countSwitches(0, false)
	}
	return r, rt, runErr
}

func notTraced(err error) string {
	if err == nil {
		return "the tracer returned no trace"
	}
	return err.Error()
}
