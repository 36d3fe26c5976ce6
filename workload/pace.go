package workload

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
)

// Pace is how a [Work]'s NsPerIteration was met on this machine: the
// kernel's own cost, measured on the calling thread's CPU clock just
// before the run (or once, by [MeasurePace], for runs that share it), and
// the spin added to every iteration to make up the difference.
type Pace struct {
	// NsPerIteration is the target, Work.NsPerIteration.
	NsPerIteration float64 `json:"ns_per_iteration"`
	// Kernel is the kernel the padding was measured for: a pace holds
	// for that kernel only. It is left out of JSON, where the result
	// around a Pace names its kernel.
	Kernel Kernel `json:"-"`
	// KernelNs is what one iteration of the kernel cost here without
	// padding.
	KernelNs float64 `json:"kernel_ns"`
	// StepNs is what one spin step cost; Steps is how many end every
	// iteration (on average: fractions carry over).
	StepNs float64 `json:"step_ns"`
	Steps  float64 `json:"steps"`
	// Unmet is set when the kernel alone was slower than the target (a
	// fast interpreter, or a busy host that slowed the measurement): it
	// then runs with no spin steps, held only by the wall-clock floor
	// (see Work.NsPerIteration) — at the target where the kernel turns
	// out faster than measured, slower than asked where it does not.
	Unmet bool `json:"unmet,omitempty"`
}

// maxSteps bounds Pace.Steps: a million spin steps an iteration is
// milliseconds, far beyond any interpreter's cost (NsPerIteration's limit
// is 1e6 ns).
const maxSteps = 1e6

// MeasurePace finds the padding that makes kernel k cost ns nanoseconds an
// iteration on this machine, as a run with Work.NsPerIteration does before
// it starts, for runs to share through Work.Pace. It measures on the
// calling goroutine's thread, which it locks while it measures (about
// 50 ms). A target below the kernel's own cost gives an Unmet pace with
// no padding, not an error.
func MeasurePace(k Kernel, ns float64) (Pace, error) {
	if k != Native && k != Bytecode {
		return Pace{NsPerIteration: ns}, fmt.Errorf("workload: unknown kernel %d", int(k))
	}
	if ns == 0 {
		return Pace{Kernel: k}, errors.New("workload: MeasurePace needs a cost > 0 ns an iteration")
	}
	p, _, err := measurePace(k, ns)
	return p, err
}

// validate reports whether p could have come from MeasurePace for kernel
// k, naming the first field that could not.
func (p *Pace) validate(k Kernel) error {
	switch {
	case p.Kernel != k:
		return fmt.Errorf("workload: Pace was measured for the %v kernel, not %v", p.Kernel, k)
	case !(p.NsPerIteration > 0 && p.NsPerIteration <= 1e6):
		return fmt.Errorf("workload: Pace.NsPerIteration = %v, want a cost between 0 and 1e6 ns", p.NsPerIteration)
	case !(p.Steps >= 0 && p.Steps <= maxSteps):
		return fmt.Errorf("workload: Pace.Steps = %v, want between 0 and %g", p.Steps, float64(maxSteps))
	case p.Unmet && p.Steps != 0:
		return fmt.Errorf("workload: Pace is Unmet but adds %v steps", p.Steps)
	}
	return nil
}

// pad is p.Steps in machine.pad's fixed point.
func (p *Pace) pad() uint64 { return uint64(math.Round(p.Steps * (1 << padShift))) }

// paceSamples is how many times each measurement is repeated; the least
// is kept, since anything else on the core only ever adds to it.
const paceSamples = 5

// measurePace finds the padding that makes kernel k cost target ns an
// iteration. It runs on the calling goroutine's thread, which it locks
// while it measures (about 50 ms).
func measurePace(k Kernel, target float64) (Pace, uint64, error) {
	p := Pace{NsPerIteration: target, Kernel: k}
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
			// A floor of 1 ps a tick never holds the kernel back, but
			// it makes the clock reads a paced run makes part of the
			// cost measured.
			m.setPace(pad, 0.003)
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
