//go:build linux

package workload

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// probe wraps a GIL and counts the threads inside it: from a successful
// take until the next release. Kernel ticks only run inside, so a maximum of
// 1 proves that no two threads ever ran bytecodes at once.
type probe struct {
	gilLock
	inside, max atomic.Int32
}

func (p *probe) in() {
	n := p.inside.Add(1)
	for {
		m := p.max.Load()
		if n <= m || p.max.CompareAndSwap(m, n) {
			return
		}
	}
}

func (p *probe) out() { p.inside.Add(-1) }

func (p *probe) enter(id int) error {
	err := p.gilLock.enter(id)
	if err == nil {
		p.in()
	}
	return err
}

func (p *probe) leave(id int) {
	p.out()
	p.gilLock.leave(id)
}

func (p *probe) machine(id int, breaker *atomic.Uint32) *machine {
	m := p.gilLock.machine(id, breaker)
	check := m.check
	m.check = func(periodic bool) error {
		p.out()
		err := check(periodic)
		p.in()
		return err
	}
	return m
}

func TestGILExclusive(t *testing.T) {
	for _, tc := range []struct {
		name string
		lock gilLock
	}{
		{"py2", newGIL2(3, 10)},
		{"py3", newGIL3(3, 50*time.Microsecond)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &probe{gilLock: tc.lock}
			rep, err := runThreads(t.Context(), threadsSpec{
				name: tc.name, n: 3, lock: true, gil: p,
				work: Work{Kernel: Bytecode, N: 1 << 16, Duration: 100 * time.Millisecond},
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := p.max.Load(); got != 1 {
				t.Errorf("at most %d threads inside the GIL at once, want 1", got)
			}
			// Every thread must have held the lock at least once. The
			// count is usually in the thousands, but a loaded machine
			// can starve the waiters, so no more is asserted.
			if rep.GIL.Switches < 2 {
				t.Errorf("only %d switches between 3 threads, want >= 2", rep.GIL.Switches)
			}
			t.Logf("%+v", *rep.GIL)
		})
	}
}

// TestGIL2Acquisitions checks the shared ticker: whatever thread holds the
// lock, one release/re-acquire happens at the first tick and every
// CheckInterval+1 ticks of all threads together.
func TestGIL2Acquisitions(t *testing.T) {
	const n, units, threads, interval = 1000, 5, 2, 100
	rep, err := GIL{N: threads, Version: Python2, CheckInterval: interval,
		Work: Work{Kernel: Bytecode, N: n, Units: units}}.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	total := uint64(threads * units * (2*n + 6))
	periodic := 1 + (total-1)/(interval+1)
	if want := int64(threads) + int64(periodic); rep.GIL.Acquisitions != want {
		t.Errorf("Acquisitions = %d, want %d entries + %d periodic", rep.GIL.Acquisitions, threads, periodic)
	}
	// Every wake comes from a release, which follows an acquisition.
	if rep.GIL.Wakes > rep.GIL.Acquisitions {
		t.Errorf("Wakes = %d > Acquisitions = %d", rep.GIL.Wakes, rep.GIL.Acquisitions)
	}
	if rep.GIL.DropRequests != 0 || rep.GIL.Handoff != 0 {
		t.Errorf("Python 2 run has DropRequests = %d, Handoff = %v; want 0, 0", rep.GIL.DropRequests, rep.GIL.Handoff)
	}
}

func TestGIL3Stats(t *testing.T) {
	rep, err := GIL{N: 2, Version: Python3, SwitchInterval: time.Millisecond,
		Work: Work{Kernel: Bytecode, N: 1 << 14, Duration: 50 * time.Millisecond}}.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	g := rep.GIL
	// Each thread's first take, one per switch, and at most one
	// non-switching re-take per drop request.
	if g.Switches < 1 || g.Acquisitions < 2 || g.Acquisitions > 2+g.Switches+g.DropRequests {
		t.Errorf("implausible stats %+v", *g)
	}
	// A forced switch needs a drop request; only thread exits switch
	// without one.
	if g.Switches > g.DropRequests+1 {
		t.Errorf("Switches = %d > DropRequests+1 = %d", g.Switches, g.DropRequests+1)
	}
	if g.Handoff <= 0 || g.Wait <= 0 {
		t.Errorf("Handoff = %v, Wait = %v; want both > 0", g.Handoff, g.Wait)
	}
}

// lockedGo runs n goroutines, each locked to its own thread, and waits.
func lockedGo(n int, f func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			f(i)
		})
	}
	wg.Wait()
}

func TestFutexPrimitivesExclude(t *testing.T) {
	const threads, rounds = 4, 2000
	t.Run("sem", func(t *testing.T) {
		var s sem
		s.data.Store(1)
		counter := 0 // guarded by s; -race checks the ordering too
		lockedGo(threads, func(int) {
			for range rounds {
				if !s.tryWait() {
					s.waitSlow()
				}
				counter++
				s.post()
			}
		})
		if counter != threads*rounds {
			t.Errorf("counter = %d, want %d", counter, threads*rounds)
		}
		if d := s.data.Load(); d != 1 {
			t.Errorf("semaphore word = %#x after all posts, want value 1 and no waiters", d)
		}
	})
	t.Run("mutex", func(t *testing.T) {
		var m fmutex
		counter := 0
		lockedGo(threads, func(int) {
			for range rounds {
				m.lock()
				counter++
				m.unlock()
			}
		})
		if counter != threads*rounds {
			t.Errorf("counter = %d, want %d", counter, threads*rounds)
		}
		if v := m.v.Load(); v != 0 {
			t.Errorf("mutex word = %d after all unlocks, want 0", v)
		}
	})
}

func TestCondTimedWait(t *testing.T) {
	var m fmutex
	var c fcond
	m.lock()
	start := time.Now()
	timedOut := c.wait(&m, 5*time.Millisecond)
	m.unlock()
	if !timedOut {
		t.Errorf("wait with no signal: timedOut = false, want true")
	}
	if d := time.Since(start); d < 5*time.Millisecond {
		t.Errorf("timed wait returned after %v, want >= 5ms", d)
	}

	// A signal wakes a waiter that would otherwise sleep for a minute.
	var woke atomic.Bool
	ready := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		m.lock()
		close(ready)
		for !woke.Load() {
			if c.wait(&m, time.Minute) {
				t.Error("waiter timed out despite the signal")
				break
			}
		}
		m.unlock()
	})
	<-ready
	m.lock() // the waiter is inside wait now: it released m there
	woke.Store(true)
	c.signal()
	m.unlock()
	wg.Wait()
}
