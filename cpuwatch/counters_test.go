package cpuwatch

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func countersOf(t ticks, unit float64) Counters {
	return Counters{
		User: float64(t[fUser]) * unit, Nice: float64(t[fNice]) * unit, System: float64(t[fSystem]) * unit,
		Idle: float64(t[fIdle]) * unit, IOWait: float64(t[fIOWait]) * unit, IRQ: float64(t[fIRQ]) * unit,
		SoftIRQ: float64(t[fSoftIRQ]) * unit, Steal: float64(t[fSteal]) * unit,
		Guest: float64(t[fGuest]) * unit, GuestNice: float64(t[fGuestNice]) * unit,
	}
}

// TestUsageBetweenIsTheWatchers checks that UsageBetween, given the
// counters in ticks or in node_exporter's seconds, gives what the watcher
// computes from /proc/stat, and is not ok exactly where diff drops a core.
func TestUsageBetweenIsTheWatchers(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 20_000 {
		var prev, cur ticks
		for f := range prev {
			prev[f] = rng.Uint64N(1 << 30)
			switch rng.IntN(4) {
			case 0:
				cur[f] = prev[f]
			case 1:
				cur[f] = prev[f] - min(prev[f], rng.Uint64N(50)) // backwards
			default:
				cur[f] = prev[f] + rng.Uint64N(500)
			}
		}
		reset := wentBack(&prev, &cur)
		for _, unit := range []float64{1, 0.01} {
			got, ok := UsageBetween(countersOf(prev, unit), countersOf(cur, unit))
			if ok == reset {
				t.Fatalf("case %d unit %v: ok = %v, want %v (prev %v cur %v)", i, unit, ok, !reset, prev, cur)
			}
			if !ok {
				continue
			}
			want := usageOf(&prev, &cur)
			if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-6)); diff != "" {
				t.Fatalf("case %d unit %v: mismatch (-usageOf +UsageBetween):\n%s", i, unit, diff)
			}
		}
	}
}

func TestUsageBetween(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name      string
		prev, cur Counters
		want      Usage
		ok        bool
	}{
		{"half busy, in seconds", Counters{User: 1, Idle: 1}, Counters{User: 1.5, Idle: 1.5}, Usage{User: 0.5, Idle: 0.5}, true},
		{"guest out of user", Counters{}, Counters{User: 1, Idle: 1, Guest: 0.4}, Usage{User: 0.3, Idle: 0.5, Guest: 0.2}, true},
		{"iowait back into idle", Counters{IOWait: 5}, Counters{User: 1, Idle: 1, IOWait: 4}, Usage{User: 1}, true},
		{"no time", Counters{Idle: 3}, Counters{Idle: 3}, Usage{Idle: 1}, true},
		{"reset", Counters{User: 500, Idle: 900}, Counters{User: 1, Idle: 2}, Usage{}, false},
		{"NaN", Counters{}, Counters{User: nan, Idle: 1}, Usage{}, false},
		{"Inf", Counters{Idle: math.Inf(1)}, Counters{Idle: 1}, Usage{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := UsageBetween(tt.prev, tt.cur)
			if ok != tt.ok {
				t.Fatalf("UsageBetween ok = %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
				t.Errorf("UsageBetween mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
