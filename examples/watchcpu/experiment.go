package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/experiment"
	"github.com/corescope/corescope/schedtrace"
)

// experimentUnit is the experiment's default unit, 1/16 of the seed's 2^28:
// small enough that the bytecode kernel's serial run is repeated a few
// times, so every run can be sized to the time budget.
const experimentUnit = experiment.SeedUnit / 16

// experimentInterval is the experiment's default sample: half a second,
// so that the shorter runs still show several columns.
const experimentInterval = 500 * time.Millisecond

// runExperiment runs the seed's whole matrix, writes the report folder and
// prints the table.
func runExperiment(ctx context.Context, c *config, stdout, stderr io.Writer) error {
	plan := experiment.Plan{CPUs: corescope.UsableCPUs(), Kernel: c.kernel, Unit: c.size, Units: c.units, Pin: c.pin, Idle: c.serialTime}
	if plan.Unit == 0 {
		plan.Unit = experimentUnit
	}
	var nsPerIt float64
	if plan.Units == 0 {
		fmt.Fprintf(stderr, "Timing one unit of the %s kernel to size the runs…\n", c.kernel)
		var err error
		if nsPerIt, err = plan.Calibrate(ctx, c.serialTime); err != nil {
			return err
		}
	}
	var pythons experiment.Pythons
	if !c.noPython {
		fmt.Fprintln(stderr, "Looking for Python interpreters and timing them…")
		var err error
		if pythons, err = experiment.FindPythons(ctx, c.python2, c.python3); err != nil {
			return err
		}
		fmt.Fprintln(stderr, pythons.Note)
		plan.Pythons = pythons.Speeds
		// A real interpreter is slower than the bytecode kernel: its
		// serial run gets a third of --serial-time, so that the whole
		// experiment stays within about three minutes. (Calibrate has set
		// plan.Units by now; --units given makes every run the same.)
		if c.units == 0 {
			plan.SizePythons(c.serialTime / 3)
		}
	}
	e := experiment.Experiment{
		Specs: plan.Specs(),
		// Following this process's threads and its children's gives each
		// run a thread timeline: which worker ran on which core, when.
		Watcher: cpuwatch.Watcher{Interval: c.interval, MinSamples: c.totalIntervals,
			FollowSelf: true, FollowChildren: true},
		NsPerIteration: nsPerIt,
		Progress:       progressPrinter(stderr),
		// The GIL runs and one processes and one threads run are traced
		// where the machine allows (root, tracefs mounted); elsewhere the
		// report says why not.
		Tracer: &schedtrace.Tracer{},
		// Each trace is drawn into the report folder as its run ends
		// and let go: the Python 2 GIL runs' hold millions of events.
		ReportDir: c.out,
	}
	if e.Watcher.Interval == 0 {
		e.Watcher.Interval = experimentInterval
	}
	fmt.Fprintf(stderr, "Running %d workloads on %d CPUs; sum(range(%d)) ×%d per worker, %s kernel\n",
		len(e.Specs), plan.CPUs, plan.Unit, plan.Units, c.kernel)
	res, err := e.Run(ctx)
	if err != nil {
		return err
	}
	res.PythonNote = pythons.Note
	if err := res.WriteReport(c.out); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	if err := res.WriteTable(stdout); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "Saved", filepath.Join(c.out, experiment.ReportPage))
	return nil
}

// progressPrinter shows which run is going, how far it is and the time
// left: redrawn in place on a terminal, one line per run otherwise.
func progressPrinter(w io.Writer) func(experiment.Progress) {
	tty := isTerminal(w)
	return func(p experiment.Progress) {
		head := fmt.Sprintf("[%2d/%d] %-20s", p.Run+1, p.Runs, p.Job.DataID())
		left := fmt.Sprintf("about %s left", p.Left.Round(time.Second))
		switch {
		case tty:
			const width = 20
			full := int(p.Fraction() * width)
			bar := strings.Repeat("█", full) + strings.Repeat("░", width-full)
			fmt.Fprintf(w, "\r\033[K%s %s %5.1fs  %s", head, bar, p.Elapsed.Seconds(), left)
			if p.Done {
				fmt.Fprintln(w)
			}
		case p.Done && p.Result != nil:
			fmt.Fprintf(w, "%s done in %.1fs (workload %.2fs, %.2f cores); %s\n",
				head, p.Elapsed.Seconds(), p.Result.WallSeconds, p.Result.CoresUsed, left)
		case p.Elapsed == 0 && !p.Done:
			fmt.Fprintf(w, "%s starting, expect %.1fs; %s\n", head, p.Expected.Seconds(), left)
		}
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
