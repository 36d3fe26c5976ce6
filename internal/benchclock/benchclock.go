// Package benchclock measures a benchmark's CPU time beside its wall time,
// for both of corescope's benchmark modules.
package benchclock

import "testing"

// Clock measures the process's CPU time over a benchmark loop, less the
// spans between Pause and Resume, which also stop the benchmark's timer.
// Report gives it per op as "cpu-ns/op". On a shared machine the wall time
// per op (sec/op) also counts time the benchmark spent descheduled; CPU
// time does not, so the two together show how much of a result is
// contention.
type Clock struct {
	b             *testing.B
	start, paused int64
	pausedAt      int64
	ok            bool
}

// Start starts a Clock for b's loop.
func Start(b *testing.B) *Clock {
	now, ok := processCPUTime()
	return &Clock{b: b, start: now, ok: ok}
}

// Pause takes the CPU time before StopTimer, and Resume after StartTimer,
// so the memory statistics those read are left out too.
func (c *Clock) Pause() {
	c.pausedAt, _ = processCPUTime()
	c.b.StopTimer()
}

// Resume restarts the benchmark's timer and the clock.
func (c *Clock) Resume() {
	c.b.StartTimer()
	now, _ := processCPUTime()
	c.paused += now - c.pausedAt
}

// Report adds the "cpu-ns/op" metric; it adds nothing where the platform
// does not report process CPU time.
func (c *Clock) Report() {
	if end, _ := processCPUTime(); c.ok && c.b.N > 0 {
		c.b.ReportMetric(float64(end-c.start-c.paused)/float64(c.b.N), "cpu-ns/op")
	}
}
