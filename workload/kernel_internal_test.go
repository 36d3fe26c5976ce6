package workload

import (
	"errors"
	"math"
	"sync/atomic"
	"testing"
	"time"
)

func TestKernelsMatchExpected(t *testing.T) {
	for _, k := range []Kernel{Native, Bytecode} {
		for _, n := range []uint64{0, 1, 2, 3, 100, 1<<16 + 3, 3<<20 + 1} {
			var breaker atomic.Uint32
			m := newFreeMachine(&breaker)
			got, err := m.run(k, n)
			if err != nil {
				t.Fatalf("%v run(%d): %v", k, n, err)
			}
			if want := Expected(n); got != want {
				t.Errorf("%v run(%d) = %d, want %d", k, n, got, want)
			}
		}
	}
}

// TestBytecodeTicks checks the tick accounting against CPython 2.7's eval
// loop: 3n+7 ticks per unit (see runBytecode), a shared ticker that starts
// at 0, and a periodic check whenever it drops below zero, i.e. at the first
// tick and then every interval+1 ticks.
func TestBytecodeTicks(t *testing.T) {
	for _, tc := range []struct {
		name     string
		n        uint64
		interval int
	}{
		{"n=0", 0, 100},
		{"n=10", 10, 100},
		{"n=1000", 1000, 100},
		{"interval=7", 999, 7},
		{"interval=0", 50, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ticker := 0
			var breaker atomic.Uint32
			var at []uint64
			m := &machine{breaker: &breaker, ticker: &ticker, interval: tc.interval}
			m.check = func(periodic bool) error {
				if !periodic {
					t.Fatalf("check(false) with breaker %d", breaker.Load())
				}
				at = append(at, m.ticks)
				return nil
			}
			got, err := m.runBytecode(tc.n)
			if err != nil || got != Expected(tc.n) {
				t.Fatalf("runBytecode(%d) = %d, %v; want %d, nil", tc.n, got, err, Expected(tc.n))
			}
			total := 3*tc.n + 7
			if m.ticks != total {
				t.Errorf("ticks = %d, want 3n+7 = %d", m.ticks, total)
			}
			period := uint64(tc.interval) + 1
			if want := 1 + (total-1)/period; uint64(len(at)) != want {
				t.Errorf("%d periodic checks, want %d", len(at), want)
			}
			for i, tick := range at {
				if want := 1 + uint64(i)*period; tick != want {
					t.Fatalf("check %d at tick %d, want %d", i, tick, want)
				}
			}
		})
	}
}

func TestKernelStops(t *testing.T) {
	for _, k := range []Kernel{Native, Bytecode} {
		var breaker atomic.Uint32
		breaker.Store(breakStop)
		m := newFreeMachine(&breaker)
		if _, err := m.run(k, 1<<40); !errors.Is(err, errStopped) {
			t.Errorf("%v with the stop bit set: err = %v, want errStopped", k, err)
		}
	}
}

func TestNativeSlicesTickLikeBytecode(t *testing.T) {
	ticker := 0
	var breaker atomic.Uint32
	checks := 0
	m := &machine{breaker: &breaker, ticker: &ticker, interval: 99, nativeSlice: math.MaxUint64}
	m.check = func(bool) error { checks++; return nil }
	const n = 10000
	if got, err := m.runNative(n); err != nil || got != Expected(n) {
		t.Fatalf("runNative(%d) = %d, %v", n, got, err)
	}
	if m.ticks != 3*n {
		t.Errorf("ticks = %d, want %d", m.ticks, 3*n)
	}
	// Slices of interval/3+1 = 34 iterations (102 ticks), each ending in
	// a check but the last, short one (4 iterations), which does not use
	// up the interval.
	if want := n / 34; checks != want {
		t.Errorf("%d checks, want %d", checks, want)
	}
}

// TestFloor checks the pace's floor on the wall clock: whatever the
// kernel's own speed, a paced unit's time outside its checks is at least
// its ticks at the floor's cost, and time spent inside a check (a GIL's
// waits) is not counted towards it — each check here sleeps far longer
// than the whole floor, so a floor that kept counting through checks
// would not spin at all. Only the lower bound is tested: an upper bound
// would be a timed test.
func TestFloor(t *testing.T) {
	const ns, n = 500.0, 3000 // 1.5 ms of floor, far above either kernel's cost
	for _, k := range []Kernel{Native, Bytecode} {
		for _, interval := range []int{math.MaxInt, 299, 101} { // no checks; a check every 100 iterations (with looks between); every 34 (none)
			ticker := 0
			var breaker atomic.Uint32
			m := &machine{breaker: &breaker, ticker: &ticker, interval: interval, nativeSlice: 64}
			var inCheck time.Duration
			checks := 0
			m.check = func(bool) error {
				checks++
				t0 := time.Now()
				time.Sleep(2 * time.Millisecond)
				inCheck += time.Since(t0)
				return nil
			}
			m.setPace(0, ns)
			start := time.Now()
			got, err := m.run(k, n)
			wall := time.Since(start)
			if err != nil || got != Expected(n) {
				t.Fatalf("%v: run = %d, %v", k, got, err)
			}
			ticks := m.ticks
			if k == Native {
				ticks = 3 * n // the native kernel has no frame set-up ticks
			}
			if own, due := wall-inCheck, time.Duration(float64(ticks)*ns/3); own < due {
				t.Errorf("%v, interval %d (%d checks): %v outside checks, want at least %v at %v ns an iteration", k, interval, checks, own, due, ns)
			}
			if interval != math.MaxInt && checks < 25 {
				t.Errorf("%v: %d checks, want about 30", k, checks)
			}
		}
	}
}

// TestPaceKeepsFloor checks what pace gives a worker's machine: a given
// Pace's steps and its target as the floor, and an Unmet pace (measured in
// a slow moment, perhaps) no steps but still the floor.
func TestPaceKeepsFloor(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Pace
		want padding
	}{
		{"met", Pace{NsPerIteration: 20, Kernel: Bytecode, KernelNs: 10, StepNs: 1, Steps: 10}, padding{10 << padShift, 20}},
		{"unmet", Pace{NsPerIteration: 20, Kernel: Bytecode, KernelNs: 25, Unmet: true}, padding{0, 20}},
	} {
		var rep Report
		got, err := pace(Work{Kernel: Bytecode, Pace: &tc.p}, &rep)
		if err != nil || got != tc.want || rep.Pace == nil || *rep.Pace != tc.p {
			t.Errorf("%s: pace = %+v, %v, Report.Pace %+v; want %+v and the pace itself", tc.name, got, err, rep.Pace, tc.want)
		}
	}
}
