// Command watch records every core while something else runs, and writes
// the heatmap to watch.png — and, for a command or a PID, the timeline of
// its threads (and its children's) to watch-threads.png:
//
//	go run ./examples/watch -- make -j4   # run a command and record it
//	go run ./examples/watch --pid 1234    # record until process 1234 exits
//	go run ./examples/watch               # record the machine until Ctrl-C
//
// With --record FILE it writes the samples to FILE in cpuwatch's binary
// format as they are taken, keeping none in memory, so a long watch costs
// no more than a short one and a killed one leaves every sample but the
// last. --replay FILE -o OUT draws or converts a saved recording (binary
// or JSON), the format chosen by OUT's extension: .png, .svg, .html,
// .json, .csv or .csrec (binary). --procfs DIR reads another proc tree,
// as node_exporter's --path.procfs does: a container's, or a synthetic
// one.
//
//	go run ./examples/watch --record day.csrec
//	go run ./examples/watch --replay day.csrec -o day.png
//
// Like time(1), it exits with the command's status (128+n if signal n
// killed it). The first Ctrl-C stops the recording promptly and keeps what
// it has; a second exits at once.
//
// With --trace FILE.json it also records the scheduler's events (as root)
// for the command, the PID or the machine, and writes them as a Trace
// Event file that https://ui.perfetto.dev and chrome://tracing open, and
// the zoom picture of its default window beside the heatmap
// (watch-trace.png), or with --record beside the recording
// (day-trace.png for day.csrec):
//
//	go run ./examples/watch --trace py.json -- python3 script.py
//	go run ./examples/watch --record py.csrec --trace py.json -- python3 script.py
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/heatmap"
	"github.com/corescope/corescope/internal/cli"
	"github.com/corescope/corescope/schedtrace"
)

// Exit statuses of watch's own: 2 for bad usage, as the flag package uses.
const (
	exitFail  = 1
	exitUsage = 2
)

// config is the parsed command line.
type config struct {
	pid      int
	interval time.Duration
	out      string
	trace    string   // the Trace Event file, if tracing
	argv     []string // the command, if any
	record   string   // binary recording to write as it goes
	replay   string   // saved recording to draw or convert
	procfs   string   // proc tree to watch
}

func main() {
	os.Exit(run())
}

func run() int {
	c, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "watch:", err)
		return exitUsage
	}
	if c.replay != "" {
		return replayFile(c.replay, c.out)
	}
	if err := checkOutputs(c); err != nil {
		fmt.Fprintln(os.Stderr, "watch:", err)
		return exitFail
	}
	in, ctx := cli.Notify(context.Background())
	defer in.Stop()

	w, title, job := plan(c, in)
	fmt.Fprintf(os.Stderr, "recording %s every %v; Ctrl-C stops\n", title, c.interval)
	run, tr := job.run, new(*schedtrace.Trace)
	if c.trace != "" {
		run = traced(tracerFor(w), run, tr)
	}
	if c.record != "" {
		w.DataID = title
		err := recordFile(ctx, &w, job, run, c.record)
		status := job.status(in)
		if err != nil {
			fmt.Fprintln(os.Stderr, "watch:", err)
			status = max(status, exitFail)
		}
		if err := saveTrace(c, *tr); err != nil {
			fmt.Fprintln(os.Stderr, "watch:", err)
			return max(status, exitFail)
		}
		return status
	}
	rec, err := w.Record(ctx, run)
	if errors.Is(err, cpuwatch.ErrNoProcess) && c.pid > 0 {
		// The PID was there when the flags were checked and ended before
		// the first reading: an idle result, so record the machine for the
		// lead and trail, with no thread of it in any sample.
		w.FollowPIDs, w.FollowChildren = nil, false
		rec, err = w.Record(ctx, run)
	}
	if err != nil && !errors.Is(err, context.Canceled) && job.err == nil {
		fmt.Fprintln(os.Stderr, "watch:", err)
	}
	if job.err != nil {
		fmt.Fprintln(os.Stderr, "watch:", job.err) // the command's failure; the picture is still worth writing
	}
	status := job.status(in)
	if err := save(c, w, rec, title); err != nil {
		fmt.Fprintln(os.Stderr, "watch:", err)
		return max(status, exitFail)
	}
	if err := saveTrace(c, *tr); err != nil {
		fmt.Fprintln(os.Stderr, "watch:", err)
		return max(status, exitFail)
	}
	return status
}

// zoomName is where the trace's zoom picture goes: beside the heatmap
// ("-trace" before its extension), or with --record beside the
// recording, as a PNG.
func zoomName(c *config) string {
	if c.record != "" {
		return heatmap.TraceFileName(strings.TrimSuffix(c.record, filepath.Ext(c.record)) + ".png")
	}
	return heatmap.TraceFileName(c.out)
}

// saveTrace writes tr, if tracing ran, as a Trace Event file and its
// default window as the zoom picture.
func saveTrace(c *config, tr *schedtrace.Trace) error {
	if tr == nil {
		return nil
	}
	if err := tr.WriteTraceEventsFile(c.trace); err != nil {
		return err
	}
	fmt.Printf("Saved %s: %d on-CPU slices of %d threads, %v\n", c.trace, len(tr.Slices), len(tr.Threads), tr.Lost)
	zoom := zoomName(c)
	if err := heatmap.WriteTraceFile(zoom, tr, heatmap.TraceOptions{}); err != nil {
		return err
	}
	fmt.Println("Saved", zoom)
	return nil
}

// tracerFor traces what w watches: the command or the PID with their
// children, or the whole machine.
func tracerFor(w cpuwatch.Watcher) *schedtrace.Tracer {
	return &schedtrace.Tracer{All: len(w.FollowPIDs) == 0 && !w.FollowSelf,
		FollowSelf: w.FollowSelf, FollowPIDs: w.FollowPIDs, FollowChildren: true}
}

// traced wraps run in a scheduler trace that ends up in *tr; if tracing
// cannot start, it says why and runs untraced.
func traced(t *schedtrace.Tracer, run func(context.Context) error, tr **schedtrace.Trace) func(context.Context) error {
	return func(ctx context.Context) error {
		got, err := t.Record(ctx, run)
		var ae *schedtrace.AccessError
		if errors.As(err, &ae) || errors.Is(err, schedtrace.ErrUnsupported) {
			fmt.Fprintln(os.Stderr, "watch: not tracing:", err)
			return run(ctx)
		}
		*tr = got
		return err
	}
}

// parseFlags parses and checks the command line: everything wrong with it
// is found here, before anything is recorded or written.
func parseFlags() (*config, error) {
	c := &config{}
	flag.IntVar(&c.pid, "pid", 0, "record until this process exits")
	flag.DurationVar(&c.interval, "interval", cpuwatch.DefaultInterval, "length of one sample")
	flag.StringVar(&c.out, "o", "watch.png", "picture to write: .png, .svg or .html (with --replay also .json, .csv or .csrec)")
	flag.StringVar(&c.trace, "trace", "", "also trace the scheduler's events (root) into this Trace Event file")
	flag.StringVar(&c.record, "record", "", "write the samples to this file as they are taken, instead of a picture")
	flag.StringVar(&c.replay, "replay", "", "draw or convert this saved recording to -o, and exit")
	flag.StringVar(&c.procfs, "procfs", "", "proc file system to watch instead of /proc")
	flag.Parse()
	c.argv = flag.Args()
	if _, err := heatmap.FormatFor(c.out); err != nil && !(c.replay != "" && isDataFile(c.out)) {
		return nil, fmt.Errorf("-o: %w", err)
	}
	switch {
	case c.interval <= 0:
		return nil, fmt.Errorf("-interval %v: want a positive duration", c.interval)
	case c.pid < 0:
		return nil, fmt.Errorf("-pid %d: not a process id", c.pid)
	case c.pid > 0 && len(c.argv) > 0:
		return nil, errors.New("give -pid or a command, not both")
	case c.pid > 0:
		// Signal 0 checks that a process exists without touching it;
		// EPERM means it exists but is not ours.
		if err := syscall.Kill(c.pid, 0); errors.Is(err, syscall.ESRCH) {
			return nil, fmt.Errorf("-pid %d: no such process", c.pid)
		}
	}
	return c, nil
}

// threadsName is where the thread timeline goes, beside the heatmap.
func threadsName(c *config) string { return heatmap.ThreadsFileName(c.out) }

// following reports whether the recording follows threads: for a command
// or a PID.
func following(c *config) bool { return c.pid > 0 || len(c.argv) > 0 }

// checkOutputs makes sure the pictures can be written before recording,
// so that a recording is never made only to be lost.
func checkOutputs(c *config) error {
	if c.trace != "" {
		for _, name := range []string{c.trace, zoomName(c)} {
			if err := cli.CheckWritable(name); err != nil {
				return err
			}
		}
	}
	if c.record != "" {
		return cli.CheckWritable(c.record)
	}
	if err := cli.CheckWritable(c.out); err != nil {
		return err
	}
	if following(c) {
		return cli.CheckWritable(threadsName(c))
	}
	return nil
}

// plan sets up the watcher and what runs while it records.
func plan(c *config, in *cli.Interrupts) (cpuwatch.Watcher, string, *job) {
	w := cpuwatch.Watcher{Interval: c.interval, ProcRoot: c.procfs}
	switch {
	case c.pid > 0:
		w.FollowPIDs, w.FollowChildren = []int{c.pid}, true
		return w, fmt.Sprintf("pid %d", c.pid), &job{pid: c.pid}
	case len(c.argv) > 0:
		w.FollowSelf, w.FollowChildren = true, true // the command is our child
		j := &job{argv: c.argv}
		in.OnSecond(j.kill)
		return w, c.argv[0], j
	}
	return w, "the machine", &job{}
}

// save writes the heatmap and, when following, the thread timeline, each
// whole or not at all, and says what the recording holds.
func save(c *config, w cpuwatch.Watcher, rec *cpuwatch.Recording, title string) error {
	if rec == nil || rec.Len() == 0 {
		return errors.New("nothing recorded: stopped before the first sample")
	}
	rec.DataID = title
	if err := heatmap.WriteFile(c.out, rec, heatmap.Options{}); err != nil {
		return err
	}
	fmt.Printf("%.2f cores busy over %d samples\nSaved %s\n", rec.EffectiveCores(), rec.Len(), c.out)
	if !following(c) {
		return nil
	}
	threads, cpu := cli.ThreadUse(rec)
	if threads == 0 {
		fmt.Printf("%s used no CPU time: no thread of it was there at any sample\n", title)
		return nil
	}
	if cpu == 0 {
		fmt.Printf("%s used no CPU time\n", title)
	}
	// An idle command is a result too: draw its threads waiting.
	opts := heatmap.ThreadOptions{AllThreads: cpu == 0}
	name := threadsName(c)
	if err := heatmap.WriteThreadsFile(name, rec, opts); err != nil {
		return err
	}
	fmt.Println("Saved", name)
	return nil
}

// recordFile records into the named file as the samples come.
func recordFile(ctx context.Context, w *cpuwatch.Watcher, j *job, run func(context.Context) error, name string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	_, err = w.RecordTo(ctx, cpuwatch.NewEncoder(f), run)
	if errors.Is(err, context.Canceled) {
		err = nil // Ctrl-C: what was recorded is in the file
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if j.err != nil {
		fmt.Fprintln(os.Stderr, "watch:", j.err)
	}
	fmt.Printf("Saved %s; draw it with --replay %s -o watch.png\n", name, name)
	return err
}

// isDataFile reports whether name is a recording rather than a picture.
func isDataFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json", ".csv", cpuwatch.BinaryExt:
		return true
	}
	return false
}

// replayFile draws or converts a saved recording and returns the exit
// status. A binary one becomes a picture one sample at a time, so that a
// day of a big machine fits in memory. A damaged tail, as a killed
// recorder leaves, costs a warning: what is complete is written.
func replayFile(in, out string) int {
	_, picture := heatmap.FormatFor(out)
	err := cpuwatch.ErrNotBinary
	if picture == nil {
		err = heatmap.WriteFileFrom(out, in, heatmap.Options{})
	}
	if errors.Is(err, cpuwatch.ErrNotBinary) {
		err = convert(in, out, picture == nil)
	}
	if fe := (*cpuwatch.FormatError)(nil); errors.As(err, &fe) && !errors.Is(err, cpuwatch.ErrNotBinary) {
		fmt.Fprintf(os.Stderr, "watch: warning: %v; wrote the samples before byte %d\n", err, fe.Offset)
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "watch:", err)
		return exitFail
	}
	fmt.Printf("Saved %s\n", out)
	return 0
}

// convert reads a whole recording, JSON or binary, and writes it to out
// as a picture or as data (.json, .csv, .csrec).
func convert(in, out string, picture bool) error {
	rec, err := cpuwatch.ReadRecordingFile(in)
	if rec == nil {
		return err
	}
	write := rec.WriteFile
	if picture {
		write = func(name string) error { return heatmap.WriteFile(name, rec, heatmap.Options{}) }
	}
	return errors.Join(write(out), err)
}

// job is what runs while the watcher records: a command, a wait for a
// PID, or (neither) a wait for Ctrl-C.
type job struct {
	argv []string
	pid  int

	mu      sync.Mutex // guards cmd: kill runs on the signal goroutine
	cmd     *exec.Cmd
	started bool
	err     error // the command's
}

// run is the recording's run function. Ctrl-C cancels ctx; a command
// gets SIGINT then (it may have had it from the terminal already) and
// SIGKILL if it has not ended 3 s later.
func (j *job) run(ctx context.Context) error {
	switch {
	case len(j.argv) > 0:
		cmd := exec.CommandContext(ctx, j.argv[0], j.argv[1:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
		cmd.WaitDelay = 3 * time.Second
		j.started = true
		err := cmd.Start()
		if err == nil {
			j.mu.Lock()
			j.cmd = cmd
			j.mu.Unlock()
			err = cmd.Wait()
		}
		j.err = err
	case j.pid > 0:
		waitForPID(ctx, j.pid)
	default:
		<-ctx.Done()
	}
	return nil
}

// kill ends the command at once, for the second Ctrl-C.
func (j *job) kill() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.cmd != nil {
		j.cmd.Process.Kill()
	}
}

// status is watch's exit status: the command's, if one ran; 128+n if
// signal n stopped watch before the command could start; 0 otherwise,
// since Ctrl-C is how one stops watching the machine or a PID.
func (j *job) status(in *cli.Interrupts) int {
	switch {
	case j.started:
		return cli.ExitStatus(j.err)
	case len(j.argv) > 0 && in.Status() != 0:
		return in.Status()
	}
	return 0
}

// waitForPID returns once process pid is gone or ctx is done.
func waitForPID(ctx context.Context, pid int) {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
