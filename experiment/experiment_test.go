package experiment_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/experiment"
	"github.com/corescope/corescope/workload"
)

// fast is a watcher for live tests: coarse samples, one of lead and trail.
func fast() *cpuwatch.Watcher {
	return &cpuwatch.Watcher{Interval: 50 * time.Millisecond, Lead: 1, Trail: 1}
}

func TestSpecRunNamesTheRecording(t *testing.T) {
	s := experiment.Spec{Workload: experiment.NonThreaded, Kernel: workload.Native, Unit: 1 << 10}
	res, err := s.Run(t.Context(), fast())
	if err != nil {
		t.Fatalf("Run() error = %v", err)
	}
	if res.Workload != "non-threaded" || res.DataID != "non-threaded:1" || res.Recording.DataID != "non-threaded:1" {
		t.Errorf("Workload, DataID, Recording.DataID = %q, %q, %q; want non-threaded, non-threaded:1 twice",
			res.Workload, res.DataID, res.Recording.DataID)
	}
	if res.Unit != 1<<10 || res.Results[0] != workload.Expected(1<<10) {
		t.Errorf("Unit, Results = %d, %v; want %d, [%d]", res.Unit, res.Results, 1<<10, workload.Expected(1<<10))
	}
}

func TestExperimentProgress(t *testing.T) {
	specs := experiment.Plan{CPUs: 1, Kernel: workload.Native, Unit: 1 << 12, Idle: 100 * time.Millisecond, GILThreads: []int{}}.Specs()
	var (
		calls   []experiment.Progress
		running atomic.Int32
	)
	e := experiment.Experiment{
		Specs:         specs,
		Watcher:       cpuwatch.Watcher{Interval: 40 * time.Millisecond, Lead: 1, Trail: 1},
		ProgressEvery: 10 * time.Millisecond,
		Progress: func(p experiment.Progress) {
			if running.Add(1) != 1 {
				t.Error("Progress called concurrently")
			}
			calls = append(calls, p)
			running.Add(-1)
		},
	}
	res, err := e.Run(t.Context())
	if err != nil {
		t.Fatalf("Run() error = %v", err)
	}
	if len(res.Runs) != len(specs) {
		t.Fatalf("Run() returned %d runs, want %d", len(res.Runs), len(specs))
	}
	if res.Host.NumCPU == 0 || res.Interval != 40*time.Millisecond {
		t.Errorf("Host, Interval = %+v, %v; want the recording's host and 40ms", res.Host, res.Interval)
	}
	// Every run reports a start (not done) before its end (done, with
	// its result), in order, and the fraction never goes backwards.
	next, started := 0, false
	last := -1.0
	for _, p := range calls {
		if p.Runs != len(specs) || p.Run != next {
			t.Fatalf("progress for run %d of %d, want run %d of %d", p.Run, p.Runs, next, len(specs))
		}
		if p.Fraction() < last {
			t.Errorf("run %d: Fraction() went back from %v to %v", p.Run, last, p.Fraction())
		}
		last = p.Fraction()
		switch {
		case !p.Done:
			started = true
		case !started:
			t.Fatalf("run %d ended before it started", p.Run)
		default:
			if p.Result != res.Runs[next] {
				t.Errorf("run %d: done report's Result is not the run's", p.Run)
			}
			next, started, last = next+1, false, -1
		}
	}
	if next != len(specs) {
		t.Errorf("%d runs reported done, want %d", next, len(specs))
	}
	if got := res.Speedup(res.Runs[2]); got <= 0 {
		t.Errorf("Speedup(%s) = %v, want > 0 with a serial run present", res.Runs[2].DataID, got)
	}
}

func TestExperimentStopsOnError(t *testing.T) {
	e := experiment.Experiment{
		Specs: []experiment.Spec{
			{Workload: experiment.DoNothing, Idle: time.Millisecond},
			{Workload: experiment.Threads, Workers: -1}, // invalid
			{Workload: experiment.DoNothing, Idle: time.Millisecond},
		},
		Watcher: cpuwatch.Watcher{Interval: 20 * time.Millisecond, Lead: -1, Trail: -1},
	}
	res, err := e.Run(t.Context())
	if !errors.Is(err, experiment.ErrInvalidSpec) {
		t.Fatalf("Run() error = %v, want the invalid spec's", err)
	}
	// The spec's own error says what is wrong, with the package's name once.
	if want := "experiment: invalid spec: threads needs at least one worker, got -1"; err.Error() != want {
		t.Errorf("Run() error = %q, want %q", err, want)
	}
	if len(res.Runs) != 1 {
		t.Errorf("Run() kept %d runs, want the 1 before the failure", len(res.Runs))
	}
}

func TestCalibrateBadTarget(t *testing.T) {
	p := experiment.Plan{Kernel: workload.Native, Unit: 1 << 16}
	for _, target := range []time.Duration{0, -time.Second} {
		if _, err := p.Calibrate(t.Context(), target); err == nil {
			t.Errorf("Calibrate(%v) = nil error, want one", target)
		}
	}
}
