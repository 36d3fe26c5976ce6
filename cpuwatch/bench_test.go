package cpuwatch

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/prometheus/procfs"
)

// benchSample measures one sample the way Watch takes it: a pread of the
// stat file on the kept descriptor, a parse of its cpu lines, and the diff
// against the previous reading.
func benchSample(b *testing.B, root string) {
	sr, err := openStat(root)
	if err != nil {
		b.Fatal(err)
	}
	defer sr.Close()
	// Two readings and a diff before the loop size every buffer, as in a
	// watch's steady state.
	var prev, cur reading
	var cores []CoreUsage
	for _, r := range []*reading{&prev, &cur} {
		if err := sr.read(r); err != nil {
			b.Fatal(err)
		}
	}
	cores = diff(cores[:0], &prev, &cur)
	b.SetBytes(statSize(b, root))
	b.ReportAllocs()
	defer reportCPUTime(b)()
	for b.Loop() {
		if err := sr.read(&cur); err != nil {
			b.Fatal(err)
		}
		cores = diff(cores[:0], &prev, &cur)
		prev, cur = cur, prev
	}
	if len(cores) == 0 {
		b.Fatal("no cores")
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
	size := statSize(b, root)
	buf := make([]byte, size+4096)
	b.SetBytes(size)
	b.ReportAllocs()
	defer reportCPUTime(b)()
	for b.Loop() {
		if _, err := pread(f, buf); err != nil {
			b.Fatal(err)
		}
	}
}

// reportCPUTime starts measuring the process's CPU time; the function it
// returns reports it per op as "cpu-ns/op". On a shared machine the wall
// time per op (sec/op) also counts time the benchmark spent descheduled;
// CPU time does not, so the two together show how much of a result is
// contention.
func reportCPUTime(b *testing.B) func() {
	start, ok := processCPUTime()
	return func() {
		if end, _ := processCPUTime(); ok && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

// statSize is the length of root/stat. /proc files report size 0, so it
// reads the file.
func statSize(b *testing.B, root string) int64 {
	data, err := os.ReadFile(filepath.Join(root, "stat"))
	if err != nil {
		b.Fatal(err)
	}
	return int64(len(data))
}

// BenchmarkSample is the per-sample cost on this machine's /proc/stat
// against the raw kept-descriptor pread it is built on.
func BenchmarkSample(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("/proc/stat is Linux-only")
	}
	b.Run("impl=pread", func(b *testing.B) { benchPread(b, "/proc") })
	b.Run("impl=cpuwatch", func(b *testing.B) { benchSample(b, "/proc") })
}

// BenchmarkSynthetic compares a sample on the generated 256- and 1024-CPU
// files with the raw read, and with procfs.FS.Stat on the same file.
func BenchmarkSynthetic(b *testing.B) {
	for _, n := range syntheticSizes {
		root := syntheticRoot(n)
		b.Run(fmt.Sprintf("cpus=%d/impl=pread", n), func(b *testing.B) { benchPread(b, root) })
		b.Run(fmt.Sprintf("cpus=%d/impl=cpuwatch", n), func(b *testing.B) { benchSample(b, root) })
		b.Run(fmt.Sprintf("cpus=%d/impl=procfs", n), func(b *testing.B) {
			fs, err := procfs.NewFS(root)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(statSize(b, root))
			b.ReportAllocs()
			defer reportCPUTime(b)()
			for b.Loop() {
				if _, err := fs.Stat(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
