package schedtrace

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// WindowStats sums what happened in one window of a trace: the figures
// [Trace.Describe] reads into a sentence.
type WindowStats struct {
	Window Window
	// Slices counts the slices that overlap the window; Threads and CPUs
	// count the distinct threads and CPUs among them.
	Slices, Threads, CPUs int
	// Switches counts slices that end inside the window; Migrations the
	// slices starting inside it on another CPU than their thread's
	// previous slice.
	Switches, Migrations int
	// Together is the fraction of the window during which at least two
	// followed threads ran at once; MeanRunning is the mean number running.
	Together, MeanRunning float64
	// HandOffs counts the GIL's hand-offs in the window (see
	// [Trace.HandOffs]); FailedWakes the failed wake-ups of every thread;
	// DropRequests and ForcedSwitches Python 3's requests and switches.
	HandOffs, FailedWakes, DropRequests, ForcedSwitches int
	// Waiter is the thread with the most failed wake-ups in the window
	// (0 when there were none); WaiterCPU the CPU its wake-ups sent it to
	// most often (-1 when the trace has no wake-ups of it), and
	// WaiterFailed the fraction of its wake-ups, failed or ending in a
	// hand-off to it, that failed.
	Waiter, WaiterCPU int
	WaiterFailed      float64
	// WaiterFailedWakes is the Waiter's count of failed wake-ups.
	WaiterFailedWakes int
}

// Stats returns what happened in w, cut to the trace.
func (t *Trace) Stats(w Window) WindowStats {
	w = t.Clip(w)
	st := WindowStats{Window: w, WaiterCPU: -1}
	threads, cpus := map[int]bool{}, map[int]bool{}
	type edge struct {
		at time.Duration
		d  int
	}
	var edges []edge
	lastCPU := map[int]int{}
	for _, s := range t.Slices {
		if prev, ok := lastCPU[s.TID]; ok && prev != s.CPU && s.Start >= w.From && s.Start < w.To {
			st.Migrations++
		}
		lastCPU[s.TID] = s.CPU
		if !w.Overlaps(s.Start, s.End) {
			continue
		}
		st.Slices++
		threads[s.TID], cpus[s.CPU] = true, true
		if s.End >= w.From && s.End < w.To {
			st.Switches++
		}
		a, b := max(s.Start, w.From), min(s.End, w.To)
		if b > a {
			edges = append(edges, edge{a, 1}, edge{b, -1})
		}
	}
	st.Threads, st.CPUs = len(threads), len(cpus)
	if l := w.Len(); l > 0 {
		slices.SortFunc(edges, func(a, b edge) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.d, b.d)) })
		var together, area time.Duration
		n, at := 0, w.From
		for _, e := range edges {
			if n >= 2 {
				together += e.at - at
			}
			area += time.Duration(n) * (e.at - at)
			n, at = n+e.d, e.at
		}
		st.Together = float64(together) / float64(l)
		st.MeanRunning = float64(area) / float64(l)
	}

	for _, h := range t.HandOffs() {
		if h >= w.From && h < w.To {
			st.HandOffs++
		}
	}
	failed, won := map[int]int{}, map[int]int{}
	last := -1
	for _, e := range t.GIL {
		in := e.Time >= w.From && e.Time < w.To
		switch e.Kind {
		case GILTake:
			if in && last >= 0 && int(e.TID) != last {
				won[int(e.TID)]++
			}
			last = int(e.TID)
		case GILFailedWake:
			if in {
				st.FailedWakes++
				failed[int(e.TID)]++
			}
		case GILDropRequest:
			if in {
				st.DropRequests++
			}
		case GILForcedSwitch:
			if in {
				st.ForcedSwitches++
			}
		}
	}
	for tid, n := range failed {
		if n > failed[st.Waiter] || n == failed[st.Waiter] && tid < st.Waiter {
			st.Waiter = tid
		}
	}
	if st.Waiter != 0 {
		f := failed[st.Waiter]
		st.WaiterFailedWakes = f
		st.WaiterFailed = float64(f) / float64(f+won[st.Waiter])
		perCPU := map[int]int{}
		for _, wk := range t.Wakeups {
			if wk.Wakee == st.Waiter && wk.Time >= w.From && wk.Time < w.To {
				perCPU[wk.CPU]++
			}
		}
		for cpu, n := range perCPU {
			if st.WaiterCPU < 0 || n > perCPU[st.WaiterCPU] || n == perCPU[st.WaiterCPU] && cpu < st.WaiterCPU {
				st.WaiterCPU = cpu
			}
		}
	}
	return st
}

// Describe reads window w of the trace into a sentence for a report, from
// the figures of [Trace.Stats]. For a GIL run it counts the hand-offs and
// says how often the most frustrated waiter found the lock taken again;
// for others, how many threads ran side by side. When the trace lost
// events, a second sentence says how many: a summary never hides them.
func (t *Trace) Describe(w Window) string {
	st := t.Stats(w)
	var b strings.Builder
	b.WriteString("In these " + FormatDuration(st.Window.Len()))
	switch {
	case len(t.GIL) > 0:
		fmt.Fprintf(&b, " the lock changed hands %s", times(st.HandOffs))
		if st.HandOffs > 1 {
			fmt.Fprintf(&b, ", about every %s", FormatDuration(st.Window.Len()/time.Duration(st.HandOffs)))
		}
		if st.Waiter != 0 {
			fmt.Fprintf(&b, "; %s failed %d wake-ups", t.threadName(st.Waiter), st.WaiterFailedWakes)
			if st.WaiterCPU >= 0 {
				fmt.Fprintf(&b, " (woken mostly on cpu%d)", st.WaiterCPU)
			}
			fmt.Fprintf(&b, ": it found the lock taken again %s of the times it was woken", percent(st.WaiterFailed))
		} else if st.FailedWakes == 0 && st.HandOffs > 0 {
			b.WriteString("; no failed wake-ups")
		}
		if st.DropRequests > 0 || st.ForcedSwitches > 0 {
			fmt.Fprintf(&b, "; %s, %s", count(st.DropRequests, "drop request"), count(st.ForcedSwitches, "forced switch"))
		}
	case st.Slices == 0:
		b.WriteString(" no followed thread ran")
	case st.Threads == 1:
		fmt.Fprintf(&b, " one thread ran, on %s, %s of the time", count(st.CPUs, "CPU"), percent(st.MeanRunning))
	default:
		fmt.Fprintf(&b, " %d threads ran on %s; at least two ran side by side %s of the time, %.1f at once on average",
			st.Threads, count(st.CPUs, "CPU"), percent(st.Together), st.MeanRunning)
	}
	if st.Slices > 0 {
		fmt.Fprintf(&b, " (%s, %s)", count(st.Switches, "switch"), count(st.Migrations, "migration"))
	}
	b.WriteString(".")
	if l := t.LostSentence(); l != "" {
		b.WriteString(" " + l)
	}
	return b.String()
}

// LostSentence says what the trace lost, or "" when it lost nothing.
func (t *Trace) LostSentence() string {
	if !t.Lost.Any() {
		return ""
	}
	var parts []string
	if t.Lost.Kernel > 0 {
		parts = append(parts, fmt.Sprintf("the kernel lost %d scheduler events", t.Lost.Kernel))
	}
	if t.Lost.GIL > 0 {
		parts = append(parts, fmt.Sprintf("the GIL buffers lost %d events", t.Lost.GIL))
	}
	if t.Lost.Unmatched > 0 {
		parts = append(parts, fmt.Sprintf("the kernel left %d switches unreported", t.Lost.Unmatched))
	}
	return "Beware: " + strings.Join(parts, " and ") + " of this trace, so it may miss slices, wake-ups or hand-offs."
}

func (t *Trace) threadName(tid int) string {
	if th := t.Thread(tid); th != nil && th.Name != "" {
		return CleanName(th.Name)
	}
	return "thread " + strconv.Itoa(tid)
}

// CleanName returns a thread name fit to print anywhere: valid UTF-8, no
// control or format characters (each becomes U+FFFD), no surrounding
// space, at most 64 runes. Thread names come from the traced programs,
// which may name threads anything.
func CleanName(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == 64 {
			b.WriteString("…")
			break
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			r = '\uFFFD'
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

// FormatDuration formats d for a sentence or an axis: "350 µs",
// "2 ms", "1.25 s".
func FormatDuration(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return strconv.FormatInt(int64(d), 10) + " ns"
	case d < time.Millisecond:
		return trimFloat(float64(d)/1e3) + " µs"
	case d < time.Second:
		return trimFloat(float64(d)/1e6) + " ms"
	}
	return trimFloat(float64(d)/1e9) + " s"
}

// trimFloat formats x with 3 significant digits (more left of the point)
// and no trailing zeros.
func trimFloat(x float64) string {
	dec := 0
	switch {
	case x < 10:
		dec = 2
	case x < 100:
		dec = 1
	}
	s := strconv.FormatFloat(x, 'f', dec, 64)
	if dec > 0 {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func percent(f float64) string { return strconv.Itoa(int(f*100+0.5)) + " %" }

func times(n int) string {
	switch n {
	case 0:
		return "no times"
	case 1:
		return "once"
	}
	return strconv.Itoa(n) + " times"
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if strings.HasSuffix(what, "ch") {
		return strconv.Itoa(n) + " " + what + "es"
	}
	return strconv.Itoa(n) + " " + what + "s"
}
