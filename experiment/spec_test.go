package experiment_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/experiment"
	"github.com/corescope/corescope/workload"
	"github.com/google/go-cmp/cmp"
)

func TestParseWorkload(t *testing.T) {
	for _, w := range experiment.Workloads() {
		got, err := experiment.ParseWorkload(string(w))
		if err != nil || got != w {
			t.Errorf("ParseWorkload(%q) = %q, %v; want %q, nil", w, got, err, w)
		}
	}
	if _, err := experiment.ParseWorkload("multiprocess"); !errors.Is(err, experiment.ErrUnknownWorkload) || !strings.Contains(err.Error(), "multiprocessing") {
		t.Errorf("ParseWorkload(%q) error = %v, want one listing the known names", "multiprocess", err)
	}
}

func TestSpecModel(t *testing.T) {
	work := workload.Work{Kernel: workload.Bytecode, N: 1 << 20, Units: 3}
	tests := []struct {
		name    string
		spec    experiment.Spec
		want    workload.Model
		wantErr error // a sentinel the error must wrap
		detail  string
	}{
		{"baseline default", experiment.Spec{Workload: experiment.DoNothing}, workload.Idle{Duration: time.Second}, nil, ""},
		{"serial", experiment.Spec{Workload: experiment.NonThreaded, Workers: 7, Kernel: workload.Bytecode, Unit: 1 << 20, Units: 3}, workload.Serial{Work: work}, nil, ""},
		{"processes pinned", experiment.Spec{Workload: experiment.Multiprocessing, Workers: 4, Kernel: workload.Bytecode, Unit: 1 << 20, Units: 3, Pin: true}, workload.Processes{N: 4, Work: work, Pin: true}, nil, ""},
		{"py3", experiment.Spec{Workload: experiment.Threading, Workers: 2, Kernel: workload.Bytecode, Unit: 1 << 20, Units: 3}, workload.GIL{N: 2, Work: work, Version: workload.Python3}, nil, ""},
		{"py2", experiment.Spec{Workload: experiment.ThreadingPy2, Workers: 4, Kernel: workload.Bytecode, Unit: 1 << 20, Units: 3}, workload.GIL{N: 4, Work: work, Version: workload.Python2}, nil, ""},
		{"goroutines", experiment.Spec{Workload: experiment.Goroutines, Workers: 3, Kernel: workload.Bytecode, Unit: 1 << 20, Units: 3}, workload.Goroutines{N: 3, Work: work}, nil, ""},
		{"default goroutines", experiment.Spec{Workload: experiment.Goroutines}, workload.Goroutines{N: 2, Work: workload.Work{N: experiment.SeedUnit, Units: 1}}, nil, ""},
		{"default GIL", experiment.Spec{Workload: experiment.Threading}, workload.GIL{N: 2, Work: workload.Work{N: experiment.SeedUnit / 4, Units: 1}, Version: workload.Python3}, nil, ""},
		{"negative workers", experiment.Spec{Workload: experiment.Threads, Workers: -1, Unit: 1}, nil, experiment.ErrInvalidSpec, "threads needs at least one worker, got -1"},
		{"negative units", experiment.Spec{Workload: experiment.Threads, Workers: 2, Unit: 1, Units: -1}, nil, experiment.ErrInvalidSpec, "negative unit count -1"},
		{"negative idle", experiment.Spec{Workload: experiment.DoNothing, Idle: -time.Second}, nil, experiment.ErrInvalidSpec, "negative idle time -1s"},
		{"unknown", experiment.Spec{Workload: "fork-bomb", Workers: 2, Unit: 1}, nil, experiment.ErrUnknownWorkload, `"fork-bomb"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.spec.Resolve(nil).Model()
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.detail) {
					t.Fatalf("Model() error = %v, want %v: …%s…", err, tt.wantErr, tt.detail)
				}
				if n := strings.Count(err.Error(), "experiment: "); n != 1 {
					t.Errorf("Model() error = %q has the package prefix %d times, want once", err, n)
				}
				return
			}
			if err != nil {
				t.Fatalf("Model() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Model() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSpecDataID(t *testing.T) {
	tests := []struct {
		spec experiment.Spec
		want string
	}{
		{experiment.Spec{Workload: experiment.DoNothing, Workers: 3}, "do-nothing"},
		{experiment.Spec{Workload: experiment.NonThreaded}, "non-threaded:1"},
		{experiment.Spec{Workload: experiment.Multiprocessing, Workers: 4}, "multiprocessing:4"},
		{experiment.Spec{Workload: experiment.ThreadingPy2, Workers: 8}, "threading-py2:8"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.spec.Resolve(nil).DataID(); got != tt.want {
				t.Errorf("DataID() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPlanSpecs(t *testing.T) {
	p := experiment.Plan{CPUs: 2, Kernel: workload.Bytecode, Unit: 1 << 24, Units: 5, Idle: 3 * time.Second}
	var got []string
	for _, spec := range p.Specs() {
		s := spec.Resolve(nil)
		got = append(got, s.DataID())
		wantUnit := uint64(1 << 24)
		if s.Workload.GIL() {
			wantUnit = 1 << 22 // a quarter per GIL thread, as the seed's 2^26 against 2^28
		}
		if s.Workload != experiment.DoNothing && (s.Unit != wantUnit || s.Units != 5 || s.Kernel != workload.Bytecode) {
			t.Errorf("%s: unit %d ×%d kernel %v, want %d ×5 bytecode", s.DataID(), s.Unit, s.Units, s.Kernel, wantUnit)
		}
		if s.Workload == experiment.DoNothing && s.Idle != 3*time.Second {
			t.Errorf("%s: Idle = %v, want 3s", s.DataID(), s.Idle)
		}
	}
	want := []string{
		"do-nothing", "non-threaded:1",
		"multiprocessing:1", "multiprocessing:2", "multiprocessing:3", "multiprocessing:4",
		"threads:1", "threads:2", "threads:3", "threads:4",
		"goroutines:1", "goroutines:2", "goroutines:3", "goroutines:4",
		"threading:2", "threading:4", "threading-py2:2", "threading-py2:4",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Specs() mismatch (-want +got):\n%s", diff)
	}
}

func TestPlanDefaults(t *testing.T) {
	specs := experiment.Plan{CPUs: 1, GILThreads: []int{8}}.Specs()
	var ids []string
	for _, s := range specs {
		ids = append(ids, s.Resolve(nil).DataID())
	}
	want := []string{"do-nothing", "non-threaded:1", "multiprocessing:1", "multiprocessing:2",
		"threads:1", "threads:2", "goroutines:1", "goroutines:2", "threading:8", "threading-py2:8"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("Specs() mismatch (-want +got):\n%s", diff)
	}
	if got := specs[1].Resolve(nil).Size(); got != experiment.SeedUnit {
		t.Errorf("serial Size() = %d, want the seed's 2^28", got)
	}
	if got := specs[len(specs)-1].Resolve(nil).Size(); got != experiment.SeedUnit/4 {
		t.Errorf("GIL thread Size() = %d, want the seed's 2^26", got)
	}
}

func TestSpecResolve(t *testing.T) {
	cpus := corescope.UsableCPUs()
	// A watcher like watchcpu's for one run: 12 samples of one second,
	// with the default lead and trail of 2 around the run.
	seedWatch := &cpuwatch.Watcher{Interval: time.Second, MinSamples: 12}
	tests := []struct {
		name string
		spec experiment.Spec
		w    *cpuwatch.Watcher
		want experiment.Job
	}{
		{
			name: "multiprocessing: one process per usable CPU",
			spec: experiment.Spec{Workload: experiment.Multiprocessing},
			want: experiment.Job{Workload: experiment.Multiprocessing, Workers: cpus, Unit: experiment.SeedUnit, Units: 1},
		},
		{
			name: "threads: two",
			spec: experiment.Spec{Workload: experiment.Threads, Pin: true},
			want: experiment.Job{Workload: experiment.Threads, Workers: 2, Unit: experiment.SeedUnit, Units: 1, Pin: true},
		},
		{
			name: "goroutines: two",
			spec: experiment.Spec{Workload: experiment.Goroutines, Kernel: workload.Native},
			want: experiment.Job{Workload: experiment.Goroutines, Workers: 2, Kernel: workload.Native, Unit: experiment.SeedUnit, Units: 1},
		},
		{
			name: "python 3 GIL: a quarter unit per thread",
			spec: experiment.Spec{Workload: experiment.Threading},
			want: experiment.Job{Workload: experiment.Threading, Workers: 2, Unit: experiment.SeedUnit / 4, Units: 1},
		},
		{
			name: "python 2 GIL: a quarter unit per thread",
			spec: experiment.Spec{Workload: experiment.ThreadingPy2, Workers: 4},
			want: experiment.Job{Workload: experiment.ThreadingPy2, Workers: 4, Unit: experiment.SeedUnit / 4, Units: 1},
		},
		{
			name: "serial: the seed's unit, one worker",
			spec: experiment.Spec{Workload: experiment.NonThreaded, Workers: 5},
			want: experiment.Job{Workload: experiment.NonThreaded, Workers: 1, Unit: experiment.SeedUnit, Units: 1},
		},
		{
			name: "set values are kept",
			spec: experiment.Spec{Workload: experiment.Multiprocessing, Workers: 7, Unit: 1000, Units: 3},
			want: experiment.Job{Workload: experiment.Multiprocessing, Workers: 7, Unit: 1000, Units: 3},
		},
		{
			name: "invalid values are kept for Model to reject",
			spec: experiment.Spec{Workload: experiment.Threads, Workers: -2, Units: -1},
			want: experiment.Job{Workload: experiment.Threads, Workers: -2, Unit: experiment.SeedUnit, Units: -1},
		},
		{
			name: "idle without a watcher: one second",
			spec: experiment.Spec{Workload: experiment.DoNothing},
			want: experiment.Job{Workload: experiment.DoNothing, Idle: time.Second},
		},
		{
			name: "idle under a watcher without MinSamples: one second",
			spec: experiment.Spec{Workload: experiment.DoNothing},
			w:    &cpuwatch.Watcher{Interval: 50 * time.Millisecond},
			want: experiment.Job{Workload: experiment.DoNothing, Idle: time.Second},
		},
		{
			// 12 samples = 2 lead + 7 idle + the one in progress + 2 trail.
			name: "idle fills the watcher's samples",
			spec: experiment.Spec{Workload: experiment.DoNothing},
			w:    seedWatch,
			want: experiment.Job{Workload: experiment.DoNothing, Idle: 7 * time.Second},
		},
		{
			name: "idle fills around the watcher's own lead and trail",
			spec: experiment.Spec{Workload: experiment.DoNothing},
			w:    &cpuwatch.Watcher{Interval: 100 * time.Millisecond, MinSamples: 20, Lead: 4, Trail: -1},
			want: experiment.Job{Workload: experiment.DoNothing, Idle: 1500 * time.Millisecond},
		},
		{
			name: "idle when the samples are all lead and trail: one interval",
			spec: experiment.Spec{Workload: experiment.DoNothing},
			w:    &cpuwatch.Watcher{Interval: 100 * time.Millisecond, MinSamples: 3},
			want: experiment.Job{Workload: experiment.DoNothing, Idle: 100 * time.Millisecond},
		},
		{
			name: "set idle is kept",
			spec: experiment.Spec{Workload: experiment.DoNothing, Idle: 3 * time.Second},
			w:    seedWatch,
			want: experiment.Job{Workload: experiment.DoNothing, Idle: 3 * time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.spec.Resolve(tt.w)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Resolve() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPlanUsesUsableCPUs checks that a zero Plan sizes its matrix by
// corescope.UsableCPUs: 1 … 2×CPUs processes, and a zero Spec runs one
// process per usable CPU.
func TestPlanUsesUsableCPUs(t *testing.T) {
	if got, want := (experiment.Spec{Workload: experiment.Multiprocessing}).Resolve(nil).Workers, corescope.UsableCPUs(); got != want {
		t.Errorf("default Multiprocessing Workers = %d, want UsableCPUs() = %d", got, want)
	}
	var procs int
	for _, s := range (experiment.Plan{}).Specs() {
		if s.Workload == experiment.Multiprocessing {
			procs = max(procs, s.Workers)
		}
	}
	if want := 2 * corescope.UsableCPUs(); procs != want {
		t.Errorf("Plan{}.Specs() runs up to %d processes, want 2×UsableCPUs() = %d", procs, want)
	}
}
