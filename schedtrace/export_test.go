package schedtrace_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/corescope/corescope/schedtrace"
	"github.com/google/go-cmp/cmp"
)

func sample() *schedtrace.Trace {
	return &schedtrace.Trace{
		Start:    time.Date(2026, 12, 1, 19, 0, 0, 123456789, time.UTC),
		Duration: 10 * time.Millisecond,
		CPUs:     []int{0, 2},
		Slices: []schedtrace.Slice{
			{CPU: 0, PID: 7, TID: 7, Start: 0, End: 1500 * time.Nanosecond},
			{CPU: 2, PID: 7, TID: 8, Start: 1 * time.Millisecond, End: 3 * time.Millisecond},
		},
		Threads: []schedtrace.Thread{
			{TID: 7, PID: 7, Name: `main "quoted"`, OnCPU: []schedtrace.CPUTime{{CPU: 0, Time: 1500}}, Switches: 1},
			{TID: 8, PID: 7, Name: "gil-py2/1", OnCPU: []schedtrace.CPUTime{{CPU: 2, Time: 2 * time.Millisecond}},
				Switches: 3, Preempted: 1, Migrations: 2, Runnable: time.Millisecond, Asleep: 4 * time.Millisecond},
		},
		Wakeups: []schedtrace.Wakeup{{Time: 999 * time.Microsecond, Waker: 7, Wakee: 8, CPU: 2}},
		GIL: []schedtrace.GILEvent{
			{Time: 1001 * time.Microsecond, TID: 8, Kind: schedtrace.GILTake},
			{Time: 2 * time.Millisecond, TID: 8, Kind: schedtrace.GILFailedWake},
		},
		Lost:  schedtrace.Lost{Kernel: 2, GIL: 1, Unmatched: 3},
		Bytes: 4096,
	}
}

func TestJSONRoundTrip(t *testing.T) {
	want := sample()
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var got schedtrace.Trace
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, &got); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
}

func TestWriteTraceEvents(t *testing.T) {
	var buf bytes.Buffer
	if err := sample().WriteTraceEvents(&buf); err != nil {
		t.Fatal(err)
	}
	type ev struct {
		Name string         `json:"name"`
		Cat  string         `json:"cat"`
		Ph   string         `json:"ph"`
		S    string         `json:"s"`
		PID  int            `json:"pid"`
		TID  int            `json:"tid"`
		TS   float64        `json:"ts"`
		Dur  float64        `json:"dur"`
		Args map[string]any `json:"args"`
	}
	var doc struct {
		OtherData   map[string]any `json:"otherData"`
		TraceEvents []ev           `json:"traceEvents"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, buf.String())
	}
	want := []ev{
		{Name: "thread_name", Ph: "M", PID: 7, TID: 7, Args: map[string]any{"name": `main "quoted"`}},
		{Name: "thread_name", Ph: "M", PID: 7, TID: 8, Args: map[string]any{"name": "gil-py2/1"}},
		{Name: "cpu0", Cat: "sched", Ph: "X", PID: 7, TID: 7, TS: 0, Dur: 1.5, Args: map[string]any{"cpu": 0.0}},
		{Name: "cpu2", Cat: "sched", Ph: "X", PID: 7, TID: 8, TS: 1000, Dur: 2000, Args: map[string]any{"cpu": 2.0}},
		{Name: "gil take", Cat: "gil", Ph: "i", S: "t", PID: 7, TID: 8, TS: 1001},
		{Name: "gil failed-wake", Cat: "gil", Ph: "i", S: "t", PID: 7, TID: 8, TS: 2000},
	}
	if diff := cmp.Diff(want, doc.TraceEvents); diff != "" {
		t.Errorf("events mismatch (-want +got):\n%s", diff)
	}
	if doc.OtherData["lost_kernel"] != 2.0 || doc.OtherData["lost_gil"] != 1.0 {
		t.Errorf("otherData = %v, want lost_kernel 2 and lost_gil 1", doc.OtherData)
	}
}

func TestLostString(t *testing.T) {
	tests := []struct {
		l    schedtrace.Lost
		want string
	}{
		{schedtrace.Lost{}, "nothing lost"},
		{schedtrace.Lost{Kernel: 1}, "lost 1 kernel event"},
		{schedtrace.Lost{Kernel: 12, Unmatched: 3}, "lost 12 kernel events, 3 unreported switches"},
		{schedtrace.Lost{GIL: 2, Unmatched: 1}, "lost 2 GIL events, 1 unreported switch"},
	}
	for _, tt := range tests {
		if got := tt.l.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.l, got, tt.want)
		}
	}
}
