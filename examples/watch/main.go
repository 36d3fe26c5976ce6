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
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/heatmap"
)

func main() {
	pid := flag.Int("pid", 0, "record until this process exits")
	interval := flag.Duration("interval", cpuwatch.DefaultInterval, "length of one sample")
	out := flag.String("o", "watch.png", "picture to write: .png, .svg or .html (with --replay also .json, .csv or .csrec)")
	record := flag.String("record", "", "write the samples to this file as they are taken, instead of a picture")
	replay := flag.String("replay", "", "draw or convert this saved recording to -o, and exit")
	procfs := flag.String("procfs", "", "proc file system to watch instead of /proc")
	flag.Parse()
	if *replay != "" {
		replayFile(*replay, *out)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	w := cpuwatch.Watcher{Interval: *interval, ProcRoot: *procfs}
	run, title := waitForInterrupt(ctx), "the machine"
	switch {
	case *pid > 0 && flag.NArg() > 0:
		log.Fatal("give --pid or a command, not both")
	case *pid > 0:
		run, title = waitForPID(ctx, *pid), fmt.Sprintf("pid %d", *pid)
		w.FollowPIDs, w.FollowChildren = []int{*pid}, true
	case flag.NArg() > 0:
		run, title = command(flag.Args()), flag.Arg(0)
		w.FollowSelf, w.FollowChildren = true, true // the command is our child
	}
	fmt.Fprintf(os.Stderr, "recording %s every %v; Ctrl-C stops\n", title, *interval)
	if *record != "" {
		w.DataID = title
		recordFile(ctx, &w, run, *record)
		return
	}

	// Record under a context Ctrl-C does not cancel, so that the trail is
	// still recorded after the run function returns.
	rec, err := w.Record(context.WithoutCancel(ctx), run)
	if err != nil {
		fmt.Fprintln(os.Stderr, "watch:", err) // the command's failure; the picture is still worth writing
	}
	rec.DataID = title
	if err := heatmap.WriteFile(*out, rec, heatmap.Options{}); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%.2f cores busy over %d samples\nSaved %s\n", rec.EffectiveCores(), len(rec.Samples), *out)

	if len(w.FollowPIDs) > 0 || w.FollowSelf {
		name := heatmap.ThreadsFileName(*out)
		err := heatmap.WriteThreadsFile(name, rec, heatmap.ThreadOptions{})
		switch {
		case errors.Is(err, heatmap.ErrNoThreads):
			fmt.Println("No thread timeline:", err) // nothing followed used CPU
		case err != nil:
			log.Fatal(err)
		default:
			fmt.Println("Saved", name)
		}
	}
}

// recordFile records into the named file as the samples come.
func recordFile(ctx context.Context, w *cpuwatch.Watcher, run func(context.Context) error, name string) {
	f, err := os.Create(name)
	if err != nil {
		log.Fatal(err)
	}
	_, err = w.RecordTo(context.WithoutCancel(ctx), cpuwatch.NewEncoder(f), run)
	if cerr := f.Close(); err == nil && cerr != nil {
		log.Fatal(cerr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "watch:", err)
	}
	fmt.Printf("Saved %s; draw it with --replay %s -o watch.png\n", name, name)
}

// replayFile draws or converts a saved recording. A binary one becomes a
// picture one sample at a time, so that a day of a big machine fits in
// memory. A damaged tail, as a killed recorder leaves, costs a warning:
// what is complete is written.
func replayFile(in, out string) {
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
		log.Fatal(err)
	}
	fmt.Printf("Saved %s\n", out)
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

// waitForInterrupt returns a run function that lasts until Ctrl-C.
func waitForInterrupt(sig context.Context) func(context.Context) error {
	return func(ctx context.Context) error {
		select {
		case <-sig.Done():
		case <-ctx.Done():
		}
		return nil
	}
}

// waitForPID returns a run function that lasts until process pid is gone
// (or Ctrl-C). Signal 0 checks that a process exists without touching it.
func waitForPID(sig context.Context, pid int) func(context.Context) error {
	return func(ctx context.Context) error {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
				return nil
			}
			select {
			case <-sig.Done():
				return nil
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
			}
		}
	}
}

// command returns a run function that runs argv with the terminal's
// standard streams; Ctrl-C reaches it through the terminal, as usual.
func command(argv []string) func(context.Context) error {
	return func(ctx context.Context) error {
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		return cmd.Run()
	}
}
