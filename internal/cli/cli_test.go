//go:build unix

package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corescope/corescope/cpuwatch"
)

func TestSignalStatus(t *testing.T) {
	for _, tc := range []struct {
		sig  os.Signal
		want int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}, {syscall.SIGKILL, 137}, {os.Interrupt, 130}} {
		if got := SignalStatus(tc.sig); got != tc.want {
			t.Errorf("SignalStatus(%v) = %d, want %d", tc.sig, got, tc.want)
		}
	}
}

func TestExitStatus(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	for _, tc := range []struct {
		name string
		argv []string
		want int
	}{
		{"success", []string{"sh", "-c", "exit 0"}, 0},
		{"exit 3", []string{"sh", "-c", "exit 3"}, 3},
		{"SIGTERM", []string{"sh", "-c", "kill -TERM $$"}, 143},
		{"SIGINT", []string{"sh", "-c", "kill -INT $$"}, 130},
		{"no such command", []string{"/does/not/exist"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := exec.Command(tc.argv[0], tc.argv[1:]...).Run()
			if got := ExitStatus(err); got != tc.want {
				t.Errorf("ExitStatus(%v) = %d, want %d", err, got, tc.want)
			}
		})
	}
}

func TestInterrupts(t *testing.T) {
	exited := make(chan int, 1)
	in, ctx := notify(context.Background(), func(c int) { exited <- c }, syscall.SIGUSR1)
	defer in.Stop()
	hooked := make(chan bool, 1)
	in.OnSecond(func() { hooked <- true })
	if in.Status() != 0 || ctx.Err() != nil {
		t.Fatal("interrupted before any signal")
	}
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the first signal did not cancel the context")
	}
	if got := in.Status(); got != 128+int(syscall.SIGUSR1) {
		t.Errorf("Status() = %d, want %d", got, 128+int(syscall.SIGUSR1))
	}
	select {
	case c := <-exited:
		t.Fatalf("exited with %d after one signal", c)
	default:
	}
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	select {
	case c := <-exited:
		if c != 128+int(syscall.SIGUSR1) {
			t.Errorf("exit(%d), want %d", c, 128+int(syscall.SIGUSR1))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the second signal did not exit")
	}
	select {
	case <-hooked:
	default:
		t.Error("OnSecond's hook did not run before the exit")
	}
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"fine", filepath.Join(dir, "out.png"), ""},
		{"missing directory", filepath.Join(dir, "nope", "out.png"), "no such file or directory"},
		{"parent is a file", filepath.Join(file, "out.png"), "not a directory"},
		{"a directory", dir, "is a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckWritable(tc.path)
			if tc.want == "" {
				if err != nil {
					t.Errorf("CheckWritable = %v, want nil", err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path) {
				t.Errorf("CheckWritable = %v, want an error naming %s: %s", err, tc.path, tc.want)
			}
			left, _ := os.ReadDir(dir)
			if len(left) != 1 {
				t.Errorf("%d entries left in the directory, want just the test's own file", len(left))
			}
		})
	}
}

func TestThreadUse(t *testing.T) {
	rec := &cpuwatch.Recording{}
	for _, s := range []cpuwatch.Sample{
		{Elapsed: time.Second, Threads: []cpuwatch.ThreadUsage{{PID: 1, TID: 1, User: 0.5}, {PID: 1, TID: 2}}},
		{Elapsed: 2 * time.Second, Threads: []cpuwatch.ThreadUsage{{PID: 1, TID: 1, System: 0.25}}},
		{Elapsed: time.Second},
	} {
		rec.Append(s)
	}
	n, cpu := ThreadUse(rec)
	if n != 2 || cpu != time.Second {
		t.Errorf("ThreadUse = %d threads, %v; want 2, 1s", n, cpu)
	}
	if n, cpu := ThreadUse(&cpuwatch.Recording{}); n != 0 || cpu != 0 {
		t.Errorf("ThreadUse(empty) = %d, %v", n, cpu)
	}
}
