package workload

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
)

// Command runs an external program as a [Model]: a real interpreter, a
// benchmark binary, anything whose CPU use is worth watching beside the
// emulations.
//
// The program starts in a process group of its own and dies with the thread
// that started it (Pdeathsig SIGKILL). When ctx is cancelled, Run kills the
// whole group — the program and everything it started that stayed in its
// group — and waits until the group is gone; after a normal exit it kills
// whatever the program left behind in its group too. Nothing it started is
// left running, and Run reaps its own child, so no zombie of it remains.
//
// The Report's User and System are the program's CPU time from wait4's
// rusage: all of its threads, plus those of its descendants it waited for
// (as Python's multiprocessing does for its workers). Its stdout is kept in
// Report.Stdout; Parse, if set, turns it into per-worker results. A program
// that exits with a nonzero status, or is killed, fails with an
// [*ExitError] carrying the status and the tail of its stderr.
//
// A [cpuwatch] Watcher that follows its own process's children sees the
// program, its threads and its children exactly as it sees a [Processes]
// child: the program is a child of the calling process.
//
// The zero value is not runnable: Path must be set.
type Command struct {
	// Path is the program to run. A name without a slash is looked up
	// in PATH.
	Path string
	// Args are the arguments after the program's name.
	Args []string
	// Env is the program's environment; nil means the calling process's.
	Env []string
	// Dir is the program's working directory; "" means the caller's.
	Dir string
	// Stdin, if set, is written to the program's standard input, which
	// is otherwise empty (/dev/null).
	Stdin []byte
	// Name labels the model (its String); "" means the base name of Path.
	Name string
	// Parse, if set, is called after a successful exit with the
	// program's whole stdout and the report so far (Wall, CPU and
	// Stdout filled in), to set its Workers from what the program
	// printed. An error it returns is Run's error, prefixed with the
	// model's name.
	Parse func(stdout []byte, rep *Report) error
}

// String returns Name, or the base name of Path.
func (c Command) String() string {
	if c.Name != "" {
		return c.Name
	}
	if c.Path == "" {
		return "command"
	}
	return filepath.Base(c.Path)
}

// Run starts the program, waits for it to exit and its group to be gone,
// and reports its CPU time and stdout. See [Command].
func (c Command) Run(ctx context.Context) (Report, error) { return runCommand(ctx, c) }

// ExitError is what [Command.Run] returns when the program did not exit
// with status 0. Use errors.As to get at it.
type ExitError struct {
	// Command is the program and its arguments, space-separated.
	Command string
	// Pid is the program's process id.
	Pid int
	// Status is the exit status, or -1 if a signal killed the program.
	Status int
	// Signal is the signal that killed the program, or 0.
	Signal syscall.Signal
	// Stderr is the tail of the program's stderr (at most 4 KiB, cut at
	// the front, where the cause usually is not), trimmed of white space.
	Stderr string
}

func (e *ExitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "workload: %s (pid %d) ", e.Command, e.Pid)
	if e.Signal != 0 {
		fmt.Fprintf(&b, "was killed by signal %d (%v)", int(e.Signal), e.Signal)
	} else {
		fmt.Fprintf(&b, "exited with status %d", e.Status)
	}
	if e.Stderr != "" {
		fmt.Fprintf(&b, "; stderr: %q", e.Stderr)
	} else {
		b.WriteString("; stderr was empty")
	}
	return b.String()
}

// commandLine is the program and its arguments for messages.
func (c Command) commandLine() string {
	return strings.Join(append([]string{c.Path}, c.Args...), " ")
}
