//go:build linux

package cpuwatch_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corescope/corescope/cpuwatch"
)

// copyTree copies the fixture tree src to a fresh directory, symbolic
// links as links, and returns it.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(l, to)
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// fifoAt replaces the file rel under root by a named pipe with no writer.
func fifoAt(t *testing.T, root, rel string) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
}

// TestNamedPipesRefused puts a named pipe with no writer where each file
// the package opens should be: opening one for reading would block until
// a writer came, past any context. Each call must instead fail promptly
// with an error that names the pipe.
func TestNamedPipesRefused(t *testing.T) {
	tests := []struct {
		name    string
		fixture string // under testdata
		fifo    string // relative to the fixture
		call    func(ctx context.Context, root string) error
	}{
		{"Watch stat", "normal", "proc/stat", func(ctx context.Context, root string) error {
			w := cpuwatch.Watcher{Interval: 10 * time.Millisecond, ProcRoot: filepath.Join(root, "proc")}
			return w.Watch(ctx, func(cpuwatch.Sample) {})
		}},
		{"Record stat", "normal", "proc/stat", func(ctx context.Context, root string) error {
			w := cpuwatch.Watcher{Interval: 10 * time.Millisecond, ProcRoot: filepath.Join(root, "proc"), SysRoot: root}
			_, err := w.Record(ctx, nil)
			return err
		}},
		{"thread stat", "threads/follow", "proc/100/task/101/stat", func(ctx context.Context, root string) error {
			w := cpuwatch.Watcher{Interval: 10 * time.Millisecond, ProcRoot: filepath.Join(root, "proc"), FollowSelf: true}
			return w.Watch(ctx, func(cpuwatch.Sample) {})
		}},
		{"children", "threads/follow", "proc/100/task/100/children", func(ctx context.Context, root string) error {
			w := cpuwatch.Watcher{Interval: 10 * time.Millisecond, ProcRoot: filepath.Join(root, "proc"), FollowSelf: true, FollowChildren: true}
			return w.Watch(ctx, func(cpuwatch.Sample) {})
		}},
		{"topology online", "topology/smt-on", "sys/devices/system/cpu/online", func(ctx context.Context, root string) error {
			_, err := (&cpuwatch.Watcher{SysRoot: filepath.Join(root, "sys")}).Topology()
			return err
		}},
		{"topology core_id", "topology/smt-on", "sys/devices/system/cpu/cpu0/topology/core_id", func(ctx context.Context, root string) error {
			_, err := (&cpuwatch.Watcher{SysRoot: filepath.Join(root, "sys")}).Topology()
			return err
		}},
		{"limits status", "cgroups/v2-set", "proc/42/status", func(ctx context.Context, root string) error {
			_, err := (&cpuwatch.Watcher{ProcRoot: filepath.Join(root, "proc"), SysRoot: filepath.Join(root, "sys")}).Limits()
			return err
		}},
		{"limits cgroup", "cgroups/v2-set", "proc/42/cgroup", func(ctx context.Context, root string) error {
			_, err := (&cpuwatch.Watcher{ProcRoot: filepath.Join(root, "proc"), SysRoot: filepath.Join(root, "sys")}).Limits()
			return err
		}},
		{"limits cpu.max", "cgroups/v2-set", "sys/fs/cgroup/box/cpu.max", func(ctx context.Context, root string) error {
			_, err := (&cpuwatch.Watcher{ProcRoot: filepath.Join(root, "proc"), SysRoot: filepath.Join(root, "sys")}).Limits()
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := copyTree(t, filepath.Join("testdata", tc.fixture))
			fifoAt(t, root, tc.fifo)
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- tc.call(ctx, root) }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), "named pipe") || !strings.HasPrefix(err.Error(), "cpuwatch: ") {
					t.Errorf("error = %v, want a cpuwatch error naming the named pipe", err)
				}
			case <-time.After(10 * time.Second):
				// Unblock the open so the goroutine can end.
				if f, err := os.OpenFile(filepath.Join(root, tc.fifo), os.O_WRONLY, 0); err == nil {
					f.Close()
				}
				t.Fatal("blocked on the named pipe, past its context")
			}
		})
	}
}
