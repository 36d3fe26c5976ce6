package workload

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// gilLock is an emulated interpreter lock as the thread runner sees it.
type gilLock interface {
	// machine returns thread id's kernel machine, whose check runs the
	// lock's algorithm.
	machine(id int, breaker *atomic.Uint32) *machine
	// enter takes the lock at thread start; leave drops it at thread end.
	enter(id int) error
	leave(id int)
	// stats returns thread id's statistics; valid once the thread ended.
	stats(id int) *GILStats
	// wake wakes every blocked waiter after the stop bit was set.
	wake()
	// bind gives the lock the run's breaker word, before any thread starts.
	bind(breaker *atomic.Uint32)
}

// threadsSpec describes a run of in-process workers.
type threadsSpec struct {
	name string
	n    int
	work Work
	pin  bool
	// lock locks each worker to its own OS thread, which also makes
	// per-thread CPU accounting possible.
	lock bool
	// label names each locked worker's OS thread "label/id", so that
	// ps, top and a thread timeline tell the workers from Go's own
	// threads; "" leaves the names alone.
	label string
	gil   gilLock // nil: no GIL
}

// padding is how a worker's machine is paced: see machine.setPace.
type padding struct {
	pad uint64
	ns  float64
}

// pace measures the padding for w's NsPerIteration, if any, or takes
// w.Pace's, and records it. An unmet pace (the kernel measured slower
// than its target) gets no spin steps but keeps the floor: the
// measurement may have come in a slow moment, and the floor costs a
// kernel that really is slower nothing but its clock reads.
func pace(w Work, rep *Report) (padding, error) {
	p := w.Pace
	if p == nil {
		if w.NsPerIteration == 0 {
			return padding{}, nil
		}
		m, _, err := measurePace(w.Kernel, w.NsPerIteration)
		if err != nil {
			return padding{}, err
		}
		p = &m
	}
	cp := *p
	rep.Pace = &cp
	return padding{p.pad(), p.NsPerIteration}, nil
}

// runThreads runs s.n workers in goroutines and waits for them. The first
// failing worker stops the others (errgroup-style); cancellation of ctx stops
// all of them and returns ctx.Err().
func runThreads(ctx context.Context, s threadsSpec) (Report, error) {
	rep := Report{Model: s.name, Kernel: s.work.Kernel}
	if err := checkWorkers(s.name, s.n); err != nil {
		return rep, err
	}
	w, err := s.work.withDefaults()
	if err != nil {
		return rep, err
	}
	if err := supported(s.name); err != nil {
		return rep, err
	}
	var cpus []int
	if s.pin {
		if cpus, err = allowedCPUs(); err != nil {
			return rep, err
		}
	}
	pad, err := pace(w, &rep)
	if err != nil {
		return rep, err
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}

	if s.lock {
		defer raiseProcs(s.n + 1)()
	}

	var breaker atomic.Uint32
	if s.gil != nil {
		s.gil.bind(&breaker)
	}
	stop := func() {
		breaker.Or(breakStop)
		if s.gil != nil {
			s.gil.wake()
		}
	}
	// The watcher turns cancellation into the stop bit; it ends with the run.
	done := make(chan struct{})
	var watcher sync.WaitGroup
	watcher.Go(func() {
		select {
		case <-ctx.Done():
			stop()
		case <-done:
		}
	})

	var self0 cpuTimes
	if !s.lock {
		if self0, err = processCPU(); err != nil {
			close(done)
			watcher.Wait()
			return rep, err
		}
	}
	rep.Workers = make([]WorkerReport, s.n)
	errs := make([]error, s.n)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range s.n {
		cpu := -1
		if s.pin {
			cpu = cpus[i%len(cpus)]
		}
		wg.Go(func() {
			rep.Workers[i], errs[i] = runWorker(s, w, i, cpu, pad, &breaker)
			if errs[i] != nil && !errors.Is(errs[i], errStopped) {
				stop()
			}
		})
	}
	wg.Wait()
	rep.Wall = time.Since(start)
	close(done)
	watcher.Wait()

	if s.lock {
		for _, wr := range rep.Workers {
			rep.User += wr.User
			rep.System += wr.System
			rep.VoluntarySwitches += wr.VoluntarySwitches
			rep.InvoluntarySwitches += wr.InvoluntarySwitches
		}
	} else {
		self1, err := processCPU()
		if err != nil {
			return rep, err
		}
		rep.User, rep.System = self1.sub(self0)
		rep.VoluntarySwitches = self1.vcsw - self0.vcsw
		rep.InvoluntarySwitches = self1.ivcsw - self0.ivcsw
	}
	if s.gil != nil {
		rep.GIL = new(GILStats)
		for _, wr := range rep.Workers {
			if wr.GIL != nil {
				rep.GIL.add(wr.GIL)
			}
		}
	}
	stopped := false
	for _, err := range errs {
		if errors.Is(err, errStopped) {
			stopped = true
		} else if err != nil {
			return rep, err
		}
	}
	if stopped {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		return rep, errors.New("workload: stopped for no reason (bug)")
	}
	return rep, nil
}

// runWorker is worker id's goroutine: lock, name and pin its thread if
// asked, measure its CPU around the work, and leave the thread as it found
// it.
//
// A worker that lands on the main thread moves to another one first: the
// main thread's name is the process's, which ps and /proc/<pid>/comm would
// show as a worker's name for the length of the run.
func runWorker(s threadsSpec, w Work, id, cpu int, pad padding, breaker *atomic.Uint32) (WorkerReport, error) {
	if !s.lock {
		return work(s, w, id, cpu, pad, breaker)
	}
	runtime.LockOSThread()
	if !onMainThread() {
		return work(s, w, id, cpu, pad, breaker)
	}
	// While this goroutine holds the main thread, the new one cannot get
	// it; once the new one has locked its own thread, the main thread
	// goes back to the scheduler untouched.
	type result struct {
		wr  WorkerReport
		err error
	}
	locked := make(chan struct{})
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		close(locked)
		wr, err := work(s, w, id, cpu, pad, breaker)
		done <- result{wr, err}
	}()
	<-locked
	runtime.UnlockOSThread()
	r := <-done
	return r.wr, r.err
}

// work is runWorker's body. If s.lock, the caller has locked the goroutine
// to its thread (once), and work unlocks it at the end.
func work(s threadsSpec, w Work, id, cpu int, pad padding, breaker *atomic.Uint32) (wr WorkerReport, err error) {
	wr = WorkerReport{ID: id, CPU: cpu}
	if s.lock {
		// A thread whose affinity could not be restored is not returned
		// to the runtime: exiting while locked terminates it.
		healthy := true
		defer func() {
			if healthy {
				runtime.UnlockOSThread()
			}
		}()
		if s.label != "" {
			restore, err := nameThread(fmt.Sprintf("%s/%d", s.label, id))
			if err != nil {
				return wr, err
			}
			// Runs before the unlock: the runtime gets its thread
			// back under its old name, or not at all.
			defer func() {
				if restore() != nil {
					healthy = false
				}
			}()
		}
		if cpu >= 0 {
			restore, err := pinThread(cpu)
			if err != nil {
				return wr, err
			}
			defer func() {
				if rerr := restore(); rerr != nil {
					healthy = false
					if err == nil {
						err = rerr
					}
				}
			}()
		}
	}
	var c0 cpuTimes
	if s.lock {
		if c0, err = threadCPU(); err != nil {
			return wr, err
		}
	}
	start := time.Now()
	var m *machine
	if s.gil != nil {
		m = s.gil.machine(id, breaker)
		m.setPace(pad.pad, pad.ns)
		if err = s.gil.enter(id); err == nil {
			err = doWork(w, m, &wr)
			s.gil.leave(id)
		}
		wr.GIL = s.gil.stats(id)
	} else {
		m = newFreeMachine(breaker)
		m.setPace(pad.pad, pad.ns)
		err = doWork(w, m, &wr)
	}
	wr.Wall = time.Since(start)
	if s.lock {
		c1, cerr := threadCPU()
		if cerr != nil && err == nil {
			err = cerr
		}
		wr.User, wr.System = c1.sub(c0)
		wr.VoluntarySwitches, wr.InvoluntarySwitches = c1.vcsw-c0.vcsw, c1.ivcsw-c0.ivcsw
	}
	if err != nil && !errors.Is(err, errStopped) {
		err = &workerError{id, err}
	}
	return wr, err
}

// doWork runs w's units on m, checking every result, and records them in wr.
func doWork(w Work, m *machine, wr *WorkerReport) error {
	want := Expected(w.N)
	start := time.Now()
	for {
		r, err := m.run(w.Kernel, w.N)
		if err != nil {
			return err
		}
		if err := checkResult(wr.Units, w.N, r, want); err != nil {
			return err
		}
		wr.Result = r
		wr.Units++
		wr.Iterations += w.N
		if w.Duration > 0 {
			if time.Since(start) >= w.Duration {
				return nil
			}
		} else if wr.Units >= w.Units {
			return nil
		}
	}
}

func checkResult(unit int, n, got, want uint64) error {
	if got != want {
		return fmt.Errorf("workload: unit %d of sum(range(%d)) = %d, want %d", unit, n, got, want)
	}
	return nil
}

// cpuTimes is a user/system CPU pair from getrusage or wait4, with the
// context switch counts of the same rusage.
type cpuTimes struct {
	user, system time.Duration
	vcsw, ivcsw  int64
}

// sub returns the user and system time from c0 to c. The total only grows,
// but the kernel's tick-based split may shift between two readings; the
// differences are clamped so that neither is negative and they still add
// up to the total's growth.
func (c cpuTimes) sub(c0 cpuTimes) (user, system time.Duration) {
	total := max(c.user+c.system-c0.user-c0.system, 0)
	system = min(max(c.system-c0.system, 0), total)
	return total - system, system
}

// raiseProcs makes GOMAXPROCS at least n until the returned function is
// called. A locked thread needs a P to run Go code, and one blocked in a
// futex keeps its P for a while: with fewer Ps than threads, a woken GIL
// waiter would queue for a P instead of running, and the kernel's scheduling
// of threads — what the models are about — would become Go's. The restore
// leaves GOMAXPROCS alone if someone changed it meanwhile.
func raiseProcs(n int) (restore func()) {
	prev := runtime.GOMAXPROCS(0)
	if prev >= n {
		return func() {}
	}
	runtime.GOMAXPROCS(n)
	return func() {
		if runtime.GOMAXPROCS(0) == n {
			runtime.GOMAXPROCS(prev)
		}
	}
}
