package workload_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/corescope/corescope/workload"
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
