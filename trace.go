package corescope

import (
	"context"
	"errors"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/schedtrace"
	"github.com/corescope/corescope/workload"
)

// defaultGILEvents is how many GIL events each emulated GIL thread keeps
// when RunTraced traces a workload.GIL whose Events is zero.
const defaultGILEvents = 1 << 20

// RunTraced is Run with a scheduler trace of the model's run: t records
// from just before the model starts until it returns, and the Result's
// Trace holds what it saw, with a GIL model's own events (want, take,
// drop, failed wake-ups, drop requests, forced switches) in Trace.GIL. A
// workload.GIL whose Events is zero keeps 2^20 events a thread (16 MiB,
// about two seconds of the Python 2 GIL's hand-offs); the rest are counted
// in Trace.Lost.GIL.
//
// A nil t is Run. A Tracer that follows nothing is made to follow this
// process and its children, where every model runs. When tracing cannot
// start (no privilege, no tracefs, not Linux) the run goes ahead untraced
// and Result.TraceError says why; RunTraced's error is the run's, as Run's.
func RunTraced(ctx context.Context, w *cpuwatch.Watcher, t *schedtrace.Tracer, m workload.Model) (*Result, error) {
	if t == nil {
		return Run(ctx, w, m)
	}
	tc := *t
	if !tc.All && !tc.FollowSelf && len(tc.FollowPIDs) == 0 {
		tc.FollowSelf, tc.FollowChildren = true, true
	}
	switch g := m.(type) {
	case workload.GIL:
		if g.Events == 0 {
			g.Events = defaultGILEvents
		}
		m = g
	case *workload.GIL:
		if g != nil && g.Events == 0 {
			c := *g
			c.Events = defaultGILEvents
			m = c
		}
	}
	var tr *schedtrace.Trace
	var traceErr error
	res, err := run(ctx, w, m, func(ctx context.Context, m workload.Model) (workload.Report, error) {
		rec, err := tc.Start()
		if err != nil {
			traceErr = err
			return m.Run(ctx)
		}
		rep, err := m.Run(ctx)
		tr, traceErr = rec.Stop()
		return rep, err
	})
	if res != nil {
		if traceErr != nil {
			res.TraceError = traceErr.Error()
		}
		if tr != nil {
			addGIL(tr, res.Report)
			res.Trace = tr
		}
	}
	return res, err
}

// addGIL converts a GIL run's own events into the trace's, on its clock.
func addGIL(tr *schedtrace.Trace, rep workload.Report) {
	tr.Lost.GIL += uint64(rep.GILEventsLost)
	if len(rep.GILEvents) == 0 {
		return
	}
	tr.GIL = make([]schedtrace.GILEvent, 0, len(rep.GILEvents))
	for _, e := range rep.GILEvents {
		at := time.Duration(e.Mono) - tr.Monotonic
		if at < 0 || at > tr.Duration {
			// Recorded outside the trace's span: it cannot be drawn
			// against it, so it counts as lost.
			tr.Lost.GIL++
			continue
		}
		tr.GIL = append(tr.GIL, schedtrace.GILEvent{Time: at, TID: int(e.TID), Kind: schedtrace.GILEventKind(e.Kind.String())})
	}
}

// errNilModel is Run's and RunTraced's error for a nil model.
var errNilModel = errors.New("corescope: nil model")
