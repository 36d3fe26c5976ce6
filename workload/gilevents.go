package workload

import (
	"sync"
	"sync/atomic"
	"time"
)

// GILEventKind says what an emulated GIL thread did.
type GILEventKind uint8

// The events a GIL thread records when GIL.Events is set.
const (
	// GILWant: the thread asked for the lock.
	GILWant GILEventKind = iota + 1
	// GILTake: the thread got the lock.
	GILTake
	// GILDrop: the thread released the lock.
	GILDrop
	// GILFailedWake: the thread was woken to take the lock and found it
	// taken again.
	GILFailedWake
	// GILDropRequest: a waiting Python 3 thread asked the holder to drop
	// the lock, its switch interval having passed with no switch.
	GILDropRequest
	// GILForcedSwitch: a Python 3 holder that dropped on request waits
	// until another thread has taken the lock.
	GILForcedSwitch
)

var gilEventNames = [...]string{"", "want", "take", "drop", "failed-wake", "drop-request", "forced-switch"}

// String returns the kind's name: "want", "take", "drop", "failed-wake",
// "drop-request" or "forced-switch" (schedtrace's GILEventKind values).
func (k GILEventKind) String() string {
	if int(k) < len(gilEventNames) && k != 0 {
		return gilEventNames[k]
	}
	return "unknown"
}

// GILEvent is one thing a GIL thread did.
type GILEvent struct {
	// Mono is when, in nanoseconds of CLOCK_MONOTONIC: the clock the
	// kernel's scheduler trace events use, so the two line up.
	Mono int64
	// TID is the thread's kernel thread id.
	TID  int32
	Kind GILEventKind
}

// Event buffers grow with the run, in chunks that a helper goroutine
// allocates ahead of need: each thread writes into its chunk and, when it
// is full, swaps in the spare the helper left it (one atomic swap, no
// lock, no allocation on the thread), and wakes the helper to map the
// next, twice as large, up to maxGILChunk events. The first spare is four
// times the first chunk, so the helper has some 150 ms of the Python 2
// storm to be scheduled the first time, and more after. Should it still be
// late, the thread maps a small chunk of its own (lateGILChunk) rather
// than lose events: one mmap on the lock path, rare. Only a run that has
// used all of GIL.Events counts its events lost.
const (
	// GILEventBytes is what one GIL event costs in the threads' buffers:
	// the time since the log's start in nanoseconds and the kind, packed
	// into a uint64 (the thread is the buffer's).
	GILEventBytes = 8
	// firstGILChunk is each thread's first chunk, in events: 512 KiB,
	// some 40 ms of the Python 2 storm's fastest thread; its first spare
	// is four times as large.
	firstGILChunk = 1 << 16
	// lateGILChunk is the chunk a thread maps itself when the helper is
	// late: 128 KiB, a few µs to map.
	lateGILChunk = 1 << 14
	// maxGILChunk caps a chunk at 8 MiB.
	maxGILChunk = 1 << 20
)

// gilChunk is one buffer of a thread's events, linked to the next.
type gilChunk struct {
	ev   []uint64 // (ns since the log's base) << 3 | kind
	n    int      // how many of ev hold events; set by the thread
	next *gilChunk
	free func() // releases ev; nil for a heap chunk
}

// gilLog holds each GIL thread's event buffers. A nil *gilLog records
// nothing: that is the whole cost of tracing being off.
type gilLog struct {
	// Go's monotonic clock is CLOCK_MONOTONIC on Linux; time.Since(base)
	// reads it through the vDSO, where a clock_gettime system call per
	// event would cost more than the lock hand-off it times.
	base     time.Time
	baseMono int64
	threads  []gilThreadLog
	// need wakes the helper goroutine, done stops it; budget is the
	// events not yet given to any chunk, spent by the helper and by a
	// thread it left waiting.
	need   chan struct{}
	done   chan struct{}
	helper sync.WaitGroup
	budget atomic.Int64
}

// gilThreadLog is written only by its own thread, but for spare, which
// the helper fills; padded so that two threads' buffers never share a
// cache line.
type gilThreadLog struct {
	_     [64]byte
	cur   *gilChunk
	n     int // events in cur
	first *gilChunk
	tid   int32
	lost  int64
	late  int64 // chunks the thread mapped itself, the helper being late
	spare atomic.Pointer[gilChunk]
	// size is the helper's: the length of the next chunk.
	size int
	_    [64]byte
}

// newGILLog returns a log of up to max events in all for threads
// threads, with each thread's first chunk and spare allocated, or nil
// for max <= 0. Call startHelper before the threads run and stop after.
func newGILLog(threads, max int) *gilLog {
	if max <= 0 {
		return nil
	}
	l := &gilLog{threads: make([]gilThreadLog, threads),
		need: make(chan struct{}, 1), done: make(chan struct{})}
	l.budget.Store(int64(max))
	// Every thread's first chunk before any spare, so that a small cap
	// is shared: a fifth of the cap between them at most.
	first := min(firstGILChunk, (max+5*threads-1)/(5*threads))
	for i := range l.threads {
		t := &l.threads[i]
		t.size = first
		t.first = l.alloc(t)
		t.cur = t.first
		t.size = 4 * first
	}
	for i := range l.threads {
		l.threads[i].spare.Store(l.alloc(&l.threads[i]))
	}
	l.base, l.baseMono = time.Now(), monoNow()
	return l
}

// alloc returns the next chunk for t from the budget, empty when the
// budget is spent; the chunk after it will be twice as large.
func (l *gilLog) alloc(t *gilThreadLog) *gilChunk {
	n := l.take(t.size)
	if n == 0 {
		return &gilChunk{}
	}
	t.size = min(2*t.size, maxGILChunk)
	ev, free := eventChunk(n)
	return &gilChunk{ev: ev, free: free}
}

// take removes up to n events from the budget and returns how many.
func (l *gilLog) take(n int) int {
	for {
		b := l.budget.Load()
		m := min(int64(n), b)
		if m <= 0 {
			return 0
		}
		if l.budget.CompareAndSwap(b, b-m) {
			return int(m)
		}
	}
}

// budgetLeft reports whether there are events left to give.
func (l *gilLog) budgetLeft() bool { return l.budget.Load() > 0 }

// startHelper starts the goroutine that leaves each thread a spare chunk.
func (l *gilLog) startHelper() {
	if l == nil {
		return
	}
	l.helper.Add(1)
	go func() {
		defer l.helper.Done()
		for {
			select {
			case <-l.done:
				return
			case <-l.need:
			}
			for i := range l.threads {
				t := &l.threads[i]
				if t.spare.Load() == nil && l.budgetLeft() {
					t.spare.Store(l.alloc(t))
				}
			}
		}
	}()
}

// stop ends the helper; the threads must have ended.
func (l *gilLog) stop() {
	if l == nil {
		return
	}
	close(l.done)
	l.helper.Wait()
}

// start binds thread id to the calling OS thread.
func (l *gilLog) start(id int) {
	if l != nil {
		l.threads[id].tid = int32(gettid())
	}
}

// rec records that thread id did k now, or counts it lost if the
// thread's buffers are full. It is small enough to inline, so that with
// tracing off an event costs one nil check.
func (l *gilLog) rec(id int, k GILEventKind) {
	if l != nil {
		l.add(id, k)
	}
}

func (l *gilLog) add(id int, k GILEventKind) {
	t := &l.threads[id]
	if t.n == len(t.cur.ev) && !l.grow(t) {
		t.lost++
		return
	}
	t.cur.ev[t.n] = uint64(time.Since(l.base))<<3 | uint64(k)
	t.n++
}

// grow moves t on to its spare chunk, or one of its own if the helper is
// late, and asks for the next; it returns false once the budget is spent.
func (l *gilLog) grow(t *gilThreadLog) bool {
	c := t.spare.Swap(nil)
	if c == nil {
		n := l.take(lateGILChunk)
		if n == 0 {
			return false
		}
		ev, free := eventChunk(n)
		c = &gilChunk{ev: ev, free: free}
		t.late++
	}
	t.cur.n = t.n
	t.cur.next, t.cur, t.n = c, c, 0
	select {
	case l.need <- struct{}{}:
	default: // the helper is already asked
	}
	return len(c.ev) > 0
}

// collect fills rep's GIL events, merged in time order, once the threads
// and the helper have ended. Each thread's events are already in time
// order, so a merge of the threads' streams (ties in thread order) does.
func (l *gilLog) collect(rep *Report) {
	if l == nil {
		return
	}
	// A cursor's key is its next event's time with the thread's index
	// beneath, so that one comparison orders by time, then thread.
	type cursor struct {
		key uint64
		ev  []uint64 // the rest of its chunk
		c   *gilChunk
		tid int32
		id  uint64
	}
	const idBits = 11 // MaxWorkers is 1024
	var h []cursor
	n := 0
	for id := range l.threads {
		t := &l.threads[id]
		t.cur.n = t.n
		rep.GILEventsLost += t.lost
		for c := t.first; c != nil; c = c.next {
			n += c.n
		}
		c := t.first
		for c != nil && c.n == 0 {
			c = c.next // a chunk the budget left empty
		}
		if c != nil {
			h = append(h, cursor{key: c.ev[0]>>3<<idBits | uint64(id), ev: c.ev[:c.n], c: c, tid: t.tid, id: uint64(id)})
		}
	}
	down := func(i int) {
		for {
			m := i
			if a := 2*i + 1; a < len(h) && h[a].key < h[m].key {
				m = a
			}
			if b := 2*i + 2; b < len(h) && h[b].key < h[m].key {
				m = b
			}
			if m == i {
				return
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		down(i)
	}
	out := make([]GILEvent, n)
	for k := range out {
		cu := &h[0]
		v := cu.ev[0]
		out[k] = GILEvent{Mono: l.baseMono + int64(v>>3), TID: cu.tid, Kind: GILEventKind(v & 7)}
		cu.ev = cu.ev[1:]
		for len(cu.ev) == 0 && cu.c != nil {
			if cu.c = cu.c.next; cu.c != nil {
				cu.ev = cu.c.ev[:cu.c.n]
			}
		}
		if len(cu.ev) == 0 {
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
		} else {
			cu.key = cu.ev[0]>>3<<idBits | cu.id
		}
		down(0)
	}
	rep.GILEvents = out
	l.free()
}

// free releases every chunk, the spares too; the events are copied out
// or not wanted.
func (l *gilLog) free() {
	for i := range l.threads {
		t := &l.threads[i]
		chunks := []*gilChunk{t.spare.Swap(nil)}
		for c := t.first; c != nil; c = c.next {
			chunks = append(chunks, c)
		}
		for _, c := range chunks {
			if c != nil && c.free != nil {
				c.free()
			}
		}
		t.first, t.cur = nil, nil
	}
}
