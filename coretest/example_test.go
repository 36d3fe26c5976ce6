package coretest_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/corescope/corescope/coretest"
	"github.com/corescope/corescope/workload"
)

// parallelSum is code under test: it sums in parts goroutines for 600 ms.
func parallelSum(ctx context.Context, parts int) {
	var wg sync.WaitGroup
	deadline := time.Now().Add(600 * time.Millisecond)
	for range parts {
		wg.Go(func() {
			var s uint64
			for i := uint64(0); time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				s += i
			}
			_ = s
		})
	}
	wg.Wait()
}

// A whole test that parallelSum keeps two cores busy with two threads at
// once. The example only compiles: running it would burn CPU.
func ExampleRecord() {
	_ = func(t *testing.T) {
		r := coretest.Record(t, func(ctx context.Context) { parallelSum(ctx, 2) })
		r.AtLeastCores(1.5)       // CPU ÷ wall
		r.AtLeastParallel(2, 0.8) // 2 threads on CPU at once for ≥ 80 % of the run
	}
}

// A model that must be serialised: at most one thread on CPU for 95 % of
// the run, and a custom check on the trace's histogram.
func ExampleRecordModel() {
	_ = func(t *testing.T) {
		r := coretest.RecordModel(t, workload.GIL{N: 2, Work: workload.Work{Duration: 500 * time.Millisecond}})
		r.AtMostCores(1.2)
		r.AtMostParallel(1, 0.95)
		if c, ok := r.Concurrency(); ok && c.Mean() < 0.5 {
			t.Errorf("the GIL's threads ran %.2f at once on average, want about 1 (%v)", c.Mean(), c)
		}
	}
}

// A Recorder that tolerates more load and traces nothing: parallelism
// assertions skip, CPU assertions run.
func ExampleRecorder() {
	_ = func(t *testing.T) {
		rec := coretest.Recorder{MaxOtherShare: 0.5, NoTrace: true}
		r := rec.Record(t, func(ctx context.Context) { parallelSum(ctx, 2) })
		r.AtLeastCores(1.2)
	}
}
