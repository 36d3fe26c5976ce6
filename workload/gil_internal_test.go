//go:build linux

package workload

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
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
	total := uint64(threads * units * (3*n + 7))
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

// checkGIL3Stats checks what a Python 3 GIL's statistics must satisfy
// whatever the kernel's scheduling of two threads that each took the lock:
// the threads need not have overlapped in time at all, since on a loaded
// machine one may finish its work before the other's thread first runs.
func checkGIL3Stats(t *testing.T, g *GILStats, interval time.Duration) {
	t.Helper()
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
	// Every switch follows a drop, so each hand-off took some time.
	if g.Handoff <= 0 {
		t.Errorf("Handoff = %v after %d switches, want > 0", g.Handoff, g.Switches)
	}
	// A drop request follows a timed wait that ran out, inside a take
	// whose whole wait Wait counts.
	if g.Sleeps < g.DropRequests {
		t.Errorf("Sleeps = %d < DropRequests = %d", g.Sleeps, g.DropRequests)
	}
	if least := time.Duration(g.DropRequests) * interval; g.Wait < least {
		t.Errorf("Wait = %v, want >= DropRequests × SwitchInterval = %d × %v", g.Wait, g.DropRequests, interval)
	}
}

func TestGIL3Stats(t *testing.T) {
	const interval = time.Millisecond
	rep, err := GIL{N: 2, Version: Python3, SwitchInterval: interval,
		Work: Work{Kernel: Bytecode, N: 1 << 14, Duration: 50 * time.Millisecond}}.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", *rep.GIL)
	checkGIL3Stats(t, rep.GIL, interval)
}

// gate wraps a GIL and holds its threads back at chosen points: entering
// (before they try to take the lock), entered (holding it, before they
// work) and left (after they dropped it at the end). A nil hook holds
// nobody back.
type gate struct {
	gilLock
	entering, entered, left func(id int)
}

func (g *gate) enter(id int) error {
	if g.entering != nil {
		g.entering(id)
	}
	if err := g.gilLock.enter(id); err != nil {
		return err
	}
	if g.entered != nil {
		g.entered(id)
	}
	return nil
}

func (g *gate) leave(id int) {
	g.gilLock.leave(id)
	if g.left != nil {
		g.left(id)
	}
}

// TestGIL3StatsSchedules runs two Python 3 GIL threads in the two schedules
// the kernel may give them: overlapping, where the second must wait for the
// lock, and one after the other, where nobody waits. The latter is what a
// loaded machine once produced under -race: the second worker first asked
// for the lock after the first had done its 50 ms and left, and
// TestGIL3Stats, which then wanted Wait > 0, failed with
// "Handoff = 11.184816ms, Wait = 0s".
func TestGIL3StatsSchedules(t *testing.T) {
	const interval = time.Millisecond
	for _, tc := range []struct {
		name string
		gate func(g *gil3) *gate
		// check tests what the schedule guarantees beyond
		// checkGIL3Stats.
		check func(t *testing.T, g *GILStats)
	}{
		{"overlapping", func(g *gil3) *gate {
			held := make(chan struct{})
			return &gate{gilLock: g,
				// Thread 1 tries once thread 0 holds the lock,
				// and thread 0 works once thread 1 waits for it.
				entering: func(id int) {
					if id == 1 {
						<-held
					}
				},
				entered: func(id int) {
					if id != 0 {
						return
					}
					close(held)
					for g.cond.waiters.Load() == 0 {
						time.Sleep(50 * time.Microsecond)
					}
				},
			}
		}, func(t *testing.T, g *GILStats) {
			if g.Wait <= 0 || g.Sleeps < 1 {
				t.Errorf("Wait = %v, Sleeps = %d after thread 1 waited for the lock; want > 0, >= 1", g.Wait, g.Sleeps)
			}
		}},
		{"one after the other", func(g *gil3) *gate {
			done := make(chan struct{})
			return &gate{gilLock: g,
				// Thread 1 tries once thread 0 has left.
				entering: func(id int) {
					if id == 1 {
						<-done
					}
				},
				left: func(id int) {
					if id == 0 {
						close(done)
					}
				},
			}
		}, func(t *testing.T, g *GILStats) {
			// One take each, one switch at thread 0's exit, and
			// nobody ever waited, asked or was woken.
			got := *g
			got.Handoff = 0
			if diff := cmp.Diff(GILStats{Acquisitions: 2, Switches: 1}, got); diff != "" {
				t.Errorf("stats mismatch (-want +got):\n%s", diff)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := runThreads(t.Context(), threadsSpec{name: "py3", n: 2, lock: true,
				gil:  tc.gate(newGIL3(2, interval)),
				work: Work{Kernel: Bytecode, N: 1 << 14, Duration: 50 * time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%+v", *rep.GIL)
			checkGIL3Stats(t, rep.GIL, interval)
			tc.check(t, rep.GIL)
		})
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
					s.waitSlow(nil, 0)
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

// TestCondTimedWaitSurvivesSignals: a signal handler run on the waiting
// thread — Go's preemption signal SIGURG, which the runtime may send just
// as a goroutine enters the futex, or a process signal such as SIGCHLD —
// ends a timed FUTEX_WAIT with EINTR (an untimed one the kernel restarts).
// pthread_cond_timedwait, which fcond stands for, still waits for its whole
// timeout; a GIL waiter cut short would wait a new whole interval before it
// asked for the lock.
func TestCondTimedWaitSurvivesSignals(t *testing.T) {
	const timeout = 20 * time.Millisecond
	var m fmutex
	var c fcond
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := unix.Gettid()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	sent := 0
	wg.Go(func() {
		// SIGURG is harmless: the runtime ignores one it did not ask for.
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Microsecond):
			}
			if err := unix.Tgkill(unix.Getpid(), tid, unix.SIGURG); err != nil {
				t.Errorf("tgkill: %v", err)
				return
			}
			sent++
		}
	})
	m.lock()
	start := time.Now()
	timedOut := c.wait(&m, timeout)
	d := time.Since(start)
	m.unlock()
	close(stop)
	wg.Wait()
	t.Logf("%d signals sent to the waiting thread", sent)
	if !timedOut || d < timeout {
		t.Errorf("wait(%v) under signals = timedOut %v after %v, want true after >= %v", timeout, timedOut, d, timeout)
	}
}
