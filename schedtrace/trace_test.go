package schedtrace_test

import (
	"testing"

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
