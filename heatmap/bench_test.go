package heatmap

import (
	"image"
	"image/png"
	"io"
	"math"
	"testing"
	"time"
	"unsafe"

	"github.com/corescope/corescope/cpuwatch"
)

// benchRec is a recording of cores × n one-second samples with every core
// busy in a moving pattern plus noise, in whole percent as /proc/stat's 100
// ticks a second give them, so that cells differ as in a real recording.
func benchRec(cores, n int) *cpuwatch.Recording {
	rec := &cpuwatch.Recording{DataID: "bench", Interval: time.Second,
		RunStart: t0.Add(2 * time.Second), RunEnd: t0.Add(time.Duration(n-2) * time.Second)}
	for i := range n {
		s := cpuwatch.Sample{Time: t0.Add(time.Duration(i+1) * time.Second), Elapsed: time.Second,
			Cores: make([]cpuwatch.CoreUsage, cores)}
		for c := range cores {
			noise := float64(uint32(i*7919+c*104729)*2654435761>>24) / 255 // deterministic, in [0, 1)
			b := 0.45 + 0.45*math.Sin(float64(i)/40+float64(c)/30) + 0.1*noise
			b = math.Round(b*100) / 100
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

// BenchmarkReadInput is a second reference: the least any renderer must do,
// reading the busy fraction of every core of every sample of the
// 1024 × 3600 recording once (324 MB of cpuwatch.CoreUsage).
func BenchmarkReadInput(b *testing.B) {
	rec := benchRec(1024, 3600)
	b.ReportAllocs()
	b.SetBytes(int64(len(rec.Samples)) * int64(len(rec.Samples[0].Cores)) * int64(unsafe.Sizeof(cpuwatch.CoreUsage{})))
	var sink float64
	for b.Loop() {
		var sum float64
		for i := range rec.Samples {
			cs := rec.Samples[i].Cores
			for k := range cs {
				sum += cs[k].Idle + cs[k].IOWait
			}
		}
		sink += sum
	}
	if sink < 0 {
		b.Fatal("negative idle sum")
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
