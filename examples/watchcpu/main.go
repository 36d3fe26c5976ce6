// Command watchcpu reproduces the seed experiment: it watches every core of
// this machine while a CPU-bound workload runs, and draws what it saw as a
// per-core × time heatmap.
//
// With no flags it runs the whole experiment — an idle baseline, the loop
// serially, processes, locked threads and goroutines with 1 … 2×CPUs
// workers, and 2 and 4 threads under an emulated Python 3 and Python 2
// GIL — and writes a report folder (index.html, a PNG per run and
// results.json), then prints the results table:
//
//	go run ./examples/watchcpu
//
// With --workload it makes one recording, as the seed's watch_cpu.py did:
//
//	go run ./examples/watchcpu --workload multiprocessing --num-procs 2 \
//		--total-intervals 12 --filename profile-multiproc-2.png --data-id multiprocessing:2
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/experiment"
	"github.com/corescope/corescope/heatmap"
	"github.com/corescope/corescope/workload"
)

func main() {
	workload.HandleWorker() // a multiprocessing child stops here
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes: 2 for bad usage, as the flag package uses; 130 after Ctrl-C,
// as shells report a SIGINT death.
const (
	exitFail        = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// config is the parsed command line.
type config struct {
	totalIntervals int
	interval       time.Duration
	filename       string
	dataID         string
	workload       string
	numProcs       int
	numThreads     int
	size           uint64
	units          int
	pin            bool
	kernel         string
	format         heatmap.Format
	mode           heatmap.Mode
	jsonFile       string
	out            string
	serialTime     time.Duration

	set map[string]bool // flags given on the command line
}

func newFlagSet(c *config, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("watchcpu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.totalIntervals, "total-intervals", 0, "least number of intervals to record (default 12 for one run, none for the experiment)")
	fs.DurationVar(&c.interval, "interval", 0, "length of one sample (default 1s for one run, 500ms for the experiment)")
	fs.StringVar(&c.filename, "filename", "", "picture to write for one run (default profile-WORKLOAD-N.FORMAT)")
	fs.StringVar(&c.dataID, "data-id", "", "title of the recording (default WORKLOAD:N)")
	fs.StringVar(&c.workload, "workload", "", "make one recording of: multiprocessing, threading (Python 3 GIL), threading-py2, threads (locked OS threads), goroutines, non-threaded, do-nothing; empty runs the whole experiment")
	fs.IntVar(&c.numProcs, "num-procs", 0, "processes for --workload multiprocessing (default: the CPUs this process may use)")
	fs.IntVar(&c.numThreads, "num-threads", 0, "threads or goroutines for threading, threading-py2, threads, goroutines (default 2)")
	fs.Uint64Var(&c.size, "size", 0, "iterations of sum(range(n)) per worker and unit (default 2^28, or 2^26 per GIL thread; the experiment uses 2^24)")
	fs.IntVar(&c.units, "units", 0, "times each worker repeats its sum (default 1 for one run; the experiment sizes it to --serial-time)")
	fs.BoolVar(&c.pin, "pin-cpu", false, "pin worker i to CPU i")
	fs.StringVar(&c.kernel, "kernel", "bytecode", "loop to run: bytecode (a Python-like interpreter) or native (a Go loop)")
	fs.TextVar(&c.format, "format", heatmap.PNG, "picture `format` for one run: png, svg, html, or term (draw live in the terminal); --filename's extension picks it if given")
	fs.TextVar(&c.mode, "mode", heatmap.Busy, "what colour shows for one run: busy, user, system, split (user above system in each cell) or distribution; GIL runs take split unless it is given")
	fs.StringVar(&c.jsonFile, "json", "", "write one run's summary as JSON to this file")
	fs.StringVar(&c.out, "out", "corescope-report", "folder for the experiment's report")
	fs.DurationVar(&c.serialTime, "serial-time", 3*time.Second, "how long the experiment's serial run should take; the other runs scale from it")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage:\n  watchcpu [flags]                  run the whole experiment, write --out\n  watchcpu --workload NAME [flags]  record one workload, as the seed's watch_cpu.py\n\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs
}

// parse reads the command line into a config, or returns an error saying
// what is wrong with it.
func parse(args []string, stderr io.Writer) (*config, *flag.FlagSet, error) {
	c := &config{set: map[string]bool{}}
	fs := newFlagSet(c, stderr)
	if err := fs.Parse(args); err != nil {
		return nil, fs, err
	}
	fs.Visit(func(f *flag.Flag) { c.set[f.Name] = true })
	return c, fs, c.check(fs.Args())
}

// check rejects bad values and flags that contradict each other.
func (c *config) check(args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected argument %q: watchcpu takes only flags", args[0])
	}
	if c.totalIntervals < 0 {
		return fmt.Errorf("--total-intervals %d is negative", c.totalIntervals)
	}
	if c.set["interval"] && c.interval <= 0 {
		return fmt.Errorf("--interval %v is not positive", c.interval)
	}
	if c.set["size"] && c.size == 0 {
		return fmt.Errorf("--size %d is not positive", c.size)
	}
	if c.units < 0 || c.set["units"] && c.units == 0 {
		return fmt.Errorf("--units %d is not positive", c.units)
	}
	if _, err := parseKernel(c.kernel); err != nil {
		return err
	}
	if c.set["num-procs"] && c.numProcs <= 0 {
		return fmt.Errorf("--num-procs %d is not positive", c.numProcs)
	}
	if c.set["num-threads"] && c.numThreads <= 0 {
		return fmt.Errorf("--num-threads %d is not positive", c.numThreads)
	}
	if c.workload == "" {
		for _, name := range []string{"filename", "data-id", "num-procs", "num-threads", "format", "mode", "json"} {
			if c.set[name] {
				return fmt.Errorf("--%s applies to one run: give --workload too", name)
			}
		}
		if c.serialTime <= 0 {
			return fmt.Errorf("--serial-time %v is not positive", c.serialTime)
		}
		return nil
	}
	for _, name := range []string{"out", "serial-time"} {
		if c.set[name] {
			return fmt.Errorf("--%s applies to the whole experiment, not to --workload %s", name, c.workload)
		}
	}
	wl, err := experiment.ParseWorkload(c.workload)
	if err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "corescope: "))
	}
	switch {
	case c.set["num-procs"] && wl != experiment.Multiprocessing:
		return fmt.Errorf("--num-procs is for --workload multiprocessing, not %s (use --num-threads)", wl)
	case c.set["num-threads"] && (wl == experiment.Multiprocessing || !wl.Parallel()):
		return fmt.Errorf("--num-threads does not apply to --workload %s", wl)
	case wl == experiment.DoNothing && (c.set["size"] || c.set["units"]):
		return fmt.Errorf("--size and --units do not apply to --workload %s", wl)
	case c.pin && (wl == experiment.Goroutines || wl == experiment.DoNothing):
		return fmt.Errorf("--pin-cpu does not apply to --workload %s", wl)
	}
	if c.filename == "" {
		return nil
	}
	f, err := heatmap.FormatFor(c.filename)
	switch {
	case c.format == heatmap.Terminal:
		return fmt.Errorf("--format term draws in the terminal and writes no --filename")
	case err != nil:
		return fmt.Errorf("--filename: %w", err)
	case !c.set["format"]:
		c.format = f
	case f != c.format:
		return fmt.Errorf("--filename %q does not end in %s as --format %s needs", c.filename, c.format.Ext(), c.format)
	}
	return nil
}

func parseKernel(s string) (workload.Kernel, error) {
	k, err := workload.ParseKernel(s)
	if err != nil {
		return 0, fmt.Errorf("--kernel %q: want bytecode or native", s)
	}
	return k, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	c, fs, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		if c != nil { // the flag package has already said what is wrong
			fmt.Fprintln(stderr, "watchcpu:", err)
			fs.Usage()
		}
		return exitUsage
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills at once
	}()

	if c.workload == "" {
		err = runExperiment(ctx, c, stdout, stderr)
	} else {
		err = one(ctx, c, stdout, stderr)
	}
	switch {
	case err == nil:
		return 0
	case ctx.Err() != nil:
		fmt.Fprintln(stderr, "watchcpu: interrupted; every worker has been stopped")
		return exitInterrupted
	default:
		fmt.Fprintln(stderr, "watchcpu:", err)
		return exitFail
	}
}

// one makes a single recording, as the seed's watch_cpu.py did.
func one(ctx context.Context, c *config, stdout, stderr io.Writer) error {
	wl, _ := experiment.ParseWorkload(c.workload)
	kernel, _ := parseKernel(c.kernel)
	// Zero Workers and Unit take the seed's defaults (Spec's docs say which).
	spec := experiment.Spec{Workload: wl, Kernel: kernel, Unit: c.size, Units: c.units, Pin: c.pin, Workers: c.numThreads}
	if wl == experiment.Multiprocessing {
		spec.Workers = c.numProcs
	}
	// Following this process's threads and its children's lets the
	// picture come with a thread timeline: which worker ran where.
	w := cpuwatch.Watcher{Interval: c.interval, MinSamples: c.totalIntervals, FollowSelf: true, FollowChildren: true}
	if w.Interval == 0 {
		w.Interval = time.Second
	}
	if !c.set["total-intervals"] {
		w.MinSamples = 12 // the seed's --total-intervals
	}
	// Resolved once, the defaults name the run as it runs; a zero Idle
	// fills the watcher's MinSamples.
	spec = spec.WithDefaults(&w)

	mode := c.mode
	if !c.set["mode"] && wl.GIL() {
		mode = heatmap.Split // the GIL's system time is the point
	}
	title := spec.DataID()
	if c.dataID != "" {
		title = c.dataID
	}
	var drawErr error
	if c.format == heatmap.Terminal {
		// Draw the recording as it grows, from the recording's own samples.
		live := heatmap.NewLive(stdout, heatmap.TerminalOptions{Title: title, Mode: mode})
		w.OnSample = func(s cpuwatch.Sample) {
			if drawErr == nil {
				drawErr = live.Add(s)
			}
		}
	}
	res, err := spec.Run(ctx, &w)
	if err == nil {
		err = drawErr // OnSample's calls have all returned once Run has
	}
	if err != nil {
		return err
	}
	res.DataID, res.Recording.DataID = title, title

	printResults(stdout, wl, res.Results)
	fmt.Fprintf(stdout, "wall %.2f s, user %.2f s, system %.2f s: %.2f cores used, %.2f cores seen busy\n",
		res.WallSeconds, res.UserSeconds, res.SystemSeconds, res.CoresUsed, res.EffectiveCores)
	if res.GIL != nil {
		fmt.Fprintf(stdout, "GIL: %d switches, %d acquisitions, %d drop requests, %.2f s waited; %d futex wake-ups, %d sleeps\n",
			res.GIL.Switches, res.GIL.Acquisitions, res.GIL.DropRequests, res.GIL.WaitSeconds, res.GIL.FutexWakes, res.GIL.FutexSleeps)
	}
	if c.format != heatmap.Terminal {
		name := c.filename
		if name == "" {
			name = "profile-" + strings.ReplaceAll(spec.DataID(), ":", "-") + c.format.Ext()
		}
		if err := heatmap.WriteFile(name, res.Recording, heatmap.Options{Mode: mode}); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "Saved", name)
		if c.format != heatmap.HTML && experiment.ThreadPictureName(res) != "" {
			name = heatmap.ThreadsFileName(name)
			if err := heatmap.WriteThreadsFile(name, res.Recording, heatmap.ThreadOptions{}); err != nil {
				return err
			}
			fmt.Fprintln(stdout, "Saved", name)
		}
	}
	if c.jsonFile != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(c.jsonFile, append(b, '\n'), 0o644); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "Saved", c.jsonFile)
	}
	return nil
}

// printResults prints the workers' sums the way each seed script did.
func printResults(w io.Writer, wl experiment.Workload, results []uint64) {
	switch {
	case wl == experiment.DoNothing:
		fmt.Fprintln(w, "Did nothing")
	case wl == experiment.Multiprocessing: // pool.map printed a Python list
		s := make([]string, len(results))
		for i, r := range results {
			s[i] = fmt.Sprint(r)
		}
		fmt.Fprintf(w, "[%s]\n", strings.Join(s, ", "))
	default: // each thread printed its own line
		for _, r := range results {
			fmt.Fprintln(w, r)
		}
	}
}
