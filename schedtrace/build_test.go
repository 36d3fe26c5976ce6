package schedtrace

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const ms = uint64(time.Millisecond)

// Comm ids used by the scenarios.
var testComms = []string{"idle", "main", "worker", "child", "other"}

func sw(t uint64, cpu, prevPID, prev, next int32, state int64) event {
	return event{time: t, kind: evSwitch, cpu: cpu, pid: prevPID, tid: prev, a: prev, b: next, state: state, commA: commOf(prev), commB: commOf(next)}
}

func wake(t uint64, waker, wakerPID, wakee, cpu int32) event {
	return event{time: t, kind: evWaking, pid: wakerPID, tid: waker, a: wakee, b: cpu, commA: commOf(wakee)}
}

func fork(t uint64, parentPID, parent, child int32) event {
	return event{time: t, kind: evFork, pid: parentPID, tid: parent, a: parent, b: child, commA: commOf(child)}
}

// commOf names the scenarios' tids: 10 main, 11 worker, 20 child, 30 other.
func commOf(tid int32) uint32 {
	switch tid {
	case 10:
		return 1
	case 11:
		return 2
	case 20, 21:
		return 3
	case 30:
		return 4
	}
	return 0
}

func TestBuild(t *testing.T) {
	const sleeping, dead = 1, 0x10
	base := buildInput{start: 100 * ms, end: 200 * ms, cpus: []int{0, 1}, comms: testComms,
		followed: map[int32]bool{10: true}, tgid: map[int32]int32{10: 10, 11: 10}}
	tests := []struct {
		name    string
		in      func(buildInput) buildInput
		threads []Thread
		slices  []Slice
		wakeups []Wakeup
		// unmatched is the want of Lost.Unmatched.
		unmatched uint64
	}{{
		name: "preempted, asleep, woken, migrated; other process ignored",
		in: func(in buildInput) buildInput {
			in.events = []event{
				// main ran since before the start on cpu0; preempted by other.
				sw(110*ms, 0, 10, 10, 30, 0x100),
				// other (not followed) runs 10 ms, then main is back.
				sw(120*ms, 0, 30, 30, 10, 0),
				// main sleeps; then other wakes it onto cpu1 from cpu0.
				sw(130*ms, 0, 10, 10, 0, sleeping),
				wake(150*ms, 30, 30, 10, 1),
				sw(155*ms, 1, 0, 0, 10, 0),
			}
			return in
		},
		threads: []Thread{{TID: 10, PID: 10, Name: "main",
			OnCPU:    []CPUTime{{0, 20 * time.Millisecond}, {1, 45 * time.Millisecond}},
			Switches: 2, Preempted: 1, Migrations: 1,
			Runnable: 15 * time.Millisecond, Asleep: 20 * time.Millisecond}},
		slices: []Slice{
			{CPU: 0, PID: 10, TID: 10, Start: 0, End: 10 * time.Millisecond},
			{CPU: 0, PID: 10, TID: 10, Start: 20 * time.Millisecond, End: 30 * time.Millisecond},
			{CPU: 1, PID: 10, TID: 10, Start: 55 * time.Millisecond, End: 100 * time.Millisecond},
		},
		wakeups: []Wakeup{{Time: 50 * time.Millisecond, Waker: 30, Wakee: 10, CPU: 1}},
	}, {
		name: "thread forked mid-trace is followed; its exit ends its accounting",
		in: func(in buildInput) buildInput {
			in.events = []event{
				fork(110*ms, 10, 10, 21),
				sw(112*ms, 1, 0, 0, 21, 0),
				sw(150*ms, 1, 10, 21, 0, dead),
			}
			return in
		},
		threads: []Thread{{TID: 21, PID: 10, Name: "child",
			OnCPU: []CPUTime{{1, 38 * time.Millisecond}}, Switches: 1, Runnable: 2 * time.Millisecond}},
		slices: []Slice{{CPU: 1, PID: 10, TID: 21, Start: 12 * time.Millisecond, End: 50 * time.Millisecond}},
	}, {
		name: "child process without FollowChildren is not followed",
		in: func(in buildInput) buildInput {
			in.events = []event{
				fork(110*ms, 10, 10, 20),
				sw(112*ms, 1, 0, 0, 20, 0),
				sw(150*ms, 1, 20, 20, 0, dead),
			}
			return in
		},
	}, {
		name: "child process with FollowChildren is followed; wake-up from an interrupt has no waker",
		in: func(in buildInput) buildInput {
			in.children = true
			in.events = []event{
				fork(110*ms, 10, 10, 20),
				sw(112*ms, 1, 0, 0, 20, 0),
				sw(150*ms, 1, 20, 20, 0, sleeping),
				func() event { e := wake(160*ms, 30, 30, 20, 1); e.irq = true; return e }(),
			}
			return in
		},
		threads: []Thread{{TID: 20, PID: 20, Name: "child",
			OnCPU: []CPUTime{{1, 38 * time.Millisecond}}, Switches: 1,
			Runnable: 2*time.Millisecond + 40*time.Millisecond, Asleep: 10 * time.Millisecond}},
		slices:  []Slice{{CPU: 1, PID: 20, TID: 20, Start: 12 * time.Millisecond, End: 50 * time.Millisecond}},
		wakeups: []Wakeup{{Time: 60 * time.Millisecond, Waker: 0, Wakee: 20, CPU: 1}},
	}, {
		name: "a reused tid is another thread",
		in: func(in buildInput) buildInput {
			in.all = true
			in.events = []event{
				sw(110*ms, 0, 40, 40, 0, dead), // tid 40 of process 40 exits
				fork(120*ms, 10, 10, 40),       // the tid comes back as main's thread
				sw(130*ms, 1, 0, 0, 40, 0),
			}
			return in
		},
		threads: []Thread{
			{TID: 40, PID: 40, Name: "idle", OnCPU: []CPUTime{{0, 10 * time.Millisecond}}, Switches: 1},
			{TID: 40, PID: 10, Name: "idle", OnCPU: []CPUTime{{1, 70 * time.Millisecond}}, Runnable: 10 * time.Millisecond},
		},
		slices: []Slice{
			{CPU: 0, PID: 40, TID: 40, Start: 0, End: 10 * time.Millisecond},
			{CPU: 1, PID: 10, TID: 40, Start: 30 * time.Millisecond, End: 100 * time.Millisecond},
		},
	}, {
		name: "switches the kernel did not report are bounded by their neighbours and counted",
		in: func(in buildInput) buildInput {
			in.events = []event{
				// main is preempted on cpu0, other runs...
				sw(110*ms, 0, 10, 10, 30, 0x100),
				// ...and switches to an unreported thread 76, whose
				// switch to main is never reported.
				sw(120*ms, 0, 30, 30, 76, 1),
				sw(125*ms, 0, 10, 10, 30, 1),
				// main starts on cpu1; the next reported switch there is
				// other's, so main's switch-out was lost.
				wake(130*ms, 30, 30, 10, 1),
				sw(131*ms, 1, 0, 0, 10, 0),
				sw(140*ms, 1, 30, 30, 0, 1),
			}
			return in
		},
		unmatched: 2,
		threads: []Thread{{TID: 10, PID: 10, Name: "main",
			OnCPU:    []CPUTime{{0, 15 * time.Millisecond}, {1, 9 * time.Millisecond}},
			Switches: 3, Preempted: 1, Migrations: 1,
			Runnable: 11 * time.Millisecond, Asleep: 5 * time.Millisecond}},
		slices: []Slice{
			{CPU: 0, PID: 10, TID: 10, Start: 0, End: 10 * time.Millisecond},
			{CPU: 0, PID: 10, TID: 10, Start: 20 * time.Millisecond, End: 25 * time.Millisecond},
			{CPU: 1, PID: 10, TID: 10, Start: 31 * time.Millisecond, End: 40 * time.Millisecond},
		},
		wakeups: []Wakeup{{Time: 30 * time.Millisecond, Waker: 30, Wakee: 10, CPU: 1}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in(base)
			in.lost = 3
			got := build(in)
			want := &Trace{Monotonic: 100 * time.Millisecond, Duration: 100 * time.Millisecond, CPUs: []int{0, 1}, Lost: Lost{Kernel: 3, Unmatched: tt.unmatched},
				Threads: tt.threads, Slices: tt.slices, Wakeups: tt.wakeups}
			if want.Threads == nil {
				want.Threads = []Thread{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("trace mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBuildNameRanLongest: a thread renamed for its work and back is
// named for the work.
func TestBuildNameRanLongest(t *testing.T) {
	in := buildInput{start: 0, end: 100 * ms, cpus: []int{0}, comms: testComms, all: true}
	in.events = []event{
		{time: 10 * ms, kind: evSwitch, a: 0, b: 11, commA: 0, commB: 1},                   // switched in as "main"
		{time: 80 * ms, kind: evSwitch, pid: 11, tid: 11, a: 11, b: 0, commA: 2, state: 1}, // left as "worker"
		{time: 90 * ms, kind: evSwitch, a: 0, b: 11, commA: 0, commB: 1},                   // back as "main"
	}
	tr := build(in)
	if th := tr.Thread(11); th == nil || th.Name != "worker" {
		t.Fatalf("Thread(11) = %+v, want the name it ran longest under, worker", th)
	}
}

// TestBuildLeavesOutOwnThread traces a followed process one of whose
// threads is the recorder's own drain loop: that thread's slices and
// wake-ups are the measurement, not the measured, and stay out.
func TestBuildLeavesOutOwnThread(t *testing.T) {
	in := buildInput{start: 100 * ms, end: 200 * ms, cpus: []int{0, 1}, comms: testComms,
		followed: map[int32]bool{10: true}, tgid: map[int32]int32{10: 10, 11: 10}, own: 11}
	in.events = []event{
		sw(110*ms, 0, 10, 10, 11, 0x1), // main sleeps; the drain thread runs
		wake(120*ms, 11, 10, 10, 1),    // the drain wakes main on cpu1
		sw(120*ms, 1, 0, 0, 10, 0),     // main runs on cpu1
		sw(130*ms, 0, 10, 11, 0, 0x1),  // the drain sleeps
	}
	tr := build(in)
	for _, s := range tr.Slices {
		if s.TID == 11 {
			t.Errorf("slice of the recorder's own thread kept: %+v", s)
		}
	}
	if tr.Thread(11) != nil {
		t.Errorf("the recorder's own thread is listed: %+v", *tr.Thread(11))
	}
	if tr.Thread(10) == nil || len(tr.Slices) == 0 {
		t.Fatalf("the followed thread is lost too: %+v", tr)
	}
}

// TestBuildSwitchRecordsNameNoComm builds a trace in which a thread's
// switches in come only from the kernel's context switch records, which
// carry no comm: its slices are exact, nothing is unmatched, and its name
// is the one the tracepoints gave.
func TestBuildSwitchRecordsNameNoComm(t *testing.T) {
	in := buildInput{start: 0, end: 100 * ms, cpus: []int{1}, comms: testComms, all: true}
	rec := func(t uint64, prev, next int32) event { // an arriving task's switch record
		return event{time: t, kind: evSwitch, cpu: 1, pid: next, tid: next, a: prev, b: next, state: 1, commA: noComm, commB: noComm}
	}
	in.events = []event{
		rec(10*ms, 0, 11),             // worker arrives from idle: no tracepoint
		sw(30*ms, 1, 11, 11, 0, 0x1),  // and sleeps
		rec(50*ms, 0, 11),             // again
		sw(60*ms, 1, 11, 11, 0, 0x1),  // and sleeps
		rec(70*ms, 0, 12),             // a thread never named by a tracepoint
		sw(80*ms, 1, 12, 12, 0, 0x40), // TASK_PARKED, say: asleep
	}
	in.events[5].commA = noComm
	tr := build(in)
	want := []Slice{
		{CPU: 1, PID: 11, TID: 11, Start: 10 * time.Millisecond, End: 30 * time.Millisecond},
		{CPU: 1, PID: 11, TID: 11, Start: 50 * time.Millisecond, End: 60 * time.Millisecond},
		{CPU: 1, PID: 12, TID: 12, Start: 70 * time.Millisecond, End: 80 * time.Millisecond},
	}
	if diff := cmp.Diff(want, tr.Slices); diff != "" {
		t.Errorf("slices mismatch (-want +got):\n%s", diff)
	}
	if tr.Lost.Unmatched != 0 {
		t.Errorf("Lost.Unmatched = %d, want 0", tr.Lost.Unmatched)
	}
	if th := tr.Thread(11); th == nil || th.Name != "worker" || th.Switches != 2 {
		t.Errorf("Thread(11) = %+v, want worker with 2 switches", th)
	}
	if th := tr.Thread(12); th == nil || th.Name != "" {
		t.Errorf("Thread(12) = %+v, want no name", th)
	}
}
