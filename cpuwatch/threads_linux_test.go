//go:build linux

package cpuwatch_test

import (
	"context"
	"os/exec"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/corescope/corescope/cpuwatch"
)

// spinLocked runs n goroutines, each locked to its own OS thread and
// spinning until ctx is done, and returns their thread ids once all have
// started. wait blocks until they have stopped.
func spinLocked(ctx context.Context, n int) (tids []int, wait func()) {
	var wg sync.WaitGroup
	ids := make(chan int, n)
	for range n {
		wg.Go(func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			ids <- unix.Gettid()
			x := 0
			for ctx.Err() == nil {
				for i := range 10000 {
					x += i
				}
			}
			_ = x
		})
	}
	for range n {
		tids = append(tids, <-ids)
	}
	return tids, wg.Wait
}

func TestFollowSelfFindsSpinningThreads(t *testing.T) {
	w := cpuwatch.Watcher{Interval: 20 * time.Millisecond, FollowSelf: true, Lead: 1, Trail: 1}
	var tids []int
	rec, err := w.Record(t.Context(), func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 600*time.Millisecond)
		defer cancel()
		var wait func()
		tids, wait = spinLocked(ctx, 2)
		wait()
		return nil
	})
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	online := runtime.NumCPU()
	for _, tid := range tids {
		var busy time.Duration
		cpus := map[int]bool{}
		for _, s := range rec.Samples {
			for _, th := range s.Threads {
				if th.TID != tid {
					continue
				}
				if th.PID != unix.Getpid() {
					t.Errorf("thread %d: PID = %d, want %d", tid, th.PID, unix.Getpid())
				}
				if th.CPU < 0 || th.CPU >= 4096 {
					t.Errorf("thread %d: CPU = %d, not a CPU id", tid, th.CPU)
				}
				if b := th.Busy(); b < 0 || b > 1 {
					t.Errorf("thread %d: Busy() = %v, want within [0, 1]", tid, b)
				}
				busy += time.Duration(th.Busy() * float64(s.Elapsed))
				cpus[th.CPU] = true
			}
		}
		// 600 ms of spinning on a 2-core machine that others share and
		// under -race: ask for a tenth of it, a few ticks.
		if busy < 60*time.Millisecond {
			t.Errorf("thread %d: seen busy for %v in total, want ≥ 60ms of its 600ms spin", tid, busy)
		}
		if len(cpus) == 0 {
			t.Errorf("thread %d: never seen on any CPU", tid)
		}
		t.Logf("thread %d: busy %v on CPUs %v (of %d)", tid, busy, cpus, online)
	}
}

func TestFollowChildrenFindsChildProcess(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to start as a child")
	}
	w := cpuwatch.Watcher{Interval: 20 * time.Millisecond, FollowSelf: true, FollowChildren: true, Lead: 1, Trail: 1}
	var childPID int
	rec, err := w.Record(t.Context(), func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		cmd := exec.CommandContext(ctx, sh, "-c", "while :; do :; done")
		if err := cmd.Start(); err != nil {
			return err
		}
		childPID = cmd.Process.Pid
		_ = cmd.Wait() // killed by ctx: the expected end
		return nil
	})
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	var busy float64
	seen := 0
	for _, s := range rec.Samples {
		for _, th := range s.Threads {
			if th.PID == childPID {
				seen++
				busy += th.Busy() * s.Elapsed.Seconds()
			}
		}
	}
	if seen == 0 {
		t.Fatalf("child %d never appeared in Sample.Threads", childPID)
	}
	// 300 ms of a shell loop; ask for a sixth of it.
	if busy < 0.05 {
		t.Errorf("child %d busy for %.3fs in total, want ≥ 0.05s of its 0.3s loop", childPID, busy)
	}
	last := rec.Samples[len(rec.Samples)-1]
	for _, th := range last.Threads {
		if th.PID == childPID {
			t.Errorf("child %d still listed after it exited and was reaped", childPID)
		}
	}
}
