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
// busy in a moving pattern plus noise, in whole ticks of the 100 a second
// /proc/stat counts, as a watch gives them, so that cells differ as in a
// real recording.
func benchRec(cores, n int) *cpuwatch.Recording {
	rec := benchFacts(n)
	for i := range n {
		rec.Append(benchSample(i, make([]cpuwatch.CoreUsage, cores)))
	}
	return rec
}

// benchFacts is benchRec's recording without its samples.
func benchFacts(n int) *cpuwatch.Recording {
	return &cpuwatch.Recording{DataID: "bench", Interval: time.Second, Start: t0,
		RunStart: t0.Add(2 * time.Second), RunEnd: t0.Add(time.Duration(n-2) * time.Second),
		Host: cpuwatch.Host{UserHZ: 100}}
}

// benchSample is sample i of benchRec, with its cores in cores.
func benchSample(i int, cores []cpuwatch.CoreUsage) cpuwatch.Sample {
	s := cpuwatch.Sample{Time: t0.Add(time.Duration(i+1) * time.Second), Elapsed: time.Second, Cores: cores}
	var user, sys, busy int
	for c := range cores {
		noise := float64(uint32(i*7919+c*104729)*2654435761>>24) / 255 // deterministic, in [0, 1)
		b := 0.45 + 0.45*math.Sin(float64(i)/40+float64(c)/30) + 0.1*noise
		bt := min(int(math.Round(b*100)), 100) // busy ticks of 100
		u := (bt*8 + 5) / 10
		user, sys, busy = user+u, sys+bt-u, busy+bt
		cores[c] = cpuwatch.CoreUsage{ID: c, Usage: cpuwatch.Usage{
			User: float64(u) / 100, System: float64(bt-u) / 100, Idle: float64(100-bt) / 100}}
	}
	all := float64(100 * len(cores))
	s.Total = cpuwatch.Usage{User: float64(user) / all, System: float64(sys) / all, Idle: float64(100*len(cores)-busy) / all}
	return s
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
	b.SetBytes(int64(rec.Len()) * int64(len(rec.Sample(0).Cores)) * int64(unsafe.Sizeof(cpuwatch.CoreUsage{})))
	var sink float64
	for b.Loop() {
		var sum float64
		for i := range rec.Len() {
			cs := rec.Sample(i).Cores
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
