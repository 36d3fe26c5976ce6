package workload

import (
	"encoding/binary"
	"sync/atomic"
	"time"
	"unsafe"
)

// The primitives below are what glibc builds on the futex system call, so
// that the emulated GILs block and wake OS threads exactly as CPython's
// pthread-based locks do. sync.Mutex would not do: its spinning, hand-off
// and starvation mode would hide the effects under study.

// sem is glibc's 64-bit "new" semaphore (nptl/sem_waitcommon.c): the value in
// the low 32 bits, the number of waiters in the high 32, and the futex on the
// value word. Posting wakes one waiter if any is registered; there is no
// fairness and no hand-off: whoever decrements first wins.
type sem struct {
	data atomic.Uint64
}

const (
	semValueMask        = 1<<32 - 1
	semWaitersShift     = 32
	semOneWaiter        = 1 << semWaitersShift
	futexWakeAll    int = 1<<31 - 1
)

// valueWord is the futex word: the value half of data.
func (s *sem) valueWord() *uint32 {
	p := unsafe.Pointer(&s.data)
	if binary.NativeEndian.Uint16([]byte{0, 1}) == 1 { // big-endian
		p = unsafe.Add(p, 4)
	}
	return (*uint32)(p)
}

// tryWait is sem_trywait's fast path: one attempt to decrement a positive
// value, as __new_sem_wait_fast(sem, 0) makes before going to sleep.
func (s *sem) tryWait() bool {
	d := s.data.Load()
	return d&semValueMask != 0 && s.data.CompareAndSwap(d, d-1)
}

// waitSlow is __new_sem_wait_slow, sem_wait after a failed tryWait:
// register as a waiter, then sleep on the value word until a decrement
// succeeds. It returns the number of FUTEX_WAIT calls. Each sleep after
// the first follows a failed wake-up, which it records in log as thread
// id's (a nil log records nothing).
func (s *sem) waitSlow(log *gilLog, id int) (sleeps int64) {
	d := s.data.Add(semOneWaiter)
	for {
		if d&semValueMask == 0 {
			if sleeps > 0 {
				// Woken, or raced, and the lock is taken again.
				log.rec(id, GILFailedWake)
			}
			sleeps++
			futexWait(s.valueWord(), 0, 0)
			d = s.data.Load()
			continue
		}
		if s.data.CompareAndSwap(d, d-1-semOneWaiter) {
			return sleeps
		}
		d = s.data.Load()
	}
}

// post is sem_post: increment the value, then wake one waiter if any is
// registered — a system call even when that waiter is not asleep yet. It
// reports whether it made that call.
func (s *sem) post() (woke bool) {
	d := s.data.Load()
	for !s.data.CompareAndSwap(d, d+1) {
		d = s.data.Load()
	}
	if d>>semWaitersShift > 0 {
		futexWake(s.valueWord(), 1)
		return true
	}
	return false
}

// fmutex is the classic three-state futex mutex ("Futexes Are Tricky",
// mutex3), the shape of glibc's pthread_mutex for the default type:
// 0 unlocked, 1 locked, 2 locked with possible waiters.
type fmutex struct {
	v atomic.Uint32
}

func (m *fmutex) word() *uint32 { return (*uint32)(unsafe.Pointer(&m.v)) }

func (m *fmutex) lock() {
	if m.v.CompareAndSwap(0, 1) {
		return
	}
	c := m.v.Load()
	if c != 2 {
		c = m.v.Swap(2)
	}
	for c != 0 {
		futexWait(m.word(), 2, 0)
		c = m.v.Swap(2)
	}
}

func (m *fmutex) unlock() {
	if m.v.Add(^uint32(0)) != 0 {
		m.v.Store(0)
		futexWake(m.word(), 1)
	}
}

// fcond is a condition variable on a futex sequence word, with a waiter
// count so that signalling nobody costs no system call (as in glibc).
type fcond struct {
	seq     atomic.Uint32
	waiters atomic.Int32
}

func (c *fcond) word() *uint32 { return (*uint32)(unsafe.Pointer(&c.seq)) }

// wait unlocks m, sleeps until signalled (or spuriously woken, or for
// timeout if > 0), and locks m again. It reports whether it timed out.
func (c *fcond) wait(m *fmutex, timeout time.Duration) (timedOut bool) {
	s := c.seq.Load()
	c.waiters.Add(1)
	m.unlock()
	err := futexWait(c.word(), s, timeout)
	c.waiters.Add(-1)
	m.lock()
	return isTimeout(err)
}

// signal wakes one waiter and reports whether there was one to wake.
func (c *fcond) signal() (woke bool) {
	c.seq.Add(1)
	if c.waiters.Load() > 0 {
		futexWake(c.word(), 1)
		return true
	}
	return false
}

func (c *fcond) broadcast() {
	c.seq.Add(1)
	if c.waiters.Load() > 0 {
		futexWake(c.word(), futexWakeAll)
	}
}
