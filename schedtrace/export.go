package schedtrace

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/corescope/corescope/internal/atomicfile"
)

// WriteTraceEvents writes t in the Trace Event Format, the JSON that
// Perfetto UI (ui.perfetto.dev) and chrome://tracing open: one complete
// ("ph":"X") event per on-CPU slice, with "cat":"sched", the thread's
// process as pid, ts and dur in microseconds from t.Start, and the CPU in
// args.cpu; a thread_name metadata event per thread; and each GIL event as
// an instant ("ph":"i") under "cat":"gil". otherData carries the trace's
// start, its CPUs and what was lost, so a viewer's user can see it.
func (t *Trace) WriteTraceEvents(w io.Writer) error {
	bw := bufio.NewWriter(w)
	pidOf := make(map[int]int, len(t.Threads))
	for _, th := range t.Threads {
		pidOf[th.TID] = th.PID
	}
	other, err := json.Marshal(map[string]any{
		"start":          t.Start.Format(time.RFC3339Nano),
		"duration_us":    float64(t.Duration) / 1e3,
		"cpus":           t.CPUs,
		"lost_kernel":    t.Lost.Kernel,
		"lost_gil":       t.Lost.GIL,
		"lost_unmatched": t.Lost.Unmatched,
	})
	if err != nil {
		return fmt.Errorf("schedtrace: %w", err)
	}
	bw.WriteString(`{"displayTimeUnit":"ns","otherData":`)
	bw.Write(other)
	bw.WriteString(`,"traceEvents":[`)
	first := true
	sep := func() {
		if !first {
			bw.WriteString(",\n")
		}
		first = false
	}
	for _, th := range t.Threads {
		sep()
		name, _ := json.Marshal(th.Name)
		fmt.Fprintf(bw, `{"name":"thread_name","ph":"M","pid":%d,"tid":%d,"args":{"name":%s}}`, th.PID, th.TID, name)
	}
	for _, s := range t.Slices {
		sep()
		fmt.Fprintf(bw, `{"name":"cpu%d","cat":"sched","ph":"X","pid":%d,"tid":%d,"ts":%s,"dur":%s,"args":{"cpu":%d}}`,
			s.CPU, s.PID, s.TID, micros(s.Start), micros(s.Len()), s.CPU)
	}
	for _, g := range t.GIL {
		sep()
		fmt.Fprintf(bw, `{"name":"gil %s","cat":"gil","ph":"i","s":"t","pid":%d,"tid":%d,"ts":%s}`,
			g.Kind, pidOf[int(g.TID)], int(g.TID), micros(g.Time))
	}
	bw.WriteString("]}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("schedtrace: writing trace events: %w", err)
	}
	return nil
}

// micros formats d in microseconds with nanosecond precision.
func micros(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/1e3, 'f', -1, 64)
}

// WriteTraceEventsFile writes t to the named file as WriteTraceEvents
// does, all or nothing: a failed write leaves no partial file, and any
// file already at name as it was.
func (t *Trace) WriteTraceEventsFile(name string) error {
	if err := atomicfile.Write(name, t.WriteTraceEvents); err != nil {
		return fmt.Errorf("schedtrace: write %s: %w", name, err)
	}
	return nil
}
