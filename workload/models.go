package workload

import (
	"context"
	"fmt"
	"time"
)

// Serial runs one worker on one locked OS thread: the seed's non-threaded
// run. The zero value runs one native unit of 2^28 iterations.
type Serial struct {
	Work Work
	// Pin, if set, pins the worker to the first allowed core.
	Pin bool
}

// String returns "non-threaded" (with "+pin" when pinned), the seed's name.
func (s Serial) String() string { return "non-threaded" + pinSuffix(s.Pin) }

// Run does the work on the calling goroutine's own locked thread.
func (s Serial) Run(ctx context.Context) (Report, error) {
	return runThreads(ctx, threadsSpec{name: s.String(), n: 1, work: s.Work, pin: s.Pin, lock: true, label: "serial"})
}

// Idle does nothing for Duration: the seed's do-nothing baseline. The zero
// value returns at once.
type Idle struct {
	Duration time.Duration
}

// String returns "do-nothing".
func (Idle) String() string { return "do-nothing" }

// Run sleeps for Duration, or until ctx is cancelled (then it returns
// ctx.Err()). Its Report has no workers and no CPU.
func (i Idle) Run(ctx context.Context) (Report, error) {
	rep := Report{Model: i.String()}
	if i.Duration < 0 {
		return rep, fmt.Errorf("workload: Idle.Duration = %v, want >= 0", i.Duration)
	}
	start := time.Now()
	t := time.NewTimer(i.Duration)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		rep.Wall = time.Since(start)
		return rep, ctx.Err()
	}
	rep.Wall = time.Since(start)
	return rep, nil
}

// Processes runs N child processes, like the seed's multiprocessing run:
// each re-executes the current binary (/proc/self/exe), which must call
// [HandleWorker] first thing in main (or TestMain). Children are in their
// own process group, die with the parent (Pdeathsig SIGKILL), and are all
// killed and reaped when ctx is cancelled or one of them fails.
type Processes struct {
	// N is the number of child processes, 1 to [MaxWorkers].
	N    int
	Work Work
	// Pin, if set, makes child i pin itself to the i-th allowed core
	// (wrapping around), like the seed's --pin-cpu.
	Pin bool
}

// String returns "processes:N" (with "+pin" when pinned).
func (p Processes) String() string { return fmt.Sprintf("processes:%d%s", p.N, pinSuffix(p.Pin)) }

// Run starts the children, waits for all of them and checks their results.
// A failing child is an error carrying its exit status and stderr; it kills
// the other children.
func (p Processes) Run(ctx context.Context) (Report, error) { return runProcesses(ctx, p) }

// Threads runs N goroutines, each locked to its own OS thread for the whole
// run (runtime.LockOSThread): true OS-thread parallelism, with per-thread
// CPU accounting.
type Threads struct {
	// N is the number of threads, 1 to [MaxWorkers].
	N    int
	Work Work
	// Pin, if set, pins thread i to the i-th allowed core (wrapping
	// around); the thread's affinity is restored before it is unlocked.
	Pin bool
}

// String returns "threads:N" (with "+pin" when pinned).
func (t Threads) String() string { return fmt.Sprintf("threads:%d%s", t.N, pinSuffix(t.Pin)) }

// Run starts the threads and waits for all of them.
func (t Threads) Run(ctx context.Context) (Report, error) {
	return runThreads(ctx, threadsSpec{name: t.String(), n: t.N, work: t.Work, pin: t.Pin, lock: true, label: "thread"})
}

// Goroutines runs N plain goroutines under the Go scheduler, so GOMAXPROCS
// decides how many run at once. Goroutines migrate between threads, so
// their CPU can only be measured for the whole process: the Report's User
// and System are the calling process's rusage over the run, and the
// workers' own CPU fields are zero.
type Goroutines struct {
	// N is the number of goroutines, 1 to [MaxWorkers].
	N    int
	Work Work
}

// String returns "goroutines:N".
func (g Goroutines) String() string { return fmt.Sprintf("goroutines:%d", g.N) }

// Run starts the goroutines and waits for all of them.
func (g Goroutines) Run(ctx context.Context) (Report, error) {
	return runThreads(ctx, threadsSpec{name: g.String(), n: g.N, work: g.Work})
}

// GILVersion selects the GIL algorithm to emulate.
type GILVersion int

const (
	// Python3 is CPython 3.2+'s GIL (Python/ceval_gil.h): waiters ask
	// for the lock after a timed wait of the switch interval, and the
	// holder hands it over (forced switching).
	Python3 GILVersion = iota
	// Python2 is CPython 2.7's GIL: a futex semaphore the holder releases
	// and at once re-acquires every check interval, with no fairness.
	Python2
)

// String returns "py3" or "py2".
func (v GILVersion) String() string {
	switch v {
	case Python3:
		return "py3"
	case Python2:
		return "py2"
	}
	return fmt.Sprintf("GILVersion(%d)", int(v))
}

// GIL runs N locked OS threads that must hold one emulated interpreter lock
// to execute kernel ticks, as the seed's Python threads did. With the
// [Bytecode] kernel a tick is what CPython 2.7 counts (three per iteration
// of the seed's loop); with [Native] the loop runs in slices that count
// three ticks per iteration and checks the lock between slices. The zero
// value (with N set) emulates Python 3 with its defaults.
type GIL struct {
	// N is the number of threads, 1 to [MaxWorkers].
	N       int
	Work    Work
	Version GILVersion
	// Pin, if set, pins thread i to the i-th allowed core (wrapping
	// around).
	Pin bool
	// CheckInterval is Python 2's sys.setcheckinterval: the holder releases
	// and re-acquires the lock when the shared ticker, reset to
	// CheckInterval, drops below zero (every CheckInterval+1 ticks, as in
	// CPython 2.7). 0 means 100.
	CheckInterval int
	// SwitchInterval is Python 3's sys.setswitchinterval: how long a waiter
	// waits before asking the holder to drop the lock. 0 means 5 ms.
	SwitchInterval time.Duration
	// Events, if positive, makes the threads record up to Events of
	// their own GIL events in all (asked for the lock, got it, dropped
	// it, failed wake-ups, Python 3's drop requests and forced switches),
	// each thread into buffers of its own written without a lock;
	// Report.GILEvents returns them and Report.GILEventsLost counts those
	// past the cap. The buffers grow with the run: each thread starts
	// with 512 KiB and a 2 MiB spare (less for a small Events) and a
	// helper goroutine maps its next, larger chunk (up to 8 MiB, outside
	// the Go heap, pages faulted in) ahead of need, off the lock path; a
	// thread the helper leaves waiting maps 128 KiB itself rather than
	// lose events. So Events is a cap, not an allocation. An event costs
	// [GILEventBytes] while the run lasts and a [GILEvent] (16 bytes) in
	// the Report. A Python 2 thread records about three events per check
	// interval: the 2-thread storm makes about 2 million a second. Zero,
	// the default, records nothing, starts no helper and costs one nil
	// check per event.
	Events int
}

// String returns "gil-py3:N" or "gil-py2:N" (with "+pin" when pinned).
func (g GIL) String() string {
	return fmt.Sprintf("gil-%s:%d%s", g.Version, g.N, pinSuffix(g.Pin))
}

// Run starts the threads, which contend for the lock, and waits for all of
// them. The Report's GIL field sums the threads' statistics.
func (g GIL) Run(ctx context.Context) (Report, error) { return runGIL(ctx, g) }

func pinSuffix(pin bool) string {
	if pin {
		return "+pin"
	}
	return ""
}
