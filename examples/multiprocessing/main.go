// Command multiprocessing is the seed's use_multiprocessing.py: N child
// processes each sum range(2^28), while every core is recorded. It writes
// the heatmap to profile-multiproc-N.png.
//
//	go run ./examples/multiprocessing --num-procs 4
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
	workload.HandleWorker() // first: in a child process this does the work and exits
	n := flag.Int("num-procs", 2, "number of processes")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	model := workload.Processes{N: *n, Work: workload.Work{Kernel: workload.Bytecode, N: 1 << 28}}
	res, err := corescope.Run(ctx, &cpuwatch.Watcher{}, model)
	if err != nil {
		log.Fatal(err) // cancelled or failed: the children are gone already
	}
	fmt.Println(res.Results) // [36028796884746240 36028796884746240]
	fmt.Printf("%.2f s, %.2f cores used, %.1f%% system\n", res.WallSeconds, res.CoresUsed, 100*res.SystemShare())

	name := fmt.Sprintf("profile-multiproc-%d.png", *n)
	f, err := os.Create(name)
	if err != nil {
		log.Fatal(err)
	}
	res.Recording.DataID = fmt.Sprintf("multiprocessing:%d", *n)
	if err := heatmap.WritePNG(f, res.Recording, heatmap.Options{}); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("Saved", name)
}
