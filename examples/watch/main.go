// Command watch records every core while something else runs, and writes
// the heatmap to watch.png — and, for a command or a PID, the timeline of
// its threads (and its children's) to watch-threads.png:
//
//	go run ./examples/watch -- make -j4   # run a command and record it
//	go run ./examples/watch --pid 1234    # record until process 1234 exits
//	go run ./examples/watch               # record the machine until Ctrl-C
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
	out := flag.String("o", "watch.png", "picture to write: .png, .svg or .html")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	w := cpuwatch.Watcher{Interval: *interval}
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
