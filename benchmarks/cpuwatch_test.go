package benchmarks

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v4/common"
	"github.com/shirou/gopsutil/v4/cpu"

	"github.com/corescope/corescope/cpuwatch"
)

// fixtureRoot is a generated proc tree of cpuwatch's test data.
func fixtureRoot(cpus int) string {
	return filepath.Join("..", "cpuwatch", "testdata", fmt.Sprintf("cpu%d", cpus), "proc")
}

// reportCPUTime starts measuring the process's CPU time; the function it
// returns reports it per op as "cpu-ns/op", which, unlike sec/op, leaves
// out time spent descheduled on a shared machine.
func reportCPUTime(b *testing.B) func() {
	start, ok := processCPUTime()
	return func() {
		if end, _ := processCPUTime(); ok && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

func statSize(b *testing.B, root string) int64 {
	data, err := os.ReadFile(filepath.Join(root, "stat"))
	if err != nil {
		b.Fatal(err)
	}
	return int64(len(data))
}

// benchWatch measures a sample through cpuwatch's public API: a Watcher
// whose interval is so short that every timer has expired by the time it
// is set, so each callback follows the previous one at once. Each op is
// one sample: a pread, a parse and a diff, plus the timer and the
// callback, which the library's own BenchmarkSample leaves out.
func benchWatch(b *testing.B, root string, cpus int) {
	w := cpuwatch.Watcher{Interval: time.Nanosecond, ProcRoot: root}
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	b.SetBytes(statSize(b, root))
	b.ReportAllocs()
	defer reportCPUTime(b)()
	err := w.Watch(ctx, func(s cpuwatch.Sample) {
		if len(s.Cores) != cpus {
			b.Fatalf("sample has %d cores, want %d", len(s.Cores), cpus)
		}
		if !b.Loop() { // Watch makes no more calls once ctx is done
			cancel()
		}
	})
	if ctx.Err() == nil {
		b.Fatal(err)
	}
}

// benchGopsutil measures gopsutil's per-CPU times, pointed at the same
// proc tree through its context value.
func benchGopsutil(b *testing.B, root string, cpus int) {
	ctx := context.WithValue(b.Context(), common.EnvKey, common.EnvMap{common.HostProcEnvKey: root})
	b.SetBytes(statSize(b, root))
	b.ReportAllocs()
	defer reportCPUTime(b)()
	for b.Loop() {
		ts, err := cpu.TimesWithContext(ctx, true)
		if err != nil || len(ts) != cpus {
			b.Fatalf("cpu.Times: %d cpus, %v; want %d", len(ts), err, cpus)
		}
	}
}

// BenchmarkPerCPUTimes compares cpuwatch with gopsutil's cpu.Times(true) on
// cpuwatch's synthetic 256- and 1024-CPU files.
func BenchmarkPerCPUTimes(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("gopsutil reads the proc tree only on Linux")
	}
	for _, n := range []int{256, 1024} {
		root := fixtureRoot(n)
		b.Run(fmt.Sprintf("cpus=%d/impl=cpuwatch", n), func(b *testing.B) { benchWatch(b, root, n) })
		b.Run(fmt.Sprintf("cpus=%d/impl=gopsutil", n), func(b *testing.B) { benchGopsutil(b, root, n) })
	}
}
