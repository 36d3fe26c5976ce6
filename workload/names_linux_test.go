//go:build linux

package workload_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/workload"
	"github.com/google/go-cmp/cmp"
)

// threadComms maps each thread id of this process to its name (comm).
func threadComms(t *testing.T) map[string]string {
	t.Helper()
	paths, err := filepath.Glob("/proc/self/task/*/comm")
	if err != nil || len(paths) == 0 {
		t.Fatalf("listing /proc/self/task/*/comm: %v (%d threads)", err, len(paths))
	}
	m := make(map[string]string)
	for _, p := range paths {
		// A thread may end between the listing and the read.
		if b, err := os.ReadFile(p); err == nil {
			m[filepath.Base(filepath.Dir(p))] = strings.TrimSuffix(string(b), "\n")
		}
	}
	return m
}

// whileRunning runs m with ctx cancelled once found returns true, polling it
// while m runs; m must be sized to outlast any poll (a minute of work). It
// fails the test if m ends first or found never holds within 30 s.
func whileRunning(t *testing.T, m workload.Model, found func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := m.Run(ctx)
		done <- err
	}()
	// Generous: the workers only need to start, but CI runs under -race
	// on a shared 2-core machine.
	deadline := time.Now().Add(30 * time.Second)
	ok := false
	for !ok && time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("%v.Run() ended before the check was done: %v", m, err)
		case <-time.After(5 * time.Millisecond):
		}
		ok = found()
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("%v.Run() after cancel = %v, want %v", m, err, context.Canceled)
	}
	if !ok {
		t.Errorf("%v: the expected names never showed up within 30 s", m)
	}
}

func TestWorkerThreadsAreNamed(t *testing.T) {
	long := workload.Work{N: 1 << 12, Duration: time.Minute}
	for _, tc := range []struct {
		m    workload.Model
		want []string
	}{
		{workload.Serial{Work: long}, []string{"serial/0"}},
		{workload.Threads{N: 3, Work: long, Pin: true}, []string{"thread/0", "thread/1", "thread/2"}},
		{workload.GIL{N: 2, Work: long, Version: workload.Python2}, []string{"gil-py2/0", "gil-py2/1"}},
		{workload.GIL{N: 2, Work: long, Version: workload.Python3}, []string{"gil-py3/0", "gil-py3/1"}},
	} {
		t.Run(tc.m.String(), func(t *testing.T) {
			before := threadComms(t)
			var got []string
			whileRunning(t, tc.m, func() bool {
				got = got[:0]
				for _, name := range threadComms(t) {
					if slices.Contains(tc.want, name) {
						got = append(got, name)
					}
				}
				slices.Sort(got)
				return slices.Equal(got, tc.want)
			})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("worker thread names while running mismatch (-want +got):\n%s", diff)
			}
			// The threads went back to the runtime: each must have its
			// old name back, or a Go thread would wear a worker's.
			old := make(map[string]bool)
			for _, name := range before {
				old[name] = true
			}
			for tid, name := range threadComms(t) {
				if !old[name] {
					t.Errorf("thread %s is named %q after the run, want one of the names before it (%v)", tid, name, before)
				}
			}
		})
	}
}

func TestWorkerProcessesAreNamed(t *testing.T) {
	m := workload.Processes{N: 2, Work: workload.Work{N: 1 << 12, Duration: time.Minute}}
	want := []string{"proc/0", "proc/1"}
	var got []string
	whileRunning(t, m, func() bool {
		got = got[:0]
		for _, pid := range childrenOf(os.Getpid()) {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
			if err == nil {
				got = append(got, strings.TrimSuffix(string(b), "\n"))
			}
		}
		slices.Sort(got)
		return slices.Equal(got, want)
	})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("worker process names (/proc/<pid>/comm) mismatch (-want +got):\n%s", diff)
	}
	noChildren(t)
}
