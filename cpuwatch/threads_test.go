package cpuwatch_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corescope/corescope/cpuwatch"
)

// firstSample runs w.Watch until its first sample and returns it.
func firstSample(t *testing.T, w cpuwatch.Watcher) (cpuwatch.Sample, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var got cpuwatch.Sample
	err := w.Watch(ctx, func(s cpuwatch.Sample) {
		got = s.Clone()
		cancel()
	})
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return got, err
}

func TestFollowFixture(t *testing.T) {
	// The fixture's own process (self → 100) has two threads; its child
	// 200 has two, one of which started grandchild 400; 300 is unrelated.
	// The tree does not change, so every thread used no CPU in the interval.
	thread := func(pid, tid int, name string, cpu int) cpuwatch.ThreadUsage {
		return cpuwatch.ThreadUsage{PID: pid, TID: tid, Name: name, CPU: cpu}
	}
	var (
		t100 = thread(100, 100, "watcher", 0)
		t101 = thread(100, 101, "watcher", 1)
		t200 = thread(200, 200, "worker", 1)
		t201 = thread(200, 201, "worker-gil", 3)
		t300 = thread(300, 300, "bystander", 2)
		t400 = thread(400, 400, "grandchild", 2)
	)
	tests := []struct {
		name string
		w    cpuwatch.Watcher
		want []cpuwatch.ThreadUsage
	}{
		{"self", cpuwatch.Watcher{FollowSelf: true}, []cpuwatch.ThreadUsage{t100, t101}},
		{"self and children", cpuwatch.Watcher{FollowSelf: true, FollowChildren: true}, []cpuwatch.ThreadUsage{t100, t101, t200, t201, t400}},
		{"pid", cpuwatch.Watcher{FollowPIDs: []int{300}}, []cpuwatch.ThreadUsage{t300}},
		{"pids overlapping self", cpuwatch.Watcher{FollowSelf: true, FollowPIDs: []int{300, 100}}, []cpuwatch.ThreadUsage{t100, t101, t300}},
		{"child and its children", cpuwatch.Watcher{FollowPIDs: []int{200}, FollowChildren: true}, []cpuwatch.ThreadUsage{t200, t201, t400}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := tt.w
			w.Interval = 10 * time.Millisecond
			w.ProcRoot = filepath.Join("testdata", "threads", "follow", "proc")
			s, err := firstSample(t, w)
			if err != nil {
				t.Fatalf("Watch: %v", err)
			}
			if diff := cmp.Diff(tt.want, s.Threads); diff != "" {
				t.Errorf("Threads mismatch (-want +got):\n%s", diff)
			}
			if len(s.Cores) != 4 {
				t.Errorf("len(Cores) = %d, want 4: following must not disturb the core data", len(s.Cores))
			}
		})
	}
}

func TestFollowNothingLeavesThreadsNil(t *testing.T) {
	w := cpuwatch.Watcher{Interval: 10 * time.Millisecond, ProcRoot: filepath.Join("testdata", "threads", "follow", "proc")}
	s, err := firstSample(t, w)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if s.Threads != nil {
		t.Errorf("Threads = %v, want nil when following nothing", s.Threads)
	}
}

func TestFollowBadPID(t *testing.T) {
	for _, pid := range []int{0, -3, 999} {
		w := cpuwatch.Watcher{Interval: 10 * time.Millisecond, ProcRoot: filepath.Join("testdata", "threads", "follow", "proc"), FollowPIDs: []int{pid}}
		_, err := firstSample(t, w)
		if err == nil || !strings.HasPrefix(err.Error(), "cpuwatch: follow pid") {
			t.Errorf("Watch following pid %d: error = %v, want \"cpuwatch: follow pid …\"", pid, err)
		}
		if gone := pid > 0; errors.Is(err, cpuwatch.ErrNoProcess) != gone {
			t.Errorf("Watch following pid %d: errors.Is(%v, ErrNoProcess) = %v, want %v", pid, err, !gone, gone)
		}
	}
}

func TestSampleCloneCopiesThreads(t *testing.T) {
	s := cpuwatch.Sample{Threads: []cpuwatch.ThreadUsage{{PID: 1, TID: 1, CPU: 0}}}
	c := s.Clone()
	s.Threads[0].CPU = 7
	if c.Threads[0].CPU != 0 {
		t.Errorf("clone's Threads[0].CPU = %d after changing the original, want 0", c.Threads[0].CPU)
	}
}

func TestThreadUsageBusy(t *testing.T) {
	tests := []struct {
		name string
		u    cpuwatch.ThreadUsage
		want float64
	}{
		{"idle", cpuwatch.ThreadUsage{}, 0},
		{"user and system", cpuwatch.ThreadUsage{User: 0.5, System: 0.25}, 0.75},
		{"tick overshoot clamps", cpuwatch.ThreadUsage{User: 1, System: 0.1}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.u.Busy(); got != tt.want {
				t.Errorf("Busy() = %v, want %v", got, tt.want)
			}
		})
	}
}
