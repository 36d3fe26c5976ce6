package corescope

import (
	"context"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/schedtrace"
	"github.com/corescope/corescope/workload"
)

// Result is one workload run under a watch: what the workload said about
// itself, what the watcher saw, and a summary of both.
//
// Its JSON form is the run's summary, with the keys of the watchcpu
// command's --json file: workload, workers, kernel, size, wall_seconds,
// user_seconds, system_seconds, cores_used, effective_cores, results, gil
// (GIL runs only) and recording. The full workload Report is not part of it.
type Result struct {
	// Workload names the run: the seed's name ("multiprocessing") when it
	// came from a Spec, else the model's String.
	Workload string `json:"workload"`
	// DataID is the recording's title, such as "multiprocessing:4".
	DataID string `json:"data_id,omitempty"`
	// Workers is how many workers ran; 0 for an idle baseline.
	Workers int `json:"workers"`
	// Kernel is the kernel the workers ran ("native" or "bytecode"), empty
	// when nothing ran.
	Kernel string `json:"kernel"`
	// Size is the number of loop iterations each worker did in total.
	Size uint64 `json:"size"`
	// Unit is the n of one sum(range(n)), whose result each worker prints.
	// Size is a whole multiple of it.
	Unit uint64 `json:"unit,omitempty"`
	// WallSeconds is the workload's wall time, from its own report.
	WallSeconds float64 `json:"wall_seconds"`
	// UserSeconds and SystemSeconds are the CPU time of the workload's own
	// threads or child processes, not of the watcher.
	UserSeconds   float64 `json:"user_seconds"`
	SystemSeconds float64 `json:"system_seconds"`
	// CoresUsed is the workload's CPU time divided by its wall time.
	CoresUsed float64 `json:"cores_used"`
	// EffectiveCores is how many cores the watcher saw busy during the run
	// (cpuwatch.Recording.EffectiveCores): it includes everything else the
	// machine did, so it is at least CoresUsed give or take tick rounding.
	EffectiveCores float64 `json:"effective_cores"`
	// Results holds every worker's sum, in worker order.
	Results []uint64 `json:"results"`
	// ContextSwitches counts the workload's voluntary and involuntary
	// context switches, from the same rusage as its CPU time.
	ContextSwitches int64 `json:"context_switches"`
	// GIL is set for runs of the emulated GIL only.
	GIL *GILSummary `json:"gil,omitempty"`
	// Interpreter names the real Python that ran the workload, such as
	// "CPython 2.7.18"; empty for the emulations.
	Interpreter string `json:"interpreter,omitempty"`
	// NsPerIteration is that interpreter's measured cost of one loop
	// iteration on one core, in ns, when it was measured.
	NsPerIteration float64 `json:"ns_per_iteration,omitempty"`
	// Pace is how an emulation was slowed to an interpreter's speed
	// (workload.Work.NsPerIteration); nil at the kernel's own speed.
	Pace *workload.Pace `json:"pace,omitempty"`
	// SpeedOf names the interpreter whose speed Pace matches.
	SpeedOf string `json:"speed_of,omitempty"`
	// Recording is what the watcher recorded, lead and trail included.
	Recording *cpuwatch.Recording `json:"recording"`

	// Report is the workload's full report, per worker.
	Report workload.Report `json:"-"`

	// Trace is the scheduler trace of the model's run when RunTraced
	// made one; export it with its WriteTraceEvents method. TraceError
	// says why RunTraced could not trace, in a sentence for the user.
	Trace      *schedtrace.Trace `json:"-"`
	TraceError string            `json:"trace_error,omitempty"`
}

// GILSummary totals the emulated GIL's activity over all threads of a run.
type GILSummary struct {
	// Acquisitions counts every time a thread took the lock.
	Acquisitions int64 `json:"acquisitions"`
	// Switches counts acquisitions by a thread other than the last holder.
	Switches int64 `json:"switches"`
	// DropRequests counts Python 3 drop requests (zero for Python 2).
	DropRequests int64 `json:"drop_requests"`
	// WaitSeconds is the time threads spent waiting for the lock, summed.
	WaitSeconds float64 `json:"wait_seconds"`
	// FutexSleeps and FutexWakes count the futex wait and wake system
	// calls around the lock: the Python 2 GIL's storm, in numbers.
	FutexSleeps int64 `json:"futex_sleeps"`
	FutexWakes  int64 `json:"futex_wakes"`
}

// SystemShare returns the fraction of the workload's CPU time spent in the
// kernel, or 0 when it used none.
func (r *Result) SystemShare() float64 {
	cpu := r.UserSeconds + r.SystemSeconds
	if cpu <= 0 {
		return 0
	}
	return r.SystemSeconds / cpu
}

// Iterations returns the loop iterations of all workers together.
func (r *Result) Iterations() uint64 { return r.Size * uint64(r.Workers) }

// Run runs m under w's Record and returns both sides of the run.
//
// w supplies the interval, lead, trail and minimum samples; a nil w means
// the zero cpuwatch.Watcher, with cpuwatch's defaults for all of them. The model
// runs on the caller's goroutine with a context that ends when ctx does
// or the watch fails. If the model or the watch fails, Run returns the
// error together with a Result holding whatever was recorded.
func Run(ctx context.Context, w *cpuwatch.Watcher, m workload.Model) (*Result, error) {
	return run(ctx, w, m, func(ctx context.Context, m workload.Model) (workload.Report, error) { return m.Run(ctx) })
}

// run is Run with the model's run made by runModel, which RunTraced wraps
// in a trace.
func run(ctx context.Context, w *cpuwatch.Watcher, m workload.Model,
	runModel func(context.Context, workload.Model) (workload.Report, error)) (*Result, error) {
	if m == nil {
		return nil, errNilModel
	}
	if w == nil {
		w = &cpuwatch.Watcher{}
	}
	var rep workload.Report
	rec, err := w.Record(ctx, func(ctx context.Context) error {
		var err error
		rep, err = runModel(ctx, m)
		return err
	})
	res := summarize(m.String(), rep, rec)
	if err != nil {
		return res, err
	}
	return res, nil
}

// summarize builds a Result from a workload report and a recording.
func summarize(name string, rep workload.Report, rec *cpuwatch.Recording) *Result {
	res := &Result{
		Workload:        name,
		Workers:         len(rep.Workers),
		WallSeconds:     rep.Wall.Seconds(),
		UserSeconds:     rep.User.Seconds(),
		SystemSeconds:   rep.System.Seconds(),
		CoresUsed:       rep.CoresUsed(),
		ContextSwitches: rep.ContextSwitches(),
		Pace:            rep.Pace,
		Results:         []uint64{},
		Recording:       rec,
		Report:          rep,
	}
	if len(rep.Workers) > 0 {
		res.Kernel = rep.Kernel.String()
	}
	for _, wr := range rep.Workers {
		res.Results = append(res.Results, wr.Result)
		res.Size = max(res.Size, wr.Iterations)
	}
	if rec != nil {
		res.DataID = rec.DataID
		res.EffectiveCores = rec.EffectiveCores()
	}
	if g := rep.GIL; g != nil {
		res.GIL = &GILSummary{
			Acquisitions: g.Acquisitions,
			Switches:     g.Switches,
			DropRequests: g.DropRequests,
			WaitSeconds:  g.Wait.Seconds(),
			FutexSleeps:  g.Sleeps,
			FutexWakes:   g.Wakes,
		}
	}
	return res
}
