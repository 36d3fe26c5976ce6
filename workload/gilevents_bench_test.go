//go:build linux

package workload

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkGILEvents runs the Python 2 GIL with 2 threads (2 × 2^24
// bytecode iterations) with its event buffers off and on, alternately in
// every iteration, and reports both median wall times, their ratio, the
// events recorded per second and those lost per run.
func BenchmarkGILEvents(b *testing.B) {
	work := Work{Kernel: Bytecode, N: 1 << 24}
	var off, on []time.Duration
	var events, lost, secs float64
	i := 0
	for b.Loop() {
		for k := range 2 {
			withEvents := (i+k)%2 == 1
			g := GIL{N: 2, Version: Python2, Work: work}
			if withEvents {
				g.Events = 1 << 24
			}
			rep, err := g.Run(b.Context())
			if err != nil {
				b.Fatal(err)
			}
			if withEvents {
				on = append(on, rep.Wall)
				events += float64(len(rep.GILEvents)) + float64(rep.GILEventsLost)
				lost += float64(rep.GILEventsLost)
				secs += rep.Wall.Seconds()
			} else {
				off = append(off, rep.Wall)
			}
		}
		i++
	}
	med := func(d []time.Duration) float64 {
		s := slices.Clone(d)
		slices.Sort(s)
		return float64(s[len(s)/2]) / float64(time.Millisecond)
	}
	b.ReportMetric(med(off), "off-ms")
	b.ReportMetric(med(on), "on-ms")
	b.ReportMetric(med(on)/med(off), "on/off")
	b.ReportMetric(events/secs, "events/s")
	b.ReportMetric(lost/float64(len(on)), "lost/run")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkGILEventOff is what one event costs with tracing off: a call
// on a nil log.
func BenchmarkGILEventOff(b *testing.B) {
	var l *gilLog
	for b.Loop() {
		l.rec(0, GILTake)
	}
}

// BenchmarkGILEventOn is what one event costs with tracing on, in a
// chunk with room (a full one is reused, so growing, once a chunk, is not
// timed).
func BenchmarkGILEventOn(b *testing.B) {
	l := newGILLog(1, 1<<16)
	b.Cleanup(l.free)
	t := &l.threads[0]
	for b.Loop() {
		if t.n == len(t.cur.ev) {
			t.n = 0
		}
		l.rec(0, GILTake)
	}
}

// BenchmarkGILEventsExperiment runs the default experiment's GIL runs
// (Python 2 and 3, 2 and 4 threads, 13 units of 2^22 iterations a thread,
// as watchcpu sized them on the 2-vCPU VM) with corescope.RunTraced's cap
// of 2^24 events, and reports each run's events, those lost, and what the
// threads' buffers held.
func BenchmarkGILEventsExperiment(b *testing.B) {
	for _, v := range []GILVersion{Python2, Python3} {
		for _, n := range []int{2, 4} {
			b.Run(fmt.Sprintf("%v:%d", v, n), func(b *testing.B) {
				var events, lost, runs float64
				for b.Loop() {
					rep, err := GIL{N: n, Version: v, Work: Work{Kernel: Bytecode, N: 1 << 22, Units: 13}, Events: 1 << 24}.Run(b.Context())
					if err != nil {
						b.Fatal(err)
					}
					events += float64(len(rep.GILEvents))
					lost += float64(rep.GILEventsLost)
					runs++
				}
				b.ReportMetric(events/runs, "events/run")
				b.ReportMetric(lost/runs, "lost/run")
				b.ReportMetric(events/runs*GILEventBytes/(1<<20), "buffer-MiB/run")
			})
		}
	}
}
