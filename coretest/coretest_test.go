package coretest_test

import (
	"context"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/corescope/corescope/coretest"
	"github.com/corescope/corescope/workload"
)

// TestMain lets this test binary act as a workload.Processes worker, which
// re-executes it.
func TestMain(m *testing.M) {
	workload.HandleWorker()
	os.Exit(m.Run())
}

// spin keeps n goroutines busy for d or until ctx ends.
func spin(ctx context.Context, n int, d time.Duration) {
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	for range n {
		wg.Go(func() {
			var x uint64
			for time.Now().Before(deadline) && ctx.Err() == nil {
				for i := range uint64(1 << 14) {
					x += i
				}
			}
			_ = x
		})
	}
	wg.Wait()
}

// The thresholds below are generous on purpose. On two idle CPUs two
// spinning goroutines run together for about 95 % of a 600 ms run and
// score about 1.95 cores; the assertions skip only when other work took
// more than a quarter of the CPUs, which can still take that much of the
// overlap, and the run's first and last milliseconds (goroutines starting,
// one finishing first) are one-at-a-time. So: 1.4 cores, 2-parallel for
// 60 % of the run.

// TestGoroutinesRunInParallel: goroutines need nothing special, because
// the Go runtime's threads are the process's threads.
func TestGoroutinesRunInParallel(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skipf("needs GOMAXPROCS ≥ 2, has %d", runtime.GOMAXPROCS(0))
	}
	r := coretest.Record(t, func(ctx context.Context) { spin(ctx, 2, 600*time.Millisecond) })
	c, _ := r.Concurrency()
	t.Logf("cores %.2f (other work %.2f); concurrency: %v", r.CoresUsed(), r.OtherCores(), c)
	r.AtLeastCores(1.4)
	r.AtLeastParallel(2, 0.6)
}

// TestGOMAXPROCS1StaysSerial: under GOMAXPROCS(1) two busy goroutines take
// turns on one thread. The runtime's own threads (sysmon, a thread in a
// system call, the watcher's reads) run briefly beside it: 2–3 % of the
// run on a quiet machine. On a busy one the kernel leaves switches
// unreported (Lost.Unmatched), and a slice whose end went unreported
// lasts until the next reported switch on its CPU, which shows as overlap:
// 83 % serial was measured at load 10 with 134 of them. Code that really
// runs two threads at once scores about 1 %, so 75 % still tells them
// apart.
func TestGOMAXPROCS1StaysSerial(t *testing.T) {
	r := coretest.Record(t, func(ctx context.Context) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
		spin(ctx, 2, 600*time.Millisecond)
	})
	c, _ := r.Concurrency()
	t.Logf("cores %.2f; concurrency: %v", r.CoresUsed(), c)
	r.AtMostCores(1.2)
	r.AtMostParallel(1, 0.75)
}

// TestChildProcessesAreFollowed: the function starts two worker processes
// and waits for them; their CPU time (RUSAGE_CHILDREN) and their threads
// in the trace count as the function's. Each child works 3 s: a child is
// this test binary started again, which under the race detector on a busy
// CI machine took about a second to start, and the run's wall time counts
// it (with 600 ms of work each it measured 0.70 cores there).
func TestChildProcessesAreFollowed(t *testing.T) {
	r := coretest.Record(t, func(ctx context.Context) {
		m := workload.Processes{N: 2, Work: workload.Work{N: 1 << 22, Duration: 3 * time.Second}}
		if _, err := m.Run(ctx); err != nil {
			t.Errorf("Processes.Run: %v", err)
		}
	})
	c, _ := r.Concurrency()
	t.Logf("cores %.2f (other work %.2f); concurrency: %v", r.CoresUsed(), r.OtherCores(), c)
	r.AtLeastCores(1.4)
	r.AtLeastParallel(2, 0.6)
}

// TestIdleFunctionUsesNoCores: a function that sleeps keeps nothing busy,
// and no thread runs for most of its run.
func TestIdleFunctionUsesNoCores(t *testing.T) {
	r := coretest.Record(t, func(ctx context.Context) {
		select {
		case <-ctx.Done():
		case <-time.After(300 * time.Millisecond):
		}
	})
	r.AtMostCores(0.2)
	r.AtMostParallel(0, 0.8)
}
