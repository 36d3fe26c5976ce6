package corescope

import (
	"context"
	"errors"
	"time"
	"unsafe"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/schedtrace"
	"github.com/corescope/corescope/workload"
)

// DefaultGILEvents is the most GIL events RunTraced keeps of a
// workload.GIL run whose Events is zero: 2^24, about 8 s of the Python 2
// GIL's storm (2 million events a second, whatever the number of
// threads). Its memory is bounded with it: the threads' buffers grow to
// at most 128 MiB (workload.GILEventBytes an event) while the run lasts,
// and the Trace keeps 16 bytes an event (schedtrace.GILEvent), 256 MiB at
// the cap. The default experiment's threading-py2:4 reaches it when the
// machine is slow enough that its run lasts over 8 s; its pictures then
// say how many events were lost.
const DefaultGILEvents = 1 << 24

// RunTraced is Run with a scheduler trace of the model's run: t records
// from just before the model starts until it returns, and the Result's
// Trace holds what it saw, with a GIL model's own events (want, take,
// drop, failed wake-ups, drop requests, forced switches) in Trace.GIL,
// moved there from Result.Report.GILEvents, which is left nil: the trace
// reuses their memory, so that they are not held twice. A workload.GIL whose Events is zero keeps up
// to DefaultGILEvents; the rest are counted in Trace.Lost.GIL, and the
// pictures and summaries made from the trace say so.
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
	var tr *schedtrace.Trace
	var traceErr error
	res, err := run(ctx, w, m, func(ctx context.Context, m workload.Model) (workload.Report, error) {
		rec, err := tc.Start()
		if err != nil {
			traceErr = err
			return m.Run(ctx)
		}
		rep, err := withGILEvents(m).Run(ctx)
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
			res.Report.GILEvents = nil
		}
	}
	return res, err
}

// withGILEvents returns m, a workload.GIL with Events zero made to
// record up to DefaultGILEvents.
func withGILEvents(m workload.Model) workload.Model {
	switch g := m.(type) {
	case workload.GIL:
		if g.Events == 0 {
			g.Events = DefaultGILEvents
		}
		return g
	case *workload.GIL:
		if g != nil && g.Events == 0 {
			c := *g
			c.Events = DefaultGILEvents
			return c
		}
	}
	return m
}

// addGIL converts a GIL run's own events into the trace's, on its clock.
// It reuses rep.GILEvents' array for the trace's events when the two
// kinds of event are laid out alike (they are: 16 bytes each, a time, a
// 32-bit tid and an 8-bit kind), so that a GIL storm's millions of
// events are not held twice: the caller must let go of rep.GILEvents.
func addGIL(tr *schedtrace.Trace, rep workload.Report) {
	tr.Lost.GIL += uint64(rep.GILEventsLost)
	if len(rep.GILEvents) == 0 {
		return
	}
	var out []schedtrace.GILEvent
	if sameGILLayout {
		// Event i is read before event j <= i is written, and neither
		// holds a pointer, so the array may change type under the loop.
		out = unsafe.Slice((*schedtrace.GILEvent)(unsafe.Pointer(unsafe.SliceData(rep.GILEvents))), len(rep.GILEvents))[:0]
	} else {
		out = make([]schedtrace.GILEvent, 0, len(rep.GILEvents))
	}
	for _, e := range rep.GILEvents {
		at := time.Duration(e.Mono) - tr.Monotonic
		k := gilKinds[e.Kind]
		if at < 0 || at > tr.Duration || k == 0 {
			// Recorded outside the trace's span, it cannot be drawn
			// against it; of a kind schedtrace has no name for, it
			// cannot be read: either way it counts as lost.
			tr.Lost.GIL++
			continue
		}
		out = append(out, schedtrace.GILEvent{Time: at, TID: e.TID, Kind: k})
	}
	tr.GIL = out
}

// sameGILLayout says whether workload's and schedtrace's GIL events have
// the same size and fields at the same offsets, so that addGIL may
// convert one's array into the other's in place.
const sameGILLayout = unsafe.Sizeof(workload.GILEvent{}) == unsafe.Sizeof(schedtrace.GILEvent{}) &&
	unsafe.Offsetof(workload.GILEvent{}.Mono) == unsafe.Offsetof(schedtrace.GILEvent{}.Time) &&
	unsafe.Sizeof(workload.GILEvent{}.Mono) == unsafe.Sizeof(schedtrace.GILEvent{}.Time) &&
	unsafe.Offsetof(workload.GILEvent{}.TID) == unsafe.Offsetof(schedtrace.GILEvent{}.TID) &&
	unsafe.Sizeof(workload.GILEvent{}.TID) == unsafe.Sizeof(schedtrace.GILEvent{}.TID) &&
	unsafe.Offsetof(workload.GILEvent{}.Kind) == unsafe.Offsetof(schedtrace.GILEvent{}.Kind) &&
	unsafe.Sizeof(workload.GILEvent{}.Kind) == unsafe.Sizeof(schedtrace.GILEvent{}.Kind)

// gilKinds maps each workload.GILEventKind to the schedtrace kind of the
// same name, or to 0 where schedtrace has none. It is filled once and
// only read.
var gilKinds = func() (m [256]schedtrace.GILEventKind) {
	for k := range m {
		var sk schedtrace.GILEventKind
		if name := workload.GILEventKind(k).String(); name != "" && sk.UnmarshalText([]byte(name)) == nil {
			m[k] = sk
		}
	}
	return m
}()

// errNilModel is Run's and RunTraced's error for a nil model.
var errNilModel = errors.New("corescope: nil model")
