package corescope_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/workload"
)

// fast is a watcher for live tests: coarse samples, one of lead and trail.
func fast() *cpuwatch.Watcher {
	return &cpuwatch.Watcher{Interval: 50 * time.Millisecond, Lead: 1, Trail: 1}
}

func TestRunThreads(t *testing.T) {
	const n = 1 << 16
	m := workload.Threads{N: 2, Work: workload.Work{Kernel: workload.Native, N: n, Units: 3}}
	res, err := corescope.Run(t.Context(), fast(), m)
	if err != nil {
		t.Fatalf("Run() error = %v", err)
	}
	if res.Workers != 2 || len(res.Results) != 2 {
		t.Fatalf("Workers = %d, Results = %v; want 2 of each", res.Workers, res.Results)
	}
	for i, r := range res.Results {
		if r != workload.Expected(n) {
			t.Errorf("Results[%d] = %d, want %d", i, r, workload.Expected(n))
		}
	}
	if res.Size != 3*n {
		t.Errorf("Size = %d, want %d iterations per worker", res.Size, 3*n)
	}
	if res.Kernel != "native" || res.Workload != m.String() {
		t.Errorf("Kernel, Workload = %q, %q; want native, %q", res.Kernel, res.Workload, m.String())
	}
	if res.WallSeconds <= 0 || res.CoresUsed < 0 || res.Recording == nil || res.Recording.Len() < 2 {
		t.Errorf("wall %v, cores used %v, recording %+v: want a positive wall and at least lead+trail samples", res.WallSeconds, res.CoresUsed, res.Recording)
	}
	if res.GIL != nil {
		t.Errorf("GIL = %+v for a run without one, want nil", res.GIL)
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(150*time.Millisecond, cancel)
	start := time.Now()
	res, err := corescope.Run(ctx, fast(), workload.Idle{Duration: time.Minute})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run() error = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Run() took %v after cancellation, want prompt return", d)
	}
	if res == nil || res.Recording == nil {
		t.Errorf("Run() result = %+v, want what was recorded", res)
	}
}

func TestRunNilModel(t *testing.T) {
	if _, err := corescope.Run(t.Context(), nil, nil); err == nil {
		t.Error("Run(nil model) = nil error, want one")
	}
}
