package coretest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/schedtrace"
	"github.com/corescope/corescope/workload"
)

// Defaults used by a Recorder whose fields are zero.
const (
	// DefaultInterval is the watcher's interval: short enough that a run
	// of a few hundred milliseconds spans several samples, long enough
	// that /proc/stat's 10 ms ticks move a core's figure in steps of 10 %
	// at worst.
	DefaultInterval = 100 * time.Millisecond
	// DefaultMaxOtherShare is the share of the machine's CPUs that other
	// processes may keep busy during the run (the watcher's
	// EffectiveCores minus the run's own CoresUsed, over the CPUs it saw)
	// before an "at least" assertion skips. At a quarter, a 2-CPU machine
	// tolerates half a core of other work, which leaves the run 1.5 CPUs;
	// more than that and a 2-parallel run can lose the scheduler's favour
	// for long stretches, which says nothing about the code under test.
	DefaultMaxOtherShare = 0.25
)

// Recorder configures [Recorder.Record]. The zero Recorder is ready to
// use and is what [Record] uses: a 100 ms watch, a scheduler trace where
// the machine allows, and DefaultMaxOtherShare.
type Recorder struct {
	// Interval is the cpuwatch interval; zero means DefaultInterval.
	Interval time.Duration
	// MaxOtherShare is the share of the CPUs, 0 to 1, that other work
	// may take during the run before AtLeastCores and AtLeastParallel
	// skip; zero means DefaultMaxOtherShare, and 1 never skips for load.
	MaxOtherShare float64
	// NoTrace, if set, does not try to trace the scheduler: parallelism
	// assertions then skip.
	NoTrace bool
}

// Record runs fn under the zero [Recorder] and returns what it saw.
func Record(t testing.TB, fn func(context.Context)) *Recording {
	t.Helper()
	var r Recorder
	return r.Record(t, fn)
}

// RecordModel runs m under the zero [Recorder] and returns what it saw.
func RecordModel(t testing.TB, m workload.Model) *Recording {
	t.Helper()
	var r Recorder
	return r.RecordModel(t, m)
}

// Record runs fn on the calling goroutine under a watch and, unless
// NoTrace is set or the machine does not allow it, a scheduler trace of
// this process's threads and of the child processes fn starts.
//
// fn's context is the test's (t.Context), cancelled as well when the
// test's deadline nears (see -timeout): a tenth of the time left when
// Record is called, but at least a second, before it; a run cut short so
// fails the test. The run's CPU time is the process's own and its
// waited-for children's (getrusage RUSAGE_SELF and RUSAGE_CHILDREN), so it
// includes the watcher's and the tracer's few goroutines. A watch that
// fails is fatal to the test; a trace that cannot start is not (see
// [Recording.TraceError]).
func (r *Recorder) Record(t testing.TB, fn func(context.Context)) *Recording {
	t.Helper()
	if fn == nil {
		t.Fatalf("coretest: Record with a nil function")
	}
	return r.record(t, &funcModel{fn: fn})
}

// RecordModel runs m as Record runs a function. The run's CPU time is
// the model's own report of it: its worker threads' or child processes'
// CPU clocks, without the watcher. A model's error is fatal to the test.
func (r *Recorder) RecordModel(t testing.TB, m workload.Model) *Recording {
	t.Helper()
	if m == nil {
		t.Fatalf("coretest: RecordModel with a nil model")
	}
	return r.record(t, &timedModel{Model: m})
}

// errDeadline is the cause of the cancellation Record makes as the test's
// deadline nears.
var errDeadline = errors.New("coretest: the test's deadline is near")

func (r *Recorder) record(t testing.TB, m timed) *Recording {
	t.Helper()
	ctx := t.Context()
	var grace time.Duration
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if deadline, ok := d.Deadline(); ok {
			grace = max(time.Until(deadline)/10, time.Second)
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadlineCause(ctx, deadline.Add(-grace), errDeadline)
			defer cancel()
		}
	}
	w := &cpuwatch.Watcher{Interval: r.Interval, Lead: 1, Trail: 1}
	if w.Interval == 0 {
		w.Interval = DefaultInterval
	}
	res, tr, traceErr, err := run(ctx, w, !r.NoTrace, m)
	if errors.Is(context.Cause(ctx), errDeadline) {
		t.Fatalf("coretest: %s was cancelled %v before the test's deadline, after %v; give the test a longer -timeout or less work", m, grace, m.wall().Round(time.Millisecond))
	}
	if err != nil {
		t.Fatalf("coretest: %s: %v", m, err)
	}
	rec := &Recording{
		t:             t,
		name:          m.String(),
		res:           res,
		trace:         tr,
		traceErr:      traceErr,
		maxOtherShare: r.MaxOtherShare,
	}
	if rec.maxOtherShare == 0 {
		rec.maxOtherShare = DefaultMaxOtherShare
	}
	rec.usable, rec.limits = usable(res.Recording)
	if tr != nil {
		from, to := m.span()
		rec.from, rec.to = from.Sub(tr.Start), to.Sub(tr.Start)
	}
	return rec
}

// run is the seam between coretest and the scheduler recorder: it runs m
// under w and, if trace is set, a trace of this process and its children.
func run(ctx context.Context, w *cpuwatch.Watcher, trace bool, m workload.Model) (res *corescope.Result, tr *schedtrace.Trace, traceErr, err error) {
	var t *schedtrace.Tracer
	if trace {
		t = &schedtrace.Tracer{FollowSelf: true, FollowChildren: true}
	}
	res, err = corescope.RunTraced(ctx, w, t, m)
	if res == nil {
		return nil, nil, nil, err
	}
	if res.TraceError != "" {
		traceErr = errors.New(res.TraceError)
	}
	return res, res.Trace, traceErr, err
}

// usable returns how many CPUs the recorded process could use and a
// phrase naming what limited them.
func usable(rec *cpuwatch.Recording) (float64, string) {
	if rec != nil && rec.Host.Limits != nil && rec.Host.Limits.UsableCPUs > 0 {
		return rec.Host.Limits.UsableCPUs, rec.Host.Limits.String()
	}
	n := corescope.UsableCPUs()
	return float64(n), fmt.Sprintf("%d usable CPUs", n)
}

// timed is a model that notes when its run started and ended.
type timed interface {
	workload.Model
	span() (from, to time.Time)
	wall() time.Duration
}

// timedModel wraps a workload model to note its run's span.
type timedModel struct {
	workload.Model
	from, to time.Time
}

func (m *timedModel) Run(ctx context.Context) (workload.Report, error) {
	m.from = time.Now()
	rep, err := m.Model.Run(ctx)
	m.to = time.Now()
	return rep, err
}

func (m *timedModel) span() (time.Time, time.Time) { return m.from, m.to }
func (m *timedModel) wall() time.Duration          { return m.to.Sub(m.from) }

// funcModel runs a test's function, with the process's and its children's
// CPU time over the call as its report.
type funcModel struct {
	fn       func(context.Context)
	from, to time.Time
}

func (*funcModel) String() string { return "the recorded function" }

func (m *funcModel) Run(ctx context.Context) (workload.Report, error) {
	rep := workload.Report{Model: m.String()}
	c0, err := processCPU()
	if err != nil {
		return rep, err
	}
	m.from = time.Now()
	m.fn(ctx)
	m.to = time.Now()
	rep.Wall = m.to.Sub(m.from)
	c1, err := processCPU()
	if err != nil {
		return rep, err
	}
	rep.User, rep.System = c1.user-c0.user, c1.system-c0.system
	return rep, nil
}

func (m *funcModel) span() (time.Time, time.Time) { return m.from, m.to }
func (m *funcModel) wall() time.Duration          { return m.to.Sub(m.from) }

// cpuTimes is a process's user and system CPU time.
type cpuTimes struct{ user, system time.Duration }
