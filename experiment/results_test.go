package experiment_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/experiment"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// synthetic returns results shaped like an experiment's, with round
// numbers: the serial run does 4 units of 100 iterations in 2 s.
func synthetic() *experiment.Results {
	return &experiment.Results{Runs: []*corescope.Result{
		{Workload: "do-nothing", DataID: "do-nothing", WallSeconds: 2, EffectiveCores: 0.05, Results: []uint64{}},
		{Workload: "non-threaded", DataID: "non-threaded:1", Workers: 1, Size: 400, Unit: 100, WallSeconds: 2,
			UserSeconds: 1.9, SystemSeconds: 0.1, CoresUsed: 1, EffectiveCores: 1.05, Results: []uint64{4950}},
		{Workload: "multiprocessing", DataID: "multiprocessing:4", Workers: 4, Size: 400, Unit: 100, WallSeconds: 4,
			UserSeconds: 8, CoresUsed: 2, EffectiveCores: 2, Results: []uint64{4950, 4950, 4950, 4950}},
		{Workload: "threading-py2", DataID: "threading-py2:4", Workers: 4, Size: 100, Unit: 25, WallSeconds: 5,
			UserSeconds: 6, SystemSeconds: 4, CoresUsed: 2, EffectiveCores: 1.95, Results: []uint64{300, 300, 300, 300},
			GIL: &corescope.GILSummary{Acquisitions: 900, Switches: 500, WaitSeconds: 7}},
	}}
}

func TestSpeedup(t *testing.T) {
	r := synthetic()
	tests := []struct {
		run  int
		want float64
	}{
		{0, 0},   // did no work
		{1, 1},   // the serial run against itself
		{2, 2},   // 4× the work in 2× the time
		{3, 0.4}, // the serial run's work in 2.5× its time
	}
	for _, tt := range tests {
		t.Run(r.Runs[tt.run].DataID, func(t *testing.T) {
			if got := r.Speedup(r.Runs[tt.run]); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("Speedup() = %v, want %v", got, tt.want)
			}
		})
	}
	noSerial := &experiment.Results{Runs: r.Runs[2:]}
	if got := noSerial.Speedup(r.Runs[2]); got != 0 {
		t.Errorf("Speedup() without a serial run = %v, want 0", got)
	}
}

func TestTable(t *testing.T) {
	got := synthetic().Table()
	want := []experiment.Row{
		{DataID: "do-nothing", Workload: "do-nothing", Wall: 2, EffectiveCores: 0.05, GILSwitches: -1},
		{DataID: "non-threaded:1", Workload: "non-threaded", Workers: 1, Wall: 2, Speedup: 1, CoresUsed: 1, EffectiveCores: 1.05, SystemShare: 0.05, GILSwitches: -1},
		{DataID: "multiprocessing:4", Workload: "multiprocessing", Workers: 4, Wall: 4, Speedup: 2, CoresUsed: 2, EffectiveCores: 2, GILSwitches: -1},
		{DataID: "threading-py2:4", Workload: "threading-py2", Workers: 4, Wall: 5, Speedup: 0.4, CoresUsed: 2, EffectiveCores: 1.95, SystemShare: 0.4, GILSwitches: 500},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("Table() mismatch (-want +got):\n%s", diff)
	}
}

func TestWriteTableEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := (&experiment.Results{}).WriteTable(&buf); !errors.Is(err, experiment.ErrNoRuns) {
		t.Errorf("WriteTable() of no runs = %v, want ErrNoRuns", err)
	}
}

func TestResultJSONKeys(t *testing.T) {
	b, err := json.Marshal(synthetic().Runs[3])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"workload", "workers", "kernel", "size", "wall_seconds", "user_seconds", "system_seconds",
		"cores_used", "effective_cores", "results", "gil", "recording"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks key %q: %s", k, b)
		}
	}
	var gil map[string]float64
	if err := json.Unmarshal(m["gil"], &gil); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"acquisitions": 900, "switches": 500, "drop_requests": 0, "wait_seconds": 7,
		"futex_sleeps": 0, "futex_wakes": 0}
	if diff := cmp.Diff(want, gil); diff != "" {
		t.Errorf("gil object mismatch (-want +got):\n%s", diff)
	}
	b, _ = json.Marshal(synthetic().Runs[2])
	if strings.Contains(string(b), `"gil"`) {
		t.Errorf("JSON of a run without a GIL has a gil key: %s", b)
	}
}

func TestSeedRuns(t *testing.T) {
	// The ratios NOTES.md draws from the seed's table.
	seed := map[string]experiment.SeedRun{}
	for _, s := range experiment.SeedRuns() {
		seed[s.DataID] = s
	}
	tests := []struct {
		name string
		got  float64
		lo   float64
		hi   float64
	}{
		{"4 threads take 2.5× the serial time for its work", 1 / seed["threading:4"].Speedup(), 2.45, 2.55},
		{"4 threads burn about 2.3 cores", seed["threading:4"].CoresUsed(), 2.3, 2.4},
		{"4 threads spend ~39 % in the kernel", seed["threading:4"].SystemShare(), 0.38, 0.40},
		{"8 threads spend ~41 % in the kernel", seed["threading:8"].SystemShare(), 0.40, 0.42},
		{"4 processes nearly scale", seed["multiprocessing:4"].Speedup(), 3.3, 3.4},
		{"8 processes add nothing over 4", seed["multiprocessing:8"].Speedup() / seed["multiprocessing:4"].Speedup(), 1.1, 1.2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got < tt.lo || tt.got > tt.hi {
				t.Errorf("got %.3f, want in [%.2f, %.2f]", tt.got, tt.lo, tt.hi)
			}
		})
	}
}

func TestCompareSeed(t *testing.T) {
	r := synthetic()
	r.Host.NumCPU = 8 // the seed's 4 processes on 4 cores match 8 here
	cmpRows := r.CompareSeed()
	if len(cmpRows) != len(experiment.SeedRuns()) {
		t.Fatalf("CompareSeed() has %d rows, want one per seed run (%d)", len(cmpRows), len(experiment.SeedRuns()))
	}
	matched := map[string]string{}
	for _, c := range cmpRows {
		if c.Ours != nil {
			matched[c.Seed.DataID] = c.Ours.DataID
		}
	}
	want := map[string]string{
		"non-threaded:1":    "non-threaded:1",
		"multiprocessing:2": "multiprocessing:4", // 1 per 2 cores, on 4 and on 8
		"threading:4":       "threading-py2:4",   // the seed's threads were Python 2.7's
	}
	if diff := cmp.Diff(want, matched); diff != "" {
		t.Errorf("CompareSeed() pairs mismatch (-want +got):\n%s", diff)
	}
	r.Host.NumCPU = 0 // unknown: match by workers
	matched = map[string]string{}
	for _, c := range r.CompareSeed() {
		if c.Ours != nil {
			matched[c.Seed.DataID] = c.Ours.DataID
		}
	}
	if got := matched["multiprocessing:4"]; got != "multiprocessing:4" {
		t.Errorf("with NumCPU unknown, multiprocessing:4 pairs with %q, want multiprocessing:4", got)
	}
	// Under a quota the CPUs are the ones a Plan scales to: 64 cores
	// with a quota of 3.5 CPUs run 1 … 8 processes, and the seed's 4
	// processes on 4 cores pair with 4 on 4 usable CPUs, not 64.
	r.Host.NumCPU, r.Host.Limits = 64, &cpuwatch.Limits{Quota: 3.5, UsableCPUs: 3.5}
	if got := r.CPUs(); got != 4 {
		t.Errorf("CPUs() = %d under a 3.5-CPU quota, want 4 as corescope.WorkersFor rounds it", got)
	}
	matched = map[string]string{}
	for _, c := range r.CompareSeed() {
		if c.Ours != nil {
			matched[c.Seed.DataID] = c.Ours.DataID
		}
	}
	if got := matched["multiprocessing:4"]; got != "multiprocessing:4" {
		t.Errorf("under a quota, multiprocessing:4 pairs with %q, want multiprocessing:4", got)
	}
}

func TestImplausible(t *testing.T) {
	tests := []struct {
		name   string
		numCPU int     // Host.NumCPU; 0 when unknown
		usable float64 // Host.Limits.UsableCPUs; 0 when unknown
		wall   float64 // multiprocessing:4's wall time, 4× the serial work
		want   []string
	}{
		{"2× on 2 CPUs", 2, 0, 4, nil},
		{"2.67× on 2 CPUs", 2, 0, 3, []string{"multiprocessing:4"}},
		{"2.67× with 4 workers and no host facts", 0, 0, 3, nil},
		{"5.33× with 4 workers", 0, 0, 1.5, []string{"multiprocessing:4"}},
		{"2× on 8 CPUs under a 1.5-CPU quota", 8, 1.5, 4, []string{"multiprocessing:4"}},
		{"1.5× on 8 CPUs under a 1.5-CPU quota", 8, 1.5, 5.33, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := synthetic()
			r.Host.NumCPU = tt.numCPU
			if tt.usable > 0 {
				r.Host.Limits = &cpuwatch.Limits{UsableCPUs: tt.usable}
			}
			r.Runs[2].WallSeconds = tt.wall
			var got []string
			for _, run := range r.Implausible() {
				got = append(got, run.DataID)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Implausible() mismatch (-want +got):\n%s", diff)
			}

			var table, page strings.Builder
			if err := r.WriteTable(&table); err != nil {
				t.Fatal(err)
			}
			if err := r.WriteHTML(&page); err != nil {
				t.Fatal(err)
			}
			tableNote := "note: multiprocessing:4's speed-up of"
			pageNote := "more speed-up than the CPUs can give"
			if has := strings.Contains(table.String(), tableNote); has != (tt.want != nil) {
				t.Errorf("table has the note: %v, want %v:\n%s", has, tt.want != nil, table.String())
			}
			if has := strings.Contains(page.String(), pageNote); has != (tt.want != nil) {
				t.Errorf("report page has the note: %v, want %v", has, tt.want != nil)
			}
		})
	}
}
