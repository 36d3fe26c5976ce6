//go:build linux

package schedtrace_test

import (
	"context"
	"errors"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/corescope/corescope/schedtrace"
	"golang.org/x/sys/unix"
)

// canTrace skips the test with the reason when this machine cannot trace.
func canTrace(t testing.TB) {
	t.Helper()
	r, err := (&schedtrace.Tracer{}).Start()
	var ae *schedtrace.AccessError
	if errors.As(err, &ae) {
		t.Skipf("cannot trace here: %v", err)
	}
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if _, err := r.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

// spin keeps two locked threads going for d: tids[0] spins, tids[1]
// sleeps a millisecond at a time.
func spin(d time.Duration) (tids [2]int) {
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			tids[i] = unix.Gettid()
			end := time.Now().Add(d)
			for time.Now().Before(end) {
				if i == 1 {
					time.Sleep(time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	return tids
}

func TestRecordSelf(t *testing.T) {
	canTrace(t)
	var tids [2]int
	tr, err := (&schedtrace.Tracer{}).Record(t.Context(), func(context.Context) error {
		tids = spin(200 * time.Millisecond)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Duration < 200*time.Millisecond {
		t.Errorf("Duration = %v, want >= 200ms", tr.Duration)
	}
	for i, tid := range tids {
		th := tr.Thread(tid)
		if th == nil {
			t.Fatalf("thread %d missing from the trace", tid)
		}
		if th.PID != os.Getpid() {
			t.Errorf("thread %d: PID = %d, want %d", tid, th.PID, os.Getpid())
		}
		// However loaded the machine, a spinner waits only for a CPU and
		// a sleeper mostly sleeps: structure, not timing.
		if i == 0 && (th.Running() == 0 || th.Asleep >= th.Running()+th.Runnable) {
			t.Errorf("spinning thread %d: running %v, runnable %v, asleep %v; want it never mostly asleep",
				tid, th.Running(), th.Runnable, th.Asleep)
		}
		if i == 1 && (th.Switches < 2 || th.Asleep <= th.Running()) {
			t.Errorf("sleeping thread %d: Asleep = %v, Running = %v, Switches = %d; want mostly asleep",
				tid, th.Asleep, th.Running(), th.Switches)
		}
		if sum := th.Running() + th.Runnable + th.Asleep; sum > tr.Duration {
			t.Errorf("thread %d: running+runnable+asleep = %v > duration %v", tid, sum, tr.Duration)
		}
		t.Logf("%+v", *th)
	}
	for _, s := range tr.Slices {
		if s.PID != os.Getpid() {
			t.Fatalf("slice of another process: %+v", s)
		}
		if s.Start > s.End || s.End > tr.Duration {
			t.Fatalf("slice out of bounds: %+v (duration %v)", s, tr.Duration)
		}
	}
	t.Logf("%d slices, %d wakeups, %d threads, lost %+v", len(tr.Slices), len(tr.Wakeups), len(tr.Threads), tr.Lost)
}
