//go:build linux

package schedtrace_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/schedtrace"
	"github.com/google/go-cmp/cmp"
)

func countFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// countPerfMaps counts this process's perf ring-buffer mappings.
func countPerfMaps(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "perf_event")
}

// TestStartStopLeaksNothing starts and stops 200 recordings, half of them
// through a cancelled Record, and checks that every perf fd, mapping and
// goroutine went away.
func TestStartStopLeaksNothing(t *testing.T) {
	canTrace(t)
	fds, gs := countFDs(t), runtime.NumGoroutine()
	if n := countPerfMaps(t); n != 0 {
		t.Fatalf("%d perf mappings before the test", n)
	}
	for i := range 200 {
		tr := &schedtrace.Tracer{BufferPages: 1}
		if i%2 == 0 {
			r, err := tr.Start()
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 && countPerfMaps(t) == 0 {
				t.Fatal("no perf mapping seen while recording: the leak check would see none either")
			}
			if _, err := r.Stop(); err != nil {
				t.Fatal(err)
			}
			continue
		}
		ctx, cancel := context.WithCancel(t.Context())
		start := time.Now()
		got, err := tr.Record(ctx, func(ctx context.Context) error {
			cancel()
			<-ctx.Done()
			return ctx.Err()
		})
		if !errors.Is(err, context.Canceled) || got == nil {
			t.Fatalf("cancelled Record = %v, %v; want a trace and context.Canceled", got, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("a cancelled Record took %v", d)
		}
	}
	// Goroutines end just after Stop returns; give them a moment.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > gs && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := countFDs(t); got > fds {
		t.Errorf("fds: %d before, %d after 200 recordings", fds, got)
	}
	if got := countPerfMaps(t); got != 0 {
		t.Errorf("%d perf ring-buffer mappings left after 200 recordings", got)
	}
	if got := runtime.NumGoroutine(); got > gs {
		t.Errorf("goroutines: %d before, %d after 200 recordings", gs, got)
	}
}

// TestOverflowIsCounted traces the whole machine into one-page buffers
// while it is busy switching, so the kernel must drop events, and checks
// that the trace says so.
func TestOverflowIsCounted(t *testing.T) {
	canTrace(t)
	tr, err := (&schedtrace.Tracer{All: true, BufferPages: 1}).Record(t.Context(), func(ctx context.Context) error {
		// Two threads handing a token back and forth switch as fast as
		// the machine can; 50 ms drains never keep up with one page.
		a, b := make(chan int), make(chan int)
		done := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			for v := range a {
				b <- v
			}
			close(done)
		}()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); {
			a <- 1
			<-b
		}
		close(a)
		<-done
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Lost.Kernel == 0 {
		t.Errorf("Lost.Kernel = 0 with one-page buffers and %d slices", len(tr.Slices))
	}
	if !tr.Lost.Any() {
		t.Error("Lost.Any() = false")
	}
	t.Logf("lost %+v, kept %d slices", tr.Lost, len(tr.Slices))
}

// TestCPUOfflineSinceListed lists CPUs 0-3 as online; those that do not
// exist on this machine (as if they went offline before the open) are
// left out of the trace rather than failing it.
func TestCPUOfflineSinceListed(t *testing.T) {
	canTrace(t)
	if runtime.NumCPU() > 3 {
		t.Skip("needs a machine with fewer than 4 CPUs")
	}
	r, err := (&schedtrace.Tracer{SysRoot: "testdata/sys/offline-since-listed"}).Start()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := r.Stop()
	if err != nil {
		t.Fatal(err)
	}
	var want []int
	for c := range runtime.NumCPU() {
		want = append(want, c)
	}
	if diff := cmp.Diff(want, tr.CPUs); diff != "" {
		t.Errorf("CPUs mismatch (-want +got):\n%s", diff)
	}
}

// TestChildAfterPidWrap makes the recorder believe the pid counter is far
// ahead, so every process forked during the trace looks like a wrapped
// pid: the kernel filter must be replaced, and a child that runs after
// that must be in the trace.
func TestChildAfterPidWrap(t *testing.T) {
	canTrace(t)
	proc := t.TempDir()
	pid := strconv.Itoa(os.Getpid())
	if err := os.Symlink("/proc/"+pid, filepath.Join(proc, pid)); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(proc, "sys/kernel"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]string{"ns_last_pid": "3000000", "pid_max": "4194304"} {
		if err := os.WriteFile(filepath.Join(proc, "sys/kernel", name), []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var child int
	tr, err := (&schedtrace.Tracer{FollowSelf: true, FollowChildren: true, ProcRoot: proc}).Record(t.Context(),
		func(ctx context.Context) error {
			cmd := exec.CommandContext(ctx, "sh", "-c", "sleep 0.3; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done")
			if err := cmd.Start(); err != nil {
				return err
			}
			child = cmd.Process.Pid
			return cmd.Wait()
		})
	if err != nil {
		t.Fatal(err)
	}
	var ran time.Duration
	for _, th := range tr.Threads {
		if th.PID == child {
			ran += th.Running()
		}
	}
	if ran < 5*time.Millisecond {
		t.Errorf("the child forked after the wrap ran %v in the trace, want its busy loop", ran)
	}
}

// TestChildForkedMidTrace follows this process; a child it forks during
// the trace is followed with FollowChildren and left out without.
func TestChildForkedMidTrace(t *testing.T) {
	canTrace(t)
	for _, children := range []bool{true, false} {
		var child int
		tr, err := (&schedtrace.Tracer{FollowSelf: true, FollowChildren: children}).Record(t.Context(),
			func(ctx context.Context) error {
				cmd := exec.CommandContext(ctx, "sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done")
				if err := cmd.Start(); err != nil {
					return err
				}
				child = cmd.Process.Pid
				return cmd.Wait()
			})
		if err != nil {
			t.Fatal(err)
		}
		var ran time.Duration
		for _, th := range tr.Threads {
			if th.PID == child {
				ran += th.Running()
				if th.Name != "sh" {
					t.Errorf("child thread %d is named %q, want sh", th.TID, th.Name)
				}
			}
		}
		if children && ran < 5*time.Millisecond {
			t.Errorf("FollowChildren: the child ran %v in the trace, want its busy loop", ran)
		}
		if !children && ran != 0 {
			t.Errorf("without FollowChildren the child is in the trace (%v on CPU)", ran)
		}
	}
}
