package experiment_test

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/experiment"
	"github.com/corescope/corescope/workload"
)

func TestPlanPaced(t *testing.T) {
	unmeasured := &workload.Speed{Interpreter: py3.Interpreter} // NsPerIteration 0
	tests := []struct {
		name    string
		pythons []*workload.Speed
		pin     bool
		want    []string
	}{
		{"measured", []*workload.Speed{py2}, true, []string{
			// Each paced run right after the real run it mirrors, with
			// its work, its pace, and the plan's Pin.
			"non-threaded:1 CPython 2.7.18 u=1048576×4",
			"non-threaded:1 paced to CPython 2.7.18 u=1048576×4 ns=14 pin",
			"threading-py2:2 CPython 2.7.18 u=262144×4",
			"threading-py2:2 paced to CPython 2.7.18 u=262144×4 ns=14 pin",
			"threading-py2:4 CPython 2.7.18 u=262144×4",
			"threading-py2:4 paced to CPython 2.7.18 u=262144×4 ns=14 pin",
			"multiprocessing:2 CPython 2.7.18 u=1048576×4",
		}},
		{"not measured", []*workload.Speed{unmeasured}, false, []string{
			"non-threaded:1 CPython 3.13.0 u=1048576×1",
			"threading:2 CPython 3.13.0 u=262144×1",
			"threading:4 CPython 3.13.0 u=262144×1",
			"multiprocessing:2 CPython 3.13.0 u=1048576×1",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := experiment.Plan{CPUs: 2, Unit: 1 << 20, Units: 9, Pin: tc.pin, Pythons: tc.pythons,
				PythonUnits: map[string]int{py2.Interpreter.Path: 4, py3.Interpreter.Path: 1}}
			var got []string
			for _, s := range p.Specs() {
				if s.Python == nil && s.SpeedOf == nil {
					continue
				}
				j := s.Resolve(nil)
				line := j.DataID() + fmt.Sprintf(" u=%d×%d", j.Unit, j.Units)
				if s.SpeedOf != nil {
					m, err := j.Model()
					if err != nil {
						t.Fatal(err)
					}
					g, ok := m.(workload.GIL)
					ns := 0.0
					if ok {
						ns = g.Work.NsPerIteration
					} else if sm, ok := m.(workload.Serial); ok {
						ns = sm.Work.NsPerIteration
					}
					line += fmt.Sprintf(" ns=%g", ns)
					if j.Pin {
						line += " pin"
					}
				}
				got = append(got, line)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("specs mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// pacedResults holds, for CPython 2.7.18 with 2 threads: the emulation at
// its own speed, the emulation paced to 2.7, and the real interpreter,
// each with its serial run, in round numbers.
func pacedResults() *experiment.Results {
	pace := &workload.Pace{NsPerIteration: 20, KernelNs: 10, StepNs: 1, Steps: 10}
	return &experiment.Results{Runs: []*corescope.Result{
		{Workload: "non-threaded", DataID: "non-threaded:1", Workers: 1, Size: 400, WallSeconds: 2, UserSeconds: 2, CoresUsed: 1},
		{Workload: "threading-py2", DataID: "threading-py2:2", Workers: 2, Size: 100, WallSeconds: 2, UserSeconds: 2, SystemSeconds: 1, CoresUsed: 1.5, ContextSwitches: 2000},
		{Workload: "non-threaded", DataID: "non-threaded:1 CPython 2.7.18", Interpreter: "CPython 2.7.18", Workers: 1, Size: 200, WallSeconds: 1, UserSeconds: 1, CoresUsed: 1},
		{Workload: "non-threaded", DataID: "non-threaded:1 paced to CPython 2.7.18", SpeedOf: "CPython 2.7.18", Pace: pace, Workers: 1, Size: 200, WallSeconds: 0.8, UserSeconds: 0.8, CoresUsed: 1},
		{Workload: "threading-py2", DataID: "threading-py2:2 CPython 2.7.18", Interpreter: "CPython 2.7.18", Workers: 2, Size: 50, WallSeconds: 5, UserSeconds: 3, SystemSeconds: 6, CoresUsed: 1.8, ContextSwitches: 50000},
		{Workload: "threading-py2", DataID: "threading-py2:2 paced to CPython 2.7.18", SpeedOf: "CPython 2.7.18", Pace: pace, Workers: 2, Size: 50, WallSeconds: 4, UserSeconds: 2.8, SystemSeconds: 4, CoresUsed: 1.7, ContextSwitches: 36000},
	}}
}

func TestFidelityPaced(t *testing.T) {
	type m struct {
		Name           string
		Real, Emulated float64
		Verdict        string
		Source         string
	}
	tests := []struct {
		name string
		// edit changes pacedResults before the comparison.
		edit         func(r *experiment.Results)
		wantEmulated string
		want         []m
	}{
		{
			name:         "paced",
			edit:         func(*experiment.Results) {},
			wantEmulated: "threading-py2:2 paced to CPython 2.7.18",
			want: []m{
				// Real: 100 iterations in 5 s against 200 in 1 s → 0.1×;
				// paced: 100 in 4 s against its own paced serial, 200 in
				// 0.8 s → 0.1×, not against the unpaced serial (0.125×).
				{"speed-up", 0.1, 0.1, "matches: emulation +0 % (target ±15 %)", ""},
				{"cores used", 1.8, 1.7, "matches: emulation -0.10 cores (target ±0.15 cores)", ""},
				{"system share", 100 * 6.0 / 9, 100 * 4 / 6.8, "matches: emulation -8 points (target ±10 points)", ""},
				{"context switches a second", 10000, 9000, "same order: emulation 0.90× the real rate", "rusage"},
			},
		},
		{
			name: "traced",
			edit: func(r *experiment.Results) {
				r.Traces = map[string]*experiment.RunTrace{
					"threading-py2:2 CPython 2.7.18": {Switches: 60000, Threads: 3, Seconds: 5},
					// The trace is longer than the run: the rate is over the wall.
					"threading-py2:2 paced to CPython 2.7.18": {Switches: 30000, Threads: 2, Seconds: 5.5},
				}
			},
			wantEmulated: "threading-py2:2 paced to CPython 2.7.18",
			want: []m{
				{"speed-up", 0.1, 0.1, "matches: emulation +0 % (target ±15 %)", ""},
				{"cores used", 1.8, 1.7, "matches: emulation -0.10 cores (target ±0.15 cores)", ""},
				{"system share", 100 * 6.0 / 9, 100 * 4 / 6.8, "matches: emulation -8 points (target ±10 points)", ""},
				{"context switches a second", 12000, 7500, "same order: emulation 0.62× the real rate", "scheduler trace"},
			},
		},
		{
			name: "one side traced",
			edit: func(r *experiment.Results) {
				r.Traces = map[string]*experiment.RunTrace{
					"threading-py2:2 CPython 2.7.18":          {Switches: 60000, Threads: 3, Seconds: 5},
					"threading-py2:2 paced to CPython 2.7.18": {Uncounted: "the trace lost 12 kernel events"},
				}
			},
			wantEmulated: "threading-py2:2 paced to CPython 2.7.18",
			want: []m{
				{"speed-up", 0.1, 0.1, "matches: emulation +0 % (target ±15 %)", ""},
				{"cores used", 1.8, 1.7, "matches: emulation -0.10 cores (target ±0.15 cores)", ""},
				{"system share", 100 * 6.0 / 9, 100 * 4 / 6.8, "matches: emulation -8 points (target ±10 points)", ""},
				{"context switches a second", 12000, 9000, "same order: emulation 0.75× the real rate", "real: scheduler trace; emulated: rusage, as the trace lost 12 kernel events"},
			},
		},
		{
			// A difference that rounds to zero is not "-0.00".
			name:         "rounds to zero",
			edit:         func(r *experiment.Results) { r.Runs[5].CoresUsed = 1.797 },
			wantEmulated: "threading-py2:2 paced to CPython 2.7.18",
			want: []m{
				{"speed-up", 0.1, 0.1, "matches: emulation +0 % (target ±15 %)", ""},
				{"cores used", 1.8, 1.797, "matches: emulation +0.00 cores (target ±0.15 cores)", ""},
				{"system share", 100 * 6.0 / 9, 100 * 4 / 6.8, "matches: emulation -8 points (target ±10 points)", ""},
				{"context switches a second", 10000, 9000, "same order: emulation 0.90× the real rate", "rusage"},
			},
		},
		{
			// Without a paced serial run a paced speed-up cannot be
			// had: the comparison falls back to the unpaced emulation.
			name: "no paced serial",
			edit: func(r *experiment.Results) {
				r.Runs = append(r.Runs[:3], r.Runs[4:]...)
			},
			wantEmulated: "threading-py2:2",
			want: []m{
				// Unpaced: 200 iterations in 2 s against 400 in 2 s → 0.5×.
				{"speed-up", 0.1, 0.5, "off: emulation +400 % of real (target ±15 %)", ""},
				{"cores used", 1.8, 1.5, "off: emulation -0.30 cores (target ±0.15 cores)", ""},
				{"system share", 100 * 6.0 / 9, 100 / 3.0, "off: emulation -33 points (target ±10 points)", ""},
				{"context switches a second", 10000, 1000, "emulation switches 10.0× less often", "rusage"},
			},
		},
		{
			// A run paced to another interpreter is not this one's.
			name: "paced to another",
			edit: func(r *experiment.Results) {
				r.Runs[3].SpeedOf, r.Runs[5].SpeedOf = "CPython 2.7.17", "CPython 2.7.17"
			},
			wantEmulated: "threading-py2:2",
			want: []m{
				{"speed-up", 0.1, 0.5, "off: emulation +400 % of real (target ±15 %)", ""},
				{"cores used", 1.8, 1.5, "off: emulation -0.30 cores (target ±0.15 cores)", ""},
				{"system share", 100 * 6.0 / 9, 100 / 3.0, "off: emulation -33 points (target ±10 points)", ""},
				{"context switches a second", 10000, 1000, "emulation switches 10.0× less often", "rusage"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := pacedResults()
			tc.edit(r)
			fs := r.Fidelity()
			if len(fs) != 1 {
				t.Fatalf("%d comparisons, want 1", len(fs))
			}
			if fs[0].Emulated.DataID != tc.wantEmulated {
				t.Errorf("compared with %q, want %q", fs[0].Emulated.DataID, tc.wantEmulated)
			}
			var got []m
			for _, x := range fs[0].Metrics {
				got = append(got, m{x.Name, x.Real, x.Emulated, x.Verdict, x.Source})
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
				t.Errorf("metrics mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReportPaced(t *testing.T) {
	tests := []struct {
		name       string
		edit       func(r *experiment.Results)
		want, lack []string
	}{
		{"paced", func(*experiment.Results) {}, []string{
			"against threading-py2:2 paced to CPython 2.7.18",
			"paced (workload.Work.NsPerIteration, as watchcpu --speed-of does)",
			"to CPython 2.7.18's 20.0 ns an iteration (the kernel's own 10.0 ns here, padded with 10.0 spin steps of 1.00 ns)",
			"context switches a second <span class=\"vs\">(rusage)</span>",
			"One pace per interpreter, measured just before the first of its paced runs, is shared by all of them",
			"the Python 2 storm runs in one of two regimes",
		}, nil},
		{"unmet", func(r *experiment.Results) {
			p := &workload.Pace{NsPerIteration: 20, KernelNs: 25, Unmet: true}
			r.Runs[3].Pace, r.Runs[5].Pace = p, p
		}, []string{"to CPython 2.7.18's 20.0 ns an iteration (not met: the kernel alone took 25.0 ns here, so it ran with no spin steps, held only by the floor)"}, nil},
		{"unpaced", func(r *experiment.Results) { r.Runs = append(r.Runs[:3], r.Runs[4]) }, []string{
			"against threading-py2:2<",
			"Compared with the emulation at its own speed: CPython 2.7.18's threading-py2:2.",
		}, []string{"One pace per interpreter", "two regimes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := pacedResults()
			tc.edit(r)
			var page bytes.Buffer
			if err := r.WriteHTML(&page); err != nil {
				t.Fatal(err)
			}
			text := html.UnescapeString(page.String())
			for _, s := range tc.want {
				if !strings.Contains(text, s) {
					t.Errorf("the report page lacks %q", s)
				}
			}
			for _, s := range tc.lack {
				if strings.Contains(text, s) {
					t.Errorf("the report page says %q", s)
				}
			}
		})
	}
}

func TestCompareSeedSkipsPaced(t *testing.T) {
	r := pacedResults()
	// A paced or real run first must not take the seed's column.
	r.Runs[1], r.Runs[5] = r.Runs[5], r.Runs[1]
	found := false
	for _, c := range r.CompareSeed() {
		if c.Ours != nil && (c.Ours.SpeedOf != "" || c.Ours.Interpreter != "") {
			t.Errorf("seed's %s set beside %s", c.Seed.DataID, c.Ours.DataID)
		}
		if c.Seed.DataID == "threading:2" {
			found = c.Ours != nil && c.Ours.DataID == "threading-py2:2"
		}
	}
	if !found {
		t.Error("the seed's threading:2 is not set beside threading-py2:2")
	}
}

// TestExperimentSharesPace runs the paced twins of two interpreters' runs:
// the runs paced to one interpreter share one measured pace (measured once,
// so every field is equal), those paced to another get their own, and a
// spec that brings its own pace keeps it.
func TestExperimentSharesPace(t *testing.T) {
	other := &workload.Speed{Interpreter: workload.Interpreter{Path: "/y/python2.7", Implementation: "CPython", Major: 2, Minor: 7, Micro: 18}, NsPerIteration: 300}
	own := &workload.Pace{NsPerIteration: 300, Kernel: workload.Bytecode, KernelNs: 1, StepNs: 1, Steps: 3}
	spec := func(w experiment.Workload, n int, sp *workload.Speed) experiment.Spec {
		return experiment.Spec{Workload: w, Workers: n, Kernel: workload.Bytecode, Unit: 1 << 10, SpeedOf: sp}
	}
	withOwn := spec(experiment.ThreadingPy2, 2, other)
	withOwn.Pace = own
	e := experiment.Experiment{Watcher: *fast(), Specs: []experiment.Spec{
		spec(experiment.NonThreaded, 1, py2),
		spec(experiment.NonThreaded, 1, other),
		spec(experiment.ThreadingPy2, 2, py2),
		spec(experiment.ThreadingPy2, 4, py2),
		spec(experiment.ThreadingPy2, 2, other),
		withOwn,
	}}
	res, err := e.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var paces []workload.Pace
	for _, r := range res.Runs {
		if r.Pace == nil {
			t.Fatalf("%s: no pace", r.DataID)
		}
		paces = append(paces, *r.Pace)
	}
	for _, i := range []int{2, 3} {
		if diff := cmp.Diff(paces[0], paces[i]); diff != "" {
			t.Errorf("%s has a pace of its own (-first +this):\n%s", res.Runs[i].DataID, diff)
		}
	}
	if diff := cmp.Diff(paces[1], paces[4]); diff != "" {
		t.Errorf("%s has a pace of its own (-first +this):\n%s", res.Runs[4].DataID, diff)
	}
	if paces[0].NsPerIteration != 14 || paces[1].NsPerIteration != 300 {
		t.Errorf("paces to %v and %v ns, want 14 and 300", paces[0].NsPerIteration, paces[1].NsPerIteration)
	}
	if diff := cmp.Diff(*own, paces[5]); diff != "" {
		t.Errorf("a spec's own pace was replaced (-own +run):\n%s", diff)
	}
}

func TestPaceWithPythonIsInvalid(t *testing.T) {
	s := experiment.Spec{Workload: experiment.NonThreaded, Python: py2, Pace: &workload.Pace{NsPerIteration: 14, Kernel: workload.Bytecode}}
	_, err := s.Resolve(nil).Model()
	if !errors.Is(err, experiment.ErrInvalidSpec) || !strings.Contains(err.Error(), "runs at its own speed") {
		t.Errorf("Model() = %v, want ErrInvalidSpec saying the interpreter runs at its own speed", err)
	}
}
