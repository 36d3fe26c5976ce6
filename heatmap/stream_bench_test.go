package heatmap

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/internal/benchclock"
)

// writeBenchFile writes benchRec(cores, n) to name in the binary format
// one sample at a time, never holding the recording, and returns its size.
func writeBenchFile(tb testing.TB, name string, cores, n int) int64 {
	tb.Helper()
	f, err := os.Create(name)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	enc := cpuwatch.NewEncoder(w)
	facts := benchFacts(n)
	if err := enc.WriteHeader(facts.Header()); err != nil {
		tb.Fatal(err)
	}
	if err := enc.WriteRun(facts.RunStart, facts.RunEnd); err != nil {
		tb.Fatal(err)
	}
	buf := make([]cpuwatch.CoreUsage, cores)
	for i := range n {
		if err := enc.Encode(benchSample(i, buf)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	st, err := f.Stat()
	if err != nil {
		tb.Fatal(err)
	}
	return st.Size()
}

// TestWriteDayFile writes the one-day benchmark file, 1024 cores × 86400
// one-second samples, to $CORESCOPE_DAY_FILE, for the memory figures of
// BENCHMARKS.md; without it, it skips.
func TestWriteDayFile(t *testing.T) {
	name := os.Getenv("CORESCOPE_DAY_FILE")
	if name == "" {
		t.Skip("set CORESCOPE_DAY_FILE to write the 1024 × 86400 benchmark file there")
	}
	size := writeBenchFile(t, name, 1024, 86400)
	t.Logf("%s: %d bytes, %.3f bytes per core-sample", name, size, float64(size)/(1024*86400))
}

// BenchmarkRenderFrom compares drawing the 1024 × 3600 benchmark recording
// whole (WritePNG of a Recording in memory) with drawing it from its
// binary file (WriteFileFrom), per sample. It also reports
// the file's bytes per core-sample. Divide sec/op and cpu-ns/op by 3600
// for the time per sample.
func BenchmarkRenderFrom(b *testing.B) {
	const cores, n = 1024, 3600
	name := filepath.Join(b.TempDir(), "bench.csrec")
	size := writeBenchFile(b, name, cores, n)
	b.Run("impl=memory", func(b *testing.B) {
		rec := benchRec(cores, n)
		b.ReportAllocs()
		clock := benchclock.Start(b)
		for b.Loop() {
			if err := WritePNG(io.Discard, rec, Options{}); err != nil {
				b.Fatal(err)
			}
		}
		clock.Report()
	})
	out := filepath.Join(b.TempDir(), "bench.png")
	b.Run("impl=file", func(b *testing.B) {
		b.ReportAllocs()
		clock := benchclock.Start(b)
		for b.Loop() {
			if err := WriteFileFrom(out, name, Options{}); err != nil {
				b.Fatal(err)
			}
		}
		clock.Report()
		b.ReportMetric(float64(size)/(cores*n), "file-B/core-sample")
	})
}
