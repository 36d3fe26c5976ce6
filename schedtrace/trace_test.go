package schedtrace_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/corescope/corescope/schedtrace"
)

func TestUnreportedShare(t *testing.T) {
	tests := []struct {
		name      string
		slices    int
		unmatched uint64
		want      float64
	}{
		{"empty trace", 0, 0, 0},
		{"none unreported", 10, 0, 0},
		{"one in a hundred", 100, 1, 0.01},
		{"a quarter", 8, 2, 0.25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &schedtrace.Trace{Slices: make([]schedtrace.Slice, tt.slices), Lost: schedtrace.Lost{Unmatched: tt.unmatched}}
			if got := tr.UnreportedShare(); got != tt.want {
				t.Errorf("UnreportedShare() = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestGILEventJSON checks that every kind's JSON is its name, byte for
// byte what the string-typed kind of earlier versions wrote, and that it
// reads back.
func TestGILEventJSON(t *testing.T) {
	tests := []struct {
		kind schedtrace.GILEventKind
		want string
	}{
		{0, `{"time":0,"tid":0,"kind":""}`},
		{schedtrace.GILWant, `{"time":1500,"tid":101,"kind":"want"}`},
		{schedtrace.GILTake, `{"time":1500,"tid":101,"kind":"take"}`},
		{schedtrace.GILDrop, `{"time":1500,"tid":101,"kind":"drop"}`},
		{schedtrace.GILFailedWake, `{"time":1500,"tid":101,"kind":"failed-wake"}`},
		{schedtrace.GILDropRequest, `{"time":1500,"tid":101,"kind":"drop-request"}`},
		{schedtrace.GILForcedSwitch, `{"time":1500,"tid":101,"kind":"forced-switch"}`},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String()+"kind", func(t *testing.T) {
			e := schedtrace.GILEvent{Kind: tt.kind}
			if tt.kind != 0 {
				e.Time, e.TID = 1500, 101
			}
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("json.Marshal(%v) = %s, want %s", e, b, tt.want)
			}
			var got schedtrace.GILEvent
			if err := json.Unmarshal([]byte(tt.want), &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(e, got); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGILEventKindBad(t *testing.T) {
	if got, want := schedtrace.GILEventKind(200).String(), "GILEventKind(200)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if _, err := json.Marshal(schedtrace.GILEvent{Kind: 200}); err == nil || !strings.Contains(err.Error(), "schedtrace: GIL event kind 200 has no name") {
		t.Errorf("json.Marshal of kind 200: error %v, want one naming the kind", err)
	}
	var e schedtrace.GILEvent
	err := json.Unmarshal([]byte(`{"time":1,"tid":2,"kind":"yield"}`), &e)
	if err == nil || !strings.Contains(err.Error(), `schedtrace: unknown GIL event kind "yield"`) {
		t.Errorf("json.Unmarshal of kind yield: error %v, want one naming it", err)
	}
}

// TestGILEventSize guards the event's size: a Python 2 GIL storm records
// two million a second, and a trace holds them all.
func TestGILEventSize(t *testing.T) {
	if got := unsafe.Sizeof(schedtrace.GILEvent{}); got != 16 {
		t.Errorf("unsafe.Sizeof(GILEvent{}) = %d, want 16", got)
	}
}
