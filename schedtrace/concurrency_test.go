package schedtrace_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corescope/corescope/schedtrace"
)

// ms is a millisecond count as a Duration, for readable tables.
func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func sl(cpu, pid, tid, start, end int) schedtrace.Slice {
	return schedtrace.Slice{CPU: cpu, PID: pid, TID: tid, Start: ms(start), End: ms(end)}
}

func TestConcurrencyOf(t *testing.T) {
	// many is one slice per CPU of a 256-CPU machine, each its own
	// thread, all running [10, 20) ms; thread i also runs [0, i/32) ms
	// earlier on its CPU, so the ramp-up has 8 steps.
	var many []schedtrace.Slice
	for cpu := range 256 {
		many = append(many, sl(cpu, 1, 1000+cpu, 10, 20))
		if cpu/32 > 0 {
			many = append(many, sl(cpu, 1, 1000+cpu, 0, cpu/32))
		}
	}
	manyWant := make([]time.Duration, 257)
	// [0,1): threads with cpu/32 >= 1 run: 224; [1,2): 192; … [6,7): 32.
	for step := range 7 {
		manyWant[256-32*(step+1)] = ms(1)
	}
	manyWant[0] = ms(3)    // [7, 10)
	manyWant[256] = ms(10) // [10, 20)

	tests := []struct {
		name     string
		slices   []schedtrace.Slice
		from, to int
		keep     func(schedtrace.Slice) bool
		want     []time.Duration // nil: the empty window
	}{
		{name: "no slices", from: 0, to: 10, want: []time.Duration{ms(10)}},
		{name: "empty window", slices: []schedtrace.Slice{sl(0, 1, 1, 0, 5)}, from: 3, to: 3},
		{name: "inverted window", slices: []schedtrace.Slice{sl(0, 1, 1, 0, 5)}, from: 5, to: 3},
		{
			name:   "one thread with a gap",
			slices: []schedtrace.Slice{sl(0, 1, 1, 0, 4), sl(0, 1, 1, 6, 10)},
			from:   0, to: 10,
			want: []time.Duration{ms(2), ms(8)},
		},
		{
			name:   "two threads overlapping",
			slices: []schedtrace.Slice{sl(0, 1, 1, 0, 6), sl(1, 1, 2, 4, 10)},
			from:   0, to: 10,
			want: []time.Duration{0, ms(8), ms(2)},
		},
		{
			name:   "back to back on one CPU",
			slices: []schedtrace.Slice{sl(0, 1, 1, 0, 5), sl(0, 1, 2, 5, 10)},
			from:   0, to: 10,
			want: []time.Duration{0, ms(10)},
		},
		{
			name:   "a thread migrates at an instant",
			slices: []schedtrace.Slice{sl(1, 1, 1, 5, 10), sl(0, 1, 1, 0, 5)},
			from:   0, to: 10,
			want: []time.Duration{0, ms(10)},
		},
		{
			name:   "same thread on two CPUs counts once",
			slices: []schedtrace.Slice{sl(0, 1, 1, 0, 8), sl(1, 1, 1, 2, 10), sl(2, 1, 2, 4, 6)},
			from:   0, to: 10,
			want: []time.Duration{0, ms(8), ms(2)},
		},
		{
			name:   "window cuts slices on both sides",
			slices: []schedtrace.Slice{sl(0, 1, 1, 0, 10), sl(1, 1, 2, 2, 20), sl(0, 1, 1, 15, 30)},
			from:   5, to: 18,
			want: []time.Duration{0, ms(5 + 0), ms(5 + 3)},
		},
		{
			name:   "window entirely inside a slice",
			slices: []schedtrace.Slice{sl(0, 1, 1, 0, 100)},
			from:   40, to: 50,
			want: []time.Duration{0, ms(10)},
		},
		{
			name:   "slices outside the window",
			slices: []schedtrace.Slice{sl(0, 1, 1, 0, 5), sl(0, 1, 2, 20, 30)},
			from:   5, to: 20,
			want: []time.Duration{ms(15)},
		},
		{
			name:   "empty and inverted slices count for nothing",
			slices: []schedtrace.Slice{sl(0, 1, 1, 3, 3), sl(1, 1, 2, 8, 2), sl(2, 1, 3, 0, 10)},
			from:   0, to: 10,
			want: []time.Duration{0, ms(10)},
		},
		{
			name:   "filter by process",
			slices: []schedtrace.Slice{sl(0, 1, 1, 0, 10), sl(1, 2, 2, 0, 10), sl(2, 3, 3, 0, 5)},
			from:   0, to: 10,
			keep: schedtrace.KeepPIDs(1, 3),
			want: []time.Duration{0, ms(5), ms(5)},
		},
		{
			name:   "filter by thread",
			slices: []schedtrace.Slice{sl(0, 1, 1, 0, 10), sl(1, 1, 2, 0, 10)},
			from:   0, to: 10,
			keep: func(s schedtrace.Slice) bool { return s.TID == 2 },
			want: []time.Duration{0, ms(10)},
		},
		{
			name:   "threads of several processes add up",
			slices: []schedtrace.Slice{sl(0, 10, 10, 0, 10), sl(1, 11, 11, 0, 10), sl(2, 12, 12, 5, 10)},
			from:   0, to: 10,
			want: []time.Duration{0, 0, ms(5), ms(5)},
		},
		{name: "256 CPUs", slices: many, from: 0, to: 20, want: manyWant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := schedtrace.ConcurrencyOf(tt.slices, ms(tt.from), ms(tt.to), tt.keep)
			want := schedtrace.Concurrency{From: ms(tt.from), To: max(ms(tt.to), ms(tt.from)), Time: tt.want}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ConcurrencyOf mismatch (-want +got):\n%s", diff)
			}
			var sum time.Duration
			for _, d := range got.Time {
				sum += d
			}
			if sum != got.Len() {
				t.Errorf("histogram sums to %v, want the window's %v", sum, got.Len())
			}
		})
	}
}

// TestConcurrencyOfMatchesBruteForce checks the sweep against counting,
// nanosecond by nanosecond, which distinct threads cover each instant.
func TestConcurrencyOfMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		n := rng.IntN(30)
		var ss []schedtrace.Slice
		for range n {
			a, b := rng.IntN(100), rng.IntN(100)
			ss = append(ss, schedtrace.Slice{CPU: rng.IntN(8), PID: 1, TID: rng.IntN(6), Start: time.Duration(a), End: time.Duration(b)})
		}
		from, to := time.Duration(rng.IntN(50)), time.Duration(50+rng.IntN(60))
		want := map[int]time.Duration{}
		for at := from; at < to; at++ {
			tids := map[int]bool{}
			for _, s := range ss {
				if s.Start <= at && at < s.End {
					tids[s.TID] = true
				}
			}
			want[len(tids)]++
		}
		got := schedtrace.ConcurrencyOf(ss, from, to, nil)
		gotMap := map[int]time.Duration{}
		for k, d := range got.Time {
			if d > 0 {
				gotMap[k] = d
			}
		}
		if diff := cmp.Diff(want, gotMap); diff != "" {
			t.Fatalf("trial %d: histogram mismatch (-brute force +sweep):\n%s\nslices %v, window [%v, %v)", trial, diff, ss, from, to)
		}
	}
}

func TestConcurrencyFigures(t *testing.T) {
	c := schedtrace.Concurrency{From: ms(0), To: ms(100), Time: []time.Duration{ms(10), ms(30), ms(60)}}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"Len", c.Len(), ms(100)},
		{"Max", c.Max(), 2},
		{"AtLeast(0)", c.AtLeast(0), ms(100)},
		{"AtLeast(1)", c.AtLeast(1), ms(90)},
		{"AtLeast(2)", c.AtLeast(2), ms(60)},
		{"AtLeast(3)", c.AtLeast(3), time.Duration(0)},
		{"AtLeast(-1)", c.AtLeast(-1), ms(100)},
		{"AtMost(0)", c.AtMost(0), ms(10)},
		{"AtMost(1)", c.AtMost(1), ms(40)},
		{"AtMost(5)", c.AtMost(5), ms(100)},
		{"ShareAtLeast(2)", c.ShareAtLeast(2), 0.6},
		{"ShareAtMost(1)", c.ShareAtMost(1), 0.4},
		{"Mean", c.Mean(), 1.5},
		{"String", c.String(), "2 at once 60.0 %, 1 at once 30.0 %, none 10.0 % of 100ms"},
		{"zero Max", schedtrace.Concurrency{}.Max(), 0},
		{"zero ShareAtLeast", schedtrace.Concurrency{}.ShareAtLeast(1), 0.0},
		{"zero ShareAtMost", schedtrace.Concurrency{}.ShareAtMost(1), 0.0},
		{"zero Mean", schedtrace.Concurrency{}.Mean(), 0.0},
		{"zero String", schedtrace.Concurrency{}.String(), "empty window"},
		{"Max ignores empty top", schedtrace.Concurrency{To: ms(1), Time: []time.Duration{ms(1), 0}}.Max(), 0},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.got); diff != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestTraceConcurrencyClipsToTrace(t *testing.T) {
	tr := &schedtrace.Trace{Duration: ms(10), Slices: []schedtrace.Slice{sl(0, 1, 1, 0, 10)}}
	got := tr.Concurrency(-ms(5), ms(50), nil)
	want := schedtrace.Concurrency{From: 0, To: ms(10), Time: []time.Duration{0, ms(10)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Concurrency mismatch (-want +got):\n%s", diff)
	}
}
