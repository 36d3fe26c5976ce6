package coretest

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/schedtrace"
)

// fakeTB records what an assertion reported. Skipf and Fatalf end the
// calling goroutine, as testing.T's do.
type fakeTB struct {
	testing.TB
	mu                   sync.Mutex
	errors, skips, fatal []string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func (f *fakeTB) Skipf(format string, args ...any) {
	f.mu.Lock()
	f.skips = append(f.skips, fmt.Sprintf(format, args...))
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.fatal = append(f.fatal, fmt.Sprintf(format, args...))
	f.mu.Unlock()
	runtime.Goexit()
}

// outcome runs assert against a Recording on fake and says what it
// reported: "pass", "error: …", "skip: …" or "fatal: …".
func outcome(fake *fakeTB, assert func()) string {
	done := make(chan struct{})
	go func() {
		defer close(done)
		assert()
	}()
	<-done
	switch {
	case len(fake.fatal) > 0:
		return "fatal: " + fake.fatal[0]
	case len(fake.skips) > 0:
		return "skip: " + fake.skips[0]
	case len(fake.errors) > 0:
		return "error: " + fake.errors[0]
	}
	return "pass"
}

// machine describes the synthetic run a case asserts on.
type machine struct {
	usable    float64 // usable CPUs
	cpus      int     // CPUs the watcher saw
	effective float64 // EffectiveCores
	cores     float64 // CoresUsed
	// parallel lists, for a 1 s trace, how many ms each of threads
	// 1, 2, 3 ran from 0; nil means no trace.
	parallel []int
}

// recording builds a Recording of a 1 s run from m, with a watch of one
// sample and a trace of one process whose thread i ran [0, parallel[i]).
func (m machine) recording(t testing.TB) *Recording {
	start := time.Unix(1000, 0)
	s := cpuwatch.Sample{Time: start.Add(time.Second), Elapsed: time.Second}
	for id := range m.cpus {
		s.Cores = append(s.Cores, cpuwatch.CoreUsage{ID: id})
	}
	rec := &cpuwatch.Recording{Interval: time.Second, Start: start, RunStart: start, RunEnd: start.Add(time.Second)}
	rec.Append(s)
	r := &Recording{
		t:    t,
		name: "the recorded function",
		res: &corescope.Result{
			WallSeconds: 1, UserSeconds: m.cores * 0.99, SystemSeconds: m.cores * 0.01,
			CoresUsed: m.cores, EffectiveCores: m.effective, Recording: rec,
		},
		usable:        m.usable,
		limits:        fmt.Sprintf("%v usable CPUs (affinity 0-%d)", m.usable, m.cpus-1),
		maxOtherShare: DefaultMaxOtherShare,
		traceErr:      errors.New("schedtrace: cannot trace the scheduler: missing tracefs; mount it"),
	}
	if m.parallel != nil {
		tr := &schedtrace.Trace{Start: start, Duration: time.Second}
		for i, d := range m.parallel {
			tr.Slices = append(tr.Slices, schedtrace.Slice{CPU: i, PID: 1, TID: i + 1, End: time.Duration(d) * time.Millisecond})
		}
		r.trace, r.traceErr, r.to = tr, nil, time.Second
	}
	return r
}

func TestAssertions(t *testing.T) {
	quiet2 := machine{usable: 2, cpus: 2, effective: 1.9, cores: 1.9, parallel: []int{1000, 900}}
	serial := machine{usable: 2, cpus: 2, effective: 1.1, cores: 1.0, parallel: []int{1000, 30}}
	tests := []struct {
		name   string
		m      machine
		assert func(*Recording)
		want   string // the outcome's start
	}{
		{"cores pass", quiet2, func(r *Recording) { r.AtLeastCores(1.5) }, "pass"},
		{"cores fail", machine{usable: 2, cpus: 2, effective: 1.0, cores: 0.98}, func(r *Recording) { r.AtLeastCores(1.5) },
			"error: coretest: the recorded function kept 0.98 cores busy, want at least 1.50 (wall 1000 ms, user 970 ms, system 10 ms)"},
		{"cores too few CPUs", machine{usable: 1, cpus: 1, effective: 1, cores: 1}, func(r *Recording) { r.AtLeastCores(1.5) },
			"skip: coretest: cannot judge AtLeastCores(1.50): it needs 2 CPUs, the process may use 1 (1 usable CPUs (affinity 0-0))"},
		{"cores under a quota", machine{usable: 1.5, cpus: 4, effective: 1.5, cores: 1.5}, func(r *Recording) { r.AtLeastCores(2) },
			"skip: coretest: cannot judge AtLeastCores(2.00): it needs 2 CPUs, the process may use 1.5"},
		{"cores on a loaded machine", machine{usable: 2, cpus: 2, effective: 2, cores: 1.2}, func(r *Recording) { r.AtLeastCores(1.5) },
			"skip: coretest: cannot judge AtLeastCores(1.50): other processes kept 0.80 of the 2 CPUs busy during the run, more than 25 % (EffectiveCores 2.00 − CoresUsed 1.20)"},
		{"cores short by what others took", machine{usable: 2, cpus: 2, effective: 1.9, cores: 1.45}, func(r *Recording) { r.AtLeastCores(1.5) },
			"skip: coretest: cannot judge AtLeastCores(1.50): the recorded function kept 1.45 cores busy, but other processes kept 0.45 busy"},
		{"cores short by more than others took", machine{usable: 2, cpus: 2, effective: 1.4, cores: 1.0}, func(r *Recording) { r.AtLeastCores(1.5) },
			"error: coretest: the recorded function kept 1.00 cores busy, want at least 1.50"},
		{"at most cores pass", serial, func(r *Recording) { r.AtMostCores(1.2) }, "pass"},
		{"at most cores fail", quiet2, func(r *Recording) { r.AtMostCores(1.2) },
			"error: coretest: the recorded function kept 1.90 cores busy, want at most 1.20 (wall 1000 ms, user 1881 ms, system 19 ms)"},
		{"at most cores ignores load", machine{usable: 1, cpus: 2, effective: 2, cores: 1.0}, func(r *Recording) { r.AtMostCores(1.2) }, "pass"},
		{"parallel pass", quiet2, func(r *Recording) { r.AtLeastParallel(2, 0.8) }, "pass"},
		{"parallel fail", serial, func(r *Recording) { r.AtLeastParallel(2, 0.8) },
			"error: coretest: the recorded function had 2 or more threads on CPU at once for 3.0 % of its run, want at least 80.0 % (2 at once 3.0 %, 1 at once 97.0 % of 1s)"},
		{"parallel without a trace", machine{usable: 2, cpus: 2, effective: 1.9, cores: 1.9}, func(r *Recording) { r.AtLeastParallel(2, 0.8) },
			"skip: coretest: cannot judge AtLeastParallel(2, 0.80) without a scheduler trace: schedtrace: cannot trace the scheduler: missing tracefs; mount it"},
		{"parallel too few CPUs", machine{usable: 1, cpus: 1, effective: 1, cores: 1, parallel: []int{1000}}, func(r *Recording) { r.AtLeastParallel(2, 0.8) },
			"skip: coretest: cannot judge AtLeastParallel(2, 0.80): it needs 2 CPUs, the process may use 1"},
		{"parallel on a loaded machine", machine{usable: 2, cpus: 2, effective: 2, cores: 1.0, parallel: []int{1000, 100}}, func(r *Recording) { r.AtLeastParallel(2, 0.8) },
			"skip: coretest: cannot judge AtLeastParallel(2, 0.80): other processes kept 1.00 of the 2 CPUs busy"},
		{"parallel short by what others took", machine{usable: 2, cpus: 2, effective: 1.9, cores: 1.45, parallel: []int{1000, 500}}, func(r *Recording) { r.AtLeastParallel(2, 0.8) },
			"skip: coretest: cannot judge AtLeastParallel(2, 0.80): the recorded function had 2 or more threads on CPU at once for 50.0 % of its run, but other processes kept 0.45 of the 2 CPUs busy, which can take up to 45.0 % of it"},
		{"parallel short by more than others took", machine{usable: 2, cpus: 2, effective: 1.4, cores: 1.2, parallel: []int{1000, 200}}, func(r *Recording) { r.AtLeastParallel(2, 0.8) },
			"error: coretest: the recorded function had 2 or more threads on CPU at once for 20.0 % of its run, want at least 80.0 %"},
		{"three at once", machine{usable: 4, cpus: 4, effective: 2.5, cores: 2.5, parallel: []int{1000, 1000, 500}}, func(r *Recording) { r.AtLeastParallel(3, 0.4) }, "pass"},
		{"serial pass", serial, func(r *Recording) { r.AtMostParallel(1, 0.95) }, "pass"},
		{"serial fail", quiet2, func(r *Recording) { r.AtMostParallel(1, 0.95) },
			"error: coretest: the recorded function had at most 1 threads on CPU at once for 10.0 % of its run, want at least 95.0 % (2 at once 90.0 %, 1 at once 10.0 % of 1s)"},
		{"serial ignores load and CPUs", machine{usable: 1, cpus: 1, effective: 1, cores: 0.2, parallel: []int{200}}, func(r *Recording) { r.AtMostParallel(1, 0.99) }, "pass"},
		{"serial without a trace", machine{usable: 2, cpus: 2, effective: 1, cores: 1}, func(r *Recording) { r.AtMostParallel(1, 0.9) },
			"skip: coretest: cannot judge AtMostParallel(1, 0.90) without a scheduler trace: schedtrace: cannot trace"},
		{"bad k", quiet2, func(r *Recording) { r.AtLeastParallel(0, 0.5) }, "fatal: coretest: AtLeastParallel(0, 0.50): want k ≥ 1"},
		{"bad share", quiet2, func(r *Recording) { r.AtMostParallel(1, 1.5) }, "fatal: coretest: AtMostParallel(1, 1.50): want k ≥ 0 threads and a share from 0 to 1"},
		{"bad negative k", quiet2, func(r *Recording) { r.AtMostParallel(-1, 0.5) }, "fatal: coretest: AtMostParallel(-1, 0.50): want k ≥ 0"},
		{"idle pass", machine{usable: 2, cpus: 2, effective: 0.2, cores: 0.1, parallel: []int{100}}, func(r *Recording) { r.AtMostParallel(0, 0.8) }, "pass"},
		{"idle fail", serial, func(r *Recording) { r.AtMostParallel(0, 0.8) }, "error: coretest: the recorded function had at most 0 threads on CPU at once for 0.0 % of its run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeTB{}
			r := tt.m.recording(fake)
			got := outcome(fake, func() { tt.assert(r) })
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("outcome:\n got %s\nwant %s…", got, tt.want)
			}
		})
	}
}

// TestCPUAssertionFailsBeforeParallelSkips shows the documented order: a
// failed CPU assertion is reported even when a later parallelism
// assertion skips for want of a trace.
func TestCPUAssertionFailsBeforeParallelSkips(t *testing.T) {
	fake := &fakeTB{}
	r := machine{usable: 2, cpus: 2, effective: 1, cores: 0.98}.recording(fake)
	outcome(fake, func() {
		r.AtLeastCores(1.5)
		r.AtLeastParallel(2, 0.8)
	})
	if len(fake.errors) != 1 || len(fake.skips) != 1 {
		t.Errorf("errors %q, skips %q; want one of each", fake.errors, fake.skips)
	}
}

func TestNoTraceSaysSo(t *testing.T) {
	fake := &fakeTB{}
	r := machine{usable: 2, cpus: 2, effective: 1, cores: 1}.recording(fake)
	r.traceErr = nil
	got := outcome(fake, func() { r.AtMostParallel(1, 0.9) })
	if want := "skip: coretest: cannot judge AtMostParallel(1, 0.90) without a scheduler trace: the Recorder's NoTrace is set"; got != want {
		t.Errorf("outcome:\n got %s\nwant %s", got, want)
	}
}

func TestLostEventsAreReported(t *testing.T) {
	fake := &fakeTB{}
	r := machine{usable: 2, cpus: 2, effective: 1.1, cores: 1, parallel: []int{1000}}.recording(fake)
	r.trace.Lost.Kernel = 7
	got := outcome(fake, func() { r.AtLeastParallel(2, 0.5) })
	if !strings.HasSuffix(got, "; the trace lost 7 kernel events)") {
		t.Errorf("outcome %s does not say what the trace lost", got)
	}
}

// TestUnreportedSwitchesSkip: a trace whose kernel left more than
// schedtrace.MaxUnreportedShare of its switches unreported cannot judge
// exact overlap either way; the CPU assertions still run.
func TestUnreportedSwitchesSkip(t *testing.T) {
	for name, assert := range map[string]func(*Recording){
		"at least": func(r *Recording) { r.AtLeastParallel(2, 0.5) },
		"at most":  func(r *Recording) { r.AtMostParallel(1, 0.9) },
	} {
		t.Run(name, func(t *testing.T) {
			fake := &fakeTB{}
			r := machine{usable: 2, cpus: 2, effective: 1.1, cores: 1, parallel: []int{1000, 400}}.recording(fake)
			r.trace.Lost.Unmatched = 1
			got := outcome(fake, func() { assert(r) })
			if !strings.HasPrefix(got, "skip: ") || !strings.Contains(got, "1 switches unreported beside the trace's 2 slices (50.0 %") {
				t.Errorf("outcome %s, want a skip naming the unreported switches", got)
			}
		})
	}
}
