//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var binary string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "watch-test")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		binary = filepath.Join(dir, "watch")
		if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}())
}

// output is a file a command writes, readable while it runs. A file, not
// a pipe: a grandchild that outlives watch would hold a pipe open and
// keep Wait from returning.
type output struct{ f *os.File }

func (o output) String() string {
	b, _ := os.ReadFile(o.f.Name())
	return string(b)
}

func newOutput(t *testing.T, name string) output {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return output{f}
}

// watch is a running watch command in its own directory.
type watch struct {
	t              *testing.T
	dir            string
	cmd            *exec.Cmd
	stdout, stderr output
	done           chan struct{}
	code           int
	took           time.Duration
}

func start(t *testing.T, args ...string) *watch {
	t.Helper()
	w := &watch{t: t, dir: t.TempDir(), done: make(chan struct{}),
		stdout: newOutput(t, "stdout"), stderr: newOutput(t, "stderr")}
	w.cmd = exec.Command(binary, args...)
	w.cmd.Dir = w.dir
	w.cmd.Stdout, w.cmd.Stderr = w.stdout.f, w.stderr.f
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	go func() {
		err := w.cmd.Wait()
		w.took = time.Since(t0)
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			w.code = exit.ExitCode()
		case err != nil:
			w.code = -1
		}
		close(w.done)
	}()
	t.Cleanup(func() {
		w.cmd.Process.Kill()
		<-w.done
	})
	return w
}

// wait waits for watch to exit, at most limit, and returns its status.
func (w *watch) wait(limit time.Duration) int {
	w.t.Helper()
	select {
	case <-w.done:
		return w.code
	case <-time.After(limit):
		w.t.Fatalf("watch still running after %v; stderr:\n%s", limit, w.stderr.String())
		return 0
	}
}

// until waits, at most 30 s, for cond.
func (w *watch) until(what string, cond func() bool) {
	w.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			w.t.Fatalf("no %s after 30 s; stderr:\n%s", what, w.stderr.String())
		}
	}
}

func (w *watch) exists(name string) bool {
	_, err := os.Stat(filepath.Join(w.dir, name))
	return err == nil
}

func (w *watch) files() []string {
	ents, _ := os.ReadDir(w.dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestExitStatusPassedOn(t *testing.T) {
	for _, tc := range []struct {
		script string
		want   int
	}{{"exit 0", 0}, {"exit 3", 3}, {"kill -TERM $$", 143}} {
		t.Run(tc.script, func(t *testing.T) {
			w := start(t, "-interval", "100ms", "--", "sh", "-c", tc.script)
			if got := w.wait(60 * time.Second); got != tc.want {
				t.Errorf("exit status %d, want %d; stderr:\n%s", got, tc.want, w.stderr.String())
			}
			if !w.exists("watch.png") {
				t.Errorf("no watch.png; files %v", w.files())
			}
		})
	}
}

func TestIdleCommandIsAResult(t *testing.T) {
	w := start(t, "-interval", "100ms", "--", "sleep", "0.5")
	if got := w.wait(60 * time.Second); got != 0 {
		t.Fatalf("exit status %d, want 0; stderr:\n%s", got, w.stderr.String())
	}
	out := w.stdout.String() + w.stderr.String()
	if !strings.Contains(out, "sleep used no CPU time") {
		t.Errorf("output does not say the command used no CPU:\n%s", out)
	}
	if strings.Contains(out, "AllThreads") {
		t.Errorf("output mentions AllThreads, which watch does not offer:\n%s", out)
	}
	for _, f := range []string{"watch.png", "watch-threads.png"} {
		if !w.exists(f) {
			t.Errorf("no %s; files %v", f, w.files())
		}
	}
}

// TestPIDGoneAtOnce follows a process that ends right after the
// recording starts: a normal, idle result.
func TestPIDGoneAtOnce(t *testing.T) {
	p := exec.Command("sh", "-c", "read x")
	stdin, err := p.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	w := start(t, "-interval", "200ms", "-pid", strconv.Itoa(p.Process.Pid))
	w.until("recording", func() bool { return strings.Contains(w.stderr.String(), "recording") })
	stdin.Close()
	p.Wait() // reaped at once: no zombie keeps the PID alive
	if got := w.wait(60 * time.Second); got != 0 {
		t.Fatalf("exit status %d, want 0; stderr:\n%s", got, w.stderr.String())
	}
	out := w.stdout.String() + w.stderr.String()
	if !strings.Contains(out, "used no CPU time") || strings.Contains(out, "has no threads") || strings.Contains(out, "record with a watcher") {
		t.Errorf("output should say the PID used no CPU, and nothing of watchers:\n%s", out)
	}
	if !w.exists("watch.png") {
		t.Errorf("no watch.png; files %v", w.files())
	}
}

func TestBadFlagsWriteNothing(t *testing.T) {
	for _, args := range [][]string{
		{"-pid", "999999"},
		{"-interval", "0"},
		{"-interval", "-1s"},
		{"-pid", "-5"},
		{"-pid", "1", "--", "true"},
		{"-o", "watch.gif", "--", "true"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			w := start(t, args...)
			if got := w.wait(30 * time.Second); got != 2 {
				t.Errorf("exit status %d, want 2; stderr:\n%s", got, w.stderr.String())
			}
			if f := w.files(); len(f) != 0 {
				t.Errorf("left files %v", f)
			}
		})
	}
}

func TestOutputCheckedBeforeRecording(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{
		"missing directory": filepath.Join(t.TempDir(), "nope", "x.png"),
		"parent is a file":  filepath.Join(file, "x.png"),
	} {
		t.Run(name, func(t *testing.T) {
			w := start(t, "-interval", "2s", "-o", out, "--", "sh", "-c", "touch started")
			if got := w.wait(10 * time.Second); got == 0 {
				t.Errorf("exit status 0, want a failure")
			}
			if w.took > 1500*time.Millisecond || strings.Contains(w.stderr.String(), "recording") || w.exists("started") {
				t.Errorf("recorded (took %v) before finding the output unwritable; stderr:\n%s", w.took, w.stderr.String())
			}
			if !strings.Contains(w.stderr.String(), out) {
				t.Errorf("stderr does not name %s:\n%s", out, w.stderr.String())
			}
		})
	}
}

func TestInterruptBeforeFirstSample(t *testing.T) {
	w := start(t, "-interval", "3s", "--", "sh", "-c", "touch started")
	w.until("recording", func() bool { return strings.Contains(w.stderr.String(), "recording") })
	w.cmd.Process.Signal(os.Interrupt)
	got := w.wait(10 * time.Second)
	if w.took > 2500*time.Millisecond {
		t.Errorf("exit took %v after Ctrl-C before the first 3 s sample", w.took)
	}
	if got != 130 {
		t.Errorf("exit status %d, want 130; stderr:\n%s", got, w.stderr.String())
	}
	time.Sleep(100 * time.Millisecond)
	if w.exists("started") {
		t.Error("the command ran although Ctrl-C came before it started")
	}
}

func TestInterruptStopsPromptly(t *testing.T) {
	w := start(t, "-interval", "4s", "--", "sh", "-c", "touch started; exec sleep 60")
	w.until("command", func() bool { return w.exists("started") })
	t0 := time.Now()
	w.cmd.Process.Signal(os.Interrupt)
	got := w.wait(30 * time.Second)
	if d := time.Since(t0); d > 3*time.Second {
		t.Errorf("exit took %v after Ctrl-C, want well under the 4 s interval", d)
	}
	if got != 130 {
		t.Errorf("exit status %d, want the command's 130 (SIGINT); stderr:\n%s", got, w.stderr.String())
	}
	if !w.exists("watch.png") {
		t.Errorf("what was recorded is lost: files %v; stderr:\n%s", w.files(), w.stderr.String())
	}
}

func TestSecondInterruptExitsAtOnce(t *testing.T) {
	w := start(t, "-interval", "200ms", "--", "sh", "-c", `trap "" INT; echo $$ > started; while :; do sleep 0.1; done`)
	w.until("command", func() bool {
		b, _ := os.ReadFile(filepath.Join(w.dir, "started"))
		return len(b) > 0
	})
	b, _ := os.ReadFile(filepath.Join(w.dir, "started"))
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	w.cmd.Process.Signal(os.Interrupt)
	time.Sleep(200 * time.Millisecond)
	t0 := time.Now()
	w.cmd.Process.Signal(os.Interrupt)
	got := w.wait(30 * time.Second)
	if d := time.Since(t0); d > 1500*time.Millisecond {
		t.Errorf("exit took %v after the second Ctrl-C, want at once", d)
	}
	if got != 130 {
		t.Errorf("exit status %d, want 130; stderr:\n%s", got, w.stderr.String())
	}
	// The command that ignored Ctrl-C is gone, or a zombie left to init.
	time.Sleep(200 * time.Millisecond)
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && !bytes.Contains(b, []byte(") Z")) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("the command (pid %d) outlived watch: %s", pid, b)
	}
}
