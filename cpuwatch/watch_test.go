package cpuwatch_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/corescope/corescope/cpuwatch"
)

// watchN runs w.Watch until it has delivered n samples, calling each(i, s)
// for every sample on Watch's goroutine, and returns clones of the samples.
func watchN(t *testing.T, w *cpuwatch.Watcher, n int, each func(i int, s cpuwatch.Sample)) []cpuwatch.Sample {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var got []cpuwatch.Sample
	err := w.Watch(ctx, func(s cpuwatch.Sample) {
		got = append(got, s.Clone())
		if each != nil {
			each(len(got)-1, s)
		}
		if len(got) == n {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch = %v, want %v", err, context.Canceled)
	}
	return got
}

// sampleAt is what a test expects of one sample: its end, as an offset from
// the start of the watch, its span, and each core's user fraction (the fake
// kernel counts only user and idle).
type sampleAt struct {
	At, Elapsed time.Duration
	User        map[int]float64
}

func summarise(start time.Time, ss []cpuwatch.Sample) []sampleAt {
	var out []sampleAt
	for _, s := range ss {
		a := sampleAt{At: s.Time.Sub(start), Elapsed: s.Elapsed, User: map[int]float64{}}
		for _, c := range s.Cores {
			a.User[c.ID] = c.User
			if d := c.User + c.Idle - 1; d > 1e-12 || d < -1e-12 {
				panic("fake kernel counts only user and idle")
			}
		}
		out = append(out, a)
	}
	return out
}

func TestWatchFirstSampleOneIntervalAfterStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// cpu0 is busy for the first 300 ms, cpu3 all the time.
		p := startFakeProc(t, []int{0, 3}, func(cpu, n int) bool {
			return cpu == 3 || between(n, 0, 300*time.Millisecond)
		})
		start := time.Now()
		w := &cpuwatch.Watcher{Interval: 2 * time.Second, ProcRoot: p.Root}
		got := summarise(start, watchN(t, w, 1, nil))
		want := []sampleAt{{At: 2 * time.Second, Elapsed: 2 * time.Second, User: map[int]float64{0: 0.15, 3: 1}}}
		if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
			t.Errorf("samples mismatch (-want +got):\n%s", diff)
		}
	})
}

// TestWatchAbsoluteSchedule runs a callback that takes 30 ms of every
// 100 ms interval for a hundred intervals: a schedule relative to the end
// of the callback would drift by 3 s; an absolute one not at all.
func TestWatchAbsoluteSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// cpu1 is busy in odd intervals.
		p := startFakeProc(t, []int{0, 1}, func(cpu, n int) bool { return cpu == 1 && n/10%2 == 1 })
		start := time.Now()
		const interval = 100 * time.Millisecond
		w := &cpuwatch.Watcher{Interval: interval, ProcRoot: p.Root}
		got := summarise(start, watchN(t, w, 100, func(int, cpuwatch.Sample) { time.Sleep(30 * time.Millisecond) }))
		var want []sampleAt
		for k := 1; k <= 100; k++ {
			want = append(want, sampleAt{At: time.Duration(k) * interval, Elapsed: interval, User: map[int]float64{0: 0, 1: float64((k - 1) % 2)}})
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("samples mismatch (-want +got):\n%s", diff)
		}
	})
}

// TestWatchSlowCallbackCoalesces makes the third callback take 2.5 s,
// keeping cpu0 busy meanwhile. The readings due at 4 s and 5 s are skipped,
// not queued; the next sample covers 3 s to 6 s and sees the busy time.
func TestWatchSlowCallbackCoalesces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := startFakeProc(t, []int{0, 1}, func(cpu, n int) bool {
			return cpu == 0 && between(n, 3*time.Second, 5500*time.Millisecond)
		})
		start := time.Now()
		w := &cpuwatch.Watcher{Interval: time.Second, ProcRoot: p.Root}
		got := summarise(start, watchN(t, w, 5, func(i int, _ cpuwatch.Sample) {
			if i == 2 {
				time.Sleep(2500 * time.Millisecond)
			}
		}))
		want := []sampleAt{
			{At: 1 * time.Second, Elapsed: time.Second, User: map[int]float64{0: 0, 1: 0}},
			{At: 2 * time.Second, Elapsed: time.Second, User: map[int]float64{0: 0, 1: 0}},
			{At: 3 * time.Second, Elapsed: time.Second, User: map[int]float64{0: 0, 1: 0}},
			{At: 6 * time.Second, Elapsed: 3 * time.Second, User: map[int]float64{0: 250.0 / 300, 1: 0}},
			{At: 7 * time.Second, Elapsed: time.Second, User: map[int]float64{0: 0, 1: 0}},
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
			t.Errorf("samples mismatch (-want +got):\n%s", diff)
		}
	})
}

// TestWatchSeesHotplug takes cpu1 offline for a while: samples leave it out
// while it is missing from either reading, then it comes back.
func TestWatchSeesHotplug(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := startFakeProc(t, []int{0, 1}, func(cpu, n int) bool { return cpu == 1 })
		start := time.Now()
		w := &cpuwatch.Watcher{Interval: time.Second, ProcRoot: p.Root}
		got := summarise(start, watchN(t, w, 4, func(i int, _ cpuwatch.Sample) {
			p.mu.Lock()
			defer p.mu.Unlock()
			switch i {
			case 0: // offline for the reading at 2 s
				p.cpus = []int{0}
			case 1: // back for the reading at 3 s
				p.cpus = []int{0, 1}
			}
		}))
		want := []sampleAt{
			{At: 1 * time.Second, Elapsed: time.Second, User: map[int]float64{0: 0, 1: 1}},
			{At: 2 * time.Second, Elapsed: time.Second, User: map[int]float64{0: 0}},
			{At: 3 * time.Second, Elapsed: time.Second, User: map[int]float64{0: 0}},
			{At: 4 * time.Second, Elapsed: time.Second, User: map[int]float64{0: 0, 1: 1}},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("samples mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestWatchCancel(t *testing.T) {
	tests := []struct {
		name        string
		ctx         func(context.Context) (context.Context, context.CancelFunc)
		cancelAt    time.Duration // from a goroutine; 0 means not at all
		wantSamples int
		wantAt      time.Duration
		wantErr     error
	}{
		{"cancel between ticks", context.WithCancel, 2500 * time.Millisecond, 2, 2500 * time.Millisecond, context.Canceled},
		{"cancel at a tick", context.WithCancel, 2 * time.Second, 1, 2 * time.Second, context.Canceled},
		{"already cancelled", context.WithCancel, -1, 0, 0, context.Canceled},
		{"deadline", func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, 3500*time.Millisecond)
		}, 0, 3, 3500 * time.Millisecond, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := startFakeProc(t, []int{0}, func(int, int) bool { return false })
				start := time.Now()
				ctx, cancel := tt.ctx(t.Context())
				defer cancel()
				switch {
				case tt.cancelAt < 0:
					cancel()
				case tt.cancelAt > 0:
					time.AfterFunc(tt.cancelAt, cancel)
				}
				n := 0
				err := (&cpuwatch.Watcher{Interval: time.Second, ProcRoot: p.Root}).Watch(ctx, func(cpuwatch.Sample) { n++ })
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("Watch = %v, want %v", err, tt.wantErr)
				}
				// "at a tick" may deliver the tick's sample or not: which of
				// two ready select cases runs is Go's choice.
				if n != tt.wantSamples && !(tt.cancelAt == 2*time.Second && n == 2) {
					t.Errorf("Watch delivered %d samples, want %d", n, tt.wantSamples)
				}
				if at := time.Since(start); at != tt.wantAt {
					t.Errorf("Watch returned at %v, want %v (no delay after cancellation)", at, tt.wantAt)
				}
				// synctest.Test fails if Watch left a goroutine behind.
			})
		})
	}
}

// TestWatchErrors covers bad arguments and bad proc trees: each gives an
// error naming the problem, at once, without calling fn.
func TestWatchErrors(t *testing.T) {
	noop := func(cpuwatch.Sample) {}
	tests := []struct {
		name     string
		w        cpuwatch.Watcher
		fn       func(cpuwatch.Sample)
		contains string
	}{
		{"negative interval", cpuwatch.Watcher{Interval: -time.Second, ProcRoot: "testdata/normal/proc"}, noop, "interval -1s is negative"},
		{"nil fn", cpuwatch.Watcher{Interval: time.Second, ProcRoot: "testdata/normal/proc"}, nil, "nil callback"},
		{"missing proc root", cpuwatch.Watcher{Interval: time.Second, ProcRoot: "testdata/missing/proc"}, noop, `proc root "testdata/missing/proc"`},
		{"no stat file", cpuwatch.Watcher{Interval: time.Second, ProcRoot: "testdata/normal"}, noop, "testdata/normal/stat: no such file"},
		{"empty stat", cpuwatch.Watcher{Interval: time.Second, ProcRoot: "testdata/empty/proc"}, noop, "no cpu lines"},
		{"no cpu lines", cpuwatch.Watcher{Interval: time.Second, ProcRoot: "testdata/no-cpu-lines/proc"}, noop, "no cpu lines"},
		{"malformed cpu line", cpuwatch.Watcher{Interval: time.Second, ProcRoot: "testdata/malformed/proc"}, noop, `malformed counter in "cpu1 8015 0 27x3`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				err := tt.w.Watch(t.Context(), tt.fn)
				if err == nil || !strings.HasPrefix(err.Error(), "cpuwatch: ") || !strings.Contains(err.Error(), tt.contains) {
					t.Errorf("Watch = %v, want an error starting %q and containing %q", err, "cpuwatch: ", tt.contains)
				}
				if d := time.Since(start); d != 0 {
					t.Errorf("Watch took %v of fake time to fail, want 0", d)
				}
			})
		})
	}
}

// TestWatchFailsMidway corrupts the stat file while the watch runs: the
// next reading fails and Watch returns that error.
func TestWatchFailsMidway(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := startFakeProc(t, []int{0}, func(int, int) bool { return false })
		start := time.Now()
		n := 0
		err := (&cpuwatch.Watcher{Interval: time.Second, ProcRoot: p.Root}).Watch(t.Context(), func(cpuwatch.Sample) {
			if n++; n == 2 {
				p.Corrupt("cpu  1 2 three 4\n")
			}
		})
		const want = `cpuwatch: ` // then the path, then the line
		if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), `malformed counter in "cpu  1 2 three 4"`) {
			t.Errorf("Watch = %v, want a malformed-counter error", err)
		}
		if n != 2 || time.Since(start) != 3*time.Second {
			t.Errorf("Watch failed after %d samples at %v, want 2 samples and 3s", n, time.Since(start))
		}
	})
}

func TestWatchShorthand(t *testing.T) {
	// Watch is Watcher{Interval}.Watch on /proc; its argument checks come
	// first, so they can be tested on any platform.
	if err := cpuwatch.Watch(t.Context(), -1, func(cpuwatch.Sample) {}); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("Watch(ctx, -1, fn) = %v, want an interval error", err)
	}
}

// TestWatchZeroInterval checks that Interval 0 means DefaultInterval: the
// samples come one second apart on the fake clock.
func TestWatchZeroInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := startFakeProc(t, []int{0}, func(int, int) bool { return false })
		ctx, cancel := context.WithCancel(t.Context())
		start := time.Now()
		var at []time.Duration
		err := (&cpuwatch.Watcher{ProcRoot: p.Root}).Watch(ctx, func(s cpuwatch.Sample) {
			at = append(at, time.Since(start))
			if len(at) == 3 {
				cancel()
			}
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Watch = %v, want context.Canceled", err)
		}
		want := []time.Duration{cpuwatch.DefaultInterval, 2 * cpuwatch.DefaultInterval, 3 * cpuwatch.DefaultInterval}
		if diff := cmp.Diff(want, at); diff != "" {
			t.Errorf("sample times mismatch (-want +got):\n%s", diff)
		}
	})
}

// TestWatchNoCallbackAfterCancel cancels from inside fn with an interval so
// short that the next tick is always due: Watch must not call fn again,
// though its select then finds both the timer and ctx ready.
func TestWatchNoCallbackAfterCancel(t *testing.T) {
	for i := range 200 {
		ctx, cancel := context.WithCancel(t.Context())
		n := 0
		err := (&cpuwatch.Watcher{Interval: time.Nanosecond, ProcRoot: "testdata/normal/proc"}).Watch(ctx, func(cpuwatch.Sample) {
			n++
			cancel()
		})
		if !errors.Is(err, context.Canceled) || n != 1 {
			t.Fatalf("run %d: Watch = %v after %d calls, want %v after 1", i, err, n, context.Canceled)
		}
	}
}

// TestWatchUnreadableStat covers a stat file that exists but cannot be
// read: a directory in its place, and (when not running as root, whom
// permissions do not stop) a file without read permission.
func TestWatchUnreadableStat(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(t *testing.T, stat string)
		contains string
	}{
		{"stat is a directory", func(t *testing.T, stat string) {
			if err := os.Mkdir(stat, 0o755); err != nil {
				t.Fatal(err)
			}
		}, "is a directory"},
		{"stat not readable", func(t *testing.T, stat string) {
			if os.Geteuid() == 0 {
				t.Skip("root reads files whatever their permissions")
			}
			if err := os.WriteFile(stat, []byte("cpu  1 2 3 4\n"), 0o200); err != nil {
				t.Fatal(err)
			}
		}, "permission denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			tt.setup(t, filepath.Join(root, "stat"))
			err := (&cpuwatch.Watcher{Interval: time.Second, ProcRoot: root}).Watch(t.Context(), func(cpuwatch.Sample) {
				t.Error("fn called")
			})
			if err == nil || !strings.HasPrefix(err.Error(), "cpuwatch: ") || !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("Watch = %v, want an error starting %q and containing %q", err, "cpuwatch: ", tt.contains)
			}
		})
	}
}

func TestWatcherWithDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   cpuwatch.Watcher
		want cpuwatch.Watcher
	}{
		{"zero", cpuwatch.Watcher{}, cpuwatch.Watcher{Interval: cpuwatch.DefaultInterval, Lead: cpuwatch.DefaultLead, Trail: cpuwatch.DefaultTrail}},
		{"set", cpuwatch.Watcher{Interval: time.Millisecond, Lead: 5, Trail: 7, MinSamples: 3},
			cpuwatch.Watcher{Interval: time.Millisecond, Lead: 5, Trail: 7, MinSamples: 3}},
		{"negative kept", cpuwatch.Watcher{Interval: -time.Second, Lead: -1, Trail: -1},
			cpuwatch.Watcher{Interval: -time.Second, Lead: -1, Trail: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.WithDefaults()
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(cpuwatch.Watcher{}, "OnSample")); diff != "" {
				t.Errorf("WithDefaults() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
