package benchmarks

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v4/common"
	"github.com/shirou/gopsutil/v4/cpu"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/internal/benchclock"
	"github.com/corescope/corescope/internal/statfake"
)

// fixtureRoot is a generated proc tree of cpuwatch's test data.
func fixtureRoot(cpus int) string {
	return filepath.Join("..", "cpuwatch", "testdata", fmt.Sprintf("cpu%d", cpus), "proc")
}

// benchWatch measures a sample through cpuwatch's public API: a Watcher
// whose interval is so short that every timer has expired by the time it
// is set, so each callback follows the previous one at once. Each op is
// one sample: a pread, a parse and a diff, plus the timer and the
// callback. Before each reading the file is advanced, outside the timing.
func benchWatch(b *testing.B, src string, cpus int, moving string) {
	adv := advancing(b, src, moving)
	w := cpuwatch.Watcher{Interval: time.Nanosecond, ProcRoot: adv.Root}
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	b.SetBytes(statfake.Size(b, adv.Root))
	b.ReportAllocs()
	clock := benchclock.Start(b)
	first := true // the first sample follows a reading of the same file
	err := w.Watch(ctx, func(s cpuwatch.Sample) {
		if len(s.Cores) != cpus || !first && s.Cores[0].Busy() == 0 {
			b.Fatalf("sample has %d cores, cpu0 busy %v; want %d cores, busy", len(s.Cores), s.Cores[0].Busy(), cpus)
		}
		first = false
		clock.Pause()
		adv.Advance(b)
		clock.Resume()
		if !b.Loop() { // Watch makes no more calls once ctx is done
			cancel()
		}
	})
	clock.Report()
	if ctx.Err() == nil {
		b.Fatal(err)
	}
}

// benchGopsutil measures gopsutil's per-CPU times, pointed at a copy of the
// same proc tree through its context value, advanced alike.
func benchGopsutil(b *testing.B, src string, cpus int, moving string) {
	adv := advancing(b, src, moving)
	ctx := context.WithValue(b.Context(), common.EnvKey, common.EnvMap{common.HostProcEnvKey: adv.Root})
	b.SetBytes(statfake.Size(b, adv.Root))
	b.ReportAllocs()
	clock := benchclock.Start(b)
	for b.Loop() {
		clock.Pause()
		adv.Advance(b)
		clock.Resume()
		ts, err := cpu.TimesWithContext(ctx, true)
		if err != nil || len(ts) != cpus {
			b.Fatalf("cpu.Times: %d cpus, %v; want %d", len(ts), err, cpus)
		}
	}
	clock.Report()
}

// advancing copies src's stat file to be advanced before each op: with
// moving "user+idle" only those two counters of each cpu line move, as
// most of a kernel's do between two samples; with "all" every counter
// does, which leaves cpuwatch nothing to take unparsed from the previous
// reading.
func advancing(b *testing.B, src, moving string) *statfake.Advancing {
	adv := statfake.NewAdvancing(b, src)
	if moving == "all" {
		for i := range adv.Steps {
			adv.Steps[i] = uint64(i + 1)
		}
	}
	return adv
}

// BenchmarkPerCPUTimes compares cpuwatch with gopsutil's cpu.Times(true) on
// cpuwatch's synthetic 256- and 1024-CPU files.
func BenchmarkPerCPUTimes(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("gopsutil reads the proc tree only on Linux")
	}
	for _, n := range []int{256, 1024} {
		root := fixtureRoot(n)
		for _, moving := range []string{"user+idle", "all"} {
			name := fmt.Sprintf("cpus=%d/moving=%s", n, moving)
			b.Run(name+"/impl=cpuwatch", func(b *testing.B) { benchWatch(b, root, n, moving) })
			b.Run(name+"/impl=gopsutil", func(b *testing.B) { benchGopsutil(b, root, n, moving) })
		}
	}
}
