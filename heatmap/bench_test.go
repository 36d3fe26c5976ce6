package heatmap

import (
	"image"
	"image/png"
	"io"
	"math"
	"testing"
	"time"

	"github.com/corescope/corescope/cpuwatch"
)

// benchRec is a recording of cores × n one-second samples with every core
// busy in a moving pattern, so that cells differ as in a real picture.
func benchRec(cores, n int) *cpuwatch.Recording {
	rec := &cpuwatch.Recording{DataID: "bench", Interval: time.Second,
		RunStart: t0.Add(2 * time.Second), RunEnd: t0.Add(time.Duration(n-2) * time.Second)}
	for i := range n {
		s := cpuwatch.Sample{Time: t0.Add(time.Duration(i+1) * time.Second), Elapsed: time.Second,
			Cores: make([]cpuwatch.CoreUsage, cores)}
		for c := range cores {
			b := 0.5 + 0.5*math.Sin(float64(i)/40+float64(c)/30)
			s.Cores[c] = cpuwatch.CoreUsage{ID: c, Usage: cpuwatch.Usage{User: 0.8 * b, System: 0.2 * b, Idle: 1 - b}}
		}
		rec.Samples = append(rec.Samples, s)
	}
	return rec
}

// BenchmarkPNG compares rendering and encoding a 1024-core × 3600-interval
// recording with the floor: png.Encode (default settings) of a paletted
// image of the same size, measured in the same run.
func BenchmarkPNG(b *testing.B) {
	rec := benchRec(1024, 3600)
	for _, bc := range []struct {
		name string
		opts Options
	}{
		// Zero Options: 1024 cores > 64, so a distribution heat map.
		{"default", Options{}},
		// One pixel per core and interval: 1024 rows × 3600 columns.
		{"full", Options{MaxRows: -1, GridWidth: 3600, CellWidth: 1, CellHeight: 1}},
	} {
		img, err := render(rec, bc.opts)
		if err != nil {
			b.Fatal(err)
		}
		px := int64(len(img.Pix))
		b.Run(bc.name+"/render+encode", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(px)
			for b.Loop() {
				if err := WritePNG(io.Discard, rec, bc.opts); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"/floor-png.Encode", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(px)
			var src image.Image = img
			for b.Loop() {
				if err := png.Encode(io.Discard, src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRender64x600 is a 64-core machine watched for 10 minutes.
func BenchmarkRender64x600(b *testing.B) {
	rec := benchRec(64, 600)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(rec, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
