// Command nonthreaded is the seed's non_threaded.py: one thread sums
// range(2^28) while every core is recorded, and the heatmap is written to
// profile-non-threaded.png.
//
//	go run ./examples/nonthreaded
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/heatmap"
	"github.com/corescope/corescope/workload"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	model := workload.Serial{Work: workload.Work{Kernel: workload.Bytecode, N: 1 << 28}}
	res, err := corescope.Run(ctx, &cpuwatch.Watcher{}, model)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Results[0]) // 36028796884746240
	fmt.Printf("%.2f s, %.2f cores used; the watcher saw %.2f cores busy\n",
		res.WallSeconds, res.CoresUsed, res.EffectiveCores)

	f, err := os.Create("profile-non-threaded.png")
	if err != nil {
		log.Fatal(err)
	}
	res.Recording.DataID = "non-threaded:1"
	if err := heatmap.WritePNG(f, res.Recording, heatmap.Options{}); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("Saved profile-non-threaded.png")
}
