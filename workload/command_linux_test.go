//go:build linux

package workload_test

import (
	"context"
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

	"github.com/google/go-cmp/cmp"

	"github.com/corescope/corescope/workload"
)

// helperMain is this test binary as a small program for the Command tests:
//
//	burn:MS       burn CPU for MS milliseconds, print "burnt"
//	fork:K:MS     start K copies of itself that each burn MS ms, wait for
//	              them, print "forked K"
func helperMain(h string) int {
	f := strings.Split(h, ":")
	switch {
	case f[0] == "burn" && len(f) == 2:
		ms, _ := strconv.Atoi(f[1])
		burn(time.Duration(ms) * time.Millisecond)
		fmt.Println("burnt")
		return 0
	case f[0] == "fork" && len(f) == 3:
		k, _ := strconv.Atoi(f[1])
		var cmds []*exec.Cmd
		for range k {
			cmd := exec.Command("/proc/self/exe")
			cmd.Env = append(os.Environ(), helperEnv+"=burn:"+f[2])
			if err := cmd.Start(); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 3
			}
			cmds = append(cmds, cmd)
		}
		for _, cmd := range cmds {
			if err := cmd.Wait(); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 3
			}
		}
		fmt.Println("forked", k)
		return 0
	}
	fmt.Fprintf(os.Stderr, "unknown helper %q\n", h)
	return 2
}

// burn spins on the CPU (not asleep) for d of this thread's CPU time.
func burn(d time.Duration) {
	var ts syscall.Timespec
	cpu := func() time.Duration {
		// CLOCK_THREAD_CPUTIME_ID is 3.
		syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 3, uintptr(unsafeTimespec(&ts)), 0)
		return time.Duration(ts.Nano())
	}
	for end := cpu() + d; cpu() < end; {
		for range 10000 {
		}
	}
}

func sh(script string) workload.Command {
	return workload.Command{Path: "sh", Args: []string{"-c", script}, Name: "sh"}
}

func TestCommandExit(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh on PATH:", err)
	}
	long := strings.Repeat("x", 10000) + "THE END"
	tests := []struct {
		name       string
		script     string
		wantOut    string
		wantErr    bool
		wantStatus int
		wantSignal syscall.Signal
		wantStderr string // a suffix of ExitError.Stderr
		wantCut    bool   // Stderr starts with "…"
	}{
		{name: "success", script: "echo 42; echo noise >&2", wantOut: "42\n"},
		{name: "status 3", script: "exit 3", wantErr: true, wantStatus: 3},
		{name: "status and stderr", script: "echo partial; echo 'it broke' >&2; exit 7", wantOut: "partial\n",
			wantErr: true, wantStatus: 7, wantStderr: "it broke"},
		{name: "killed", script: "echo dying >&2; kill -9 $$", wantErr: true, wantStatus: -1, wantSignal: syscall.SIGKILL, wantStderr: "dying"},
		{name: "long stderr keeps its tail", script: "printf '%s\\n' '" + long + "' >&2; exit 1", wantErr: true, wantStatus: 1,
			wantStderr: "THE END", wantCut: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := sh(tc.script).Run(t.Context())
			if got := string(rep.Stdout); got != tc.wantOut {
				t.Errorf("Stdout = %q, want %q", got, tc.wantOut)
			}
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				return
			}
			var xe *workload.ExitError
			if !errors.As(err, &xe) {
				t.Fatalf("Run error = %v (%T), want an *ExitError", err, err)
			}
			if xe.Status != tc.wantStatus || xe.Signal != tc.wantSignal {
				t.Errorf("Status, Signal = %d, %v; want %d, %v", xe.Status, xe.Signal, tc.wantStatus, tc.wantSignal)
			}
			if !strings.HasSuffix(xe.Stderr, tc.wantStderr) {
				t.Errorf("Stderr = %q, want it to end in %q", xe.Stderr, tc.wantStderr)
			}
			if cut := strings.HasPrefix(xe.Stderr, "…"); cut != tc.wantCut || len(xe.Stderr) > 4200 {
				t.Errorf("Stderr is %d bytes, cut %v; want at most 4 KiB, cut %v", len(xe.Stderr), cut, tc.wantCut)
			}
			if !strings.Contains(err.Error(), "workload: sh -c") || (tc.wantStderr != "" && !strings.Contains(err.Error(), tc.wantStderr)) {
				t.Errorf("error %q names neither the command nor the stderr", err)
			}
			if xe.Pid <= 0 || alive(xe.Pid) {
				t.Errorf("Pid = %d: want the program's, gone", xe.Pid)
			}
		})
	}
	noChildren(t)
}

func TestCommandBadInput(t *testing.T) {
	for _, c := range []workload.Command{{}, {Path: "/nonexistent/program"}} {
		if _, err := c.Run(t.Context()); err == nil || !strings.HasPrefix(err.Error(), "workload: ") {
			t.Errorf("%+v: Run error = %v, want a workload: error", c, err)
		}
	}
}

// TestCommandCPUOfChildren runs a program that forks two children burning
// CPU and waits for them: the report's CPU must include theirs.
func TestCommandCPUOfChildren(t *testing.T) {
	const each = 150 * time.Millisecond
	c := workload.Command{Path: "/proc/self/exe", Env: append(os.Environ(), helperEnv+"=fork:2:150"),
		Parse: func(out []byte, rep *workload.Report) error {
			if string(out) != "forked 2\n" {
				return fmt.Errorf("stdout %q", out)
			}
			rep.Workers = []workload.WorkerReport{{ID: 0, Result: 2}}
			return nil
		}}
	rep, err := c.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.CPU(); got < 2*each*9/10 {
		t.Errorf("CPU = %v, want at least the children's 2 × %v", got, each)
	}
	if diff := cmp.Diff([]workload.WorkerReport{{ID: 0, Result: 2}}, rep.Workers); diff != "" {
		t.Errorf("Workers set by Parse mismatch (-want +got):\n%s", diff)
	}
	if rep.Wall <= 0 || rep.ContextSwitches() <= 0 {
		t.Errorf("Wall = %v, context switches = %d; want both > 0", rep.Wall, rep.ContextSwitches())
	}
	if rep.Model != "exe" {
		t.Errorf("Model = %q, want the base name exe", rep.Model)
	}
	noChildren(t)
}

func TestCommandParseError(t *testing.T) {
	c := sh("echo garbage")
	c.Parse = func([]byte, *workload.Report) error { return errors.New("no result line") }
	if _, err := c.Run(t.Context()); err == nil || err.Error() != "workload: sh: no result line" {
		t.Errorf("Run error = %v, want workload: sh: no result line", err)
	}
}

// survivors starts script (which must write its own pid and then those of
// the processes it starts, one a line, to $PIDS), waits for want pids to
// appear, then calls act; after Run has returned, it checks that neither
// the group nor any of them survives, as a process or a zombie.
func survivors(t *testing.T, script string, want int, act func(cancel func())) error {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh on PATH:", err)
	}
	pidFile := filepath.Join(t.TempDir(), "pids")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c := sh(script)
	c.Env = append(os.Environ(), "PIDS="+pidFile)
	done := make(chan error, 1)
	go func() {
		_, err := c.Run(ctx)
		done <- err
	}()
	var pids []int
	deadline := time.Now().Add(10 * time.Second)
	for len(pids) < want {
		if time.Now().After(deadline) {
			t.Fatalf("the script wrote %d pids in 10 s, want %d", len(pids), want)
		}
		time.Sleep(5 * time.Millisecond)
		b, _ := os.ReadFile(pidFile)
		pids = pids[:0]
		for _, f := range strings.Fields(string(b)) {
			if p, err := strconv.Atoi(f); err == nil {
				pids = append(pids, p)
			}
		}
	}
	act(cancel)
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run still running 10 s later")
	}
	// The program was this process's child: it must be reaped. What it
	// started must be dead; their zombies belong to init now, which may
	// take a second or two to reap them.
	if _, e := os.Stat(fmt.Sprintf("/proc/%d", pids[0])); e == nil {
		t.Errorf("the program %d is still there after Run (alive: %v), want it reaped", pids[0], alive(pids[0]))
	}
	for _, p := range pids[1:] {
		if alive(p) {
			t.Errorf("process %d it started is still running after Run", p)
		}
	}
	for _, p := range groupMembers(pids[0]) {
		if alive(p) {
			t.Errorf("process %d of the program's group %d is still running after Run", p, pids[0])
		}
	}
	noChildren(t)
	return err
}

func TestCommandCancelLeavesNoSurvivor(t *testing.T) {
	start := time.Now()
	var cancelled time.Time
	err := survivors(t, `echo $$ > $PIDS; sleep 1000 & echo $! >> $PIDS; (sleep 1000; true) & echo $! >> $PIDS; wait`, 3,
		func(cancel func()) { cancelled = time.Now(); cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run error = %v, want context.Canceled", err)
	}
	if d := time.Since(cancelled); d > 3*time.Second {
		t.Errorf("Run returned %v after cancel (%v after start), want promptly", d, time.Since(start))
	}
}

func TestCommandExitKillsLeftovers(t *testing.T) {
	err := survivors(t, `echo $$ > $PIDS; sleep 1000 & echo $! >> $PIDS; sleep 0.2; exit 0`, 2, func(func()) {})
	if err != nil {
		t.Errorf("Run error = %v, want nil: a program that exits 0 succeeds", err)
	}
}

// groupMembers lists the processes of process group pgid, zombies included.
func groupMembers(pgid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var pids []int
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) >= 3 && f[2] == strconv.Itoa(pgid) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			pids = append(pids, pid)
		}
	}
	return pids
}
