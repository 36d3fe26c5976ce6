//go:build linux

package workload

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"
)

func lookupWorkerEnv() (string, bool) { return os.LookupEnv(workerEnv) }
func exit(code int)                   { os.Exit(code) }
func stdout() io.Writer               { return os.Stdout }
func stderr() io.Writer               { return os.Stderr }

func runProcesses(ctx context.Context, p Processes) (Report, error) {
	return runProcessesHook(ctx, p, nil)
}

// runProcessesHook is runProcesses with a hook for the package's tests: it
// may alter each child's spec and returns variables to add to that child's
// environment, which the test binary's worker reads to inject a failure.
func runProcessesHook(ctx context.Context, p Processes, hook func(*childSpec) []string) (Report, error) {
	name := p.String()
	rep := Report{Model: name, Kernel: p.Work.Kernel}
	if err := checkWorkers(name, p.N); err != nil {
		return rep, err
	}
	w, err := p.Work.withDefaults()
	if err != nil {
		return rep, err
	}
	if _, ok := lookupWorkerEnv(); ok {
		return rep, errRecursive
	}
	var cpus []int
	if p.Pin {
		if cpus, err = allowedCPUs(); err != nil {
			return rep, err
		}
	}
	// The children are this binary: the parent's measurement holds.
	pad, err := pace(w, &rep)
	if err != nil {
		return rep, err
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	// Pdeathsig fires when the thread that forked the child exits, and Go
	// ends threads whose goroutine exits while locked. Forking from a
	// thread this goroutine keeps for the whole run makes "dies with the
	// parent" mean the parent, not an unlucky runtime thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	rep.Workers = make([]WorkerReport, p.N)
	errs := make([]error, p.N)
	var failOnce sync.Once
	var firstFail error
	fail := func(err error) {
		failOnce.Do(func() { firstFail = err })
		cancel()
	}
	var wg sync.WaitGroup
	start := time.Now()
	for i := range p.N {
		spec := childSpec{ID: i, Kernel: w.Kernel, N: w.N, Units: w.Units, Duration: w.Duration, CPU: -1, Pad: pad.pad, Floor: pad.ns}
		if p.Pin {
			spec.CPU = cpus[i%len(cpus)]
		}
		var extraEnv []string
		if hook != nil {
			extraEnv = hook(&spec)
		}
		specJSON, err := json.Marshal(spec)
		if err != nil {
			fail(fmt.Errorf("workload: encoding worker spec: %w", err))
			break
		}
		var out, errOut bytes.Buffer
		cmd := exec.CommandContext(runCtx, "/proc/self/exe")
		cmd.Args = []string{exe}
		cmd.Env = append(append(os.Environ(), extraEnv...), workerEnv+"="+string(specJSON))
		cmd.Stdout, cmd.Stderr = &out, &errOut
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		// Kill the child's whole group: anything it started dies too.
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
		cmd.WaitDelay = time.Second
		t0 := time.Now()
		if err := cmd.Start(); err != nil {
			fail(fmt.Errorf("workload: starting worker process %d: %w", i, err))
			break
		}
		wg.Go(func() {
			err := cmd.Wait()
			wr := &rep.Workers[i]
			*wr = WorkerReport{ID: i, CPU: spec.CPU, Wall: time.Since(t0)}
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				wr.User = time.Duration(ru.Utime.Nano())
				wr.System = time.Duration(ru.Stime.Nano())
				wr.VoluntarySwitches, wr.InvoluntarySwitches = ru.Nvcsw, ru.Nivcsw
			}
			if err != nil {
				errs[i] = childError(i, cmd, err, out.Bytes(), errOut.Bytes())
				if runCtx.Err() == nil {
					fail(errs[i])
				}
				return
			}
			// The answer is the last line: package init functions of the
			// program may have printed before HandleWorker ran.
			var res childResult
			if err := json.Unmarshal(lastLine(out.Bytes()), &res); err != nil {
				errs[i] = fmt.Errorf("workload: worker process %d (pid %d) wrote no result (%v); stdout %q, stderr %q",
					i, cmd.Process.Pid, err, clip(out.Bytes()), clip(errOut.Bytes()))
			} else if err := checkChild(i, w, res); err != nil {
				errs[i] = err
			}
			if errs[i] != nil {
				fail(errs[i])
				return
			}
			wr.Result, wr.Units, wr.Iterations = res.Result, res.Units, res.Iterations
		})
	}
	wg.Wait()
	rep.Wall = time.Since(start)
	for _, wr := range rep.Workers {
		rep.User += wr.User
		rep.System += wr.System
		rep.VoluntarySwitches += wr.VoluntarySwitches
		rep.InvoluntarySwitches += wr.InvoluntarySwitches
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	if firstFail != nil {
		return rep, firstFail
	}
	for _, err := range errs {
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// childError describes a child that did not exit cleanly: its exit status
// (or the signal that killed it) and the tail of its stderr, and of its
// stdout when it wrote any. A failing child's reason is not always on
// stderr: a test binary without HandleWorker in TestMain runs its tests
// again in the child, and a failing test reports on stdout.
func childError(id int, cmd *exec.Cmd, err error, out, errOut []byte) error {
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if o := clip(out); o != "" {
			return fmt.Errorf("workload: worker process %d (pid %d) failed: %w; stderr: %q; stdout: %q", id, cmd.Process.Pid, err, clip(errOut), o)
		}
		return fmt.Errorf("workload: worker process %d (pid %d) failed: %w; stderr: %q", id, cmd.Process.Pid, err, clip(errOut))
	}
	return fmt.Errorf("workload: worker process %d (pid %d): %w", id, cmd.Process.Pid, err)
}

// lastLine returns the last non-empty line of b.
func lastLine(b []byte) []byte {
	b = bytes.TrimRight(b, "\n")
	return b[bytes.LastIndexByte(b, '\n')+1:]
}
