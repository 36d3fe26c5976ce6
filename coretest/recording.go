package coretest

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/schedtrace"
)

// Recording is one recorded run inside a test: what the watcher and the
// scheduler trace saw, and assertions on them that report what they saw
// when they fail. Its methods call t.Helper and must be called from the
// test's goroutine, as t's own methods.
type Recording struct {
	t        testing.TB
	name     string
	res      *corescope.Result
	trace    *schedtrace.Trace
	traceErr error
	// from and to bound the run in the trace, as offsets from its Start.
	from, to time.Duration
	// usable is how many CPUs the process could use, limits the phrase
	// that says why.
	usable        float64
	limits        string
	maxOtherShare float64
}

// Result returns the run as corescope sees it: wall, user and system
// time, CoresUsed, EffectiveCores and the watcher's recording.
func (r *Recording) Result() *corescope.Result { return r.res }

// Watch returns what the watcher recorded, lead and trail included.
func (r *Recording) Watch() *cpuwatch.Recording { return r.res.Recording }

// Trace returns the scheduler trace of the run, or nil when there is none
// (see TraceError). It covers this process's threads and its children's,
// from just before the run to just after it; [Recording.RunWindow] bounds
// the run itself.
func (r *Recording) Trace() *schedtrace.Trace { return r.trace }

// TraceError says why there is no trace: nil when there is one or when
// the Recorder's NoTrace asked for none, else the recorder's error, which
// names what is missing (root or CAP_PERFMON, a mounted tracefs) and how
// to get it.
func (r *Recording) TraceError() error { return r.traceErr }

// RunWindow returns when the recorded run started and ended, as offsets
// into Trace; zero when there is no trace.
func (r *Recording) RunWindow() (from, to time.Duration) { return r.from, r.to }

// Concurrency returns how many of the process's threads (its children's
// included) were on a CPU at once during the run, and false when there is
// no trace.
func (r *Recording) Concurrency() (schedtrace.Concurrency, bool) {
	if r.trace == nil {
		return schedtrace.Concurrency{}, false
	}
	return r.trace.Concurrency(r.from, r.to, nil), true
}

// CoresUsed returns the run's CPU time over its wall time.
func (r *Recording) CoresUsed() float64 { return r.res.CoresUsed }

// OtherCores returns how many cores' worth of work other processes did
// during the run: the watcher's EffectiveCores minus CoresUsed, at least 0
// (tick rounding can make the difference slightly negative).
func (r *Recording) OtherCores() float64 { return max(r.res.EffectiveCores-r.res.CoresUsed, 0) }

// AtLeastCores fails the test unless the run kept at least x cores busy
// on average (CPU ÷ wall). It skips when the process may use fewer than
// ⌈x⌉ CPUs, when other work took more than the Recorder's MaxOtherShare
// of the CPUs during the run, or when the shortfall is small enough to be
// other work's: processes keeping o cores busy took at most o from it.
func (r *Recording) AtLeastCores(x float64) {
	r.t.Helper()
	what := fmt.Sprintf("AtLeastCores(%.2f)", x)
	r.needCPUs(what, math.Ceil(x))
	r.needQuiet(what)
	got := r.CoresUsed()
	if got >= x {
		return
	}
	if o := r.OtherCores(); got+o >= x {
		r.t.Skipf("coretest: cannot judge %s: %s kept %.2f cores busy, but other processes kept %.2f busy, enough to take the rest (%s)", what, r.name, got, o, r.times())
	}
	r.t.Errorf("coretest: %s kept %.2f cores busy, want at least %.2f (%s)", r.name, got, x, r.times())
}

// AtMostCores fails the test unless the run kept at most x cores busy on
// average. Other work on the machine only lowers the figure, so it never
// skips for load.
func (r *Recording) AtMostCores(x float64) {
	r.t.Helper()
	if got := r.CoresUsed(); got > x {
		r.t.Errorf("coretest: %s kept %.2f cores busy, want at most %.2f (%s)", r.name, got, x, r.times())
	}
}

// AtLeastParallel fails the test unless k or more of the process's
// threads (its children's included) were on a CPU at the same instant for
// at least share (0 to 1) of the run's wall time. It skips when the
// process may use fewer than k CPUs, when there is no trace (saying why),
// when other work took more than MaxOtherShare of the CPUs, or when the
// shortfall is small enough to be other work's: processes keeping o of
// the n CPUs busy on average leave fewer than k free for at most
// o/(n−k+1) of the run.
func (r *Recording) AtLeastParallel(k int, share float64) {
	r.t.Helper()
	what := fmt.Sprintf("AtLeastParallel(%d, %.2f)", k, share)
	r.checkArgs(what, 1, k, share)
	r.needCPUs(what, float64(k))
	c := r.needTrace(what)
	r.needQuiet(what)
	got := c.ShareAtLeast(k)
	if got >= share {
		return
	}
	// Other processes that kept o cores busy on average left fewer than k
	// of the n CPUs free for at most o/(n−k+1) of the run (Markov's
	// inequality): a shortfall that small may be theirs, not the code's.
	if n, o := r.cpusSeen(), r.OtherCores(); n >= k && got+o/float64(n-k+1) >= share {
		r.t.Skipf("coretest: cannot judge %s: %s had %d or more threads on CPU at once for %.1f %% of its run, but other processes kept %.2f of the %d CPUs busy, which can take up to %.1f %% of it (%s)",
			what, r.name, k, 100*got, o, n, 100*min(1, o/float64(n-k+1)), c)
	}
	r.t.Errorf("coretest: %s had %d or more threads on CPU at once for %.1f %% of its run, want at least %.1f %% (%s%s)", r.name, k, 100*got, 100*share, c, r.lost())
}

// AtMostParallel is for code that must be serialised: it fails the test
// unless at most k of the process's threads were on a CPU at once for at
// least share of the run's wall time — that is, more than k ran together
// for at most 1 − share of it. AtMostParallel(1, 0.95) allows 5 % of the
// run with two threads on CPU: a waiter that wakes to look at a lock runs
// briefly beside the holder, and so do the Go runtime's and the watcher's
// own threads. Idle time counts as "at most k"; AtMostParallel(0, s)
// asserts the run was idle for at least s of it. Other work only lowers
// the figure, so it skips only when there is no trace.
func (r *Recording) AtMostParallel(k int, share float64) {
	r.t.Helper()
	what := fmt.Sprintf("AtMostParallel(%d, %.2f)", k, share)
	r.checkArgs(what, 0, k, share)
	c := r.needTrace(what)
	if got := c.ShareAtMost(k); got < share {
		r.t.Errorf("coretest: %s had at most %d threads on CPU at once for %.1f %% of its run, want at least %.1f %% (%s%s)", r.name, k, 100*got, 100*share, c, r.lost())
	}
}

// checkArgs fails the test unless k ≥ least and share is in [0, 1].
func (r *Recording) checkArgs(what string, least, k int, share float64) {
	r.t.Helper()
	if k < least || !(share >= 0 && share <= 1) {
		r.t.Fatalf("coretest: %s: want k ≥ %d threads and a share from 0 to 1", what, least)
	}
}

// needCPUs skips unless the process may use n CPUs.
func (r *Recording) needCPUs(what string, n float64) {
	r.t.Helper()
	if r.usable < n {
		r.t.Skipf("coretest: cannot judge %s: it needs %v CPUs, the process may use %v (%s)", what, n, r.usable, r.limits)
	}
}

// needTrace skips unless there is a trace, and returns its concurrency
// over the run.
func (r *Recording) needTrace(what string) schedtrace.Concurrency {
	r.t.Helper()
	c, ok := r.Concurrency()
	if !ok {
		why := "the Recorder's NoTrace is set"
		if r.traceErr != nil {
			why = r.traceErr.Error()
		}
		r.t.Skipf("coretest: cannot judge %s without a scheduler trace: %s", what, why)
	}
	if u := r.trace.UnreportedShare(); u > schedtrace.MaxUnreportedShare {
		r.t.Skipf("coretest: cannot judge %s: the kernel left %d switches unreported beside the trace's %d slices (%.1f %%, over %.0f %%), and each can stretch a slice (%s)",
			what, r.trace.Lost.Unmatched, len(r.trace.Slices), 100*u, 100*schedtrace.MaxUnreportedShare, c)
	}
	return c
}

// needQuiet skips when other work took more than maxOtherShare of the
// CPUs the watcher saw.
func (r *Recording) needQuiet(what string) {
	r.t.Helper()
	cpus := r.cpusSeen()
	other := r.OtherCores()
	if other > r.maxOtherShare*float64(cpus) {
		r.t.Skipf("coretest: cannot judge %s: other processes kept %.2f of the %d CPUs busy during the run, more than %.0f %% (EffectiveCores %.2f − CoresUsed %.2f)",
			what, other, cpus, 100*r.maxOtherShare, r.res.EffectiveCores, r.res.CoresUsed)
	}
}

// cpusSeen returns how many CPUs the watcher's samples covered.
func (r *Recording) cpusSeen() int {
	rec := r.res.Recording
	if rec == nil {
		return max(int(r.usable), 1)
	}
	if n := len(rec.Summary().Cores); n > 0 {
		return n
	}
	return max(rec.Host.NumCPU, 1)
}

// times formats the run's wall, user and system time for a message.
func (r *Recording) times() string {
	return fmt.Sprintf("wall %s, user %s, system %s", seconds(r.res.WallSeconds), seconds(r.res.UserSeconds), seconds(r.res.SystemSeconds))
}

// lost says what the trace lost, after a "; ", or "" when nothing.
func (r *Recording) lost() string {
	if !r.trace.Lost.Any() {
		return ""
	}
	return "; the trace " + r.trace.Lost.String()
}

// seconds formats s seconds as whole milliseconds, "612 ms".
func seconds(s float64) string { return fmt.Sprintf("%.0f ms", 1000*s) }
