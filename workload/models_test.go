package workload_test

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/workload"
	"github.com/google/go-cmp/cmp"
)

func TestExpected(t *testing.T) {
	for _, n := range []uint64{0, 1, 2, 3, 10, 1 << 26, 1 << 28, 1<<32 + 1, 1 << 33, 1<<63 + 5, ^uint64(0)} {
		// n(n-1)/2 mod 2^64, computed exactly.
		b := new(big.Int).SetUint64(n)
		if n > 0 {
			b.Mul(b, new(big.Int).SetUint64(n-1))
		}
		b.Rsh(b, 1)
		b.Mod(b, new(big.Int).Lsh(big.NewInt(1), 64))
		if got, want := workload.Expected(n), b.Uint64(); got != want {
			t.Errorf("Expected(%d) = %d, want %d", n, got, want)
		}
	}
	// The numbers the seed printed.
	if got := workload.Expected(1 << 28); got != 36028796884746240 {
		t.Errorf("Expected(2^28) = %d, want 36028796884746240", got)
	}
	if got := workload.Expected(1 << 26); got != 2251799780130816 {
		t.Errorf("Expected(2^26) = %d, want 2251799780130816", got)
	}
}

// small is cheap work that still runs each kernel for real.
func small(k workload.Kernel) workload.Work {
	return workload.Work{Kernel: k, N: 1<<14 + 1, Units: 3}
}

func allModels(w workload.Work) []workload.Model {
	return []workload.Model{
		workload.Serial{Work: w},
		workload.Serial{Work: w, Pin: true},
		workload.Processes{N: 2, Work: w},
		workload.Processes{N: 3, Work: w, Pin: true},
		workload.Threads{N: 2, Work: w},
		workload.Threads{N: 3, Work: w, Pin: true},
		workload.Goroutines{N: 3, Work: w},
		workload.GIL{N: 2, Work: w, Version: workload.Python2},
		workload.GIL{N: 3, Work: w, Version: workload.Python3, Pin: true},
	}
}

func TestModelsComputeTheSeedsResult(t *testing.T) {
	for _, k := range []workload.Kernel{workload.Native, workload.Bytecode} {
		w := small(k)
		for _, m := range allModels(w) {
			t.Run(k.String()+"/"+m.String(), func(t *testing.T) {
				rep, err := m.Run(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if rep.Model != m.String() || rep.Kernel != k {
					t.Errorf("Report names %q/%v, want %q/%v", rep.Model, rep.Kernel, m.String(), k)
				}
				if rep.Wall <= 0 {
					t.Errorf("Wall = %v, want > 0", rep.Wall)
				}
				pinned := strings.HasSuffix(m.String(), "+pin")
				for i, wr := range rep.Workers {
					want := workload.WorkerReport{ID: i, Result: workload.Expected(w.N), Units: w.Units,
						Iterations: uint64(w.Units) * w.N, CPU: wr.CPU}
					got := wr
					got.User, got.System, got.Wall, got.GIL = 0, 0, 0, nil
					got.VoluntarySwitches, got.InvoluntarySwitches = 0, 0
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("worker %d mismatch (-want +got):\n%s", i, diff)
					}
					if (wr.CPU >= 0) != pinned {
						t.Errorf("worker %d: CPU = %d with pinning %v", i, wr.CPU, pinned)
					}
					if wr.Wall <= 0 || wr.Wall > rep.Wall {
						t.Errorf("worker %d: Wall = %v, run's Wall = %v", i, wr.Wall, rep.Wall)
					}
					if (wr.GIL != nil) != (rep.GIL != nil) {
						t.Errorf("worker %d: GIL stats %v, run's %v", i, wr.GIL, rep.GIL)
					}
				}
				if got := rep.Iterations(); got != uint64(len(rep.Workers)*w.Units)*w.N {
					t.Errorf("Iterations() = %d, want %d", got, uint64(len(rep.Workers)*w.Units)*w.N)
				}
				if rep.CPU() <= 0 {
					t.Errorf("CPU() = %v, want > 0", rep.CPU())
				}
			})
		}
	}
}

func TestPinUsesAllowedCoresInOrder(t *testing.T) {
	cpus := allowedCPUs(t)
	n := len(cpus) + 1 // wraps around
	for _, m := range []workload.Model{
		workload.Threads{N: n, Work: small(workload.Native), Pin: true},
		workload.Processes{N: n, Work: small(workload.Native), Pin: true},
		workload.GIL{N: n, Work: small(workload.Native), Pin: true, Version: workload.Python2},
	} {
		t.Run(m.String(), func(t *testing.T) {
			before := threadAffinities(t)
			rep, err := m.Run(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var got, want []int
			for i, wr := range rep.Workers {
				got = append(got, wr.CPU)
				want = append(want, cpus[i%len(cpus)])
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("worker cores mismatch (-want +got):\n%s", diff)
			}
			// Every thread of this process must have its affinity back.
			for tid, aff := range threadAffinities(t) {
				if aff != before[""] {
					t.Errorf("thread %s has Cpus_allowed_list %q after the run, want %q", tid, aff, before[""])
				}
			}
		})
	}
}

// allowedCPUs parses this process's Cpus_allowed_list.
func allowedCPUs(t *testing.T) []int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	var list string
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			list = strings.TrimSpace(v)
		}
	}
	var cpus []int
	for part := range strings.SplitSeq(list, ",") {
		var lo, hi int
		if _, err := fmt.Sscanf(part, "%d-%d", &lo, &hi); err != nil {
			if _, err := fmt.Sscanf(part, "%d", &lo); err != nil {
				t.Fatalf("parsing Cpus_allowed_list %q: %v", list, err)
			}
			hi = lo
		}
		for c := lo; c <= hi; c++ {
			cpus = append(cpus, c)
		}
	}
	return cpus
}

// threadAffinities maps each thread id to its Cpus_allowed_list; key ""
// holds the process's.
func threadAffinities(t *testing.T) map[string]string {
	t.Helper()
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			return ""
		}
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
				return strings.TrimSpace(v)
			}
		}
		return ""
	}
	m := map[string]string{"": read("/proc/self/status")}
	tasks, _ := filepath.Glob("/proc/self/task/*/status")
	for _, p := range tasks {
		if a := read(p); a != "" {
			m[filepath.Base(filepath.Dir(p))] = a
		}
	}
	return m
}

func TestDurationSizesWork(t *testing.T) {
	for _, m := range []func(w workload.Work) workload.Model{
		func(w workload.Work) workload.Model { return workload.Serial{Work: w} },
		func(w workload.Work) workload.Model { return workload.Processes{N: 2, Work: w} },
		func(w workload.Work) workload.Model { return workload.GIL{N: 2, Work: w, Version: workload.Python3} },
	} {
		t.Run(m(workload.Work{}).String(), func(t *testing.T) {
			const d = 60 * time.Millisecond
			w := workload.Work{N: 1 << 12, Units: 1, Duration: d}
			rep, err := m(w).Run(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			for _, wr := range rep.Workers {
				if wr.Units < 2 {
					t.Errorf("worker %d did %d units of %d iterations in %v, want many", wr.ID, wr.Units, w.N, d)
				}
				if wr.Wall < d {
					t.Errorf("worker %d: Wall = %v, want >= Duration %v", wr.ID, wr.Wall, d)
				}
			}
			// A tiny Duration still does one whole unit.
			w.Duration = time.Nanosecond
			rep, err = m(w).Run(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			for _, wr := range rep.Workers {
				if wr.Units != 1 || wr.Result != workload.Expected(w.N) {
					t.Errorf("worker %d with Duration 1ns: %d units, result %d; want 1, %d", wr.ID, wr.Units, wr.Result, workload.Expected(w.N))
				}
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	ok := workload.Work{N: 10}
	for _, tc := range []struct {
		model workload.Model
		want  string
	}{
		{workload.Processes{N: 0, Work: ok}, "at least 1 worker"},
		{workload.Threads{N: -1, Work: ok}, "at least 1 worker"},
		{workload.Goroutines{Work: ok}, "at least 1 worker"},
		{workload.GIL{N: 0, Work: ok}, "at least 1 worker"},
		{workload.Threads{N: workload.MaxWorkers + 1, Work: ok}, "absurd"},
		{workload.Processes{N: 1 << 30, Work: ok}, "absurd"},
		{workload.Serial{Work: workload.Work{N: workload.MaxN + 1}}, "absurd"},
		{workload.Serial{Work: workload.Work{N: 10, Units: -1}}, "Units"},
		{workload.Serial{Work: workload.Work{N: 10, Units: workload.MaxUnits + 1}}, "absurd"},
		{workload.Serial{Work: workload.Work{N: 10, Duration: -time.Second}}, "Duration"},
		{workload.Serial{Work: workload.Work{Kernel: 7}}, "unknown kernel"},
		{workload.GIL{N: 1, Work: ok, Version: 9}, "unknown GIL version"},
		{workload.GIL{N: 1, Work: ok, Version: workload.Python2, CheckInterval: -1}, "CheckInterval"},
		{workload.GIL{N: 1, Work: ok, SwitchInterval: -time.Millisecond}, "SwitchInterval"},
		{workload.Idle{Duration: -1}, "Duration"},
	} {
		t.Run(fmt.Sprintf("%T/%v", tc.model, tc.model), func(t *testing.T) {
			_, err := tc.model.Run(t.Context())
			if err == nil || !strings.HasPrefix(err.Error(), "workload: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run() error = %v, want a \"workload: …%s…\" error", err, tc.want)
			}
		})
	}
	if _, err := workload.ParseKernel("jit"); err == nil || !strings.Contains(err.Error(), `"jit"`) {
		t.Errorf("ParseKernel(jit) error = %v, want one naming it", err)
	}
	for _, k := range []workload.Kernel{workload.Native, workload.Bytecode} {
		if got, err := workload.ParseKernel(k.String()); err != nil || got != k {
			t.Errorf("ParseKernel(%q) = %v, %v; want %v", k, got, err, k)
		}
	}
}

func TestReportArithmetic(t *testing.T) {
	for _, tc := range []struct {
		name               string
		r                  workload.Report
		cpu                time.Duration
		cores, systemShare float64
	}{
		{"zero", workload.Report{}, 0, 0, 0},
		{"two cores", workload.Report{Wall: time.Second, User: 1500 * time.Millisecond, System: 500 * time.Millisecond}, 2 * time.Second, 2, 0.25},
		{"idle", workload.Report{Wall: time.Second}, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.CPU(); got != tc.cpu {
				t.Errorf("CPU() = %v, want %v", got, tc.cpu)
			}
			if got := tc.r.CoresUsed(); got != tc.cores {
				t.Errorf("CoresUsed() = %v, want %v", got, tc.cores)
			}
			if got := tc.r.SystemShare(); got != tc.systemShare {
				t.Errorf("SystemShare() = %v, want %v", got, tc.systemShare)
			}
		})
	}
}

func TestIdle(t *testing.T) {
	rep, err := workload.Idle{Duration: 20 * time.Millisecond}.Run(t.Context())
	if err != nil || rep.Wall < 20*time.Millisecond || len(rep.Workers) != 0 || rep.CPU() != 0 {
		t.Errorf("Idle{20ms}.Run() = %+v, %v; want >= 20ms wall, no workers, no CPU", rep, err)
	}
}

// TestCancel cancels every model in the middle of a minute of work: each must
// return ctx.Err() within 100 ms, as Model's documentation promises, and
// leave nothing behind.
//
// Stopping itself takes about 1 ms (BenchmarkCancel measures it), but on a
// small machine shared with other builds a runnable thread can wait tens of
// ms for a core, and -race slows everything. So a model gets three tries:
// it fails when none of them stops within the promised 100 ms, which load
// alone does not do, while a model that stops slowly every time does.
func TestCancel(t *testing.T) {
	const promise = 100 * time.Millisecond
	long := func(k workload.Kernel) workload.Work {
		return workload.Work{Kernel: k, N: 1 << 24, Duration: time.Minute}
	}
	type named struct {
		name string
		m    workload.Model
	}
	models := []named{{"idle", workload.Idle{Duration: time.Minute}}}
	for _, k := range []workload.Kernel{workload.Native, workload.Bytecode} {
		w := long(k)
		for _, m := range []workload.Model{
			workload.Serial{Work: w},
			workload.Processes{N: 2, Work: w},
			workload.Threads{N: 2, Work: w, Pin: true},
			workload.Goroutines{N: 3, Work: w},
			workload.GIL{N: 3, Work: w, Version: workload.Python2},
			workload.GIL{N: 3, Work: w, Version: workload.Python3},
		} {
			models = append(models, named{k.String() + "/" + m.String(), m})
		}
	}
	for _, tc := range models {
		t.Run(tc.name, func(t *testing.T) {
			var took []time.Duration
			for range 3 {
				d := cancelOnce(t, tc.m)
				took = append(took, d)
				if d <= promise {
					break
				}
			}
			t.Logf("returned %v after cancellation", took)
			if slices.Min(took) > promise {
				t.Errorf("Run returned %v after cancellation in %d tries, want within %v", took, len(took), promise)
			}
		})
	}
}

// cancelOnce runs m, cancels it 150 ms in, checks that it returns
// ctx.Err() and leaves no goroutine or child behind, and returns how long
// it took to return after the cancellation.
func cancelOnce(t *testing.T, m workload.Model) time.Duration {
	t.Helper()
	goroutines := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	type result struct {
		err error
		at  time.Time
	}
	done := make(chan result, 1)
	go func() {
		_, err := m.Run(ctx)
		done <- result{err, time.Now()}
	}()
	time.Sleep(150 * time.Millisecond)
	cancelled := time.Now()
	cancel()
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10 s of cancellation")
	}
	if !errors.Is(r.err, context.Canceled) {
		t.Errorf("Run() error = %v, want context.Canceled", r.err)
	}
	waitGoroutines(t, goroutines)
	noChildren(t)
	return r.at.Sub(cancelled)
}

// waitGoroutines fails if the goroutine count does not return to n: the
// workers' goroutines may still be exiting right after Run returned.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines left, want %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}
