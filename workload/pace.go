package workload

import (
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
)

// Pace is how a [Work]'s NsPerIteration was met on this machine: the
// kernel's own cost, measured on the calling thread's CPU clock just
// before the run, and the spin added to every iteration to make up the
// difference.
type Pace struct {
	// NsPerIteration is the target, Work.NsPerIteration.
	NsPerIteration float64 `json:"ns_per_iteration"`
	// KernelNs is what one iteration of the kernel cost here without
	// padding.
	KernelNs float64 `json:"kernel_ns"`
	// StepNs is what one spin step cost; Steps is how many end every
	// iteration (on average: fractions carry over).
	StepNs float64 `json:"step_ns"`
	Steps  float64 `json:"steps"`
	// Unmet is set when the kernel alone was slower than the target (a
	// fast interpreter, or a busy host that slowed the measurement): it
	// then ran unpadded, slower than asked.
	Unmet bool `json:"unmet,omitempty"`
}

// paceSamples is how many times each measurement is repeated; the least
// is kept, since anything else on the core only ever adds to it.
const paceSamples = 5

// measurePace finds the padding that makes kernel k cost target ns an
// iteration. It runs on the calling goroutine's thread, which it locks
// while it measures (about 50 ms).
func measurePace(k Kernel, target float64) (Pace, uint64, error) {
	p := Pace{NsPerIteration: target}
	if math.IsNaN(target) || math.IsInf(target, 0) || target < 0 || target > 1e6 {
		return p, 0, fmt.Errorf("workload: NsPerIteration = %v, want a cost between 0 and 1e6 ns", target)
	}
	if err := supported("pacing"); err != nil {
		return p, 0, err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	n := uint64(1 << 18)
	if k == Native {
		n = 1 << 22
	}
	cost := func(pad, n uint64) (float64, error) {
		best := math.Inf(1)
		var breaker atomic.Uint32
		for range paceSamples {
			m := newFreeMachine(&breaker)
			m.pad = pad
			c0, err := threadCPU()
			if err != nil {
				return 0, err
			}
			if _, err := m.run(k, n); err != nil {
				return 0, err
			}
			c1, err := threadCPU()
			if err != nil {
				return 0, err
			}
			best = min(best, float64(c1.user+c1.system-c0.user-c0.system)/float64(n))
		}
		return best, nil
	}
	base, err := cost(0, n)
	if err != nil {
		return p, 0, err
	}
	p.KernelNs = base
	if target <= base {
		p.Unmet = true
		return p, 0, nil
	}
	const probe = 32 << padShift
	c, err := cost(probe, n/4)
	if err != nil {
		return p, 0, err
	}
	p.StepNs = max((c-base)/32, 0.05)
	pad := uint64(math.Round(max(target-base, 0) / p.StepNs * (1 << padShift)))
	// One correction: the spin inside the kernel need not cost what it
	// cost at the probe.
	if pad > 0 {
		// About 10 ms of it, whatever the target.
		if c, err = cost(pad, uint64(max(1e7/target, 1<<12))); err != nil {
			return p, 0, err
		}
		if c > base {
			pad = uint64(math.Round(float64(pad) * (target - base) / (c - base)))
		}
	}
	p.Steps = float64(pad) / (1 << padShift)
	return p, pad, nil
}
