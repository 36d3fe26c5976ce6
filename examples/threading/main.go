// Command threading is the seed's use_threading.py: N OS threads each sum
// range(2^26) under an emulated Python GIL, while every core is recorded.
// It prints what the GIL did and writes profile-threading-N.png.
//
//	go run ./examples/threading --num-threads 4 --py2
package main

import (
	"context"
	"flag"
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
	n := flag.Int("num-threads", 2, "number of threads")
	py2 := flag.Bool("py2", false, "emulate Python 2.7's GIL (the seed's) instead of Python 3's")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	model := workload.GIL{N: *n, Work: workload.Work{Kernel: workload.Bytecode, N: 1 << 26}}
	if *py2 {
		model.Version = workload.Python2
	}
	res, err := corescope.Run(ctx, &cpuwatch.Watcher{}, model)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range res.Results {
		fmt.Println(r) // 2251799780130816
	}
	fmt.Printf("%.2f s, %.2f cores used, %.1f%% system; GIL: %d switches, %d acquisitions\n",
		res.WallSeconds, res.CoresUsed, 100*res.SystemShare(), res.GIL.Switches, res.GIL.Acquisitions)

	name := fmt.Sprintf("profile-threading-%d.png", *n)
	f, err := os.Create(name)
	if err != nil {
		log.Fatal(err)
	}
	res.Recording.DataID = model.String()
	// Split shows user time in each cell's upper half and system time in
	// its lower half: the Python 2 GIL's futex storm is the lower half.
	if err := heatmap.WritePNG(f, res.Recording, heatmap.Options{Mode: heatmap.Split}); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("Saved", name)
}
