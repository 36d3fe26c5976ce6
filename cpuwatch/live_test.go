package cpuwatch_test

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corescope/corescope/cpuwatch"
)

// spin keeps one core busy until stop is set.
func spin(stop *atomic.Bool) {
	x := 0
	for !stop.Load() {
		x++
	}
	_ = x
}

// TestLiveWatchSeesBusyCore watches the real /proc while a goroutine spins.
// The bound is generous: the machine is shared, CI runs under -race, and
// /proc/stat counts in 10 ms ticks, yet a spinning goroutine should show as
// at least half a core on average, summed over all cores.
func TestLiveWatchSeesBusyCore(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/stat is Linux-only")
	}
	if testing.Short() {
		t.Skip("takes a second of wall time")
	}
	var stop atomic.Bool
	done := make(chan struct{})
	go func() { defer close(done); spin(&stop) }()
	defer func() { stop.Store(true); <-done }()

	const interval, n = 250 * time.Millisecond, 4
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var samples []cpuwatch.Sample
	err := cpuwatch.Watch(ctx, interval, func(s cpuwatch.Sample) {
		samples = append(samples, s.Clone())
		if len(samples) == n {
			cancel()
		}
	})
	if len(samples) < n {
		t.Fatalf("Watch = %v after %d samples, want %d samples", err, len(samples), n)
	}
	var busy float64
	var elapsed time.Duration
	for i, s := range samples {
		// One late reading makes the next sample short, since the ticker
		// keeps its cadence; only the total is bounded below.
		if s.Elapsed <= 0 {
			t.Errorf("sample %d: Elapsed = %v, want > 0", i, s.Elapsed)
		}
		elapsed += s.Elapsed
		if len(s.Cores) == 0 || len(s.Cores) > runtime.NumCPU()*4 {
			t.Errorf("sample %d: %d cores, want between 1 and a few times NumCPU = %d", i, len(s.Cores), runtime.NumCPU())
		}
		for j, c := range s.Cores {
			if j > 0 && c.ID <= s.Cores[j-1].ID {
				t.Errorf("sample %d: core ids not ascending: %d after %d", i, c.ID, s.Cores[j-1].ID)
			}
			if b := c.Busy(); b < 0 || b > 1 {
				t.Errorf("sample %d: cpu%d Busy() = %v, want in [0, 1]", i, c.ID, b)
			}
		}
		busy += s.BusyCores()
	}
	if elapsed < (n-1)*interval {
		t.Errorf("%d samples cover %v, want at least %v at a %v interval", n, elapsed, (n-1)*interval, interval)
	}
	mean := busy / n
	t.Logf("mean BusyCores() = %.2f over %d samples of %v", mean, n, interval)
	if mean < 0.5 {
		t.Errorf("mean BusyCores() = %.2f while a goroutine spun, want >= 0.5", mean)
	}
}

// TestLiveRecordSeesBusyCore records a run that spins one core.
func TestLiveRecordSeesBusyCore(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/stat is Linux-only")
	}
	if testing.Short() {
		t.Skip("takes two seconds of wall time")
	}
	w := cpuwatch.Watcher{Interval: 200 * time.Millisecond, Lead: 1, Trail: 1}
	rec, err := w.Record(t.Context(), func(ctx context.Context) error {
		var stop atomic.Bool
		time.AfterFunc(time.Second, func() { stop.Store(true) })
		spin(&stop)
		return ctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	ec := rec.EffectiveCores()
	t.Logf("EffectiveCores() = %.2f over %d samples", ec, rec.Len())
	if ec < 0.5 {
		t.Errorf("EffectiveCores() = %.2f for a run spinning one core, want >= 0.5", ec)
	}
	if d := rec.RunEnd.Sub(rec.RunStart); d < time.Second {
		t.Errorf("run window %v, want at least the 1s the run spun", d)
	}
}
