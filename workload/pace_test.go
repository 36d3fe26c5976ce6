package workload_test

import (
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/workload"
	"github.com/google/go-cmp/cmp"
)

func TestPaceRecorded(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pacing needs Linux")
	}
	// Far slower than any kernel, even under the race detector on a busy
	// machine (which has measured it at 113 ns): the measurement must say
	// so, whatever the machine's speed.
	w := workload.Work{Kernel: workload.Bytecode, N: 1 << 12, Units: 2, NsPerIteration: 2000}
	for _, m := range []workload.Model{
		workload.Serial{Work: w},
		workload.GIL{N: 2, Version: workload.Python2, Work: w},
		workload.Processes{N: 1, Work: w},
	} {
		rep, err := m.Run(t.Context())
		if err != nil {
			t.Fatalf("%v: %v", m, err)
		}
		p := rep.Pace
		if p == nil || p.NsPerIteration != 2000 || p.KernelNs <= 0 || p.KernelNs >= 2000 || p.StepNs <= 0 || p.Steps <= 0 {
			t.Errorf("%v: Pace = %+v, want the target 2000, the kernel's cost below it, and some steps", m, p)
		}
		if rep.Iterations() != uint64(len(rep.Workers))*2<<12 {
			t.Errorf("%v: %d iterations", m, rep.Iterations())
		}
	}
	rep, err := workload.Serial{Work: workload.Work{N: 1 << 12}}.Run(t.Context())
	if err != nil || rep.Pace != nil {
		t.Errorf("unpaced run: Pace = %+v, %v; want nil", rep.Pace, err)
	}
}

func TestPaceBad(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pacing needs Linux")
	}
	for _, tc := range []struct {
		ns   float64
		want string
	}{{-1, "want a cost between"}, {1e9, "want a cost between"}} {
		_, err := workload.Serial{Work: workload.Work{Kernel: workload.Bytecode, N: 1 << 12, NsPerIteration: tc.ns}}.Run(t.Context())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NsPerIteration %v: error %v, want %q", tc.ns, err, tc.want)
		}
	}
}

func TestPaceUnmet(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pacing needs Linux")
	}
	rep, err := workload.Serial{Work: workload.Work{Kernel: workload.Bytecode, N: 1 << 12, NsPerIteration: 0.001}}.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if p := rep.Pace; p == nil || !p.Unmet || p.Steps != 0 || p.KernelNs <= 0.001 {
		t.Errorf("Pace = %+v, want Unmet with no steps: no kernel runs at 1 ps an iteration", p)
	}
}

// TestPaceShared runs models with a Pace given, as runs compared with
// each other do: the report carries that pace unchanged (nothing was
// measured: its made-up KernelNs comes back), and its steps are spun: a
// run with 5000 steps an iteration takes more CPU than one with none, by
// at least 0.2 ns a step (a step costs 0.8–0.9 ns here; a child process's
// start-up is in both).
func TestPaceShared(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pacing needs Linux")
	}
	const n, steps = 1 << 14, 5000
	for _, m := range []func(workload.Work) workload.Model{
		func(w workload.Work) workload.Model { return workload.Serial{Work: w} },
		func(w workload.Work) workload.Model { return workload.GIL{N: 2, Version: workload.Python2, Work: w} },
		func(w workload.Work) workload.Model { return workload.Processes{N: 1, Work: w} },
	} {
		cpu := map[float64]time.Duration{}
		for _, steps := range []float64{0, steps} {
			p := &workload.Pace{NsPerIteration: 1234.5, Kernel: workload.Bytecode, KernelNs: 7.25, StepNs: 0.5, Steps: steps}
			w := workload.Work{Kernel: workload.Bytecode, N: n, Pace: p}
			if steps == 0 {
				w.NsPerIteration = p.NsPerIteration // the same target may be given twice
			}
			rep, err := m(w).Run(t.Context())
			if err != nil {
				t.Fatalf("%v: %v", m(w), err)
			}
			if diff := cmp.Diff(p, rep.Pace); diff != "" {
				t.Errorf("%v: Pace (-given +reported):\n%s", m(w), diff)
			}
			if rep.Pace == p {
				t.Errorf("%v: the report holds the caller's Pace, not a copy", m(w))
			}
			cpu[steps] = rep.CPU()
		}
		if least := time.Duration(n * steps * 0.2); cpu[steps]-cpu[0] < least {
			t.Errorf("%v: CPU %v with %d steps an iteration, %v with none, want %v more: the steps were not spun", m(workload.Work{}), cpu[steps], steps, cpu[0], least)
		}
	}
}

func TestPaceSharedBad(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pacing needs Linux")
	}
	good := workload.Pace{NsPerIteration: 20, Kernel: workload.Bytecode, KernelNs: 10, StepNs: 1, Steps: 10}
	for _, tc := range []struct {
		name string
		edit func(*workload.Work)
		want string
	}{
		{"other kernel", func(w *workload.Work) { w.Pace.Kernel = workload.Native }, "measured for the native kernel, not bytecode"},
		{"zero target", func(w *workload.Work) { w.Pace.NsPerIteration = 0 }, "Pace.NsPerIteration = 0"},
		{"NaN target", func(w *workload.Work) { w.Pace.NsPerIteration = math.NaN() }, "Pace.NsPerIteration = NaN"},
		{"negative steps", func(w *workload.Work) { w.Pace.Steps = -1 }, "Pace.Steps = -1"},
		{"NaN steps", func(w *workload.Work) { w.Pace.Steps = math.NaN() }, "Pace.Steps = NaN"},
		{"absurd steps", func(w *workload.Work) { w.Pace.Steps = 1e12 }, "Pace.Steps = 1e+12"},
		{"unmet with steps", func(w *workload.Work) { w.Pace.Unmet = true }, "Unmet but adds 10 steps"},
		{"two targets", func(w *workload.Work) { w.NsPerIteration = 30 }, "NsPerIteration = 30 but Pace was measured for 20 ns"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := good
			w := workload.Work{Kernel: workload.Bytecode, N: 1 << 12, Pace: &p}
			tc.edit(&w)
			_, err := workload.Serial{Work: w}.Run(t.Context())
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "workload: ") {
				t.Errorf("error %v, want one starting workload: and saying %q", err, tc.want)
			}
		})
	}
}

func TestMeasurePace(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pacing needs Linux")
	}
	p, err := workload.MeasurePace(workload.Bytecode, 2000)
	if err != nil {
		t.Fatal(err)
	}
	if p.Kernel != workload.Bytecode || p.NsPerIteration != 2000 || p.Unmet || p.KernelNs <= 0 || p.Steps <= 0 {
		t.Errorf("Pace = %+v, want a bytecode pace to 2000 ns with steps", p)
	}
	rep, err := workload.Serial{Work: workload.Work{Kernel: workload.Bytecode, N: 1 << 12, Pace: &p}}.Run(t.Context())
	if err != nil || rep.Pace == nil || *rep.Pace != p {
		t.Errorf("a run given it reported %+v, %v; want the pace itself", rep.Pace, err)
	}
	for _, tc := range []struct {
		k    workload.Kernel
		ns   float64
		want string
	}{
		{workload.Kernel(9), 20, "unknown kernel 9"},
		{workload.Bytecode, 0, "needs a cost > 0"},
		{workload.Bytecode, math.NaN(), "want a cost between"},
		{workload.Bytecode, -3, "want a cost between"},
	} {
		if _, err := workload.MeasurePace(tc.k, tc.ns); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("MeasurePace(%v, %v): %v, want %q", tc.k, tc.ns, err, tc.want)
		}
	}
}
