// Command donothing is the seed's baseline, do_nothing.py: it records the
// machine for 12 seconds with nothing of its own running, and writes
// profile-nothing-running.png. Whatever you see is the background.
//
//	go run ./examples/donothing
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/heatmap"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	// No run function: Record samples only its lead and trail, and
	// MinSamples makes that 12 one-second intervals, like the seed's.
	w := cpuwatch.Watcher{MinSamples: 12}
	rec, err := w.Record(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("Did nothing")
	fmt.Printf("the machine kept %.2f cores busy on its own\n", rec.EffectiveCores())

	f, err := os.Create("profile-nothing-running.png")
	if err != nil {
		log.Fatal(err)
	}
	rec.DataID = "do-nothing"
	if err := heatmap.WritePNG(f, rec, heatmap.Options{}); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("Saved profile-nothing-running.png")
}
