package cpuwatch

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/benchclock"
	"github.com/corescope/corescope/internal/statfake"
	"github.com/prometheus/procfs"
)

// benchSample measures one sample the way Watch takes it: a pread of the
// stat file on the kept descriptor, a parse of its cpu lines, and the diff
// against the previous reading. With adv set, the file is rewritten before
// each sample, outside the timing, so that every core's counters move as a
// live kernel's do; without it (for /proc, which moves by itself) it is
// read as it is. With fresh set, each reading parses every counter rather
// than comparing its text with the previous reading's, as cpuwatch did
// before it compared.
func benchSample(b *testing.B, root string, adv *statfake.Advancing, fresh bool) {
	sr, err := openStat(root)
	if err != nil {
		b.Fatal(err)
	}
	defer sr.Close()
	// Two readings and a diff before the loop size every buffer, as in a
	// watch's steady state.
	var prev, cur reading
	var cores []CoreUsage
	for _, r := range [][2]*reading{{&prev, nil}, {&cur, &prev}} {
		if adv != nil {
			adv.Advance(b)
		}
		if err := sr.read(r[0], r[1]); err != nil {
			b.Fatal(err)
		}
	}
	cores = diff(cores[:0], &prev, &cur)
	b.SetBytes(statfake.Size(b, root))
	b.ReportAllocs()
	clock := benchclock.Start(b)
	for b.Loop() {
		if adv != nil {
			clock.Pause()
			adv.Advance(b)
			clock.Resume()
		}
		after := &prev
		if fresh {
			after = nil
		}
		if err := sr.read(&cur, after); err != nil {
			b.Fatal(err)
		}
		cores = diff(cores[:0], &prev, &cur)
		prev, cur = cur, prev
	}
	clock.Report()
	if len(cores) == 0 {
		b.Fatal("no cores")
	}
	if adv != nil && cores[0].Busy() == 0 {
		b.Fatal("counters did not move")
	}
}

// benchPread is the reference: the same single pread on a kept descriptor,
// into a buffer that holds the whole file, and nothing else.
func benchPread(b *testing.B, root string) {
	f, err := os.Open(filepath.Join(root, "stat"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	size := statfake.Size(b, root)
	buf := make([]byte, size+4096)
	b.SetBytes(size)
	b.ReportAllocs()
	clock := benchclock.Start(b)
	for b.Loop() {
		if _, err := pread(f, buf); err != nil {
			b.Fatal(err)
		}
	}
	clock.Report()
}

// BenchmarkSample is the per-sample cost on this machine's /proc/stat
// against the raw kept-descriptor pread it is built on.
func BenchmarkSample(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("/proc/stat is Linux-only")
	}
	b.Run("impl=pread", func(b *testing.B) { benchPread(b, "/proc") })
	b.Run("impl=cpuwatch", func(b *testing.B) { benchSample(b, "/proc", nil, false) })
}

// BenchmarkSynthetic compares a sample on the generated 256- and 1024-CPU
// files with the raw read, and with procfs.FS.Stat on the same file.
func BenchmarkSynthetic(b *testing.B) {
	for _, n := range syntheticSizes {
		root := syntheticRoot(n)
		b.Run(fmt.Sprintf("cpus=%d/impl=pread", n), func(b *testing.B) { benchPread(b, root) })
		b.Run(fmt.Sprintf("cpus=%d/impl=cpuwatch", n), func(b *testing.B) {
			adv := statfake.NewAdvancing(b, root)
			benchSample(b, adv.Root, adv, false)
		})
		b.Run(fmt.Sprintf("cpus=%d/impl=procfs", n), func(b *testing.B) {
			fs, err := procfs.NewFS(root)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(statfake.Size(b, root))
			b.ReportAllocs()
			clock := benchclock.Start(b)
			for b.Loop() {
				if _, err := fs.Stat(); err != nil {
					b.Fatal(err)
				}
			}
			clock.Report()
		})
	}
}

// BenchmarkSyntheticMoving shows what comparing each counter's text with
// the previous reading's saves, and what it costs when it saves nothing: a
// sample of the synthetic files when only user and idle move (most cores
// of a kernel between two samples: the others stand still) and when every
// counter moves, each with every counter parsed afresh as the reference.
func BenchmarkSyntheticMoving(b *testing.B) {
	for _, n := range syntheticSizes {
		for _, moving := range []string{"user+idle", "all"} {
			for _, impl := range []string{"parse-all", "cpuwatch"} {
				b.Run(fmt.Sprintf("cpus=%d/moving=%s/impl=%s", n, moving, impl), func(b *testing.B) {
					adv := statfake.NewAdvancing(b, syntheticRoot(n))
					if moving == "all" {
						for i := range adv.Steps {
							adv.Steps[i] = uint64(i + 1)
						}
					}
					benchSample(b, adv.Root, adv, impl == "parse-all")
				})
			}
		}
	}
}

// BenchmarkSampleParts splits a synthetic sample's cost: parsing the cpu
// lines of a file already in memory, and the diff of two readings.
func BenchmarkSampleParts(b *testing.B) {
	for _, n := range syntheticSizes {
		data, err := os.ReadFile(filepath.Join(syntheticRoot(n), "stat"))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("cpus=%d/part=parse", n), func(b *testing.B) {
			var r reading
			if err := r.parse(data); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			clock := benchclock.Start(b)
			for b.Loop() {
				if err := r.parse(data); err != nil {
					b.Fatal(err)
				}
			}
			clock.Report()
		})
		b.Run(fmt.Sprintf("cpus=%d/part=reparse", n), func(b *testing.B) {
			// The next reading after prev, with user and idle moved on
			// and every other counter where it was.
			adv := statfake.NewAdvancing(b, syntheticRoot(n))
			before := readStat(b, adv.Root)
			adv.Advance(b)
			after := readStat(b, adv.Root)
			var prev, r reading
			if err := prev.parse(before); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(after)))
			b.ReportAllocs()
			clock := benchclock.Start(b)
			for b.Loop() {
				if err := r.parseAfter(after, &prev); err != nil {
					b.Fatal(err)
				}
			}
			clock.Report()
		})
		b.Run(fmt.Sprintf("cpus=%d/part=diff", n), func(b *testing.B) {
			var prev, cur reading
			if err := prev.parse(data); err != nil {
				b.Fatal(err)
			}
			if err := cur.parse(data); err != nil {
				b.Fatal(err)
			}
			for i := range cur.cores { // every core did some work
				cur.cores[i].t[fUser] += 7
				cur.cores[i].t[fIdle] += 93
			}
			cores := diff(nil, &prev, &cur)
			b.ReportAllocs()
			clock := benchclock.Start(b)
			for b.Loop() {
				cores = diff(cores[:0], &prev, &cur)
			}
			clock.Report()
		})
	}
}

func readStat(tb testing.TB, root string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(root, "stat"))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkLiveCountersMoving reports, for this machine's /proc/stat, the
// share of cpu-line counters whose value changed between two readings an
// interval apart (%moved), and of those, the counters of each field
// (user%moved, ...): what the comparison with the previous reading can
// skip. One op is one pair of readings; run it with -benchtime Nx.
func BenchmarkLiveCountersMoving(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("/proc/stat is Linux-only")
	}
	names := [numFields]string{"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice"}
	for _, interval := range []time.Duration{100 * time.Millisecond, time.Second} {
		b.Run(fmt.Sprintf("interval=%v", interval), func(b *testing.B) {
			sr, err := openStat("/proc")
			if err != nil {
				b.Fatal(err)
			}
			defer sr.Close()
			var prev, cur reading
			var moved [numFields]int
			lines := 0
			for b.Loop() {
				if err := sr.read(&prev, nil); err != nil {
					b.Fatal(err)
				}
				time.Sleep(interval)
				if err := sr.read(&cur, nil); err != nil {
					b.Fatal(err)
				}
				pairs := [][2]*ticks{{&prev.total, &cur.total}}
				for i := range min(len(prev.cores), len(cur.cores)) {
					pairs = append(pairs, [2]*ticks{&prev.cores[i].t, &cur.cores[i].t})
				}
				for _, p := range pairs {
					for f := range numFields {
						if p[0][f] != p[1][f] {
							moved[f]++
						}
					}
				}
				lines += len(pairs)
			}
			all := 0
			for f, n := range moved {
				all += n
				b.ReportMetric(100*float64(n)/float64(lines), names[f]+"%moved")
			}
			b.ReportMetric(100*float64(all)/float64(lines*numFields), "%moved")
		})
	}
}
