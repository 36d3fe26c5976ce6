package schedtrace

import (
	"cmp"
	"slices"
	"time"
)

// Task states in sched_switch's prev_state (include/linux/sched.h). A
// preempted task is reported as running (0) with the preemption bit above
// the state bits set, whose position has moved across kernels, so only
// the low byte is read.
const (
	stateMask = 0xff
	stateDead = 0x10 | 0x20 // EXIT_DEAD | EXIT_ZOMBIE
)

// buildInput is everything build needs: the recorder's events and what it
// knew about the followed processes.
type buildInput struct {
	events     []event
	comms      []string
	start, end uint64 // CLOCK_MONOTONIC ns
	wallStart  time.Time
	cpus       []int
	lost       uint64
	bytes      uint64
	// all follows every thread but the idle tasks.
	all bool
	// followed holds the followed processes (tgids) when tracing began;
	// children adds every process one of them forks during the trace.
	followed map[int32]bool
	children bool
	// tgid maps a thread to its process as /proc showed it when tracing
	// began. procTGID, if set, looks a thread up in /proc when the trace
	// ends, for a thread forked during the trace that never left a CPU.
	tgid     map[int32]int32
	procTGID func(tid int32) (int32, bool)
	// own is the recorder's own drain thread, left out of the trace even
	// when its process is followed: it is the measurement, not what is
	// measured. 0 means none.
	own int32
}

type runState uint8

const (
	stUnknown runState = iota
	stRunning
	stRunnable
	stAsleep
	stDead
)

// key names one incarnation of a thread id: a tid the kernel reuses after
// the old thread exited is another thread.
type key struct{ tid, inc int32 }

type threadAcc struct {
	key
	first uint64 // when it first appeared, for ordering reused tids
	name  uint32
	// ranAs is the on-CPU time under each comm the thread had when it
	// left a CPU: a thread may rename itself, and its most used name is
	// the telling one.
	ranAs      map[uint32]uint64
	state      runState
	since      uint64 // when the current state began
	cpu        int32  // current or last CPU, -1 before any
	onCPU      map[int32]uint64
	switches   int
	preempted  int
	migrations int
	runnable   uint64
	asleep     uint64
}

// commName returns the comm with interned id, "" for noComm.
func commName(comms []string, id uint32) string {
	if int64(id) >= int64(len(comms)) {
		return ""
	}
	return comms[id]
}

// build turns recorded events into a Trace.
func build(in buildInput) *Trace {
	evs := in.events
	slices.SortStableFunc(evs, func(a, b event) int { return cmp.Compare(a.time, b.time) })
	clamp := func(t uint64) uint64 { return min(max(t, in.start), in.end) - in.start }

	// Pass 1: which process each thread incarnation belongs to, learnt
	// from the samples' pid/tid (the task that was current) and from
	// /proc; and which processes forked which.
	tgid := make(map[key]int32, len(in.tgid))
	for tid, pid := range in.tgid {
		tgid[key{tid, 0}] = pid
	}
	inc := make(map[int32]int32)
	cur := func(tid int32) key { return key{tid, inc[tid]} }
	type forkRec struct{ parent, child key }
	var forks []forkRec
	for i := range evs {
		e := &evs[i]
		if e.kind == evFork {
			p := cur(e.a)
			inc[e.b]++
			forks = append(forks, forkRec{p, cur(e.b)})
			delete(tgid, cur(e.b))
		}
		if e.tid != 0 {
			if k := cur(e.tid); tgid[k] == 0 {
				tgid[k] = e.pid
			}
		}
	}
	for _, f := range forks {
		if tgid[f.child] != 0 {
			continue
		}
		if in.procTGID != nil && inc[f.child.tid] == f.child.inc {
			if pid, ok := in.procTGID(f.child.tid); ok {
				tgid[f.child] = pid
				continue
			}
		}
		// Never seen leaving a CPU and gone or unknown to /proc: take it
		// for a thread of its creator's process, the common case.
		tgid[f.child] = tgid[f.parent]
	}
	procs := make(map[int32]bool, len(in.followed))
	for p := range in.followed {
		procs[p] = true
	}
	if in.children {
		for _, f := range forks {
			if pid := tgid[f.child]; pid == f.child.tid && procs[tgid[f.parent]] {
				procs[pid] = true
			}
		}
	}
	followed := func(k key) bool {
		if k.tid == 0 || k.tid == in.own {
			return false
		}
		return in.all || procs[tgid[k]]
	}

	// Pass 2: replay the events in time order.
	clear(inc)
	tr := &Trace{
		Start:     in.wallStart,
		Monotonic: time.Duration(in.start),
		Duration:  time.Duration(in.end - in.start),
		CPUs:      slices.Clone(in.cpus),
		Lost:      Lost{Kernel: in.lost},
		Bytes:     in.bytes,
	}
	var done []*threadAcc
	var unmatched uint64
	lastSwitch := make(map[int32]uint64) // per CPU, the last reported switch
	onCPU := make(map[int32]int32)       // per CPU, the thread it last switched to
	live := make(map[int32]*threadAcc)
	acc := func(tid int32, t uint64) *threadAcc {
		if th := live[tid]; th != nil {
			return th
		}
		th := &threadAcc{key: cur(tid), first: t, name: noComm, cpu: -1, onCPU: make(map[int32]uint64)}
		live[tid] = th
		return th
	}
	slice := func(th *threadAcc, cpu int32, from, to uint64) {
		th.onCPU[cpu] += to - from
		if th.ranAs == nil {
			th.ranAs = make(map[uint32]uint64)
		}
		if th.name != noComm {
			th.ranAs[th.name] += to - from
		}
		tr.Slices = append(tr.Slices, Slice{CPU: int(cpu), PID: int(tgid[th.key]), TID: int(th.tid),
			Start: time.Duration(from), End: time.Duration(to)})
	}
	leave := func(th *threadAcc, t uint64) {
		switch th.state {
		case stRunnable:
			th.runnable += t - th.since
		case stAsleep:
			th.asleep += t - th.since
		}
	}
	for i := range evs {
		e := &evs[i]
		t := clamp(e.time)
		switch e.kind {
		case evSwitch:
			c := e.cpu
			last, seen := lastSwitch[c]
			// A thread we saw start running here, that is not the one
			// leaving now, left without a reported switch: end its slice
			// here, the latest it can have ended.
			if x, ok := onCPU[c]; ok && x != e.a {
				if th := live[x]; th != nil && th.state == stRunning && th.cpu == c {
					slice(th, c, th.since, t)
					th.switches++
					th.state, th.since = stUnknown, t
					unmatched++
				}
			}
			if k := cur(e.a); followed(k) {
				th := acc(e.a, t)
				if e.commA != noComm {
					th.name = e.commA
				}
				var from uint64 // running since before the trace
				switch {
				case th.state == stRunning && th.cpu == c:
					from = th.since
				case th.state == stUnknown && !seen:
				default:
					// Its switch-in was not reported: it began after the
					// CPU's previous reported switch and after the
					// thread's own last event.
					from = max(th.since, last)
					leave(th, from)
					unmatched++
				}
				slice(th, c, from, t)
				th.switches++
				switch {
				case e.state&stateMask == 0:
					th.preempted++
					th.state = stRunnable
				case e.state&stateDead != 0:
					th.state = stDead
				default:
					th.state = stAsleep
				}
				th.since, th.cpu = t, c
			}
			if k := cur(e.b); followed(k) {
				th := acc(e.b, t)
				if e.commB != noComm {
					th.name = e.commB
				}
				leave(th, t)
				if th.cpu >= 0 && th.cpu != c {
					th.migrations++
				}
				th.state, th.since, th.cpu = stRunning, t, c
			}
			lastSwitch[c], onCPU[c] = t, e.b
		case evWaking:
			if k := cur(e.a); followed(k) {
				th := acc(e.a, t)
				if e.commA != noComm {
					th.name = e.commA
				}
				if th.state == stAsleep || th.state == stUnknown {
					leave(th, t)
					th.state, th.since = stRunnable, t
				}
				w := Wakeup{Time: time.Duration(t), Wakee: int(e.a), CPU: int(e.b)}
				if !e.irq {
					w.Waker = int(e.tid)
				}
				tr.Wakeups = append(tr.Wakeups, w)
			}
		case evFork:
			if old := live[e.b]; old != nil {
				leave(old, t)
				old.state, old.since = stDead, t
				done = append(done, old)
				delete(live, e.b)
			}
			inc[e.b]++
			if k := cur(e.b); followed(k) {
				th := acc(e.b, t)
				if e.commA != noComm {
					th.name = e.commA
				}
				// wake_up_new_task: a new task starts runnable.
				th.state, th.since = stRunnable, t
			}
		}
	}
	tr.Lost.Unmatched = unmatched
	end := in.end - in.start
	for _, th := range live {
		if th.state == stRunning {
			slice(th, th.cpu, th.since, end)
		} else {
			leave(th, end)
		}
		done = append(done, th)
	}

	slices.SortFunc(done, func(a, b *threadAcc) int {
		return cmp.Or(cmp.Compare(a.tid, b.tid), cmp.Compare(a.first, b.first))
	})
	tr.Threads = make([]Thread, 0, len(done))
	for _, th := range done {
		name, most := th.name, uint64(0)
		for n, d := range th.ranAs {
			if d > most || (d == most && n < name) {
				name, most = n, d
			}
		}
		out := Thread{
			TID: int(th.tid), PID: int(tgid[th.key]), Name: commName(in.comms, name),
			Switches: th.switches, Preempted: th.preempted, Migrations: th.migrations,
			Runnable: time.Duration(th.runnable), Asleep: time.Duration(th.asleep),
		}
		for cpu, d := range th.onCPU {
			out.OnCPU = append(out.OnCPU, CPUTime{CPU: int(cpu), Time: time.Duration(d)})
		}
		slices.SortFunc(out.OnCPU, func(a, b CPUTime) int { return cmp.Compare(a.CPU, b.CPU) })
		tr.Threads = append(tr.Threads, out)
	}
	slices.SortStableFunc(tr.Slices, func(a, b Slice) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.CPU, b.CPU))
	})
	return tr
}
