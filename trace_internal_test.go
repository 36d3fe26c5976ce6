package corescope

import (
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/corescope/corescope/schedtrace"
	"github.com/corescope/corescope/workload"
)

// TestAddGIL checks the conversion of a GIL run's events into a trace's:
// each kind keeps its name, times move onto the trace's clock, and an
// event outside the trace or of a kind schedtrace cannot name is counted
// lost, never dropped silently.
func TestAddGIL(t *testing.T) {
	const mono = 1_000_000
	tr := &schedtrace.Trace{Monotonic: mono, Duration: 100}
	var in []workload.GILEvent
	var want []schedtrace.GILEvent
	for k := workload.GILWant; k <= workload.GILForcedSwitch; k++ {
		at := time.Duration(10 * k)
		in = append(in, workload.GILEvent{Mono: mono + int64(at), TID: 7, Kind: k})
		var sk schedtrace.GILEventKind
		if err := sk.UnmarshalText([]byte(k.String())); err != nil {
			t.Fatalf("workload kind %v has no schedtrace kind: %v", k, err)
		}
		want = append(want, schedtrace.GILEvent{Time: at, TID: 7, Kind: sk})
	}
	in = append(in,
		workload.GILEvent{Mono: mono - 1, TID: 7, Kind: workload.GILTake},   // before the trace
		workload.GILEvent{Mono: mono + 101, TID: 7, Kind: workload.GILTake}, // after it
		workload.GILEvent{Mono: mono + 50, TID: 7, Kind: 0},                 // no kind
	)
	first := unsafe.Pointer(&in[0])
	addGIL(tr, workload.Report{GILEvents: in, GILEventsLost: 5})
	if diff := cmp.Diff(want, tr.GIL); diff != "" {
		t.Errorf("Trace.GIL mismatch (-want +got):\n%s", diff)
	}
	if got, want := tr.Lost.GIL, uint64(5+3); got != want {
		t.Errorf("Lost.GIL = %d, want %d", got, want)
	}
	// A GIL storm's events must not be held twice.
	if !sameGILLayout {
		t.Error("workload.GILEvent and schedtrace.GILEvent are laid out differently: addGIL copies every event")
	} else if unsafe.Pointer(&tr.GIL[0]) != first {
		t.Error("addGIL copied the events rather than converting them in place")
	}
}
