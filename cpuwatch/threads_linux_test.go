//go:build linux

package cpuwatch_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/corescope/corescope/cpuwatch"
)

// spinLocked runs n goroutines, each locked to its own OS thread and
// spinning until it has used cpu of its own CPU time (by its thread CPU
// clock) or ctx is done, and returns their thread ids once all have started.
// wait blocks until they have stopped. Spinning for CPU time rather than wall
// time keeps the tests' claims true on a loaded machine: the spin just takes
// longer.
func spinLocked(ctx context.Context, n int, cpu time.Duration) (tids []int, wait func()) {
	var wg sync.WaitGroup
	ids := make(chan int, n)
	for range n {
		wg.Go(func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			ids <- unix.Gettid()
			start := threadCPU() // Go reuses threads: count from here
			x := 0
			for ctx.Err() == nil && threadCPU()-start < cpu {
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

// threadCPU returns the calling thread's CPU time.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// onCPU returns a process's CPU time so far from /proc/PID/schedstat, in
// nanoseconds, or 0 when it cannot be read.
func onCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/schedstat", pid))
	if err != nil {
		return 0
	}
	var ns int64
	if _, err := fmt.Sscan(string(b), &ns); err != nil {
		return 0
	}
	return time.Duration(ns)
}

func TestFollowSelfFindsSpinningThreads(t *testing.T) {
	w := cpuwatch.Watcher{Interval: 20 * time.Millisecond, FollowSelf: true, Lead: 1, Trail: 1}
	var tids []int
	rec, err := w.Record(t.Context(), func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		var wait func()
		tids, wait = spinLocked(ctx, 2, 200*time.Millisecond)
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
		for _, s := range rec.All() {
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
		// Each thread used 200 ms of CPU by its own clock; the kernel's
		// tick-based utime and stime may round a little either way, so
		// ask for half of it.
		if busy < 100*time.Millisecond {
			t.Errorf("thread %d: seen busy for %v in total, want ≥ 100ms of its 200ms of CPU", tid, busy)
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
	var used time.Duration
	rec, err := w.Record(t.Context(), func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, sh, "-c", "while :; do :; done")
		if err := cmd.Start(); err != nil {
			return err
		}
		childPID = cmd.Process.Pid
		// Let the loop use 150 ms of CPU however loaded the machine is,
		// then stop it; wait4's rusage says what it really used.
		for ctx.Err() == nil && onCPU(childPID) < 150*time.Millisecond {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
		_ = cmd.Wait() // killed: the expected end
		if u, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			used = time.Duration(u.Utime.Nano() + u.Stime.Nano())
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	var busy float64
	seen := 0
	for _, s := range rec.All() {
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
	// The loop used at least 150 ms of CPU (used, by wait4); ticks round
	// a little either way, so ask for half of what it used.
	if used < 150*time.Millisecond {
		t.Fatalf("child %d used %v of CPU by wait4, want at least the 150ms it was given", childPID, used)
	}
	if busy < used.Seconds()/2 {
		t.Errorf("child %d seen busy for %.3fs in total, want ≥ half of the %v it used", childPID, busy, used)
	}
	last := rec.Sample(rec.Len() - 1)
	for _, th := range last.Threads {
		if th.PID == childPID {
			t.Errorf("child %d still listed after it exited and was reaped", childPID)
		}
	}
}
