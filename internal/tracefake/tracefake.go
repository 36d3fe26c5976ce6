// Package tracefake builds synthetic [schedtrace.Trace] values shaped like
// the runs corescope traces — a Python 2 GIL storm, Python 3's switch
// interval, processes side by side, a machine with hundreds of CPUs — so
// that pictures and summaries can be tested exactly, without root or a
// kernel. Every trace is deterministic.
package tracefake

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/corescope/corescope/schedtrace"
)

const us = time.Microsecond

// Start is the wall-clock start of every synthetic trace.
var Start = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// Py2 is a Python 2 GIL storm of two threads, gil-py2/0 (tid 101, on
// cpu0) and gil-py2/1 (tid 102, on cpu1), over d: every 5 µs the holder
// drops the lock and takes it straight back, waking the waiter, which runs
// for 2 µs on its own CPU, finds the lock taken (a failed wake-up) and
// sleeps again; every 25–35 µs the waiter wins instead and the two swap
// roles. HandOffAt lists when the lock changed hands.
type Py2 struct {
	Trace     *schedtrace.Trace
	HandOffAt []time.Duration
}

// NewPy2 builds a Py2 storm lasting d.
func NewPy2(d time.Duration) Py2 {
	t := &schedtrace.Trace{Start: Start, Duration: d, CPUs: []int{0, 1}}
	rng := rand.New(rand.NewPCG(2, 7))
	const pid = 100
	tids := [2]int{101, 102}
	cpu := [2]int{0, 1}
	h := 0 // index of the holder
	var out Py2
	t.GIL = append(t.GIL, schedtrace.GILEvent{Time: 0, TID: int32(tids[0]), Kind: schedtrace.GILTake},
		schedtrace.GILEvent{Time: 1 * us, TID: int32(tids[1]), Kind: schedtrace.GILWant})
	holdFrom := time.Duration(0)
	next := time.Duration(25+rng.IntN(11)) * us
	for at := 5 * us; at+10*us < d; at += 5 * us {
		w := 1 - h
		t.GIL = append(t.GIL, schedtrace.GILEvent{Time: at, TID: int32(tids[h]), Kind: schedtrace.GILDrop})
		t.Wakeups = append(t.Wakeups, schedtrace.Wakeup{Time: at + us/2, Waker: tids[h], Wakee: tids[w], CPU: cpu[w]})
		if at < next {
			// The holder takes it straight back; the waiter fails.
			t.GIL = append(t.GIL,
				schedtrace.GILEvent{Time: at + us/2, TID: int32(tids[h]), Kind: schedtrace.GILWant},
				schedtrace.GILEvent{Time: at + us, TID: int32(tids[h]), Kind: schedtrace.GILTake},
				schedtrace.GILEvent{Time: at + 3*us, TID: int32(tids[w]), Kind: schedtrace.GILFailedWake})
			t.Slices = append(t.Slices, schedtrace.Slice{CPU: cpu[w], PID: pid, TID: tids[w], Start: at + 2*us, End: at + 4*us})
			continue
		}
		// The waiter wins: it takes the lock and keeps running; the old
		// holder finds it taken and sleeps.
		t.GIL = append(t.GIL,
			schedtrace.GILEvent{Time: at + us/2, TID: int32(tids[h]), Kind: schedtrace.GILWant},
			schedtrace.GILEvent{Time: at + 2*us, TID: int32(tids[w]), Kind: schedtrace.GILTake},
			schedtrace.GILEvent{Time: at + 3*us, TID: int32(tids[h]), Kind: schedtrace.GILFailedWake})
		t.Slices = append(t.Slices, schedtrace.Slice{CPU: cpu[h], PID: pid, TID: tids[h], Start: holdFrom, End: at + 3*us})
		out.HandOffAt = append(out.HandOffAt, at+2*us)
		holdFrom = at + 2*us
		h = w
		next = at + time.Duration(25+rng.IntN(11))*us
	}
	t.Slices = append(t.Slices, schedtrace.Slice{CPU: cpu[h], PID: pid, TID: tids[h], Start: holdFrom, End: d})
	t.Threads = []schedtrace.Thread{{TID: tids[0], PID: pid, Name: "gil-py2/0"}, {TID: tids[1], PID: pid, Name: "gil-py2/1"}}
	Finish(t)
	out.Trace = t
	return out
}

// Py3 is Python 3's GIL with two threads, gil-py3/0 (tid 201, cpu0) and
// gil-py3/1 (tid 202, cpu1), over d: the waiter's timed wait runs out
// every 5 ms; it asks for a drop, the holder drops and waits (a forced
// switch), and the lock changes hands.
func NewPy3(d time.Duration) *schedtrace.Trace {
	t := &schedtrace.Trace{Start: Start, Duration: d, CPUs: []int{0, 1}}
	const pid = 200
	tids := [2]int{201, 202}
	cpu := [2]int{0, 1}
	h := 0
	t.GIL = append(t.GIL, schedtrace.GILEvent{Time: 0, TID: int32(tids[0]), Kind: schedtrace.GILTake},
		schedtrace.GILEvent{Time: 10 * us, TID: int32(tids[1]), Kind: schedtrace.GILWant})
	t.Slices = append(t.Slices, schedtrace.Slice{CPU: cpu[1], PID: pid, TID: tids[1], Start: 0, End: 10 * us})
	holdFrom := time.Duration(0)
	for at := 5 * time.Millisecond; at+100*us < d; at += 5 * time.Millisecond {
		w := 1 - h
		// The waiter's timed wait runs out: it runs briefly and asks.
		t.Wakeups = append(t.Wakeups, schedtrace.Wakeup{Time: at, Waker: 0, Wakee: tids[w], CPU: cpu[w]})
		t.Slices = append(t.Slices, schedtrace.Slice{CPU: cpu[w], PID: pid, TID: tids[w], Start: at + us, End: at + 6*us})
		t.GIL = append(t.GIL,
			schedtrace.GILEvent{Time: at + 3*us, TID: int32(tids[w]), Kind: schedtrace.GILDropRequest},
			schedtrace.GILEvent{Time: at + 10*us, TID: int32(tids[h]), Kind: schedtrace.GILDrop})
		t.Wakeups = append(t.Wakeups, schedtrace.Wakeup{Time: at + 11*us, Waker: tids[h], Wakee: tids[w], CPU: cpu[w]})
		t.GIL = append(t.GIL,
			schedtrace.GILEvent{Time: at + 16*us, TID: int32(tids[w]), Kind: schedtrace.GILTake},
			schedtrace.GILEvent{Time: at + 20*us, TID: int32(tids[h]), Kind: schedtrace.GILForcedSwitch},
			schedtrace.GILEvent{Time: at + 21*us, TID: int32(tids[h]), Kind: schedtrace.GILWant})
		t.Slices = append(t.Slices, schedtrace.Slice{CPU: cpu[h], PID: pid, TID: tids[h], Start: holdFrom, End: at + 21*us})
		holdFrom = at + 15*us
		h = w
	}
	t.Slices = append(t.Slices, schedtrace.Slice{CPU: cpu[h], PID: pid, TID: tids[h], Start: holdFrom, End: d})
	t.Threads = []schedtrace.Thread{{TID: tids[0], PID: pid, Name: "gil-py3/0"}, {TID: tids[1], PID: pid, Name: "gil-py3/1"}}
	Finish(t)
	return t
}

// NewProcesses is two single-threaded processes, "worker" pids 301 and
// 302, running side by side on cpu0 and cpu1 over d in 4 ms slices, each
// preempted between slices (for 20 and 50 µs), swapping CPUs every tenth
// slice.
func NewProcesses(d time.Duration) *schedtrace.Trace {
	t := &schedtrace.Trace{Start: Start, Duration: d, CPUs: []int{0, 1}}
	for i, pid := range []int{301, 302} {
		k := 0
		for at := time.Duration(0); at < d; at += 4 * time.Millisecond {
			cpu := (i + k/10) % 2
			end := min(at+4*time.Millisecond-time.Duration(20+30*i)*us, d)
			t.Slices = append(t.Slices, schedtrace.Slice{CPU: cpu, PID: pid, TID: pid, Start: at, End: end})
			k++
		}
		t.Threads = append(t.Threads, schedtrace.Thread{TID: pid, PID: pid, Name: "worker"})
	}
	Finish(t)
	return t
}

// NewMany is a machine with 256 CPUs running 200 threads of process 400
// ("thread/0"…"thread/199") over d: thread i runs on cpu i, in slices of
// 200 µs–2 ms separated by sleeps of 50–500 µs ended by a wake-up.
func NewMany(d time.Duration) *schedtrace.Trace {
	t := &schedtrace.Trace{Start: Start, Duration: d}
	for c := range 256 {
		t.CPUs = append(t.CPUs, c)
	}
	rng := rand.New(rand.NewPCG(4, 0))
	for i := range 200 {
		tid := 401 + i
		at := time.Duration(rng.IntN(500)) * us
		for at < d {
			end := min(at+time.Duration(200+rng.IntN(1800))*us, d)
			t.Slices = append(t.Slices, schedtrace.Slice{CPU: i, PID: 400, TID: tid, Start: at, End: end})
			at = end + time.Duration(50+rng.IntN(450))*us
			if at < d {
				t.Wakeups = append(t.Wakeups, schedtrace.Wakeup{Time: at - 5*us, Waker: 401 + (i+1)%200, Wakee: tid, CPU: i})
			}
		}
		t.Threads = append(t.Threads, schedtrace.Thread{TID: tid, PID: 400, Name: "thread/" + itoa(i)})
	}
	Finish(t)
	return t
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

// Finish sorts a hand-made trace's slices, wake-ups, GIL events and
// threads as a Trace keeps them and fills in each thread's sums (on-CPU
// time per CPU, switches, preemptions, migrations, runnable and asleep
// time) from the slices and wake-ups, the way schedtrace derives states.
func Finish(t *schedtrace.Trace) {
	slices.SortStableFunc(t.Slices, func(a, b schedtrace.Slice) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.CPU, b.CPU))
	})
	slices.SortStableFunc(t.Wakeups, func(a, b schedtrace.Wakeup) int { return cmp.Compare(a.Time, b.Time) })
	slices.SortStableFunc(t.GIL, func(a, b schedtrace.GILEvent) int { return cmp.Compare(a.Time, b.Time) })
	slices.SortFunc(t.Threads, func(a, b schedtrace.Thread) int { return cmp.Compare(a.TID, b.TID) })
	states := t.ThreadStates()
	for i := range t.Threads {
		th := &t.Threads[i]
		on := map[int]time.Duration{}
		th.Switches, th.Preempted, th.Migrations, th.Runnable, th.Asleep = 0, 0, 0, 0, 0
		last := -1
		for _, sp := range states[th.TID] {
			switch sp.State {
			case schedtrace.Running:
				on[sp.CPU] += sp.End - sp.Start
				if last >= 0 && last != sp.CPU {
					th.Migrations++
				}
				last = sp.CPU
				if sp.End < t.Duration {
					th.Switches++
				}
			case schedtrace.Runnable:
				th.Runnable += sp.End - sp.Start
			case schedtrace.Asleep:
				th.Asleep += sp.End - sp.Start
			}
		}
		sp := states[th.TID]
		for j := 1; j < len(sp); j++ {
			if sp[j-1].State == schedtrace.Running && sp[j].State == schedtrace.Runnable {
				th.Preempted++
			}
		}
		th.OnCPU = nil
		for _, c := range slices.Sorted(func(yield func(int) bool) {
			for c := range on {
				if !yield(c) {
					return
				}
			}
		}) {
			th.OnCPU = append(th.OnCPU, schedtrace.CPUTime{CPU: c, Time: on[c]})
		}
	}
}
