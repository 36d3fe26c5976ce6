package corescope_test

import (
	"errors"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/schedtrace"
	"github.com/corescope/corescope/workload"
)

var shortWatch = &cpuwatch.Watcher{Interval: 100 * time.Millisecond, Lead: -1, Trail: -1}

// TestRunTracedWithoutTracefs checks that a run that cannot be traced
// still runs, and says why it was not traced.
func TestRunTracedWithoutTracefs(t *testing.T) {
	m := workload.GIL{N: 2, Version: workload.Python2, Work: workload.Work{Kernel: workload.Bytecode, N: 1 << 12, Units: 4}}
	res, err := corescope.RunTraced(t.Context(), shortWatch, &schedtrace.Tracer{TracefsRoot: t.TempDir()}, m)
	if errors.Is(err, schedtrace.ErrUnsupported) || (err != nil && strings.Contains(err.Error(), "needs Linux")) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if res.Trace != nil || res.TraceError == "" {
		t.Fatalf("Trace = %v, TraceError = %q; want no trace and a reason", res.Trace, res.TraceError)
	}
	if !strings.Contains(res.TraceError, "mount -t tracefs") {
		t.Errorf("TraceError %q does not say how to mount tracefs", res.TraceError)
	}
	if len(res.Results) != 2 {
		t.Errorf("Results = %v, want the 2 workers' sums", res.Results)
	}
}

// TestRunTracedGIL traces a Python 2 GIL run and checks that the GIL's own
// events sit on the same clock as the kernel's: a thread records an event
// only while it runs, so each must fall inside one of its on-CPU slices.
func TestRunTracedGIL(t *testing.T) {
	m := workload.GIL{N: 2, Version: workload.Python2, Work: workload.Work{Kernel: workload.Bytecode, N: 1 << 14, Duration: 200 * time.Millisecond}}
	res, err := corescope.RunTraced(t.Context(), shortWatch, &schedtrace.Tracer{}, m)
	if err != nil {
		t.Fatal(err)
	}
	if res.Trace == nil {
		t.Skipf("cannot trace here: %s", res.TraceError)
	}
	tr := res.Trace
	if len(tr.GIL) == 0 {
		t.Fatal("no GIL events in the trace")
	}
	unreported(t, tr)
	byTID := map[int][]schedtrace.Slice{}
	for _, s := range tr.Slices {
		byTID[s.TID] = append(byTID[s.TID], s)
	}
	// A slice's ends are the kernel's switch times; allow the few µs
	// between the switch and the tracepoint's clock read.
	const slack = 20 * time.Microsecond
	outside := 0
	for _, e := range tr.GIL {
		ss := byTID[int(e.TID)]
		i := sort.Search(len(ss), func(i int) bool { return ss[i].End+slack >= e.Time })
		if i == len(ss) || ss[i].Start-slack > e.Time {
			outside++
		}
	}
	if frac := float64(outside) / float64(len(tr.GIL)); frac > 0.01 {
		t.Errorf("%d of %d GIL events (%.1f %%) fall outside their thread's on-CPU slices", outside, len(tr.GIL), 100*frac)
	}
	if tr.Lost.GIL != uint64(res.Report.GILEventsLost) {
		t.Errorf("Lost.GIL = %d, want the workload's %d", tr.Lost.GIL, res.Report.GILEventsLost)
	}
	t.Logf("%d GIL events, %d outside slices, %d slices, lost %+v", len(tr.GIL), outside, len(tr.Slices), tr.Lost)
}

// unreported skips the test when the kernel left more than
// schedtrace.MaxUnreportedShare of a
// trace's switches unreported. With the kernel's context switch records
// beside the tracepoint a quiet machine leaves a few a second; a kernel
// without them (before 4.3) may leave thousands, and each can hide a
// slice's start or end,
// so the trace cannot be held to a peer's or its own events' times then.
// It says so rather than hide it, as every picture made from the trace
// does.
func unreported(t *testing.T, tr *schedtrace.Trace) {
	t.Helper()
	if u := tr.UnreportedShare(); u > schedtrace.MaxUnreportedShare {
		load, _ := os.ReadFile("/proc/loadavg")
		t.Skipf("the kernel left %d switches unreported beside %d slices (%.1f %%), under load %s: exact times cannot be compared", tr.Lost.Unmatched, len(tr.Slices), 100*u, strings.TrimSpace(string(load)))
	}
}
