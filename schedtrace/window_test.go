package schedtrace_test

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/corescope/corescope/internal/tracefake"
	"github.com/corescope/corescope/schedtrace"
)

const us = time.Microsecond

func TestDefaultWindow(t *testing.T) {
	py2 := tracefake.NewPy2(300 * time.Millisecond)
	for _, tc := range []struct {
		name     string
		trace    *schedtrace.Trace
		length   time.Duration
		min, max int // hand-offs, or slices for runs without a GIL
	}{
		{"python2 storm", py2.Trace, 500 * us, 10, 20},
		{"python3 switch", tracefake.NewPy3(3 * time.Second), 50 * time.Millisecond, 9, 11},
		{"processes on 2 CPUs", tracefake.NewProcesses(2 * time.Second), 50 * time.Millisecond, 20, 30},
		{"256 CPUs", tracefake.NewMany(300 * time.Millisecond), 20 * time.Millisecond, 2000, 4000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.trace.DefaultWindow()
			if w.Len() != tc.length {
				t.Errorf("DefaultWindow() = %v, length %v, want %v", w, w.Len(), tc.length)
			}
			if w.From < tc.trace.Duration/10 || w.To > tc.trace.Duration-tc.trace.Duration/10 {
				t.Errorf("DefaultWindow() = %v, not inside the middle 80 %% of %v", w, tc.trace.Duration)
			}
			st := tc.trace.Stats(w)
			n := st.HandOffs
			if len(tc.trace.GIL) == 0 {
				n = st.Slices
			}
			if n < tc.min || n > tc.max {
				t.Errorf("window %v shows %d hand-offs (or slices), want %d…%d", w, n, tc.min, tc.max)
			}
		})
	}
}

func TestDefaultWindowShort(t *testing.T) {
	for _, tr := range []*schedtrace.Trace{
		{Duration: time.Second},
		{},
		tracefake.NewPy2(100 * us).Trace,
	} {
		if got, want := tr.DefaultWindow(), (schedtrace.Window{To: tr.Duration}); got != want {
			t.Errorf("DefaultWindow() of %v with %d slices = %v, want the whole %v", tr.Duration, len(tr.Slices), got, want)
		}
	}
}

func TestHandOffs(t *testing.T) {
	py2 := tracefake.NewPy2(20 * time.Millisecond)
	if diff := cmp.Diff(py2.HandOffAt, py2.Trace.HandOffs()); diff != "" {
		t.Errorf("HandOffs() mismatch (-want +got):\n%s", diff)
	}
	// Counting in a window counts those inside [From, To).
	w := schedtrace.Window{From: py2.HandOffAt[3], To: py2.HandOffAt[9]}
	if got := py2.Trace.Stats(w).HandOffs; got != 6 {
		t.Errorf("Stats(%v).HandOffs = %d, want 6", w, got)
	}
}

func TestThreadStates(t *testing.T) {
	tr := &schedtrace.Trace{
		Duration: 100 * us,
		CPUs:     []int{0, 1},
		Slices: []schedtrace.Slice{
			{CPU: 0, TID: 1, Start: 0, End: 10 * us},
			{CPU: 1, TID: 2, Start: 5 * us, End: 15 * us},
			{CPU: 1, TID: 1, Start: 30 * us, End: 40 * us}, // slept, woken at 25
			{CPU: 1, TID: 1, Start: 50 * us, End: 60 * us}, // preempted
			{CPU: 0, TID: 2, Start: 60 * us, End: 70 * us}, // woken at 40, before it ran
		},
		Wakeups: []schedtrace.Wakeup{
			{Time: 2 * us, Wakee: 2, CPU: 1},
			{Time: 25 * us, Waker: 2, Wakee: 1, CPU: 1},
			{Time: 40 * us, Waker: 1, Wakee: 2, CPU: 0},
		},
	}
	want := map[int][]schedtrace.Span{
		1: {
			{State: schedtrace.Running, CPU: 0, Start: 0, End: 10 * us},
			{State: schedtrace.Asleep, CPU: -1, Start: 10 * us, End: 25 * us},
			{State: schedtrace.Runnable, CPU: -1, Start: 25 * us, End: 30 * us},
			{State: schedtrace.Running, CPU: 1, Start: 30 * us, End: 40 * us},
			{State: schedtrace.Runnable, CPU: -1, Start: 40 * us, End: 50 * us},
			{State: schedtrace.Running, CPU: 1, Start: 50 * us, End: 60 * us},
		},
		2: {
			{State: schedtrace.Runnable, CPU: -1, Start: 2 * us, End: 5 * us},
			{State: schedtrace.Running, CPU: 1, Start: 5 * us, End: 15 * us},
			{State: schedtrace.Asleep, CPU: -1, Start: 15 * us, End: 40 * us},
			{State: schedtrace.Runnable, CPU: -1, Start: 40 * us, End: 60 * us},
			{State: schedtrace.Running, CPU: 0, Start: 60 * us, End: 70 * us},
		},
	}
	if diff := cmp.Diff(want, tr.ThreadStates()); diff != "" {
		t.Errorf("ThreadStates() mismatch (-want +got):\n%s", diff)
	}
}

func TestGILStates(t *testing.T) {
	tr := &schedtrace.Trace{Duration: 100 * us, GIL: []schedtrace.GILEvent{
		{Time: 0, TID: 1, Kind: schedtrace.GILTake},
		{Time: 1 * us, TID: 2, Kind: schedtrace.GILWant},
		{Time: 10 * us, TID: 1, Kind: schedtrace.GILDrop},
		{Time: 12 * us, TID: 2, Kind: schedtrace.GILTake},
		{Time: 13 * us, TID: 1, Kind: schedtrace.GILWant},
	}}
	want := map[int][]schedtrace.Span{
		1: {{State: schedtrace.GILHeld, CPU: -1, Start: 0, End: 10 * us}, {State: schedtrace.GILWanted, CPU: -1, Start: 13 * us, End: 100 * us}},
		2: {{State: schedtrace.GILWanted, CPU: -1, Start: 1 * us, End: 12 * us}, {State: schedtrace.GILHeld, CPU: -1, Start: 12 * us, End: 100 * us}},
	}
	if diff := cmp.Diff(want, tr.GILStates()); diff != "" {
		t.Errorf("GILStates() mismatch (-want +got):\n%s", diff)
	}
}

func TestDescribe(t *testing.T) {
	py2 := tracefake.NewPy2(300 * time.Millisecond)
	lost := *py2.Trace
	lost.Lost = schedtrace.Lost{Kernel: 12}
	w2 := schedtrace.Window{From: 150 * time.Millisecond, To: 152 * time.Millisecond}
	n2 := 0 // the hand-offs the storm made in w2
	for _, at := range py2.HandOffAt {
		if at >= w2.From && at < w2.To {
			n2++
		}
	}
	for _, tc := range []struct {
		name  string
		trace *schedtrace.Trace
		w     schedtrace.Window
		want  []string
		not   []string
	}{
		{"python2", py2.Trace, w2,
			[]string{fmt.Sprintf("In these 2 ms the lock changed hands %d times", n2), "gil-py2/", "woken mostly on cpu", "found the lock taken again"}, []string{"lost"}},
		{"python2 lost", &lost, schedtrace.Window{From: 150 * time.Millisecond, To: 152 * time.Millisecond},
			[]string{"the kernel lost 12 scheduler events"}, nil},
		{"python3", tracefake.NewPy3(time.Second), schedtrace.Window{From: 100 * time.Millisecond, To: 130 * time.Millisecond},
			[]string{"In these 30 ms the lock changed hands 6 times, about every 5 ms", "6 drop requests, 6 forced switches"}, []string{"found the lock taken again"}},
		{"processes", tracefake.NewProcesses(time.Second), schedtrace.Window{From: 100 * time.Millisecond, To: 140 * time.Millisecond},
			[]string{"In these 40 ms 2 threads ran on 2 CPUs; at least two ran side by side 99 % of the time, 2.0 at once"}, []string{"lock"}},
		{"nothing ran", &schedtrace.Trace{Duration: time.Second}, schedtrace.Window{To: time.Second},
			[]string{"In these 1 s no followed thread ran."}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.trace.Describe(tc.w)
			for _, s := range tc.want {
				if !strings.Contains(got, s) {
					t.Errorf("Describe() = %q, want it to contain %q", got, s)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(got, s) {
					t.Errorf("Describe() = %q, want no %q", got, s)
				}
			}
		})
	}
}

func TestStatsWaiter(t *testing.T) {
	py2 := tracefake.NewPy2(300 * time.Millisecond)
	w := schedtrace.Window{From: 150 * time.Millisecond, To: 152 * time.Millisecond}
	st := py2.Trace.Stats(w)
	// The storm fails every 5 µs tick but the hand-offs (every 25–35 µs):
	// 4 to 6 failures per win.
	if st.WaiterFailed < 0.75 || st.WaiterFailed > 0.9 {
		t.Errorf("Stats().WaiterFailed = %.2f, want 0.75…0.9", st.WaiterFailed)
	}
	th := py2.Trace.Thread(st.Waiter)
	if th == nil {
		t.Fatalf("Stats().Waiter = %d, not a thread of the trace", st.Waiter)
	}
	wantCPU := 0
	if th.Name == "gil-py2/1" {
		wantCPU = 1
	}
	if st.WaiterCPU != wantCPU {
		t.Errorf("Stats().WaiterCPU = %d for %s, want %d", st.WaiterCPU, th.Name, wantCPU)
	}
}

func TestCleanName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"gil-py2/0", "gil-py2/0"},
		{"a\x00b\x1b[31m", "a\uFFFDb\uFFFD[31m"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{"<script>&", "<script>&"}, // escaping is each medium's job
		{"rtl\u202eevil", "rtl\uFFFDevil"},
		{"  padded ", "padded"},
		{strings.Repeat("x", 70), strings.Repeat("x", 64) + "…"},
	} {
		if got := schedtrace.CleanName(tc.in); got != tc.want {
			t.Errorf("CleanName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{500, "500 ns"}, {30 * us, "30 µs"}, {31250, "31.2 µs"}, {999 * us, "999 µs"},
		{2 * time.Millisecond, "2 ms"}, {1250 * time.Millisecond, "1.25 s"}, {1500 * time.Second, "1500 s"},
	} {
		if got := schedtrace.FormatDuration(tc.d); got != tc.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// padded returns tr with idle time before and after: a watcher's lead and
// trail.
func padded(tr *schedtrace.Trace, pad time.Duration) *schedtrace.Trace {
	p := *tr
	p.Duration += 2 * pad
	p.Slices = append([]schedtrace.Slice(nil), tr.Slices...)
	for i := range p.Slices {
		p.Slices[i].Start += pad
		p.Slices[i].End += pad
	}
	p.Wakeups = append([]schedtrace.Wakeup(nil), tr.Wakeups...)
	for i := range p.Wakeups {
		p.Wakeups[i].Time += pad
	}
	p.GIL = append([]schedtrace.GILEvent(nil), tr.GIL...)
	for i := range p.GIL {
		p.GIL[i].Time += pad
	}
	return &p
}

func TestDefaultWindowIdleAround(t *testing.T) {
	for _, tc := range []struct {
		name  string
		trace *schedtrace.Trace
	}{
		{"python2", padded(tracefake.NewPy2(300*time.Millisecond).Trace, time.Second)},
		{"processes", padded(tracefake.NewProcesses(time.Second), 3*time.Second)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.trace.DefaultWindow()
			st := tc.trace.Stats(w)
			if st.Slices == 0 || st.Together < 0.5 && st.HandOffs < 8 {
				t.Errorf("DefaultWindow() = %v of a run padded with idle time: %d slices, %d hand-offs", w, st.Slices, st.HandOffs)
			}
		})
	}
}

// TestDefaultWindowFindsBursts gives a storm whose hand-offs come in bursts,
// as on a loaded machine: 13 hand-offs 2 µs apart, once a millisecond. Most
// windows of a dozen gaps' length hold no hand-off at all; the default
// window must show one of the bursts, not an empty stretch.
func TestDefaultWindowFindsBursts(t *testing.T) {
	tr := &schedtrace.Trace{Duration: 100 * time.Millisecond, CPUs: []int{0, 1}}
	for b := 0; b < 90; b++ {
		at := 5*time.Millisecond + time.Duration(b)*time.Millisecond
		for i := 0; i < 13; i++ {
			tr.GIL = append(tr.GIL, schedtrace.GILEvent{Time: at + time.Duration(i)*2*time.Microsecond, TID: int32(10 + i%2), Kind: schedtrace.GILTake})
		}
	}
	w := tr.DefaultWindow()
	n := 0
	for _, h := range tr.HandOffs() {
		if h >= w.From && h < w.To {
			n++
		}
	}
	if n < 6 {
		t.Errorf("DefaultWindow() = %v holds %d hand-offs, want about a dozen (one burst)", w, n)
	}
}

// TestDefaultWindowRunningStorm gives a Python 2 storm whose two threads
// keep their own CPUs: the lock passes every 2 µs between running
// threads, and each thread leaves its CPU only every 100 µs. A dozen
// hand-offs (20 µs) would show no switch at all; the window must span a
// dozen of the threads' slices instead.
func TestDefaultWindowRunningStorm(t *testing.T) {
	tr := &schedtrace.Trace{Duration: 100 * time.Millisecond, CPUs: []int{0, 1}}
	for tid := 10; tid <= 11; tid++ {
		for at := time.Duration(tid-10) * 50 * us; at+80*us < tr.Duration; at += 100 * us {
			tr.Slices = append(tr.Slices, schedtrace.Slice{CPU: tid - 10, PID: 10, TID: tid, Start: at, End: at + 80*us})
		}
	}
	for i, at := 0, time.Duration(0); at < tr.Duration; i, at = i+1, at+2*us {
		tr.GIL = append(tr.GIL, schedtrace.GILEvent{Time: at, TID: int32(10 + i%2), Kind: schedtrace.GILTake})
	}
	w := tr.DefaultWindow()
	if w.Len() != time.Millisecond {
		t.Errorf("DefaultWindow() = %v, length %v, want 1ms (a dozen 100 µs slices, not a dozen 2 µs hand-offs)", w, w.Len())
	}
	if st := tr.Stats(w); st.Slices < 18 || st.Slices > 22 {
		t.Errorf("window %v shows %d slices, want about 20 (ten of each thread)", w, st.Slices)
	}
}

// TestGILStatesAllocations checks that each thread's lock timeline is
// allocated once, at about its length: a GIL storm's trace holds millions
// of spans, and growing them by appending allocates them two or three
// times over.
func TestGILStatesAllocations(t *testing.T) {
	tr := tracefake.NewPy2(200 * time.Millisecond).Trace
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	st := tr.GILStates()
	runtime.ReadMemStats(&after)
	spans := 0
	for _, s := range st {
		spans += len(s)
	}
	need := uint64(spans) * uint64(unsafe.Sizeof(schedtrace.Span{}))
	if got := after.TotalAlloc - before.TotalAlloc; got > need*5/4+64<<10 {
		t.Errorf("GILStates allocated %d bytes for %d spans (%d bytes): want at most a quarter more", got, spans, need)
	}
}

// TestGILStatesIn checks that a window's or a thread's lock timeline is
// GILStates' cut down to it, span for span.
func TestGILStatesIn(t *testing.T) {
	const us = time.Microsecond
	py2, py3 := tracefake.NewPy2(2*time.Millisecond).Trace, tracefake.NewPy3(30*time.Millisecond)
	tests := []struct {
		name string
		tr   *schedtrace.Trace
		win  schedtrace.Window
		tids []int
	}{
		{"whole python2", py2, schedtrace.Window{}, nil},
		{"python2 window", py2, schedtrace.Window{From: 300 * us, To: 420 * us}, nil},
		{"python2 one thread", py2, schedtrace.Window{}, []int{102}},
		{"python2 window, one thread", py2, schedtrace.Window{From: 300 * us, To: 420 * us}, []int{101}},
		{"python3 window", py3, schedtrace.Window{From: 9 * time.Millisecond, To: 16 * time.Millisecond}, nil},
		{"window past the end", py3, schedtrace.Window{From: 40 * time.Millisecond, To: 50 * time.Millisecond}, nil},
		{"no such thread", py3, schedtrace.Window{}, []int{7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := map[int][]schedtrace.Span{}
			for tid, spans := range tt.tr.GILStates() {
				if len(tt.tids) > 0 && !slices.Contains(tt.tids, tid) {
					continue
				}
				for _, sp := range spans {
					if tt.win.IsZero() || tt.win.Overlaps(sp.Start, sp.End) {
						want[tid] = append(want[tid], sp)
					}
				}
			}
			if len(want) == 0 && tt.name != "window past the end" && tt.name != "no such thread" {
				t.Fatal("the case selects no span: it tests nothing")
			}
			if diff := cmp.Diff(want, tt.tr.GILStatesIn(tt.win, tt.tids...)); diff != "" {
				t.Errorf("GILStatesIn mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGILSpans checks that each thread's spans, yielded one by one, are
// its GILStates, and that the iterator stops when asked.
func TestGILSpans(t *testing.T) {
	const us = time.Microsecond
	// Thread 9 takes the lock twice without a drop between, and wants it
	// while it holds it: spans end out of their start order.
	odd := &schedtrace.Trace{Duration: 100 * us, GIL: []schedtrace.GILEvent{
		{Time: 1 * us, TID: 9, Kind: schedtrace.GILTake},
		{Time: 2 * us, TID: 9, Kind: schedtrace.GILWant},
		{Time: 3 * us, TID: 9, Kind: schedtrace.GILTake},
		{Time: 4 * us, TID: 9, Kind: schedtrace.GILWant},
		{Time: 5 * us, TID: 9, Kind: schedtrace.GILDrop},
		{Time: 6 * us, TID: 8, Kind: schedtrace.GILTake},
	}}
	for _, tc := range []struct {
		name string
		tr   *schedtrace.Trace
	}{
		{"python2", tracefake.NewPy2(5 * time.Millisecond).Trace},
		{"python3", tracefake.NewPy3(30 * time.Millisecond)},
		{"out of order", odd},
	} {
		t.Run(tc.name, func(t *testing.T) {
			states := tc.tr.GILStates()
			if len(states) == 0 {
				t.Fatal("no GIL states: the case tests nothing")
			}
			for tid, want := range states {
				if diff := cmp.Diff(want, slices.Collect(tc.tr.GILSpans(tid))); diff != "" {
					t.Errorf("GILSpans(%d) mismatch (-want +got):\n%s", tid, diff)
				}
			}
			if n := len(slices.Collect(tc.tr.GILSpans(12345))); n != 0 {
				t.Errorf("GILSpans of a thread with no events yielded %d spans", n)
			}
		})
	}
	n := 0
	for range tracefake.NewPy2(5 * time.Millisecond).Trace.GILSpans(101) {
		n++
		if n == 3 {
			break
		}
	}
	if n != 3 {
		t.Errorf("iterator stopped after %d spans, want 3", n)
	}
}
