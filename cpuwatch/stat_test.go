package cpuwatch

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestUsageOf(t *testing.T) {
	tests := []struct {
		name      string
		prev, cur ticks
		want      Usage
	}{
		{"half busy", ticks{100, 0, 100, 100}, ticks{125, 0, 125, 150}, Usage{User: 0.25, System: 0.25, Idle: 0.5}},
		{"no ticks", ticks{5, 5, 5, 5}, ticks{5, 5, 5, 5}, Usage{Idle: 1}},
		{"iowait backwards", ticks{0, 0, 0, 0, 50}, ticks{10, 0, 0, 10, 40}, Usage{User: 0.5, Idle: 0.5}},
		{"guest inside user", ticks{fUser: 0}, ticks{fUser: 100, fIdle: 100, fGuest: 40}, Usage{User: 0.3, Idle: 0.5, Guest: 0.2}},
		{"guest above user", ticks{}, ticks{fUser: 10, fIdle: 50, fGuest: 50}, Usage{Idle: 0.5, Guest: 0.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := usageOf(&tt.prev, &tt.cur)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
				t.Errorf("usageOf mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
