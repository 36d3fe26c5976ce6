package corescope_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/workload"
)

// parallelSum is the code under test: it sums 0 … n-1 in parts, one
// goroutine per part, for about d, and returns the last sum.
func parallelSum(ctx context.Context, n uint64, parts int, d time.Duration) uint64 {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total uint64
	)
	deadline := time.Now().Add(d)
	for p := range uint64(parts) {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				var s uint64
				for v := p * n / uint64(parts); v < (p+1)*n/uint64(parts); v++ {
					s += v
				}
				mu.Lock()
				total += s
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return total
}

// TestParallelSumKeepsTwoCoresBusy is how to test that code really runs in
// parallel: record it, and assert on how many cores' worth of CPU it
// burned, with a generous bound, only when the machine could show it.
func TestParallelSumKeepsTwoCoresBusy(t *testing.T) {
	w := cpuwatch.Watcher{Interval: 100 * time.Millisecond, Lead: 1, Trail: 1}
	// A container may see 2 CPUs yet have a quota of 1: count that too.
	if lim, err := w.Limits(); err == nil && lim.UsableCPUs > 0 && lim.UsableCPUs < 2 {
		t.Skipf("needs 2 CPUs, may use %v", lim.UsableCPUs)
	}
	if runtime.NumCPU() < 2 || runtime.GOMAXPROCS(0) < 2 {
		t.Skipf("needs 2 CPUs, has %d (GOMAXPROCS %d)", runtime.NumCPU(), runtime.GOMAXPROCS(0))
	}
	res, err := corescope.Run(t.Context(), &w, workload.Func("parallel sum", func(ctx context.Context) error {
		parallelSum(ctx, 1<<16, 2, 600*time.Millisecond)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	// Other processes (go test runs packages in parallel) steal cores from
	// the code under test; then its CPU says nothing about its
	// parallelism. The watcher sees them: skip rather than fail.
	if other := res.EffectiveCores - res.CoresUsed; other > 0.4 {
		t.Skipf("the machine was busy with %.2f cores of other work; cannot judge", other)
	}
	if res.CoresUsed < 1.5 {
		t.Errorf("parallel sum kept %.2f cores busy, want at least 1.5 of 2", res.CoresUsed)
	}
	t.Logf("parallel sum kept %.2f cores busy; the machine %.2f", res.CoresUsed, res.EffectiveCores)
}

// Record a function and check that it kept at least 1.5 cores busy: the
// pattern of TestParallelSumKeepsTwoCoresBusy. Func measures the whole
// process's CPU while the function runs; Run records the machine around
// it.
func ExampleRun_func() {
	w := cpuwatch.Watcher{Interval: 100 * time.Millisecond}
	res, err := corescope.Run(context.Background(), &w, workload.Func("parallel sum", func(ctx context.Context) error {
		parallelSum(ctx, 1<<16, 2, time.Second)
		return nil
	}))
	if err != nil {
		panic(err)
	}
	if other := res.EffectiveCores - res.CoresUsed; other > 0.4 {
		fmt.Printf("busy machine (%.2f cores of other work): no verdict\n", other)
		return
	}
	fmt.Printf("kept %.2f cores busy; parallel: %v\n", res.CoresUsed, res.CoresUsed >= 1.5)
}

// Run one of the seed's workloads under a watch and read both sides: what
// the workload measured of itself, and what the watcher saw.
func ExampleRun() {
	m := workload.Threads{N: 2, Work: workload.Work{Kernel: workload.Bytecode, N: 1 << 24}}
	res, err := corescope.Run(context.Background(), &cpuwatch.Watcher{Interval: time.Second}, m)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Results) // [140737479966720 140737479966720]
	fmt.Printf("%.1f s, %.2f cores used, %.2f cores seen busy\n", res.WallSeconds, res.CoresUsed, res.EffectiveCores)
}

// A container allowed one and a half CPUs' worth of time starts two
// workers: together they use the whole quota, where one would leave a
// third of it idle.
func ExampleWorkersFor() {
	w := cpuwatch.Watcher{
		ProcRoot: "cpuwatch/testdata/cgroups/v2-set/proc",
		SysRoot:  "cpuwatch/testdata/cgroups/v2-set/sys",
	}
	l, err := w.Limits()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(l)
	fmt.Println(corescope.WorkersFor(l), "workers")
	// Output:
	// 1.5 usable CPUs (affinity 0-3, cpuset 1-2, quota 1.5 CPUs per 100ms, cgroup v2)
	// 2 workers
}
