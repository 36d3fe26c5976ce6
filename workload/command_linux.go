//go:build linux

package workload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// groupGrace bounds how long Run waits for a killed process group to
// disappear (its members to die and be reaped by their parents).
const groupGrace = 2 * time.Second

func runCommand(ctx context.Context, c Command) (Report, error) {
	name := c.String()
	rep := Report{Model: name}
	if c.Path == "" {
		return rep, errors.New("workload: Command with no Path")
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	// As for Processes: Pdeathsig fires when the forking thread exits, so
	// fork from a thread this goroutine keeps for the whole run.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	// The program writes into pipes of ours, not exec's: Wait then returns
	// when the program exits, even if something it left behind still
	// holds them, and the group can be killed before the reading ends.
	outR, outW, err := os.Pipe()
	if err != nil {
		return rep, fmt.Errorf("workload: %s: stdout pipe: %w", name, err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return rep, fmt.Errorf("workload: %s: stderr pipe: %w", name, err)
	}
	var out bytes.Buffer
	errOut := &tail{max: maxStderr}
	var readers sync.WaitGroup
	readers.Go(func() { _, _ = io.Copy(&out, outR) })
	readers.Go(func() { _, _ = io.Copy(errOut, errR) })
	closeReaders := func() {
		// Everything in the group is dead by now; a process that left
		// the group but keeps a pipe open must not hold Run forever.
		deadline := time.Now().Add(time.Second)
		_ = outR.SetReadDeadline(deadline)
		_ = errR.SetReadDeadline(deadline)
		readers.Wait()
		outR.Close()
		errR.Close()
	}

	cmd := exec.CommandContext(ctx, c.Path, c.Args...)
	cmd.Env, cmd.Dir = c.Env, c.Dir
	if c.Stdin != nil {
		cmd.Stdin = bytes.NewReader(c.Stdin)
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	start := time.Now()
	err = cmd.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		closeReaders()
		return rep, fmt.Errorf("workload: starting %s: %w", c.commandLine(), err)
	}
	pid := cmd.Process.Pid
	err = cmd.Wait()
	rep.Wall = time.Since(start)
	// Whatever the program left in its group goes with it.
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	gone := waitGroupGone(pid, groupGrace)
	closeReaders()
	rep.Stdout = out.Bytes()
	if ps := cmd.ProcessState; ps != nil {
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			rep.User = time.Duration(ru.Utime.Nano())
			rep.System = time.Duration(ru.Stime.Nano())
			rep.VoluntarySwitches = ru.Nvcsw
			rep.InvoluntarySwitches = ru.Nivcsw
		}
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		if !gone {
			return rep, fmt.Errorf("workload: %s: process group %d still exists %v after SIGKILL: %w", name, pid, groupGrace, ctxErr)
		}
		return rep, ctxErr
	}
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return rep, fmt.Errorf("workload: %s (pid %d): %w", c.commandLine(), pid, err)
		}
		xe := &ExitError{Command: c.commandLine(), Pid: pid, Status: ee.ExitCode(), Stderr: errOut.String()}
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			xe.Signal = ws.Signal()
		}
		return rep, xe
	}
	if !gone {
		return rep, fmt.Errorf("workload: %s: process group %d still exists %v after SIGKILL", name, pid, groupGrace)
	}
	if c.Parse != nil {
		if err := c.Parse(rep.Stdout, &rep); err != nil {
			return rep, fmt.Errorf("workload: %s: %w", name, err)
		}
	}
	return rep, nil
}

// waitGroupGone polls until process group pgid has no live member left,
// for at most grace. Members the program left behind are orphans once it
// has exited: their zombies are their new parent's (init's or a
// subreaper's) to reap, which some inits do only every second or two, so a
// group of zombies counts as gone.
func waitGroupGone(pgid int, grace time.Duration) bool {
	deadline := time.Now().Add(grace)
	for d := 100 * time.Microsecond; ; d = min(2*d, 20*time.Millisecond) {
		if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) || !groupAlive(pgid) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(d)
	}
}

// groupAlive reports whether any process of group pgid is neither a zombie
// nor dead, from /proc/<pid>/stat.
func groupAlive(pgid int) bool {
	dir, err := os.Open("/proc")
	if err != nil {
		return true // cannot tell: assume the worst
	}
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return true
	}
	for _, n := range names {
		if n[0] < '0' || n[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + n + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid pgrp …; comm may hold spaces and ")".
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) >= 3 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" && f[0] != "X" {
			return true
		}
	}
	return false
}

// tail is an io.Writer that keeps the last max bytes written to it.
type tail struct {
	max int
	buf []byte
	cut bool // something was dropped
}

func (t *tail) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= t.max {
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		t.cut = true
		return n, nil
	}
	if over := len(t.buf) + len(p) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
		t.cut = true
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

// String is the tail trimmed of white space, with a leading "…" if
// something was cut.
func (t *tail) String() string {
	s := strings.TrimSpace(string(t.buf))
	if t.cut {
		return "…" + s
	}
	return s
}
