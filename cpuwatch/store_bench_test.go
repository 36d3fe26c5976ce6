package cpuwatch

import (
	"fmt"
	"math"
	"runtime"
	"testing"
	"time"
)

// heapInUse returns the heap's live bytes after a full collection.
func heapInUse() (alloc, inuse uint64) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc, m.HeapInuse
}

// benchReadings returns the readings of n one-second intervals of a
// machine of cores cores at USER_HZ 100, busy in a moving pattern with
// noise as heatmap's benchmark recording is, each core counting 100 ticks
// a second: reading k+1 follows reading k.
func benchReadings(cores int) func(k int, r *reading) {
	return func(k int, r *reading) {
		if len(r.cores) != cores {
			r.cores = make([]coreTicks, cores)
		}
		var total ticks
		for c := range cores {
			t := &r.cores[c].t
			r.cores[c].id = c
			if k == 0 {
				*t = ticks{}
			} else {
				noise := float64(uint32(k*7919+c*104729)*2654435761>>24) / 255
				b := 0.45 + 0.45*math.Sin(float64(k)/40+float64(c)/30) + 0.1*noise
				bt := uint64(min(int(math.Round(b*100)), 100))
				u := (bt*8 + 5) / 10
				t[fUser] += u
				t[fSystem] += bt - u
				t[fIdle] += 100 - bt
			}
			for f := range total {
				total[f] += t[f]
			}
		}
		r.total = total
	}
}

// BenchmarkRecordingHeap reports the heap a Recording holds per
// core-sample (heap-B/core-sample, from HeapAlloc; inuse-B/core-sample,
// from HeapInuse) after 3600 one-second samples taken through the
// watcher's path, against the []Sample of clones that Recording held
// before (impl=samples). With threads, it reports the bytes per
// thread-sample beyond the cores' (thread-B/thread-sample).
func BenchmarkRecordingHeap(b *testing.B) {
	const n = 3600
	for _, cores := range []int{64, 1024} {
		for _, threads := range []int{0, 256} {
			if cores == 1024 && threads > 0 {
				continue
			}
			for _, impl := range []string{"store", "samples"} {
				b.Run(fmt.Sprintf("cores=%d/threads=%d/impl=%s", cores, threads, impl), func(b *testing.B) {
					step := benchReadings(cores)
					var th []ThreadUsage
					for k := range threads {
						th = append(th, ThreadUsage{PID: 4000, TID: 4000 + k, Name: fmt.Sprintf("worker-%d", k%8), CPU: k % cores})
					}
					var perCore, perThread, perCoreInuse float64
					for b.Loop() {
						var prev, cur reading
						step(0, &prev)
						t0 := time.Unix(1e9, 0)
						a0, i0 := heapInUse()
						var rec Recording
						var old []Sample
						var cu []CoreUsage
						for k := 1; k <= n; k++ {
							cur.cores = append(cur.cores[:0], prev.cores...)
							step(k, &cur)
							cu = diff(cu[:0], &prev, &cur)
							s := Sample{Time: t0.Add(time.Duration(k) * time.Second), Elapsed: time.Second, Cores: cu,
								Total: usageOf(&prev.total, &cur.total)}
							if th != nil {
								for j := range th {
									th[j].User = tickFraction(uint64((j+k)%3), time.Second)
									th[j].Migrations = k / 100
								}
								s.Threads = th
							}
							if impl == "store" {
								rec.appendWatched(&s, &prev, &cur)
							} else {
								old = append(old, s.Clone())
							}
							prev, cur = cur, prev
						}
						a1, i1 := heapInUse()
						bytes, inuse := float64(a1-a0), float64(i1-i0)
						if threads == 0 {
							perCore, perCoreInuse = bytes/(n*float64(cores)), inuse/(n*float64(cores))
						} else {
							perThread = bytes / (n * float64(threads))
						}
						runtime.KeepAlive(&rec)
						runtime.KeepAlive(old)
					}
					if threads == 0 {
						b.ReportMetric(perCore, "heap-B/core-sample")
						b.ReportMetric(perCoreInuse, "inuse-B/core-sample")
					} else {
						// Includes the cores' share: subtract the threads=0 figure
						// times cores/threads for the threads alone.
						b.ReportMetric(perThread, "heap-B/thread-sample")
					}
				})
			}
		}
	}
}
