package schedtrace

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Trace is what a scheduler trace saw. All times inside it are offsets
// from Start, so a Trace is self-contained and its JSON is compact.
//
// Slices, Threads and Wakeups hold only followed threads (every thread when
// the whole machine was traced). Lost counts what the kernel or the GIL
// buffers dropped; every picture and summary made from a Trace must say so
// when it is not zero.
type Trace struct {
	// Start is the wall-clock time of offset 0: the moment tracing began,
	// converted from CLOCK_MONOTONIC.
	Start time.Time `json:"start"`
	// Monotonic is the CLOCK_MONOTONIC reading at Start: subtract it from
	// a CLOCK_MONOTONIC timestamp taken during the trace (such as a
	// workload.GILEvent's) to get an offset into the trace. Zero when
	// unknown.
	Monotonic time.Duration `json:"monotonic,omitempty"`
	// Duration is how long the trace covers, from Start.
	Duration time.Duration `json:"duration"`
	// CPUs lists the CPU ids that were traced, ascending.
	CPUs []int `json:"cpus"`
	// Slices are the on-CPU intervals of followed threads, sorted by Start,
	// then CPU. A thread already running when tracing began starts at 0; one
	// still running when it ended ends at Duration.
	Slices []Slice `json:"slices"`
	// Threads describes every thread that appears in Slices, sorted by TID.
	Threads []Thread `json:"threads"`
	// Wakeups are the wake-up edges whose wakee is followed, in time order.
	Wakeups []Wakeup `json:"wakeups,omitempty"`
	// GIL holds the emulated GIL's own events when the traced run was a GIL
	// model (see workload), in time order.
	GIL []GILEvent `json:"gil,omitempty"`
	// Lost counts the events that did not reach the trace.
	Lost Lost `json:"lost"`
	// Bytes is how many bytes of perf records the kernel delivered: the
	// recording's cost in memory bandwidth, before any filtering in user
	// space.
	Bytes uint64 `json:"bytes,omitempty"`
}

// Slice is one interval during which a thread ran on a CPU.
type Slice struct {
	CPU   int           `json:"cpu"`
	PID   int           `json:"pid"`
	TID   int           `json:"tid"`
	Start time.Duration `json:"start"`
	End   time.Duration `json:"end"`
}

// Len returns how long the slice lasted.
func (s Slice) Len() time.Duration { return s.End - s.Start }

// Thread sums one thread's life over the trace.
type Thread struct {
	TID int `json:"tid"`
	// PID is the thread group (process) the thread belongs to.
	PID int `json:"pid"`
	// Name is the thread's comm (its name in ps): the one under which it
	// ran longest, since a thread may rename itself (workload names its
	// threads gil-py2/0, … for the run only), or the last the scheduler
	// reported if it never ran.
	Name string `json:"name"`
	// OnCPU is the thread's running time on each CPU it used, ascending by
	// CPU.
	OnCPU []CPUTime `json:"on_cpu"`
	// Switches counts the times the thread was switched out; Preempted is
	// how many of those left it runnable (involuntary).
	Switches  int `json:"switches"`
	Preempted int `json:"preempted"`
	// Migrations counts the times the thread next ran on another CPU than
	// the one it last ran on.
	Migrations int `json:"migrations"`
	// Runnable is the time the thread was woken or preempted but waited for
	// a CPU; Asleep is the time it was blocked.
	Runnable time.Duration `json:"runnable"`
	Asleep   time.Duration `json:"asleep"`
}

// Running returns the thread's total on-CPU time.
func (t *Thread) Running() time.Duration {
	var d time.Duration
	for _, c := range t.OnCPU {
		d += c.Time
	}
	return d
}

// CPUTime is a thread's running time on one CPU.
type CPUTime struct {
	CPU  int           `json:"cpu"`
	Time time.Duration `json:"time"`
}

// Wakeup is one wake-up edge: Waker made Wakee runnable at Time, to run on
// CPU. Waker is 0 when the wake-up came from an interrupt or the idle task.
type Wakeup struct {
	Time  time.Duration `json:"time"`
	Waker int           `json:"waker"`
	Wakee int           `json:"wakee"`
	CPU   int           `json:"cpu"`
}

// GILEventKind says what a GIL thread did. It is a small number rather
// than its name so that a GILEvent takes 16 bytes: a GIL storm records
// millions of them. Its text form, in JSON too, is its name (String):
// "want", "take", "drop", "failed-wake", "drop-request" or
// "forced-switch", and "" for the zero kind.
type GILEventKind uint8

// The GIL events an emulated GIL thread records.
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
	// the lock after the switch interval.
	GILDropRequest
	// GILForcedSwitch: a Python 3 holder that dropped on request waited
	// until another thread took the lock.
	GILForcedSwitch
)

// gilEventNames are the kinds' names, indexed by kind; the zero kind's is
// "".
var gilEventNames = [...]string{"", "want", "take", "drop", "failed-wake", "drop-request", "forced-switch"}

// String returns the kind's name, such as "failed-wake"; "" for the zero
// kind and GILEventKind(n) for a number that names no kind.
func (k GILEventKind) String() string {
	if int(k) < len(gilEventNames) {
		return gilEventNames[k]
	}
	return fmt.Sprintf("GILEventKind(%d)", uint8(k))
}

// MarshalText returns the kind's name, as String does; a number that
// names no kind is an error, so that a trace is never written with an
// event its reader could not read back.
func (k GILEventKind) MarshalText() ([]byte, error) {
	if int(k) >= len(gilEventNames) {
		return nil, fmt.Errorf("schedtrace: GIL event kind %d has no name", uint8(k))
	}
	return []byte(gilEventNames[k]), nil
}

// UnmarshalText sets k to the kind named text, as MarshalText writes it;
// an unknown name is an error.
func (k *GILEventKind) UnmarshalText(text []byte) error {
	for i, n := range gilEventNames {
		if string(text) == n {
			*k = GILEventKind(i)
			return nil
		}
	}
	return fmt.Errorf("schedtrace: unknown GIL event kind %q", text)
}

// GILEvent is one thing a GIL thread did, at Time: 16 bytes.
type GILEvent struct {
	Time time.Duration `json:"time"`
	// TID is the thread's kernel thread id (a Linux tid fits in 32 bits:
	// pid_max is at most 2^22).
	TID  int32        `json:"tid"`
	Kind GILEventKind `json:"kind"`
}

// Lost counts what did not reach a trace.
type Lost struct {
	// Kernel is the number of scheduler events the kernel reported lost
	// (PERF_RECORD_LOST), summed over CPUs.
	Kernel uint64 `json:"kernel"`
	// GIL is the number of GIL events that did not fit their thread's
	// buffer.
	GIL uint64 `json:"gil"`
	// Unmatched counts the switches the kernel did not report although
	// it reported the events around them: a thread switched out with no
	// switch-in reported on that CPU, or one that started running and
	// was never reported leaving. Each such slice is bounded by the
	// CPU's neighbouring reported switches, so it is exact to within
	// that gap. The tracepoint's gaps are filled from the kernel's
	// context switch records, so this is the few switches neither
	// reported: a handful in a busy second on this project's VM.
	Unmatched uint64 `json:"unmatched,omitempty"`
}

// Any reports whether anything was lost.
func (l Lost) Any() bool { return l.Kernel > 0 || l.GIL > 0 || l.Unmatched > 0 }

// String says what was lost in a phrase for a caption or a log line:
// "nothing lost", or for example "lost 12 kernel events, 3 unreported
// switches".
func (l Lost) String() string {
	if !l.Any() {
		return "nothing lost"
	}
	var parts []string
	for _, p := range []struct {
		n    uint64
		what string
	}{{l.Kernel, "kernel event"}, {l.GIL, "GIL event"}, {l.Unmatched, "unreported switch"}} {
		switch {
		case p.n == 1:
			parts = append(parts, "1 "+p.what)
		case p.n > 1:
			plural := p.what + "s"
			if strings.HasSuffix(p.what, "h") {
				plural = p.what + "es"
			}
			parts = append(parts, fmt.Sprintf("%d %s", p.n, plural))
		}
	}
	return "lost " + strings.Join(parts, ", ")
}

// Thread returns the thread with the given tid, or nil.
func (t *Trace) Thread(tid int) *Thread {
	i, ok := slices.BinarySearchFunc(t.Threads, tid, func(th Thread, tid int) int { return th.TID - tid })
	if !ok {
		return nil
	}
	return &t.Threads[i]
}

// Time returns the wall-clock time of an offset into the trace.
func (t *Trace) Time(d time.Duration) time.Time { return t.Start.Add(d) }

// MaxUnreportedShare is the share of a trace's slices with an unreported
// switch (UnreportedShare) above which its exact times should not be
// trusted for a verdict: a quiet machine leaves a few a second, and then
// each one's slice is stretched to the CPU's next reported switch.
const MaxUnreportedShare = 0.01

// UnreportedShare returns Lost.Unmatched as a share of the trace's slices:
// how many of them may have been stretched, or cut, because the kernel
// reported no switch where one happened. A picture still draws such a
// trace, saying so; a test judging exact overlap should skip above
// MaxUnreportedShare.
func (t *Trace) UnreportedShare() float64 {
	if len(t.Slices) == 0 {
		return 0
	}
	return float64(t.Lost.Unmatched) / float64(len(t.Slices))
}
