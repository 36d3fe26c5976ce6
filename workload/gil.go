package workload

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"time"
)

// Defaults of CPython's sys.setcheckinterval and sys.setswitchinterval.
const (
	DefaultCheckInterval  = 100
	DefaultSwitchInterval = 5 * time.Millisecond
)

func runGIL(ctx context.Context, g GIL) (Report, error) {
	name := g.String()
	if err := checkWorkers(name, g.N); err != nil {
		return Report{Model: name, Kernel: g.Work.Kernel}, err
	}
	if g.Events < 0 {
		return Report{Model: name}, fmt.Errorf("workload: GIL.Events = %d, want >= 0", g.Events)
	}
	log := newGILLog(g.N, g.Events)
	var lock gilLock
	switch g.Version {
	case Python2:
		ci := g.CheckInterval
		if ci == 0 {
			ci = DefaultCheckInterval
		}
		if ci < 0 {
			return Report{Model: name}, fmt.Errorf("workload: GIL.CheckInterval = %d, want >= 0", g.CheckInterval)
		}
		g2 := newGIL2(g.N, ci)
		g2.log = log
		lock = g2
	case Python3:
		si := g.SwitchInterval
		if si == 0 {
			si = DefaultSwitchInterval
		}
		if si < time.Microsecond {
			return Report{Model: name}, fmt.Errorf("workload: GIL.SwitchInterval = %v, want >= 1µs (or 0 for 5ms)", g.SwitchInterval)
		}
		g3 := newGIL3(g.N, si)
		g3.log = log
		lock = g3
	default:
		return Report{Model: name}, fmt.Errorf("workload: unknown GIL version %d", int(g.Version))
	}
	log.startHelper()
	rep, err := runThreads(ctx, threadsSpec{name: name, n: g.N, work: g.Work, pin: g.Pin, lock: true,
		label: "gil-" + g.Version.String(), gil: lock})
	log.stop()
	log.collect(&rep)
	return rep, err
}

// gil2 is CPython 2.7's GIL: a semaphore (thread_pthread.h with
// USE_SEMAPHORES) that the holder releases and immediately re-acquires every
// check interval ("Give another thread a chance"). The releasing thread
// usually wins again while the woken waiter finds the lock taken and sleeps
// once more: a storm of futex calls on a multicore machine.
type gil2 struct {
	sem      sem
	interval int
	// ticker and last are touched only by the holder, so the semaphore
	// orders them; ticker is CPython 2.7's global _Py_Ticker.
	ticker  int
	last    int
	breaker *atomic.Uint32
	holding []bool     // per thread, touched only by that thread
	st      []GILStats // per thread, touched only by that thread
	log     *gilLog    // nil unless GIL.Events is set
}

func newGIL2(n, interval int) *gil2 {
	g := &gil2{interval: interval, last: -1, holding: make([]bool, n), st: make([]GILStats, n)}
	g.sem.data.Store(1)
	// _Py_Ticker starts at 0 "so that we hit a tick first thing".
	return g
}

func (g *gil2) bind(breaker *atomic.Uint32) { g.breaker = breaker }

func (g *gil2) acquire(id int) {
	st := &g.st[id]
	g.log.rec(id, GILWant)
	if !g.sem.tryWait() {
		t0 := time.Now()
		st.Sleeps += g.sem.waitSlow(g.log, id)
		st.Wait += time.Since(t0)
	}
	g.log.rec(id, GILTake)
	g.holding[id] = true
	st.Acquisitions++
	if g.last != id {
		if g.last >= 0 {
			st.Switches++
		}
		g.last = id
	}
}

func (g *gil2) release(id int) {
	g.holding[id] = false
	g.log.rec(id, GILDrop)
	if g.sem.post() {
		g.st[id].Wakes++
	}
}

func (g *gil2) machine(id int, breaker *atomic.Uint32) *machine {
	return &machine{
		breaker:     breaker,
		ticker:      &g.ticker,
		interval:    g.interval,
		nativeSlice: nativeSliceFree,
		check: func(periodic bool) error {
			if periodic {
				g.release(id)
				// Other threads may run now.
				g.acquire(id)
			}
			if breaker.Load()&breakStop != 0 {
				return errStopped
			}
			return nil
		},
	}
}

func (g *gil2) enter(id int) error { g.log.start(id); g.acquire(id); return nil }

func (g *gil2) leave(id int) {
	if g.holding[id] {
		g.release(id)
	}
}

func (g *gil2) stats(id int) *GILStats { s := g.st[id]; return &s }

// wake has nothing to do: the holder reaches a check within one check
// interval, sees the stop bit and releases, and every woken waiter does the
// same in turn.
func (g *gil2) wake() {}

// gil3 is CPython 3's GIL (Python/ceval_gil.h, FORCE_SWITCHING defined): a
// locked flag under a mutex and condition variable, plus a switch condition
// that makes a forced holder wait until another thread has taken the lock.
type gil3 struct {
	interval   time.Duration
	mu         fmutex
	cond       fcond
	switchMu   fmutex
	switchCond fcond
	locked     atomic.Uint32
	lastHolder atomic.Int64 // worker id + 1; 0 before the first take
	// Under mu.
	switchNumber uint64
	droppedAt    time.Time // the last drop, for the hand-off latency
	breaker      *atomic.Uint32
	holding      []bool     // per thread, touched only by that thread
	st           []GILStats // per thread, touched only by that thread (and under mu)
	log          *gilLog    // nil unless GIL.Events is set
}

func newGIL3(n int, interval time.Duration) *gil3 {
	return &gil3{interval: interval, holding: make([]bool, n), st: make([]GILStats, n)}
}

func (g *gil3) bind(breaker *atomic.Uint32) { g.breaker = breaker }

// take is take_gil: wait on the condition in slices of the switch interval,
// and if one passed with no switch, set the drop request.
func (g *gil3) take(id int) error {
	st := &g.st[id]
	g.log.rec(id, GILWant)
	g.mu.lock()
	if g.locked.Load() != 0 {
		t0 := time.Now()
		for g.locked.Load() != 0 {
			if g.breaker.Load()&breakStop != 0 {
				st.Wait += time.Since(t0)
				g.mu.unlock()
				return errStopped
			}
			saved := g.switchNumber
			st.Sleeps++
			timedOut := g.cond.wait(&g.mu, g.interval)
			// If we timed out and no switch occurred in the meantime,
			// it is time to ask the GIL-holding thread to drop it.
			if timedOut && g.locked.Load() != 0 && g.switchNumber == saved {
				g.breaker.Or(breakDrop)
				st.DropRequests++
				g.log.rec(id, GILDropRequest)
			} else if !timedOut && g.locked.Load() != 0 {
				g.log.rec(id, GILFailedWake)
			}
		}
		st.Wait += time.Since(t0)
	}
	// switchMu must be held while last_holder changes (see drop).
	g.switchMu.lock()
	g.locked.Store(1)
	g.log.rec(id, GILTake)
	g.holding[id] = true
	st.Acquisitions++
	if prev := g.lastHolder.Load(); prev != int64(id+1) {
		g.lastHolder.Store(int64(id + 1))
		g.switchNumber++
		if prev != 0 {
			st.Switches++
			st.Handoff += time.Since(g.droppedAt)
		}
	}
	if g.switchCond.signal() {
		st.Wakes++
	}
	g.switchMu.unlock()
	if g.breaker.Load()&breakDrop != 0 {
		g.breaker.And(^breakDrop)
	}
	g.mu.unlock()
	return nil
}

// drop is drop_gil. A forced holder (drop request pending) then waits until
// another thread has taken the lock, so that it cannot win it straight back.
func (g *gil3) drop(id int, forced bool) {
	g.mu.lock()
	g.log.rec(id, GILDrop)
	g.locked.Store(0)
	g.holding[id] = false
	g.droppedAt = time.Now()
	if g.cond.signal() {
		g.st[id].Wakes++
	}
	g.mu.unlock()
	if forced && g.breaker.Load()&breakDrop != 0 {
		g.switchMu.lock()
		// Not switched yet => wait. A stopped run has nobody left to
		// switch to.
		if g.lastHolder.Load() == int64(id+1) && g.breaker.Load()&breakStop == 0 {
			g.breaker.And(^breakDrop)
			g.st[id].Sleeps++
			g.log.rec(id, GILForcedSwitch)
			g.switchCond.wait(&g.switchMu, 0)
		}
		g.switchMu.unlock()
	}
}

func (g *gil3) machine(id int, breaker *atomic.Uint32) *machine {
	never := math.MaxInt
	return &machine{
		breaker:     breaker,
		ticker:      &never,
		interval:    math.MaxInt,
		nativeSlice: nativeSlicePy3,
		check: func(bool) error {
			b := breaker.Load()
			if b&breakStop != 0 {
				return errStopped
			}
			if b&breakDrop != 0 {
				// Give another thread a chance.
				g.drop(id, true)
				// Other threads may run now.
				return g.take(id)
			}
			return nil
		},
	}
}

func (g *gil3) enter(id int) error { g.log.start(id); return g.take(id) }

func (g *gil3) leave(id int) {
	if g.holding[id] {
		g.drop(id, false)
	}
}

func (g *gil3) stats(id int) *GILStats { s := g.st[id]; return &s }

// wake wakes the waiters of both conditions; the stop bit is already set, so
// (with the mutexes held) none of them can miss it and sleep again.
func (g *gil3) wake() {
	g.mu.lock()
	g.cond.broadcast()
	g.mu.unlock()
	g.switchMu.lock()
	g.switchCond.broadcast()
	g.switchMu.unlock()
}
