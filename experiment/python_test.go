package experiment_test

import (
	"bytes"
	"html"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/experiment"
	"github.com/corescope/corescope/workload"
)

var (
	py2 = &workload.Speed{Interpreter: workload.Interpreter{Path: "/x/python2.7", Implementation: "CPython", Major: 2, Minor: 7, Micro: 18}, NsPerIteration: 14}
	py3 = &workload.Speed{Interpreter: workload.Interpreter{Path: "/x/python3.13", Implementation: "CPython", Major: 3, Minor: 13}, NsPerIteration: 33}
)

func TestSpecPython(t *testing.T) {
	tests := []struct {
		spec experiment.Spec
		want workload.Model
		err  string
	}{
		{spec: experiment.Spec{Workload: experiment.ThreadingPy2, Workers: 4, Unit: 100, Python: py2},
			want: workload.Python{Interpreter: "/x/python2.7", Program: workload.PyThreading, N: 4, Work: workload.Work{N: 100, Units: 1}}},
		{spec: experiment.Spec{Workload: experiment.Threading, Workers: 2, Unit: 100, Units: 3, Python: py3},
			want: workload.Python{Interpreter: "/x/python3.13", Program: workload.PyThreading, N: 2, Work: workload.Work{N: 100, Units: 3}}},
		{spec: experiment.Spec{Workload: experiment.NonThreaded, Unit: 100, Python: py3},
			want: workload.Python{Interpreter: "/x/python3.13", Program: workload.PyNonThreaded, N: 1, Work: workload.Work{N: 100, Units: 1}}},
		{spec: experiment.Spec{Workload: experiment.Multiprocessing, Workers: 2, Unit: 100, Python: py2},
			want: workload.Python{Interpreter: "/x/python2.7", Program: workload.PyMultiprocessing, N: 2, Work: workload.Work{N: 100, Units: 1}}},
		{spec: experiment.Spec{Workload: experiment.ThreadingPy2, Workers: 2, Unit: 100, SpeedOf: py2},
			want: workload.GIL{N: 2, Version: workload.Python2, Work: workload.Work{N: 100, Units: 1, NsPerIteration: 14}}},
		{spec: experiment.Spec{Workload: experiment.ThreadingPy2, Workers: 2, Python: py3}, err: "is the Python 2 GIL, but /x/python3.13 is CPython 3.13.0"},
		{spec: experiment.Spec{Workload: experiment.Threading, Workers: 2, Python: py2}, err: "is the Python 3 GIL"},
		{spec: experiment.Spec{Workload: experiment.Goroutines, Workers: 2, Python: py2}, err: "goroutines has no Python program"},
	}
	for _, tc := range tests {
		t.Run(tc.spec.Resolve(nil).DataID(), func(t *testing.T) {
			m, err := tc.spec.Resolve(nil).Model()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Model() error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, m); diff != "" {
				t.Errorf("Model() mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if got := (experiment.Spec{Workload: experiment.ThreadingPy2, Workers: 4, Python: py2}).Resolve(nil).DataID(); got != "threading-py2:4 CPython 2.7.18" {
		t.Errorf("DataID = %q", got)
	}
}

func TestPlanPythons(t *testing.T) {
	p := experiment.Plan{CPUs: 2, Unit: 1 << 20, Units: 4, Pythons: []*workload.Speed{py2, py3},
		PythonUnits: map[string]int{"/x/python3.13": 1}}
	var got []string
	for _, s := range p.Specs() {
		if s.Python != nil {
			j := s.Resolve(nil)
			got = append(got, j.DataID()+" "+strings.Repeat("u", int(j.Size()/(1<<18))))
		}
	}
	// The same proportions as the emulated runs: a GIL thread does a
	// quarter of a serial unit; PythonUnits shrinks python3.13's rows.
	want := []string{
		"non-threaded:1 CPython 2.7.18 " + strings.Repeat("u", 16),
		"threading-py2:2 CPython 2.7.18 uuuu", "threading-py2:4 CPython 2.7.18 uuuu",
		"multiprocessing:2 CPython 2.7.18 " + strings.Repeat("u", 16),
		"non-threaded:1 CPython 3.13.0 uuuu", "threading:2 CPython 3.13.0 u", "threading:4 CPython 3.13.0 u",
		"multiprocessing:2 CPython 3.13.0 uuuu",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("real specs mismatch (-want +got):\n%s", diff)
	}
	if u := experiment.PythonUnitsFor(py2, 1<<20, 1e9); u != 68 { // 1 s / (14 ns × 2^20) = 68.1
		t.Errorf("PythonUnitsFor = %d, want 68", u)
	}
}

func TestPlanSizePythons(t *testing.T) {
	// Units as Calibrate leaves them for a 3 s serial run at 10 ns; the
	// real rows get their own, for a 1 s serial run each.
	p := experiment.Plan{CPUs: 2, Unit: 1 << 24, Units: 18, Pythons: []*workload.Speed{py2, nil, py3}}
	p.SizePythons(time.Second)
	want := map[string]int{
		"/x/python2.7":  4, // 1 s / (14 ns × 2^24) = 4.3
		"/x/python3.13": 2, // 1 s / (33 ns × 2^24) = 1.8
	}
	if diff := cmp.Diff(want, p.PythonUnits); diff != "" {
		t.Errorf("PythonUnits mismatch (-want +got):\n%s", diff)
	}
	for _, s := range p.Specs() {
		// A paced emulation does the work of the real run it mirrors.
		sp := s.Python
		if sp == nil {
			sp = s.SpeedOf
		}
		if sp == nil && s.Workload != experiment.DoNothing && s.Units != 18 {
			t.Errorf("%s: Units = %d, want the emulation's 18", s.Workload, s.Units)
		}
		if sp != nil && s.Units != want[sp.Interpreter.Path] {
			t.Errorf("%s: Units = %d, want %d", s.Resolve(nil).DataID(), s.Units, want[sp.Interpreter.Path])
		}
	}
	var none experiment.Plan
	none.SizePythons(time.Second)
	if none.PythonUnits != nil {
		t.Errorf("a plan with no Pythons got PythonUnits %v", none.PythonUnits)
	}
}

// fidelityResults holds an emulated and a real Python 2 serial run and
// 4-thread run, with round numbers.
func fidelityResults() *experiment.Results {
	return &experiment.Results{PythonNote: "Real interpreters: CPython 2.7.18 (found).", Runs: []*corescope.Result{
		{Workload: "non-threaded", DataID: "non-threaded:1", Workers: 1, Size: 400, WallSeconds: 2, UserSeconds: 2, CoresUsed: 1},
		{Workload: "threading-py2", DataID: "threading-py2:4", Workers: 4, Size: 100, WallSeconds: 4, UserSeconds: 3.6, SystemSeconds: 2.4, CoresUsed: 1.5, ContextSwitches: 4000,
			GIL: &corescope.GILSummary{Switches: 100}},
		{Workload: "non-threaded", DataID: "non-threaded:1 CPython 2.7.18", Interpreter: "CPython 2.7.18", Workers: 1, Size: 200, WallSeconds: 1, UserSeconds: 1, CoresUsed: 1},
		{Workload: "threading-py2", DataID: "threading-py2:4 CPython 2.7.18", Interpreter: "CPython 2.7.18", Workers: 4, Size: 50, WallSeconds: 2.5, UserSeconds: 1.4, SystemSeconds: 3.5, CoresUsed: 1.96, ContextSwitches: 10000},
	}}
}

func TestFidelity(t *testing.T) {
	r := fidelityResults()
	fs := r.Fidelity()
	if len(fs) != 1 {
		t.Fatalf("%d comparisons, want 1 (threading-py2:4)", len(fs))
	}
	f := fs[0]
	if f.Real.DataID != "threading-py2:4 CPython 2.7.18" || f.Emulated.DataID != "threading-py2:4" || f.Seed == nil || f.Seed.DataID != "threading:4" {
		t.Fatalf("paired %s with %s and seed %+v", f.Real.DataID, f.Emulated.DataID, f.Seed)
	}
	type m struct {
		Name           string
		Real, Emulated float64
		Verdict        string
	}
	var got []m
	for _, x := range f.Metrics {
		got = append(got, m{x.Name, x.Real, x.Emulated, x.Verdict})
	}
	want := []m{
		// Real: 200 iterations in 2.5 s vs its serial 200 in 1 s → 0.4×;
		// emulated: 400 in 4 s vs 400 in 2 s → 0.5×.
		{"speed-up", 0.4, 0.5, "off: emulation +25 % of real (target ±15 %)"},
		{"cores used", 1.96, 1.5, "off: emulation -0.46 cores (target ±0.15 cores)"},
		{"system share", 100 * 3.5 / 4.9, 40, "off: emulation -31 points (target ±10 points)"},
		{"context switches a second", 4000, 1000, "same order: emulation 0.25× the real rate"},
	}
	want[3].Verdict = "emulation switches 4.0× less often"
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("metrics mismatch (-want +got):\n%s", diff)
	}
	var page bytes.Buffer
	if err := r.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Real CPython beside the emulation", "Real interpreters: CPython 2.7.18 (found).",
		"CPython 2.7.18: threading-py2:4", "off: emulation +25 % of real", "0.40×", "0.50×"} {
		if !strings.Contains(html.UnescapeString(page.String()), s) {
			t.Errorf("the report page lacks %q", s)
		}
	}
}

func TestFidelityNoPython(t *testing.T) {
	r := fidelityResults()
	r.Runs = r.Runs[:2]
	r.PythonNote = "No Python interpreter was found"
	if fs := r.Fidelity(); len(fs) != 0 {
		t.Errorf("Fidelity() = %d comparisons without real runs, want none", len(fs))
	}
	var page bytes.Buffer
	if err := r.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.String(), "No Python interpreter was found") {
		t.Error("the report does not say that no interpreter was found")
	}
}
