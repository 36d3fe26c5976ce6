package workload

import (
	"cmp"
	"slices"
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

// gilLog holds each GIL thread's event buffer. A nil *gilLog records
// nothing: that is the whole cost of tracing being off.
type gilLog struct {
	// Go's monotonic clock is CLOCK_MONOTONIC on Linux; time.Since(base)
	// reads it through the vDSO, where a clock_gettime system call per
	// event would cost more than the lock hand-off it times.
	base     time.Time
	baseMono int64
	threads  []gilThreadLog
}

// gilThreadLog is written only by its own thread, padded so that two
// threads' buffers never share a cache line.
type gilThreadLog struct {
	buf  []GILEvent
	tid  int32
	lost int64
	_    [64]byte
}

func newGILLog(threads, perThread int) *gilLog {
	if perThread <= 0 {
		return nil
	}
	l := &gilLog{threads: make([]gilThreadLog, threads)}
	for i := range l.threads {
		l.threads[i].buf = make([]GILEvent, 0, perThread)
	}
	l.base, l.baseMono = time.Now(), monoNow()
	return l
}

// start binds thread id to the calling OS thread.
func (l *gilLog) start(id int) {
	if l != nil {
		l.threads[id].tid = int32(gettid())
	}
}

// rec records that thread id did k now, or counts it lost if the
// thread's buffer is full. It is small enough to inline, so that with
// tracing off an event costs one nil check.
func (l *gilLog) rec(id int, k GILEventKind) {
	if l != nil {
		l.add(id, k)
	}
}

func (l *gilLog) add(id int, k GILEventKind) {
	t := &l.threads[id]
	if len(t.buf) == cap(t.buf) {
		t.lost++
		return
	}
	t.buf = append(t.buf, GILEvent{Mono: l.baseMono + int64(time.Since(l.base)), TID: t.tid, Kind: k})
}

// collect fills rep's GIL events, merged in time order, once the threads
// have ended.
func (l *gilLog) collect(rep *Report) {
	if l == nil {
		return
	}
	n := 0
	for i := range l.threads {
		n += len(l.threads[i].buf)
	}
	rep.GILEvents = make([]GILEvent, 0, n)
	for i := range l.threads {
		rep.GILEvents = append(rep.GILEvents, l.threads[i].buf...)
		rep.GILEventsLost += l.threads[i].lost
	}
	slices.SortStableFunc(rep.GILEvents, func(a, b GILEvent) int { return cmp.Compare(a.Mono, b.Mono) })
}
