package schedtrace

import (
	"cmp"
	"iter"
	"math"
	"slices"
	"time"
)

// Window is a stretch of a trace, [From, To), as offsets from Trace.Start.
// Pictures and summaries show one window; the zero Window means "choose",
// see [Trace.DefaultWindow].
type Window struct {
	From time.Duration `json:"from"`
	To   time.Duration `json:"to"`
}

// Len returns how long the window lasts; 0 for an empty or inverted one.
func (w Window) Len() time.Duration { return max(w.To-w.From, 0) }

// IsZero reports whether w is the zero Window.
func (w Window) IsZero() bool { return w == Window{} }

// Overlaps reports whether [start, end) and w share any time. A point
// (start == end) overlaps when it lies in [From, To).
func (w Window) Overlaps(start, end time.Duration) bool {
	if start == end {
		return start >= w.From && start < w.To
	}
	return start < w.To && end > w.From
}

// Clip returns w cut to the trace, [0, Duration].
func (t *Trace) Clip(w Window) Window {
	w.From = min(max(w.From, 0), t.Duration)
	w.To = min(max(w.To, w.From), t.Duration)
	return w
}

// HandOffs returns, in time order, when the GIL passed to another thread:
// every take by a thread other than the one that took it last. A trace
// without GIL events has none.
func (t *Trace) HandOffs() []time.Duration {
	var out []time.Duration
	last := -1
	for _, e := range t.GIL {
		if e.Kind != GILTake {
			continue
		}
		if last >= 0 && int(e.TID) != last {
			out = append(out, e.Time)
		}
		last = int(e.TID)
	}
	return out
}

// defaultMarks is how many hand-offs (or, without a GIL, slice starts) a
// default window aims to show: a dozen, enough to see the rhythm, few
// enough that each stays wide on a picture 960 pixels across.
const defaultMarks = 12

// DefaultWindow returns the window a picture shows when its caller names
// none: a stretch where the run is steady, long enough for about a dozen
// hand-offs of the GIL (for a trace without GIL events, a dozen slice
// starts of its threads).
//
// Its length is 12 times the median gap between hand-offs over the middle
// 80 % of the stretch from the first hand-off to the last (start-up,
// tear-down and any idle time around the run excluded), rounded to 1, 2 or
// 5 times a power of ten: about 500 µs for a Python 2 GIL handing over
// every 30–40 µs, 50 ms for Python 3's 5 ms switch interval. Without a
// GIL the gap is between the starts of one thread's slices, so a window
// shows about a dozen slices of a typical thread, whatever the number of
// CPUs. Of the windows of that length starting at multiples of a quarter
// of it inside that middle 80 %, it takes the one whose count of marks
// (hand-offs, or slice starts of all threads) is nearest the dozen it aims
// for, then nearest the middle of the trace: where hand-offs come in
// bursts, most windows of that length would show none. A
// trace with fewer than a dozen gaps, or shorter than the length, is shown
// whole.
//
// Where the lock passes between threads that both keep running on their
// own CPUs, hand-offs come microseconds apart and a dozen of them would
// show no switch, sleep or wake-up: when the GIL threads' own slices are
// more than 4 times further apart than the hand-offs, the window spans a
// dozen of those slices instead (about 1–2 ms of such a storm).
func (t *Trace) DefaultWindow() Window {
	whole := Window{0, t.Duration}
	if t.Duration <= 0 {
		return whole
	}
	var marks, gaps []time.Duration
	var lo, hi time.Duration
	ok := false
	if len(t.GIL) > 0 {
		marks, gaps, lo, hi, ok = handOffRhythm(t.HandOffs())
		// Where the lock passes between threads that both stay on their
		// CPUs (a storm with a free core each), hand-offs come microseconds
		// apart and a dozen of them show no sleep, wake-up or switch: the
		// scheduler's rhythm, a dozen slices of the lock's threads, is then
		// what the picture must span.
		gil := map[int]bool{}
		for _, e := range t.GIL {
			gil[int(e.TID)] = true
		}
		sm, sg, slo, shi, sok := sliceRhythm(t.Slices, func(tid int) bool { return gil[tid] })
		if ok && sok && median(sg) > 4*median(gaps) {
			marks, gaps, lo, hi, ok = sm, sg, slo, shi, sok
		}
	} else {
		marks, gaps, lo, hi, ok = sliceRhythm(t.Slices, nil)
	}
	if !ok {
		return whole
	}
	l := nice(defaultMarks * median(gaps))
	if l >= t.Duration {
		return whole
	}
	if hi-lo < l {
		hi = min(t.Duration, (lo+hi)/2+l/2)
		lo = max(0, hi-l)
	}
	step := max(l/4, 1)
	type cand struct {
		w Window
		n int
	}
	var cs []cand
	for from := (lo + step - 1) / step * step; from+l <= hi; from += step {
		w := Window{from, from + l}
		cs = append(cs, cand{w, lowerBound(marks, w.To) - lowerBound(marks, w.From)})
	}
	if len(cs) == 0 {
		return Window{lo, lo + l}
	}
	// Aim for the dozen marks the length was chosen for. Where marks come
	// in bursts (a loaded machine's storm) most windows of that length
	// hold none, so a typical count would be an empty picture.
	centre := (lo + hi) / 2
	best := slices.MinFunc(cs, func(a, b cand) int {
		da, db := abs(a.n-defaultMarks), abs(b.n-defaultMarks)
		return cmp.Or(cmp.Compare(da, db),
			cmp.Compare(absDur(a.w.From+l/2-centre), absDur(b.w.From+l/2-centre)))
	})
	return best.w
}

// handOffRhythm returns the marks (hand-offs, sorted) a default window
// counts, the gaps between neighbouring ones in the steady part, and that
// part [lo, hi): the middle 80 % of the stretch that has marks, so that a
// trace with idle time around its run (a watcher's lead and trail) is
// judged by the run. ok is false when there are too few to judge.
func handOffRhythm(marks []time.Duration) (_, gaps []time.Duration, lo, hi time.Duration, ok bool) {
	if len(marks) < 2 {
		return marks, nil, 0, 0, false
	}
	lo, hi = steady(marks)
	for i := 1; i < len(marks); i++ {
		if marks[i-1] >= lo && marks[i] < hi {
			gaps = append(gaps, marks[i]-marks[i-1])
		}
	}
	return marks, gaps, lo, hi, len(gaps) >= defaultMarks
}

// sliceRhythm is handOffRhythm for slice starts, of the threads keep
// passes (all if nil): the marks are every such slice's start, and the
// gaps are each thread's own, between the starts of its slices, so that a
// window shows about a dozen slices of a typical thread whatever the
// number of CPUs.
func sliceRhythm(ss []Slice, keep func(tid int) bool) (marks, gaps []time.Duration, lo, hi time.Duration, ok bool) {
	for _, s := range ss {
		if keep == nil || keep(s.TID) {
			marks = append(marks, s.Start)
		}
	}
	slices.Sort(marks)
	if len(marks) < 2 {
		return marks, nil, 0, 0, false
	}
	lo, hi = steady(marks)
	last := map[int]time.Duration{}
	for _, s := range ss {
		if keep != nil && !keep(s.TID) {
			continue
		}
		if p, seen := last[s.TID]; seen && s.Start > p && p >= lo && s.Start < hi {
			gaps = append(gaps, s.Start-p)
		}
		last[s.TID] = s.Start
	}
	return marks, gaps, lo, hi, len(gaps) >= defaultMarks
}

// steady returns the middle 80 % of the stretch from the first of the
// sorted marks to the last.
func steady(marks []time.Duration) (lo, hi time.Duration) {
	act := marks[len(marks)-1] - marks[0]
	return marks[0] + act/10, marks[len(marks)-1] - act/10
}

// median returns the middle of gaps, sorting them; 0 for none.
func median(gaps []time.Duration) time.Duration {
	if len(gaps) == 0 {
		return 0
	}
	slices.Sort(gaps)
	return gaps[len(gaps)/2]
}

// nice rounds d to the nearest (in ratio) 1, 2 or 5 times a power of ten,
// at least a microsecond.
func nice(d time.Duration) time.Duration {
	if d <= time.Microsecond {
		return time.Microsecond
	}
	x := float64(d)
	e := math.Floor(math.Log10(x))
	p := math.Pow(10, e)
	best := p
	for _, m := range []float64{1, 2, 5, 10} {
		if math.Abs(math.Log(x/(m*p))) < math.Abs(math.Log(x/best)) {
			best = m * p
		}
	}
	return time.Duration(best)
}

func lowerBound(a []time.Duration, x time.Duration) int {
	i, _ := slices.BinarySearch(a, x)
	return i
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func absDur(x time.Duration) time.Duration {
	if x < 0 {
		return -x
	}
	return x
}

// State is what a thread was doing over a [Span].
type State uint8

const (
	// Running: on a CPU (Span.CPU says which).
	Running State = iota
	// Runnable: woken or preempted, waiting for a CPU.
	Runnable
	// Asleep: blocked until a wake-up.
	Asleep
	// GILHeld: the thread held the GIL.
	GILHeld
	// GILWanted: the thread had asked for the GIL and not yet got it.
	GILWanted
)

// String returns the state's lower-case name, such as "runnable".
func (s State) String() string {
	switch s {
	case Running:
		return "running"
	case Runnable:
		return "runnable"
	case Asleep:
		return "asleep"
	case GILHeld:
		return "holds GIL"
	case GILWanted:
		return "wants GIL"
	}
	return "unknown"
}

// Span is a stretch of one thread's time in one State. CPU is the CPU of
// a Running span, -1 otherwise.
type Span struct {
	State State
	CPU   int
	Start time.Duration
	End   time.Duration
}

// ThreadStates derives each followed thread's timeline from the slices
// and wake-ups, keyed by TID, each in time order: Running while a slice
// lasts; between two slices, Asleep until the last wake-up of the thread
// in the gap and Runnable from it (a thread that went to sleep needs a
// wake-up to run again), or Runnable throughout when the gap holds no
// wake-up (the thread was preempted). Before its first slice a thread is
// Runnable from a wake-up there and unknown otherwise; after its last it is
// unknown (it may have exited), so no span covers those times.
func (t *Trace) ThreadStates() map[int][]Span {
	// Sized up front: a GIL storm has hundreds of thousands of slices a
	// second, and growing the slices would allocate them twice over.
	nSlices, nWakes := map[int]int{}, map[int]int{}
	for _, s := range t.Slices {
		nSlices[s.TID]++
	}
	for _, w := range t.Wakeups {
		nWakes[w.Wakee]++
	}
	byTID := make(map[int][]Slice, len(nSlices))
	for tid, n := range nSlices {
		byTID[tid] = make([]Slice, 0, n)
	}
	for _, s := range t.Slices {
		byTID[s.TID] = append(byTID[s.TID], s)
	}
	wakes := make(map[int][]time.Duration, len(nWakes))
	for tid, n := range nWakes {
		wakes[tid] = make([]time.Duration, 0, n)
	}
	for _, w := range t.Wakeups {
		wakes[w.Wakee] = append(wakes[w.Wakee], w.Time)
	}
	out := make(map[int][]Span, len(byTID))
	for tid, ss := range byTID {
		slices.SortFunc(ss, func(a, b Slice) int { return cmp.Compare(a.Start, b.Start) })
		ws := wakes[tid]
		slices.Sort(ws)
		sp := make([]Span, 0, 3*len(ss))
		// lastWake returns the latest wake-up in [a, b], or -1.
		lastWake := func(a, b time.Duration) time.Duration {
			i := lowerBound(ws, b+1)
			if i > 0 && ws[i-1] >= a {
				return ws[i-1]
			}
			return -1
		}
		if w := lastWake(0, ss[0].Start); w >= 0 && w < ss[0].Start {
			sp = append(sp, Span{Runnable, -1, w, ss[0].Start})
		}
		for i, s := range ss {
			sp = append(sp, Span{Running, s.CPU, s.Start, s.End})
			if i+1 == len(ss) {
				break
			}
			next := ss[i+1].Start
			if next <= s.End {
				continue
			}
			// A wake-up at the very end of a slice raced the switch out;
			// the thread then never slept.
			if w := lastWake(s.End+1, next); w > s.End {
				sp = append(sp, Span{Asleep, -1, s.End, w})
				if w < next {
					sp = append(sp, Span{Runnable, -1, w, next})
				}
			} else {
				sp = append(sp, Span{Runnable, -1, s.End, next})
			}
		}
		out[tid] = sp
	}
	return out
}

// GILStates returns each GIL thread's lock timeline, keyed by TID, in
// time order: GILWanted from a want to the take that answers it, GILHeld
// from a take to the next drop (or the end of the trace).
func (t *Trace) GILStates() map[int][]Span { return t.GILStatesIn(Window{}) }

// GILSpans yields thread tid's lock timeline, GILStates()[tid], span by
// span in time order, holding only the spans not yet yielded that a
// later one might precede (a few): a page can pack a GIL storm thread's
// millions of spans without holding them all. Spans that start at the
// same time may come in another order than in GILStates. Like every
// reader of Trace.GIL it takes the events to be in time order.
func (t *Trace) GILSpans(tid int) iter.Seq[Span] {
	return func(yield func(Span) bool) {
		var done []Span // ended and not yet yielded, by Start
		var wantAt, takeAt time.Duration
		wanting, holding := false, false
		// emit yields the ended spans that start no later than any span
		// still open: every span still to come starts later.
		emit := func() bool {
			k := 0
			for k < len(done) && (!wanting || done[k].Start <= wantAt) && (!holding || done[k].Start <= takeAt) {
				if !yield(done[k]) {
					return false
				}
				k++
			}
			done = append(done[:0], done[k:]...)
			return true
		}
		end := func(sp Span) {
			i := len(done)
			for i > 0 && done[i-1].Start > sp.Start {
				i--
			}
			done = slices.Insert(done, i, sp)
		}
		for _, e := range t.GIL {
			if int(e.TID) != tid {
				continue
			}
			switch e.Kind {
			case GILWant:
				if !wanting {
					wanting, wantAt = true, e.Time
				}
			case GILTake:
				if wanting {
					if e.Time > wantAt {
						end(Span{GILWanted, -1, wantAt, e.Time})
					}
					wanting = false
				}
				if !holding {
					holding, takeAt = true, e.Time
				}
			case GILDrop:
				if !holding {
					continue
				}
				end(Span{GILHeld, -1, takeAt, e.Time})
				holding = false
			default:
				continue
			}
			if !emit() {
				return
			}
		}
		if holding {
			end(Span{GILHeld, -1, takeAt, t.Duration})
		}
		if wanting {
			end(Span{GILWanted, -1, wantAt, t.Duration})
		}
		wanting, holding = false, false
		emit()
	}
}

// GILStatesIn is GILStates cut down to the spans that overlap win (the
// zero Window keeps them all) and, when tids are given, to those threads: a
// picture of a window, or a page that packs one thread's lane at a time,
// then needs a few spans, or one thread's, rather than the millions of
// every thread of a GIL storm at once. Each span is whole, as in
// GILStates, not clipped to win.
func (t *Trace) GILStatesIn(win Window, tids ...int) map[int][]Span {
	all := win.IsZero()
	want := func(int) bool { return true }
	if len(tids) > 0 {
		want = func(tid int) bool { return slices.Contains(tids, tid) }
	}
	// With every span kept, each thread's are allocated once, at their
	// most: a wanted span ends at a take after a want, a held one at a
	// drop, and each kind may have one left open at the end.
	n := map[int]int{}
	for _, e := range t.GIL {
		tid := int(e.TID)
		if !want(tid) {
			continue
		}
		if all && (e.Kind == GILWant || e.Kind == GILDrop) {
			n[tid]++
		} else if _, ok := n[tid]; !ok {
			n[tid] = 0
		}
	}
	out := make(map[int][]Span, len(n))
	if all {
		for tid, k := range n {
			out[tid] = make([]Span, 0, k+2)
		}
	}
	add := func(tid int, sp Span) {
		if all || win.Overlaps(sp.Start, sp.End) {
			out[tid] = append(out[tid], sp)
		}
	}
	wantAt, takeAt := map[int]time.Duration{}, map[int]time.Duration{}
	for _, e := range t.GIL {
		tid := int(e.TID)
		if _, ok := n[tid]; !ok {
			continue
		}
		switch e.Kind {
		case GILWant:
			if _, ok := wantAt[tid]; !ok {
				wantAt[tid] = e.Time
			}
		case GILTake:
			if w, ok := wantAt[tid]; ok {
				if e.Time > w {
					add(tid, Span{GILWanted, -1, w, e.Time})
				}
				delete(wantAt, tid)
			}
			if _, ok := takeAt[tid]; !ok {
				takeAt[tid] = e.Time
			}
		case GILDrop:
			if s, ok := takeAt[tid]; ok {
				add(tid, Span{GILHeld, -1, s, e.Time})
				delete(takeAt, tid)
			}
		}
	}
	for tid, s := range takeAt {
		add(tid, Span{GILHeld, -1, s, t.Duration})
	}
	for tid, w := range wantAt {
		add(tid, Span{GILWanted, -1, w, t.Duration})
	}
	for tid := range out {
		if len(out[tid]) == 0 {
			delete(out, tid)
			continue
		}
		slices.SortFunc(out[tid], func(a, b Span) int { return cmp.Compare(a.Start, b.Start) })
	}
	return out
}
