package heatmap_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/heatmap"
)

// recording makes a small deterministic recording: cpu0 ramps up while the
// run goes on, cpu1 stays busy, cpu3 is nearly idle.
func recording() *cpuwatch.Recording {
	start := time.Date(2026, 11, 26, 4, 0, 0, 0, time.UTC)
	rec := &cpuwatch.Recording{
		DataID:   "threading:2",
		Interval: time.Second,
		RunStart: start.Add(2 * time.Second),
		RunEnd:   start.Add(8 * time.Second),
	}
	for i := range 10 {
		ramp := min(float64(i)/8, 1)
		rec.Append(cpuwatch.Sample{
			Time:    start.Add(time.Duration(i+1) * time.Second),
			Elapsed: time.Second,
			Cores: []cpuwatch.CoreUsage{
				{ID: 0, Usage: cpuwatch.Usage{User: ramp * 0.6, System: ramp * 0.4, Idle: 1 - ramp}},
				{ID: 1, Usage: cpuwatch.Usage{User: 0.9, System: 0.1}},
				{ID: 3, Usage: cpuwatch.Usage{User: 0.15, Idle: 0.85}},
			},
		})
	}
	return rec
}

// Without colour (NO_COLOR, a dumb terminal, or Color: NoColor) the
// terminal picture is a plain ramp, one line per core.
func ExampleWriteTerminal() {
	err := heatmap.WriteTerminal(os.Stdout, recording(), heatmap.TerminalOptions{Color: heatmap.NoColor})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// threading:2
	// cpu0  ░░▒▒▓▓███
	// cpu1 ██████████
	// cpu3 ░░░░░░░░░░
	//        ^run start ^run end
	//      |0   |5   |10 s
	//      busy: 0 %  ░▒▓█ 100 %
}

func ExampleWritePNG() {
	f, err := os.CreateTemp("", "heatmap-*.png")
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	// The zero Options: busy time in viridis, titled "threading:2".
	if err := heatmap.WritePNG(f, recording(), heatmap.Options{}); err != nil {
		log.Fatal(err)
	}
}

func ExampleRender() {
	img, err := heatmap.Render(recording(), heatmap.Options{Mode: heatmap.Split, Colormap: heatmap.Cividis()})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(img.Bounds().Dx() > 0)
	// Output: true
}

func ExampleNewColormap() {
	m, err := heatmap.NewColormap("#000000", "#ffffff")
	if err != nil {
		log.Fatal(err)
	}
	// Blended in OkLab, the midpoint is perceptually half way: darker than
	// the sRGB average of 128.
	fmt.Println(m.At(0), m.At(0.5), m.At(1))
	// Output: {0 0 0 255} {100 100 100 255} {255 255 255 255}
}

// A live view of the machine: each sample redraws the picture in place.
// (Compiled, not run: it watches the real machine for ten seconds.)
func ExampleNewLive() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	live := heatmap.NewLive(os.Stdout, heatmap.TerminalOptions{Title: "this machine"})
	var drawErr error
	err := cpuwatch.Watch(ctx, time.Second, func(s cpuwatch.Sample) {
		if drawErr == nil {
			drawErr = live.Add(s) // Add keeps a clone of s
		}
	})
	if err != nil && ctx.Err() == nil {
		log.Fatal(err)
	}
	if drawErr != nil {
		log.Fatal(drawErr)
	}
}
