package schedtrace

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Concurrency is a time-weighted histogram of how many threads were on a
// CPU at the same instant over a window of a trace: the figure that tells
// "two threads ran at once" from "one thread ran twice as long", which an
// average of CPU time over wall time cannot.
//
// Build one with [Trace.Concurrency] or [ConcurrencyOf]. The zero value is
// an empty window: every share is 0.
type Concurrency struct {
	// From and To bound the window, [From, To), as offsets from
	// Trace.Start.
	From, To time.Duration
	// Time[k] is how long exactly k of the selected threads were on a CPU
	// at once, for k from 0 to the most seen. The entries sum to To−From.
	Time []time.Duration
}

// Len returns how long the window lasts.
func (c Concurrency) Len() time.Duration { return max(c.To-c.From, 0) }

// Max returns the most threads that were on a CPU at once.
func (c Concurrency) Max() int {
	for k := len(c.Time) - 1; k > 0; k-- {
		if c.Time[k] > 0 {
			return k
		}
	}
	return 0
}

// AtLeast returns how long k or more of the threads were on a CPU at once.
// AtLeast(0) is Len.
func (c Concurrency) AtLeast(k int) time.Duration {
	var d time.Duration
	for i := max(k, 0); i < len(c.Time); i++ {
		d += c.Time[i]
	}
	return d
}

// AtMost returns how long at most k of the threads were on a CPU at once,
// idle time (none running) included.
func (c Concurrency) AtMost(k int) time.Duration {
	var d time.Duration
	for i := 0; i <= k && i < len(c.Time); i++ {
		d += c.Time[i]
	}
	return d
}

// ShareAtLeast returns AtLeast(k) as a fraction of the window, 0 for an
// empty window.
func (c Concurrency) ShareAtLeast(k int) float64 { return c.share(c.AtLeast(k)) }

// ShareAtMost returns AtMost(k) as a fraction of the window, 0 for an
// empty window.
func (c Concurrency) ShareAtMost(k int) float64 { return c.share(c.AtMost(k)) }

// Mean returns the time-weighted mean number of threads on a CPU: their
// summed running time over the window's length.
func (c Concurrency) Mean() float64 {
	if c.Len() <= 0 {
		return 0
	}
	var sum float64
	for k, d := range c.Time {
		sum += float64(k) * float64(d)
	}
	return sum / float64(c.Len())
}

func (c Concurrency) share(d time.Duration) float64 {
	if c.Len() <= 0 {
		return 0
	}
	return float64(d) / float64(c.Len())
}

// String lists the share of the window for each count, most threads
// first, skipping counts that never occurred, such as
// "2 at once 81.2 %, 1 at once 15.0 %, none 3.8 % of 612 ms".
func (c Concurrency) String() string {
	if c.Len() <= 0 {
		return "empty window"
	}
	var parts []string
	for k := len(c.Time) - 1; k >= 0; k-- {
		if c.Time[k] == 0 {
			continue
		}
		what := fmt.Sprintf("%d at once", k)
		if k == 0 {
			what = "none"
		}
		parts = append(parts, fmt.Sprintf("%s %.1f %%", what, 100*c.share(c.Time[k])))
	}
	return strings.Join(parts, ", ") + " of " + c.Len().Round(time.Millisecond).String()
}

// Concurrency returns how many of the trace's threads were on a CPU at
// once in [from, to), counting only the slices keep accepts; a nil keep
// counts every slice. The window is cut to the trace, [0, Duration]. See
// [ConcurrencyOf].
func (t *Trace) Concurrency(from, to time.Duration, keep func(Slice) bool) Concurrency {
	from = min(max(from, 0), t.Duration)
	to = min(max(to, from), t.Duration)
	return ConcurrencyOf(t.Slices, from, to, keep)
}

// ConcurrencyOf returns the concurrency histogram of the slices that keep
// accepts (all of them when keep is nil), cut to [from, to). It counts
// threads, not slices: a thread that appears on two CPUs at once, which
// a lossy trace can suggest but a kernel cannot do, counts once. Empty and
// inverted slices count for nothing; an inverted window (to < from) is
// empty. The slices need not be sorted, and are not modified.
func ConcurrencyOf(ss []Slice, from, to time.Duration, keep func(Slice) bool) Concurrency {
	c := Concurrency{From: from, To: max(to, from)}
	if c.Len() == 0 {
		return c
	}
	type edge struct {
		at  time.Duration
		tid int
		d   int // +1 on, −1 off
	}
	edges := make([]edge, 0, 2*len(ss))
	for _, s := range ss {
		if keep != nil && !keep(s) {
			continue
		}
		lo, hi := max(s.Start, from), min(s.End, to)
		if hi <= lo {
			continue
		}
		edges = append(edges, edge{lo, s.TID, +1}, edge{hi, s.TID, -1})
	}
	slices.SortFunc(edges, func(a, b edge) int { return cmp.Compare(a.at, b.at) })
	c.Time = []time.Duration{0}
	on := map[int]int{} // slices of each thread covering the sweep point
	running, at := 0, from
	for _, e := range edges {
		if e.at > at {
			c.Time[running] += e.at - at
			at = e.at
		}
		n := on[e.tid]
		on[e.tid] = n + e.d
		switch {
		case n == 0 && e.d > 0:
			running++
			for len(c.Time) <= running {
				c.Time = append(c.Time, 0)
			}
		case n == 1 && e.d < 0:
			running--
			delete(on, e.tid)
		}
	}
	c.Time[running] += to - at
	return c
}

// KeepPIDs returns a filter for [Trace.Concurrency] that keeps the slices
// of the given processes' threads.
func KeepPIDs(pids ...int) func(Slice) bool {
	set := make(map[int]bool, len(pids))
	for _, p := range pids {
		set[p] = true
	}
	return func(s Slice) bool { return set[s.PID] }
}
