package cpuwatch_test

import (
	"testing"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/google/go-cmp/cmp"
)

func TestTiming(t *testing.T) {
	tests := []struct {
		name string
		w    *cpuwatch.Watcher
		want cpuwatch.Timing
	}{
		{"nil", nil, cpuwatch.Timing{Interval: cpuwatch.DefaultInterval, Lead: cpuwatch.DefaultLead, Trail: cpuwatch.DefaultTrail}},
		{"zero", &cpuwatch.Watcher{}, cpuwatch.Timing{Interval: cpuwatch.DefaultInterval, Lead: cpuwatch.DefaultLead, Trail: cpuwatch.DefaultTrail}},
		{"set", &cpuwatch.Watcher{Interval: 50 * time.Millisecond, Lead: 4, Trail: 1, MinSamples: 9},
			cpuwatch.Timing{Interval: 50 * time.Millisecond, Lead: 4, Trail: 1, MinSamples: 9}},
		{"negative lead and trail mean none", &cpuwatch.Watcher{Interval: time.Second, Lead: -1, Trail: -3},
			cpuwatch.Timing{Interval: time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.w.Timing()
			if err != nil {
				t.Fatalf("Timing() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Timing() mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := (&cpuwatch.Watcher{Interval: -time.Second}).Timing(); err == nil {
		t.Error("Timing() of a negative interval = nil error, want one")
	}
}
