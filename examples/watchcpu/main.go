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
	"strings"
	"syscall"
	"time"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/experiment"
	"github.com/corescope/corescope/heatmap"
	"github.com/corescope/corescope/internal/cli"
	"github.com/corescope/corescope/schedtrace"
	"github.com/corescope/corescope/workload"
)

func main() {
	workload.HandleWorker() // a multiprocessing child stops here
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes: 2 for bad usage, as the flag package uses; after Ctrl-C or
// SIGTERM, 128 plus the signal (130, 143), as shells report a death by it.
const (
	exitFail  = 1
	exitUsage = 2
)

// seedIntervals is the seed's --total-intervals, the default for one run.
const seedIntervals = 12

// config is the parsed command line.
type config struct {
	totalIntervals int
	interval       time.Duration
	filename       string
	dataID         string
	workload       experiment.Workload // "" runs the whole experiment
	numProcs       int
	numThreads     int
	size           uint64
	units          int
	pin            bool
	kernel         workload.Kernel
	format         heatmap.Format
	mode           heatmap.Mode
	picture        heatmap.Format // format, or what --filename's extension says
	jsonFile       string
	traceFile      string
	out            string
	serialTime     time.Duration

	python   string
	speedOf  string
	python2  string
	python3  string
	noPython bool

	// interp is --python's or --speed-of's interpreter, inspected by check.
	interp workload.Interpreter

	set map[string]bool // flags given on the command line
}

func newFlagSet(c *config, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("watchcpu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.totalIntervals, "total-intervals", 0, "least number of intervals to record (default 12 for one run, none for the experiment)")
	fs.DurationVar(&c.interval, "interval", 0, "length of one sample (default 1s for one run, 500ms for the experiment)")
	fs.StringVar(&c.filename, "filename", "", "picture to write for one run (default profile-WORKLOAD-N.FORMAT)")
	fs.StringVar(&c.dataID, "data-id", "", "title of the recording (default WORKLOAD:N)")
	fs.Var(workloadFlag{&c.workload}, "workload", "make one recording of this `workload`: multiprocessing, threading (Python 3 GIL), threading-py2, threads (locked OS threads), goroutines, non-threaded, do-nothing; empty runs the whole experiment")
	fs.IntVar(&c.numProcs, "num-procs", 0, "processes for --workload multiprocessing (default: the CPUs this process may use)")
	fs.IntVar(&c.numThreads, "num-threads", 0, "threads or goroutines for threading, threading-py2, threads, goroutines (default 2)")
	fs.Uint64Var(&c.size, "size", 0, "iterations of sum(range(n)) per worker and unit (default 2^28, or 2^26 per GIL thread; the experiment uses 2^24)")
	fs.IntVar(&c.units, "units", 0, "times each worker repeats its sum (default 1 for one run; the experiment sizes it to --serial-time)")
	fs.BoolVar(&c.pin, "pin-cpu", false, "pin worker i to CPU i")
	c.kernel = workload.Bytecode
	fs.Var(kernelFlag{&c.kernel}, "kernel", "`loop` to run: bytecode (a Python-like interpreter) or native (a Go loop)")
	fs.TextVar(&c.format, "format", heatmap.PNG, "picture `format` for one run: png, svg, html, or term (draw live in the terminal); --filename's extension picks it if given")
	fs.TextVar(&c.mode, "mode", heatmap.Busy, "what colour shows for one run: busy, user, system, split (user above system in each cell) or distribution; GIL runs take split unless it is given")
	fs.StringVar(&c.jsonFile, "json", "", "write one run's summary as JSON to this file")
	fs.StringVar(&c.traceFile, "trace", "", "trace one run's scheduler events (root) and write them as a Trace Event file (Perfetto, chrome://tracing)")
	fs.StringVar(&c.out, "out", "corescope-report", "folder for the experiment's report")
	fs.DurationVar(&c.serialTime, "serial-time", 3*time.Second, "how long the experiment's serial run should take; the other runs scale from it")
	fs.StringVar(&c.python, "python", "", "run --workload non-threaded, multiprocessing, threading (a Python 3) or threading-py2 (a Python 2) in this real interpreter instead of the emulation")
	fs.StringVar(&c.speedOf, "speed-of", "", "run the emulation at this interpreter's measured speed (ns an iteration)")
	fs.StringVar(&c.python2, "python2", "", "the experiment's real Python 2 (default: a python2.7 found on PATH or under pyenv)")
	fs.StringVar(&c.python3, "python3", "", "the experiment's real Python 3 (default: the newest found)")
	fs.BoolVar(&c.noPython, "no-python", false, "run the experiment without real interpreters")
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
	if err := c.check(fs.Args()); err != nil {
		return c, fs, err
	}
	var err error
	c.picture, err = c.pictureFormat()
	return c, fs, err
}

// check rejects bad values and flags that contradict each other; it only
// reads the config.
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
	if c.set["num-procs"] && c.numProcs <= 0 {
		return fmt.Errorf("--num-procs %d is not positive", c.numProcs)
	}
	if c.set["num-threads"] && c.numThreads <= 0 {
		return fmt.Errorf("--num-threads %d is not positive", c.numThreads)
	}
	if c.workload == "" {
		for _, name := range []string{"filename", "data-id", "num-procs", "num-threads", "format", "mode", "json", "python", "speed-of", "trace"} {
			if c.set[name] {
				return fmt.Errorf("--%s applies to one run: give --workload too", name)
			}
		}
		if c.serialTime <= 0 {
			return fmt.Errorf("--serial-time %v is not positive", c.serialTime)
		}
		if c.noPython && (c.python2 != "" || c.python3 != "") {
			return fmt.Errorf("--no-python contradicts --python2 and --python3")
		}
		return nil
	}
	for _, name := range []string{"out", "serial-time", "python2", "python3", "no-python"} {
		if c.set[name] {
			return fmt.Errorf("--%s applies to the whole experiment, not to --workload %s", name, c.workload)
		}
	}
	wl := c.workload
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
	if err := c.checkPython(wl); err != nil {
		return err
	}
	if c.filename == "" {
		return nil
	}
	if c.set["format"] && c.format == heatmap.Terminal {
		return fmt.Errorf("--format term draws in the terminal and writes no --filename")
	}
	return nil
}

// checkPython inspects --python's or --speed-of's interpreter and rejects
// one that does not fit the workload.
func (c *config) checkPython(wl experiment.Workload) error {
	if c.python == "" && c.speedOf == "" {
		return nil
	}
	if c.python != "" && c.speedOf != "" {
		return fmt.Errorf("--python runs the real interpreter, --speed-of the emulation at its speed: give one")
	}
	if c.python != "" {
		for _, name := range []string{"pin-cpu", "kernel"} {
			if c.set[name] {
				return fmt.Errorf("--%s does not apply to a real interpreter (--python)", name)
			}
		}
	}
	path, flagName := c.python, "--python"
	if path == "" {
		path, flagName = c.speedOf, "--speed-of"
	}
	in, err := workload.InspectInterpreter(context.Background(), path)
	if err != nil {
		return fmt.Errorf("%s: %s", flagName, strings.TrimPrefix(err.Error(), "workload: "))
	}
	c.interp = in
	if c.python != "" {
		// The job knows which interpreter fits which workload.
		j := experiment.Spec{Workload: wl, Workers: 1, Python: &workload.Speed{Interpreter: in}}.Resolve(nil)
		if _, err := j.Model(); err != nil {
			return fmt.Errorf("--python: %s", strings.TrimPrefix(err.Error(), "experiment: invalid spec: "))
		}
	}
	return nil
}

// pictureFormat is the format of one run's picture: --format if given,
// else the one --filename's extension names, else png; or an error when
// --filename names no format or not the one --format asks for.
func (c *config) pictureFormat() (heatmap.Format, error) {
	if c.filename == "" {
		return c.format, nil
	}
	f, err := heatmap.FormatFor(c.filename)
	switch {
	case err != nil:
		return 0, fmt.Errorf("--filename: %w", err)
	case c.set["format"] && f != c.format:
		return 0, fmt.Errorf("--filename %q does not end in %s as --format %s needs", c.filename, c.format.Ext(), c.format)
	}
	return f, nil
}

// workloadFlag parses --workload once, into an experiment.Workload; ""
// stays "", the whole experiment.
type workloadFlag struct{ w *experiment.Workload }

func (f workloadFlag) String() string {
	if f.w == nil {
		return ""
	}
	return string(*f.w)
}

func (f workloadFlag) Set(s string) (err error) {
	if s == "" {
		*f.w = ""
		return nil
	}
	*f.w, err = experiment.ParseWorkload(s)
	return err
}

// kernelFlag parses --kernel once, into a workload.Kernel.
type kernelFlag struct{ k *workload.Kernel }

func (f kernelFlag) String() string {
	if f.k == nil {
		return ""
	}
	return f.k.String()
}

func (f kernelFlag) Set(s string) error {
	k, err := workload.ParseKernel(s)
	if err != nil {
		return fmt.Errorf("--kernel %q: want bytecode or native", s)
	}
	*f.k = k
	return nil
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

	// The first Ctrl-C or SIGTERM cancels ctx; a second exits at once.
	in, ctx := cli.Notify(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer in.Stop()

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
		return in.Status()
	default:
		fmt.Fprintln(stderr, "watchcpu:", err)
		return exitFail
	}
}

// one makes a single recording, as the seed's watch_cpu.py did.
func one(ctx context.Context, c *config, stdout, stderr io.Writer) error {
	wl := c.workload
	// Zero Workers and Unit take the seed's defaults (Spec's docs say which).
	spec := experiment.Spec{Workload: wl, Kernel: c.kernel, Unit: c.size, Units: c.units, Pin: c.pin, Workers: c.numThreads}
	if wl == experiment.Multiprocessing {
		spec.Workers = c.numProcs
	}
	// Following this process's threads and its children's lets the
	// picture come with a thread timeline: which worker ran where.
	// A zero interval is cpuwatch's default, the seed's one second.
	w := cpuwatch.Watcher{Interval: c.interval, MinSamples: c.totalIntervals, FollowSelf: true, FollowChildren: true}
	if !c.set["total-intervals"] {
		w.MinSamples = seedIntervals
	}
	// Resolved once, the defaults name the run as it runs; a zero Idle
	// fills the watcher's MinSamples.
	if c.traceFile != "" {
		spec.Trace = &schedtrace.Tracer{}
	}
	job := spec.Resolve(&w)
	if c.python != "" || c.speedOf != "" {
		fmt.Fprintf(stderr, "Timing the seed's loop in %s…\n", c.interp)
		sp, err := workload.MeasureInterpreter(ctx, c.interp, 0)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%s: %.2f ns an iteration\n", c.interp, sp.NsPerIteration)
		if c.python != "" {
			job.Python = &sp
		} else {
			job.SpeedOf = &sp
		}
	}

	mode := c.mode
	if !c.set["mode"] && wl.GIL() {
		mode = heatmap.Split // the GIL's system time is the point
	}
	title := job.DataID()
	if c.dataID != "" {
		title = c.dataID
	}
	var drawErr error
	if c.picture == heatmap.Terminal {
		// Draw the recording as it grows, from the recording's own samples.
		live := heatmap.NewLive(stdout, heatmap.TerminalOptions{Title: title, Mode: mode})
		w.OnSample = func(s cpuwatch.Sample) {
			if drawErr == nil {
				drawErr = live.Add(s)
			}
		}
	}
	res, err := job.Run(ctx, &w)
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
	if res.Interpreter != "" {
		fmt.Fprintf(stdout, "interpreter %s, %.2f ns an iteration; %d context switches (%.0f a second)\n",
			res.Interpreter, res.NsPerIteration, res.ContextSwitches, float64(res.ContextSwitches)/max(res.WallSeconds, 1e-9))
	}
	if p := res.Pace; p != nil && p.Unmet {
		fmt.Fprintf(stdout, "no spin steps: the kernel alone took %.2f ns an iteration, more than %s's %.2f ns, so only the floor holds it to that pace\n", p.KernelNs, res.SpeedOf, p.NsPerIteration)
	} else if p != nil {
		fmt.Fprintf(stdout, "paced to %s: %.2f ns an iteration (kernel %.2f ns + %.1f spin steps of %.2f ns)\n",
			res.SpeedOf, p.NsPerIteration, p.KernelNs, p.Steps, p.StepNs)
	}
	if res.GIL != nil {
		fmt.Fprintf(stdout, "GIL: %d switches, %d acquisitions, %d drop requests, %.2f s waited; %d futex wake-ups, %d sleeps\n",
			res.GIL.Switches, res.GIL.Acquisitions, res.GIL.DropRequests, res.GIL.WaitSeconds, res.GIL.FutexWakes, res.GIL.FutexSleeps)
	}
	picture := c.filename
	if picture == "" {
		picture = "profile-" + strings.NewReplacer(":", "-", " ", "-").Replace(job.DataID()) + c.picture.Ext()
	}
	if c.picture != heatmap.Terminal {
		name := picture
		if err := heatmap.WriteFile(name, res.Recording, heatmap.Options{Mode: mode}); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "Saved", name)
		if c.picture != heatmap.HTML && experiment.ThreadPictureName(res) != "" {
			name = heatmap.ThreadsFileName(name)
			if err := heatmap.WriteThreadsFile(name, res.Recording, heatmap.ThreadOptions{}); err != nil {
				return err
			}
			fmt.Fprintln(stdout, "Saved", name)
		}
	}
	if c.traceFile != "" {
		zoom := ""
		if c.picture != heatmap.Terminal {
			zoom = heatmap.TraceFileName(picture)
		}
		if err := saveTrace(stdout, c.traceFile, zoom, res); err != nil {
			return err
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

// saveTrace writes the run's scheduler trace as a Trace Event file and,
// unless zoom is "", its zoom picture (the default window) beside the
// heatmap; or says why there is none.
func saveTrace(stdout io.Writer, name, zoom string, res *corescope.Result) error {
	if res.Trace == nil {
		fmt.Fprintf(stdout, "Not traced: %s\n", res.TraceError)
		return nil
	}
	if err := res.Trace.WriteTraceEventsFile(name); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Saved %s (%d on-CPU slices, %d GIL events; %v); open it in https://ui.perfetto.dev\n",
		name, len(res.Trace.Slices), len(res.Trace.GIL), res.Trace.Lost)
	if zoom == "" {
		return nil
	}
	if err := heatmap.WriteTraceFile(zoom, res.Trace, heatmap.TraceOptions{}); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "Saved", zoom)
	return nil
}
