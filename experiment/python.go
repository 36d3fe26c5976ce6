package experiment

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/workload"
)

// Pythons are the real interpreters an experiment runs beside the
// emulation, and what was said about choosing them.
type Pythons struct {
	// Speeds holds one entry per interpreter, with its measured speed.
	Speeds []*workload.Speed
	// Note says which interpreters were chosen and why, or why none.
	Note string
}

// FindPythons chooses the real interpreters for an experiment: py2 and py3
// if given (paths, or names looked up in PATH), else one Python 2.7 and
// the newest Python 3 that workload.FindInterpreters finds; and measures
// each one's speed (workload.MeasureInterpreter, about a second each). An
// interpreter given by path that does not run, or is the wrong major
// version, is an error; finding none is not.
func FindPythons(ctx context.Context, py2, py3 string) (Pythons, error) {
	var found []workload.Interpreter
	if py2 == "" || py3 == "" {
		found = workload.FindInterpreters(ctx)
	}
	var ps Pythons
	var notes []string
	for _, v := range []struct {
		path  string
		major int
		flag  string
	}{{py2, 2, "--python2"}, {py3, 3, "--python3"}} {
		var in workload.Interpreter
		switch {
		case v.path != "":
			var err error
			if in, err = workload.InspectInterpreter(ctx, v.path); err != nil {
				return ps, fmt.Errorf("experiment: %s: %w", v.flag, err)
			}
			if in.Major != v.major {
				return ps, fmt.Errorf("experiment: %s %s is %s, not Python %d", v.flag, v.path, in, v.major)
			}
			notes = append(notes, fmt.Sprintf("%s (%s, given by %s)", in, in.Path, v.flag))
		default:
			var ok bool
			if in, ok = workload.NewestInterpreter(found, v.major); !ok {
				notes = append(notes, fmt.Sprintf("no Python %d found", v.major))
				continue
			}
			notes = append(notes, fmt.Sprintf("%s (%s, found)", in, in.Path))
		}
		sp, err := workload.MeasureInterpreter(ctx, in, 0)
		if err != nil {
			return ps, fmt.Errorf("experiment: timing %s: %w", in, err)
		}
		ps.Speeds = append(ps.Speeds, &sp)
	}
	if len(ps.Speeds) == 0 {
		ps.Note = "No Python interpreter was found (python2.7, python2, python3 on PATH, $(pyenv root)/versions/*/bin/python): only the emulation ran."
	} else {
		ps.Note = "Real interpreters: " + strings.Join(notes, "; ") + "."
	}
	return ps, nil
}

// Fidelity holds one real interpreter's run beside the emulation's
// matching run, and the seed's where it has one.
type Fidelity struct {
	// Interpreter is the real one, as "CPython 2.7.18".
	Interpreter string
	// Workload and Workers name the runs compared.
	Workload Workload
	Workers  int
	// Real and Emulated are the two runs; Seed is the seed's matching
	// run, nil when it had none (it never ran Python 3, nor
	// multiprocessing:2 on as many cores). Emulated is the emulation
	// paced to the real interpreter's speed when the results hold such
	// a run (its Pace says how), else the emulation at its own speed.
	Real, Emulated *corescope.Result
	Seed           *SeedRun
	// Metrics compare them: speed-up, cores used, system share and
	// context switches a second.
	Metrics []Metric
}

// Metric is one number of a Fidelity, real and emulated, with the verdict.
type Metric struct {
	Name           string
	Real, Emulated float64
	// Seed is the seed's value; HasSeed says whether there is one.
	Seed    float64
	HasSeed bool
	// Verdict says in a line how close the emulation came.
	Verdict string
	// Unit formats the values: "×", "cores", "%" or "/s".
	Unit string
	// Source says where the values came from when that differs between
	// runs, as for context switches: "scheduler trace" or "rusage";
	// RealSource and EmulatedSource are each side's, Source the phrase
	// for both ("" when there is nothing to say).
	Source, RealSource, EmulatedSource string
}

// Tolerances for a verdict of "matches", from the project's fidelity
// targets: Python 2 within ±15 % speed-up, ±0.15 cores and ±10 points of
// system share; Python 3 within ±10 % and ±0.1 cores.
func tolerances(major int) (speedup, cores, system float64) {
	if major == 2 {
		return 0.15, 0.15, 0.10
	}
	return 0.10, 0.10, 0.10
}

// Fidelity returns, for each real interpreter's threading and
// multiprocessing run, the comparison with the emulation's run of the same
// workload and workers, in run order: the emulation paced to that
// interpreter's speed (Spec.SpeedOf) where the results hold it, so that
// like is compared with like, else the emulation at its own speed. Each
// speed-up is against its own side's serial run (Speedup). Context
// switches a second come from the run's scheduler trace where it has a
// complete one (RunTrace.Switches), else from its rusage; each Metric
// says which.
func (r *Results) Fidelity() []Fidelity {
	var out []Fidelity
	for _, run := range r.Runs {
		if run.Interpreter == "" || run.Workload == string(NonThreaded) {
			continue
		}
		emu := r.emulationOf(run)
		if emu == nil {
			continue
		}
		f := Fidelity{Interpreter: run.Interpreter, Workload: Workload(run.Workload), Workers: run.Workers, Real: run, Emulated: emu}
		major := 3
		if strings.Contains(run.Interpreter, " 2.") {
			major = 2
		}
		for _, s := range SeedRuns() {
			if major == 2 && s.Workload == f.Workload && s.Workers == f.Workers {
				f.Seed = &s
				break
			}
		}
		tSp, tCores, tSys := tolerances(major)
		rs, es := r.Speedup(run), r.Speedup(emu)
		sp := Metric{Name: "speed-up", Real: rs, Emulated: es, Unit: "×", Verdict: relVerdict(rs, es, tSp)}
		cores := Metric{Name: "cores used", Real: run.CoresUsed, Emulated: emu.CoresUsed, Unit: "cores", Verdict: absVerdict(run.CoresUsed, emu.CoresUsed, tCores, "%.2f cores")}
		sys := Metric{Name: "system share", Real: 100 * run.SystemShare(), Emulated: 100 * emu.SystemShare(), Unit: "%",
			Verdict: absVerdict(100*run.SystemShare(), 100*emu.SystemShare(), 100*tSys, "%.0f points")}
		realCtx, realSrc := r.switchRate(run)
		emuCtx, emuSrc := r.switchRate(emu)
		ctx := Metric{Name: "context switches a second", Real: realCtx, Emulated: emuCtx, Unit: "/s",
			Verdict: ratioVerdict(realCtx, emuCtx), RealSource: realSrc, EmulatedSource: emuSrc, Source: realSrc}
		if realSrc != emuSrc {
			ctx.Source = "real: " + realSrc + "; emulated: " + emuSrc
		}
		if f.Seed != nil {
			sp.Seed, sp.HasSeed = f.Seed.Speedup(), true
			cores.Seed, cores.HasSeed = f.Seed.CoresUsed(), true
			sys.Seed, sys.HasSeed = 100*f.Seed.SystemShare(), true
		}
		f.Metrics = []Metric{sp, cores, sys, ctx}
		out = append(out, f)
	}
	return out
}

// emulationOf returns the emulated run that real is compared with: the
// one of the same workload and workers paced to real's interpreter, else
// the one at the kernel's own speed, else nil.
func (r *Results) emulationOf(real *corescope.Result) *corescope.Result {
	var own *corescope.Result
	for _, e := range r.Runs {
		if e.Interpreter != "" || e.Workload != real.Workload || e.Workers != real.Workers {
			continue
		}
		switch e.SpeedOf {
		case real.Interpreter:
			if r.PacedSerialOf(real.Interpreter) != nil {
				return e
			}
		case "":
			if own == nil {
				own = e
			}
		}
	}
	return own
}

// Sources of a context switch rate.
const (
	sourceTrace  = "scheduler trace"
	sourceRusage = "rusage"
)

// switchRate returns run's context switches a second and where they came
// from: its scheduler trace's count of the workload's threads' switches
// where it has one, else the rusage count, over the run's wall time. The
// trace's own length is the fallback denominator only: it also covers
// the model's set-up and tear-down (a pace's calibration, collecting a
// GIL's events), when the workers hardly switch.
func (r *Results) switchRate(run *corescope.Result) (float64, string) {
	rt := r.Traces[run.DataID]
	switch {
	case rt != nil && rt.Threads > 0 && run.WallSeconds > 0:
		return float64(rt.Switches) / run.WallSeconds, sourceTrace
	case rt != nil && rt.Threads > 0 && rt.Seconds > 0:
		return float64(rt.Switches) / rt.Seconds, sourceTrace
	case rt != nil && rt.Uncounted != "":
		return perSecond(run), sourceRusage + ", as " + rt.Uncounted
	}
	return perSecond(run), sourceRusage
}

func perSecond(run *corescope.Result) float64 {
	if run.WallSeconds <= 0 {
		return 0
	}
	return float64(run.ContextSwitches) / run.WallSeconds
}

// relVerdict judges a ratio-scale metric within a relative tolerance.
func relVerdict(real, emu, tol float64) string {
	if real <= 0 || emu <= 0 {
		return "not measured"
	}
	d := emu/real - 1
	if math.Abs(d) <= tol {
		return fmt.Sprintf("matches: emulation %+.0f %% (target ±%.0f %%)", 100*d, 100*tol)
	}
	return fmt.Sprintf("off: emulation %+.0f %% of real (target ±%.0f %%)", 100*d, 100*tol)
}

// absVerdict judges a metric within an absolute tolerance.
func absVerdict(real, emu, tol float64, unit string) string {
	d := emu - real
	if fmt.Sprintf(unit, math.Abs(d)) == fmt.Sprintf(unit, 0.0) {
		d = 0 // no "-0.00"
	}
	if math.Abs(d) <= tol {
		return fmt.Sprintf("matches: emulation "+signed(unit)+" (target ±"+unit+")", d, tol)
	}
	return fmt.Sprintf("off: emulation "+signed(unit)+" (target ±"+unit+")", d, tol)
}

func signed(format string) string { return strings.Replace(format, "%", "%+", 1) }

// ratioVerdict compares rates that have no target: how many times as often.
func ratioVerdict(real, emu float64) string {
	if real <= 0 || emu <= 0 {
		return "not measured"
	}
	ratio := emu / real
	switch {
	case ratio >= 0.5 && ratio <= 2:
		return fmt.Sprintf("same order: emulation %.2f× the real rate", ratio)
	case ratio > 2:
		return fmt.Sprintf("emulation switches %.1f× as often", ratio)
	}
	return fmt.Sprintf("emulation switches %.1f× less often", 1/ratio)
}
