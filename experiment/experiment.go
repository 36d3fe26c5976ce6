package experiment

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/workload"
)

// Plan describes the seed's experiment scaled to a machine. Its zero value
// is a valid plan for the machine it runs on: see each field's default.
//
// The seed ran, on 4 cores with 8 hyperthreads: an idle baseline, the loop
// serially (2^28 iterations), 2, 4 and 8 processes of 2^28 iterations each,
// and 2, 4 and 8 Python threads of 2^26 iterations each. A Plan keeps those
// proportions: every process, locked thread and goroutine does as much
// work as the serial run, every GIL thread a quarter of it, so 4 GIL
// threads together do the serial run's work.
type Plan struct {
	// CPUs is how many CPUs the workload may use; 0 means corescope.UsableCPUs(),
	// which honours the process's affinity mask, cpuset and CPU quota. The
	// parallel models run 1, 2, … up to 2×CPUs workers.
	CPUs int
	// Kernel is the loop every worker runs. The zero Kernel is
	// workload's default.
	Kernel workload.Kernel
	// Unit is the n of one sum(range(n)) for the serial run and for each
	// process, thread and goroutine; GIL threads use Unit/4. 0 means the
	// seed's 2^28.
	Unit uint64
	// Units is how many units each worker repeats; 0 means 1. Repeating a
	// smaller unit keeps the seed's printed results checkable while the
	// run takes as long as the picture needs.
	Units int
	// Idle is how long the do-nothing baseline lasts; 0 means Spec.Idle's
	// default: one second, or enough to fill the Experiment watcher's
	// MinSamples if it sets them.
	Idle time.Duration
	// Pin pins worker i to CPU i, as the seed's --pin-cpu did.
	Pin bool
	// GILThreads lists the GIL thread counts; nil means 2 and 4 (the seed
	// also ran 8, which on a small machine only takes longer).
	GILThreads []int
}

// SeedUnit is the seed's n for processes and the serial run: sum(range(2^28)).
const SeedUnit = 1 << 28

// Specs returns the runs of the plan, in the order they should run: the
// idle baseline first, then the serial run every speed-up is measured
// against, then processes, locked threads and goroutines with 1 … 2×CPUs
// workers, then the Python 3 and Python 2 GIL.
func (p Plan) Specs() []Spec {
	cpus := p.CPUs
	if cpus <= 0 {
		cpus = corescope.UsableCPUs()
	}
	unit := p.Unit
	if unit == 0 {
		unit = SeedUnit
	}
	gil := p.GILThreads
	if gil == nil {
		gil = []int{2, 4}
	}
	base := Spec{Kernel: p.Kernel, Unit: unit, Units: p.Units, Pin: p.Pin}
	specs := []Spec{
		{Workload: DoNothing, Idle: p.Idle},
		with(base, NonThreaded, 1),
	}
	for _, wl := range []Workload{Multiprocessing, Threads, Goroutines} {
		for n := 1; n <= 2*cpus; n++ {
			specs = append(specs, with(base, wl, n))
		}
	}
	quarter := base
	quarter.Unit = max(unit/4, 1)
	for _, wl := range []Workload{Threading, ThreadingPy2} {
		for _, n := range gil {
			specs = append(specs, with(quarter, wl, n))
		}
	}
	return specs
}

func with(s Spec, w Workload, n int) Spec {
	s.Workload, s.Workers = w, n
	return s
}

// Experiment runs a list of specs one after the other, each under its own
// recording, and reports progress as it goes. The zero value runs nothing;
// set Specs (from a Plan) and a Watcher interval.
type Experiment struct {
	// Specs are the runs, in order.
	Specs []Spec
	// Watcher records each run. A zero Interval means one second.
	Watcher cpuwatch.Watcher
	// Progress, if set, is called when a run starts, every ProgressEvery
	// while it runs, and when it ends. Calls come from one goroutine the
	// experiment starts, never two at once, and never after Run returns.
	// A slow Progress delays the next report, not the runs.
	Progress func(Progress)
	// ProgressEvery is the time between progress reports during a run;
	// 0 means 250 ms.
	ProgressEvery time.Duration
	// NsPerIteration is the expected cost of one loop iteration on one
	// core, used only to estimate time left before the serial run has
	// measured it. 0 means 1 ns (the native kernel's order).
	NsPerIteration float64
	// Tracer, if set, records the scheduler events of the runs Traced
	// chooses, for the report's zoom pictures. A run that cannot be
	// traced (no privilege, no tracefs) runs untraced, and the report
	// says why. nil traces nothing.
	Tracer Tracer
	// Traced chooses the runs to trace; nil means DefaultTraced.
	Traced func(Spec) bool
}

// Progress tells how far an Experiment has got.
type Progress struct {
	// Run is the index in Specs of the run in progress; Runs is len(Specs).
	Run, Runs int
	// Spec is the run in progress.
	Spec Spec
	// Elapsed is how long the current run has taken so far, and Expected
	// how long it should take in all, recording lead and trail included.
	Elapsed, Expected time.Duration
	// Left is the estimated time until the whole experiment ends.
	Left time.Duration
	// Done is set on the last report of a run, with its Result (which is
	// nil if the run failed before it started).
	Done   bool
	Result *corescope.Result
}

// Fraction returns how far the current run has got, in [0, 1]: 1 once it
// is done, and at most 0.99 before, however late it runs.
func (p Progress) Fraction() float64 {
	if p.Done {
		return 1
	}
	if p.Expected <= 0 {
		return 0
	}
	return min(float64(p.Elapsed)/float64(p.Expected), 0.99)
}

// Results are the runs of an experiment, in the order they ran.
type Results struct {
	// Host describes the machine, from the first recording.
	Host cpuwatch.Host `json:"host"`
	// Interval is the watcher's interval.
	Interval time.Duration `json:"interval"`
	// Runs holds one summary per run, in order.
	Runs []*corescope.Result `json:"runs"`
	// Traces holds, by DataID, the scheduler trace of each run the
	// experiment traced or tried to.
	Traces map[string]*RunTrace `json:"traces,omitempty"`
}

// Run runs every spec in order and returns their results. It stops at the
// first failing run, or when ctx ends, returning the results so far with
// the error.
func (e *Experiment) Run(ctx context.Context) (*Results, error) {
	w := e.Watcher
	if w.Interval == 0 {
		w.Interval = time.Second
	}
	res := &Results{Interval: w.Interval, Runs: []*corescope.Result{}}
	est := estimator{
		watcher:  w,
		cpus:     usableCPUs(),
		procs:    runtime.GOMAXPROCS(0),
		nsPerIt:  e.NsPerIteration,
		slowdown: map[Workload]float64{},
	}
	if est.nsPerIt <= 0 {
		est.nsPerIt = 1
	}

	// Two events a run at most, so sending never waits for Progress.
	events := make(chan Progress, 2*len(e.Specs))
	reporterDone := make(chan struct{})
	go e.report(events, reporterDone)
	defer func() {
		close(events)
		<-reporterDone
	}()

	for i, s := range e.Specs {
		left := time.Duration(0)
		for _, later := range e.Specs[i:] {
			left += est.estimate(later)
		}
		p := Progress{Run: i, Runs: len(e.Specs), Spec: s, Expected: est.estimate(s), Left: left}
		events <- p
		start := time.Now()
		r, rt, err := e.runSpec(ctx, s, &w)
		p.Elapsed, p.Done, p.Result = time.Since(start), true, r
		if rt != nil {
			if res.Traces == nil {
				res.Traces = map[string]*RunTrace{}
			}
			res.Traces[s.DataID()] = rt
		}
		if r != nil {
			res.Runs = append(res.Runs, r)
			if r.Recording != nil && res.Host.NumCPU == 0 {
				res.Host = r.Recording.Host
			}
		}
		if err != nil {
			events <- p
			return res, fmt.Errorf("corescope: run %s: %w", s.DataID(), err)
		}
		est.learn(s, r)
		p.Left = 0
		for _, later := range e.Specs[i+1:] {
			p.Left += est.estimate(later)
		}
		events <- p
	}
	return res, nil
}

// report forwards start and end events to Progress, and between them sends
// ticks of the run in progress, so that Progress runs on this goroutine only.
func (e *Experiment) report(events <-chan Progress, done chan<- struct{}) {
	defer close(done)
	every := e.ProgressEvery
	if every <= 0 {
		every = 250 * time.Millisecond
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	var (
		cur     Progress
		running bool
		started time.Time
	)
	for {
		select {
		case p, ok := <-events:
			if !ok {
				return
			}
			cur, running = p, !p.Done
			if running {
				started = time.Now()
			}
			if e.Progress != nil {
				e.Progress(p)
			}
		case <-tick.C:
			if !running || e.Progress == nil {
				continue
			}
			p := cur
			p.Elapsed = time.Since(started)
			// The later runs' estimate stands; this run's shrinks to 0 and
			// stays there if it overruns.
			p.Left = cur.Left - cur.Expected + max(cur.Expected-p.Elapsed, 0)
			e.Progress(p)
		}
	}
}

// estimator guesses how long a run takes from the cost of an iteration,
// which it learns from the serial run, and the GIL's slowdown, which it
// learns from the first GIL run of each version.
type estimator struct {
	watcher  cpuwatch.Watcher
	cpus     float64 // usable CPUs, a fraction under a quota
	procs    int
	nsPerIt  float64
	slowdown map[Workload]float64 // wall of a GIL run over its ideal serial time
}

// overhead is the recording around a run: lead and trail, plus the sample
// in progress when the run ends and a little start-up.
func (e *estimator) overhead() time.Duration {
	lead := e.watcher.Lead
	if lead == 0 {
		lead = cpuwatch.DefaultLead
	}
	trail := e.watcher.Trail
	if trail == 0 {
		trail = cpuwatch.DefaultTrail
	}
	return time.Duration(max(lead, 0)+max(trail, 0)+1)*e.watcher.Interval + 50*time.Millisecond
}

// work estimates the workload's own wall time.
func (e *estimator) work(s Spec) time.Duration {
	if s.Workload == DoNothing {
		return s.WithDefaults(&e.watcher).Idle
	}
	n := s.workers()
	serial := float64(s.Size()) * e.nsPerIt // one worker's work on one core
	var wall float64
	switch s.Workload {
	case Threading, ThreadingPy2:
		wall = serial * float64(n) * e.gilFactor(s.Workload)
	case Goroutines:
		wall = serial * float64(n) / min(float64(n), float64(e.procs), e.cpus)
	default:
		wall = serial * float64(n) / min(float64(n), e.cpus)
	}
	return time.Duration(wall)
}

// gilFactor is how much slower the GIL runs than the serial loop. Python 3
// costs a little in cache misses; Python 2's futex storm cost the seed
// 1.9–2.5×. Once a GIL run has been seen, its own slowdown is used.
func (e *estimator) gilFactor(w Workload) float64 {
	if f, ok := e.slowdown[w]; ok {
		return f
	}
	if w == ThreadingPy2 {
		return 2.5
	}
	return 1.15
}

func (e *estimator) estimate(s Spec) time.Duration {
	if e.watcher.MinSamples > 0 {
		return max(e.work(s)+e.overhead(), time.Duration(e.watcher.MinSamples)*e.watcher.Interval)
	}
	return e.work(s) + e.overhead()
}

// learn updates the estimates from a finished run.
func (e *estimator) learn(s Spec, r *corescope.Result) {
	if r == nil || r.WallSeconds <= 0 {
		return
	}
	switch s.Workload {
	case NonThreaded:
		e.nsPerIt = r.WallSeconds * 1e9 / float64(max(s.Size(), 1))
	case Threading, ThreadingPy2:
		ideal := float64(s.Size()) * float64(s.workers()) * e.nsPerIt / 1e9
		if ideal > 0 {
			e.slowdown[s.Workload] = r.WallSeconds / ideal
		}
	}
}

// Serial returns the experiment's serial run, which every speed-up is
// measured against, or nil if it has none.
func (r *Results) Serial() *corescope.Result {
	for _, run := range r.Runs {
		if run.Workload == string(NonThreaded) && run.WallSeconds > 0 {
			return run
		}
	}
	return nil
}

// Speedup returns how much faster run got through its loop iterations than
// the serial run did through the same number: serial time per iteration ×
// run's iterations ÷ run's wall time. Processes that each repeat the serial
// work score n on n free cores; four GIL threads that share the serial
// work score about 1 under Python 3. It is 0 when there is no serial run or
// run did no work.
func (r *Results) Speedup(run *corescope.Result) float64 {
	s := r.Serial()
	if s == nil || run.WallSeconds <= 0 || run.Iterations() == 0 || s.Iterations() == 0 {
		return 0
	}
	perIt := s.WallSeconds / float64(s.Iterations())
	return perIt * float64(run.Iterations()) / run.WallSeconds
}

// Implausible returns the runs whose speed-up is more than their workers
// could give on the CPUs the process could use (the least of workers,
// Host.NumCPU and, when known, Host.Limits.UsableCPUs, which counts a
// cgroup quota, cpuset and affinity; with 5 % to spare). No run can do that; when one seems to, the machine's speed per
// core changed between the serial run and that run — on a shared virtual
// machine the host's load moves it by up to 2× — and its speed-up says more
// about the host than about the model. Cores used, which compares a run
// with itself, is unaffected.
func (r *Results) Implausible() []*corescope.Result {
	var out []*corescope.Result
	for _, run := range r.Runs {
		limit := float64(run.Workers)
		if n := r.Host.NumCPU; n > 0 && float64(n) < limit {
			limit = float64(n)
		}
		if l := r.Host.Limits; l != nil && l.UsableCPUs > 0 && l.UsableCPUs < limit {
			limit = l.UsableCPUs
		}
		if sp := r.Speedup(run); limit > 0 && sp > 1.05*limit {
			out = append(out, run)
		}
	}
	return out
}

// errNoRuns is returned when results hold nothing to tabulate.
var errNoRuns = errors.New("corescope: no runs")

// Calibrate runs the plan's serial unit once (or a few times, if one is
// too quick to time) and sets Units so that the serial run takes about
// target on an otherwise idle core; the other runs scale from it. It
// measures the worker's CPU time, not its wall time, so a busy machine
// does not shrink the runs. It returns the measured cost of
// one iteration in nanoseconds, for Experiment.NsPerIteration.
func (p *Plan) Calibrate(ctx context.Context, target time.Duration) (float64, error) {
	if target <= 0 {
		return 0, fmt.Errorf("corescope: calibration target %v is not positive", target)
	}
	unit := p.Unit
	if unit == 0 {
		unit = SeedUnit
	}
	var nsPerIt float64
	for units := 1; ; units *= 2 {
		m := workload.Serial{Work: workload.Work{Kernel: p.Kernel, N: unit, Units: units}}
		rep, err := m.Run(ctx)
		if err != nil {
			return 0, fmt.Errorf("corescope: calibrate: %w", err)
		}
		it := rep.Iterations()
		if it == 0 {
			return 0, errors.New("corescope: calibrate: the serial run did no iterations")
		}
		// The worker's own CPU time is what one core needs for the work,
		// however many other processes competed for the core meanwhile.
		cost := rep.CPU()
		if cost <= 0 {
			cost = rep.Wall
		}
		nsPerIt = float64(cost) / float64(it)
		if cost >= 50*time.Millisecond || units >= 1<<10 {
			break
		}
	}
	p.Units = max(1, int(float64(target)/(nsPerIt*float64(unit))+0.5))
	return nsPerIt, nil
}

// usableCPUs is the process's usable CPUs before rounding: a fraction
// under a quota, for estimates of how long a run takes.
func usableCPUs() float64 {
	var w cpuwatch.Watcher
	if l, err := w.Limits(); err == nil && l.UsableCPUs > 0 {
		return l.UsableCPUs
	}
	return float64(runtime.NumCPU())
}
