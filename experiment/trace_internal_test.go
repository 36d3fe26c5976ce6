package experiment

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corescope/corescope/schedtrace"
)

func TestCountSwitches(t *testing.T) {
	const self, child = 10, 20
	threads := []schedtrace.Thread{
		{TID: 10, PID: self, Name: "watchcpu", Switches: 1000},    // the experiment's main thread
		{TID: 11, PID: self, Name: "gil-py2/0", Switches: 300},    // a worker, by name
		{TID: 12, PID: self, Name: "", Switches: 200},             // a worker, by its GIL events
		{TID: 13, PID: self, Name: "watchcpu", Switches: 50},      // a Go runtime thread
		{TID: 20, PID: child, Name: "python2.7", Switches: 4000},  // a real interpreter
		{TID: 21, PID: child, Name: "python2.7", Switches: 6000},  // and its second thread
		{TID: 30, PID: child + 1, Name: "proc/0", Switches: 7000}, // a Processes child, by name too
	}
	trace := func(edit func(*schedtrace.Trace)) *schedtrace.Trace {
		tr := &schedtrace.Trace{Duration: 2 * time.Second, Threads: threads,
			Slices: make([]schedtrace.Slice, 1000), GIL: []schedtrace.GILEvent{{TID: 12, Kind: schedtrace.GILTake}}}
		edit(tr)
		return tr
	}
	type got struct {
		Switches, Threads int
		Seconds           float64
		Uncounted         string
	}
	tests := []struct {
		name     string
		tr       *schedtrace.Trace
		children bool
		want     got
	}{
		{"children followed", trace(func(*schedtrace.Trace) {}), true, got{300 + 200 + 4000 + 6000 + 7000, 5, 2, ""}},
		{"whole machine", trace(func(*schedtrace.Trace) {}), false, got{300 + 200 + 7000, 3, 2, ""}},
		{"lost kernel events", trace(func(tr *schedtrace.Trace) { tr.Lost.Kernel = 12 }), true, got{Uncounted: "the trace lost 12 kernel events"}},
		// 10 of 1000 slices is the most a verdict trusts; 11 is too many.
		{"few unreported", trace(func(tr *schedtrace.Trace) { tr.Lost.Unmatched = 10 }), false, got{7500, 3, 2, ""}},
		{"many unreported", trace(func(tr *schedtrace.Trace) { tr.Lost.Unmatched = 11 }), true,
			got{Uncounted: "the kernel left 1.1 % of the trace's switches unreported"}},
		{"no worker", trace(func(tr *schedtrace.Trace) { tr.Threads, tr.GIL = threads[:1], nil }), false,
			got{Uncounted: "the trace holds none of the workload's threads"}},
		{"empty", &schedtrace.Trace{}, true, got{Uncounted: "the trace is empty"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt := &RunTrace{Trace: tc.tr, Switches: -1, Threads: -1, Seconds: -1, Uncounted: "stale"}
			rt.countSwitches(self, tc.children)
			if diff := cmp.Diff(tc.want, got{rt.Switches, rt.Threads, rt.Seconds, rt.Uncounted}); diff != "" {
				t.Errorf("countSwitches mismatch (-want +got):\n%s", diff)
			}
		})
	}
	var none RunTrace
	none.countSwitches(self, true) // no trace: nothing to count, no panic
	if none.Threads != 0 {
		t.Errorf("Threads = %d without a trace", none.Threads)
	}
}
