package heatmap

import (
	"io"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/tracefake"
)

// countWriter counts what is written to it.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// BenchmarkTrace draws one second of a Python 2 GIL storm (200 000
// slices, 400 000 GIL events): the zoom picture of its default window,
// and the page that embeds all of it, whose size per second of trace it
// reports.
func BenchmarkTrace(b *testing.B) {
	tr := tracefake.NewPy2(time.Second).Trace
	b.Run("png", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := WriteTracePNG(io.Discard, tr, TraceOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("html", func(b *testing.B) {
		b.ReportAllocs()
		var c countWriter
		for b.Loop() {
			c = countWriter{}
			if err := WriteTraceHTML(&c, tr, TraceOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(c.n)/tr.Duration.Seconds()/1e6, "MB/trace-s")
	})
}
