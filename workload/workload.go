package workload

import (
	"context"
	"fmt"
	"math/bits"
	"strings"
	"time"
)

// Kernel selects how a worker computes the seed's loop
// `result = 0; for v in range(n): result += v`.
// The zero value is [Native].
type Kernel int

const (
	// Native is a plain Go loop: about 0.8 ns per iteration on the
	// reference machine, with nothing folded away by the compiler.
	Native Kernel = iota
	// Bytecode is a tiny stack interpreter that dispatches the CPython 2.7
	// bytecodes of the seed's loop one by one (FOR_ITER, STORE_FAST,
	// LOAD_FAST, INPLACE_ADD, JUMP_ABSOLUTE, …) and counts the GIL's
	// "ticks" exactly as CPython 2.7 does: two per iteration.
	Bytecode
)

// String returns "native" or "bytecode".
func (k Kernel) String() string {
	switch k {
	case Native:
		return "native"
	case Bytecode:
		return "bytecode"
	}
	return fmt.Sprintf("Kernel(%d)", int(k))
}

// ParseKernel is the inverse of [Kernel.String], for command-line flags.
func ParseKernel(s string) (Kernel, error) {
	switch strings.ToLower(s) {
	case "native":
		return Native, nil
	case "bytecode":
		return Bytecode, nil
	}
	return 0, fmt.Errorf("workload: unknown kernel %q (want native or bytecode)", s)
}

// DefaultN is the seed's serial size, 2^28 iterations per unit; a [Work]
// with N == 0 uses it.
const DefaultN uint64 = 1 << 28

// Limits that reject absurd sizes with an error instead of running for days
// or spawning a machine to death.
const (
	// MaxN bounds Work.N: 2^40 iterations take about 10 minutes natively
	// and hours interpreted.
	MaxN uint64 = 1 << 40
	// MaxUnits bounds Work.Units.
	MaxUnits = 1 << 20
	// MaxWorkers bounds the worker count of every model.
	MaxWorkers = 1024
)

// Work is what one worker computes: Units repetitions of the seed's kernel
// sum(range(N)), or as many whole units as fit in Duration. Every unit's
// result is checked against [Expected]; a wrong one is an error.
// The zero value is one native unit of 2^28 iterations.
type Work struct {
	Kernel Kernel
	// N is the number of iterations per unit; 0 means [DefaultN] (2^28).
	N uint64
	// Units is the number of units per worker; 0 means 1. Ignored when
	// Duration is set.
	Units int
	// Duration, if > 0, sizes the work by time instead: the worker keeps
	// doing whole units until Duration has passed since it started (at
	// least one unit), so the last unit may overrun it by up to one unit.
	Duration time.Duration
	// NsPerIteration, if > 0, is the pace to run at: what one iteration
	// (three ticks) should cost on one core, such as a real interpreter's
	// (see [MeasureInterpreter]). Before the run the kernel's own cost
	// is measured and every iteration ends with a spin that makes up the
	// difference, so that under a [GIL] the check interval and the
	// switch interval fall at the same rate in wall time as in the
	// modelled interpreter; and since the kernel's own speed moves from
	// run to run more than an interpreter's does, it also holds a floor
	// on the wall clock: every 32 iterations, and before every check, it
	// spins until the iterations since it last left a check have taken
	// at least NsPerIteration each (a kernel slowed by the host is not
	// sped up). 0 runs the kernel at its own speed. A pace
	// faster than the kernel runs unpadded; the Report's Pace says how it
	// was met, or that it was not.
	NsPerIteration float64
	// Pace, if set, is a padding measured before ([MeasurePace]) to run
	// at instead of measuring one before the run. Runs meant to be
	// compared with each other — a serial run and the GIL runs whose
	// speed-up is taken against it — should share one: the padding's
	// measurement moves by ±15 % from one 50 ms calibration to the
	// next on a shared machine, and a ratio of two runs paced apart
	// carries both errors, while a real interpreter's cost per iteration
	// is one property of its code. NsPerIteration may then be 0 or
	// Pace.NsPerIteration.
	Pace *Pace
}

// withDefaults returns w with zero fields replaced by their defaults, or an
// error naming the first field that is out of range.
func (w Work) withDefaults() (Work, error) {
	if w.Kernel != Native && w.Kernel != Bytecode {
		return w, fmt.Errorf("workload: unknown kernel %d", int(w.Kernel))
	}
	if w.N == 0 {
		w.N = DefaultN
	}
	if w.N > MaxN {
		return w, fmt.Errorf("workload: N = %d iterations per unit is absurd (limit %d)", w.N, MaxN)
	}
	if w.Units < 0 {
		return w, fmt.Errorf("workload: Units = %d, want >= 0", w.Units)
	}
	if w.Units > MaxUnits {
		return w, fmt.Errorf("workload: Units = %d is absurd (limit %d)", w.Units, MaxUnits)
	}
	if w.Units == 0 {
		w.Units = 1
	}
	if w.Duration < 0 {
		return w, fmt.Errorf("workload: Duration = %v, want >= 0", w.Duration)
	}
	if !(w.NsPerIteration >= 0 && w.NsPerIteration <= 1e6) { // NaN fails too
		return w, fmt.Errorf("workload: NsPerIteration = %v, want a cost between 0 and 1e6 ns", w.NsPerIteration)
	}
	if p := w.Pace; p != nil {
		if err := p.validate(w.Kernel); err != nil {
			return w, err
		}
		if w.NsPerIteration != 0 && w.NsPerIteration != p.NsPerIteration {
			return w, fmt.Errorf("workload: NsPerIteration = %v but Pace was measured for %v ns: set one, or both the same", w.NsPerIteration, p.NsPerIteration)
		}
		w.NsPerIteration = p.NsPerIteration
	}
	return w, nil
}

// Expected returns the seed's result for one unit of n iterations: the sum
// 0+1+…+(n-1) = n(n-1)/2, modulo 2^64 like the kernels' uint64 arithmetic.
// Expected(1<<28) is 36028796884746240 and Expected(1<<26) is
// 2251799780130816, the numbers the seed printed.
func Expected(n uint64) uint64 {
	if n == 0 {
		return 0
	}
	// One of n and n-1 is even: halve it first so the product is exact
	// modulo 2^64.
	a, b := n, n-1
	if a%2 == 0 {
		a /= 2
	} else {
		b /= 2
	}
	_, lo := bits.Mul64(a, b)
	return lo
}

// Model is one way of running workers: serially, in child processes, in
// locked OS threads, in goroutines, or under an emulated GIL.
type Model interface {
	// Run does the work and blocks until every worker has finished. If ctx
	// is cancelled it stops every worker within about 100 ms, leaves no
	// goroutine, locked thread or process behind, and returns ctx.Err().
	Run(ctx context.Context) (Report, error)
	// String names the model as the seed does, for labels: for example
	// "processes:4", "gil-py2:2", "non-threaded".
	String() string
}

// Report is what a run did, for the whole run and per worker.
type Report struct {
	// Model is the model's String().
	Model string
	// Kernel is the kernel the workers ran.
	Kernel Kernel
	// Workers holds one entry per worker, in worker order.
	Workers []WorkerReport
	// Wall is the run's elapsed time, from before the first worker started
	// to after the last one finished.
	Wall time.Duration
	// User and System are the CPU time of the workload itself: each
	// worker thread's CPU clock, split into user and system by
	// RUSAGE_THREAD, read inside the thread; or the wait4 rusage of each
	// child process — not the whole calling process, which may also hold
	// a watcher. For [Goroutines], whose goroutines
	// migrate between threads, they are the calling process's rusage
	// delta over the run instead.
	User, System time.Duration
	// VoluntarySwitches and InvoluntarySwitches count the workload's
	// context switches, from the same rusage as User and System: a
	// thread that blocked (on a futex, say) and one the scheduler took
	// off its core. [Goroutines] count the whole calling process's.
	VoluntarySwitches, InvoluntarySwitches int64
	// GIL sums the workers' GIL statistics; nil unless the model is [GIL].
	GIL *GILStats
	// GILEvents are the GIL threads' own events in time order, when
	// GIL.Events asked for them; GILEventsLost counts those that did not
	// fit a thread's buffer.
	GILEvents     []GILEvent
	GILEventsLost int64
	// Pace is how Work.NsPerIteration was met; nil when it was 0.
	Pace *Pace
	// Stdout is what a [Command] printed on its standard output; nil for
	// the other models.
	Stdout []byte
}

// CPU returns User + System.
func (r Report) CPU() time.Duration { return r.User + r.System }

// CoresUsed returns CPU / Wall: how many cores' worth of CPU the workload
// burned on average. It is 0 for a zero Wall.
func (r Report) CoresUsed() float64 {
	if r.Wall <= 0 {
		return 0
	}
	return float64(r.CPU()) / float64(r.Wall)
}

// ContextSwitches returns VoluntarySwitches + InvoluntarySwitches.
func (r Report) ContextSwitches() int64 { return r.VoluntarySwitches + r.InvoluntarySwitches }

// SystemShare returns System / CPU, the fraction of the workload's CPU spent
// in the kernel; 0 when no CPU was used.
func (r Report) SystemShare() float64 {
	if r.CPU() <= 0 {
		return 0
	}
	return float64(r.System) / float64(r.CPU())
}

// Iterations returns the total number of kernel iterations of all workers.
func (r Report) Iterations() uint64 {
	var n uint64
	for _, w := range r.Workers {
		n += w.Iterations
	}
	return n
}

// WorkerReport is one worker's share of a [Report].
type WorkerReport struct {
	// ID is the worker's index, 0-based.
	ID int
	// Result is the result of the worker's units (all equal, each checked
	// against [Expected]).
	Result uint64
	// Units is the number of whole units the worker completed.
	Units int
	// Iterations is Units × N.
	Iterations uint64
	// CPU is the core the worker was pinned to, or -1 if not pinned.
	CPU int
	// User and System are the worker's own CPU time (zero for
	// [Goroutines]); Wall is its elapsed time.
	User, System, Wall time.Duration
	// VoluntarySwitches and InvoluntarySwitches are the worker's own
	// context switches (zero for [Goroutines]).
	VoluntarySwitches, InvoluntarySwitches int64
	// GIL is the worker's share of the GIL statistics; nil unless the
	// model is [GIL].
	GIL *GILStats
}

// GILStats counts what an emulated GIL did. In a [Report] it is the sum
// over all threads.
type GILStats struct {
	// Acquisitions counts successful takes of the lock, including the
	// Python 2 holder's immediate re-acquisitions.
	Acquisitions int64
	// Switches counts acquisitions by a thread other than the previous
	// holder.
	Switches int64
	// DropRequests counts the times a waiter asked the holder to drop
	// the lock (Python 3 only; always 0 for Python 2).
	DropRequests int64
	// Wait is the time threads spent blocked waiting for the lock.
	Wait time.Duration
	// Handoff is the total time from a drop to another thread having
	// taken the lock (Python 3 only); Handoff / Switches is the mean
	// hand-off latency.
	Handoff time.Duration
	// Sleeps counts the FUTEX_WAIT system calls of threads waiting for
	// the lock or, in Python 3, for a switch.
	Sleeps int64
	// Wakes counts the FUTEX_WAKE system calls a release made because a
	// waiter was registered — for Python 2, whether or not that waiter
	// then won the lock.
	Wakes int64
}

func (s *GILStats) add(o *GILStats) {
	s.Acquisitions += o.Acquisitions
	s.Switches += o.Switches
	s.DropRequests += o.DropRequests
	s.Wait += o.Wait
	s.Handoff += o.Handoff
	s.Sleeps += o.Sleeps
	s.Wakes += o.Wakes
}

// checkWorkers rejects n <= 0 and absurd worker counts.
func checkWorkers(model string, n int) error {
	if n <= 0 {
		return fmt.Errorf("workload: %s needs at least 1 worker, got N = %d", model, n)
	}
	if n > MaxWorkers {
		return fmt.Errorf("workload: %s with N = %d workers is absurd (limit %d)", model, n, MaxWorkers)
	}
	return nil
}
