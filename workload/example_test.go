package workload_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/corescope/corescope/workload"
)

func ExampleExpected() {
	// The results the seed printed for its serial and per-thread sizes.
	fmt.Println(workload.Expected(1 << 28))
	fmt.Println(workload.Expected(1 << 26))
	// Output:
	// 36028796884746240
	// 2251799780130816
}

func ExampleSerial() {
	rep, err := workload.Serial{Work: workload.Work{Kernel: workload.Bytecode, N: 1 << 16, Units: 2}}.Run(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	w := rep.Workers[0]
	fmt.Println(rep.Model, rep.Kernel, w.Units, w.Result)
	// Output: non-threaded bytecode 2 2147450880
}

// The seed's multiprocessing run: 2 children of 2^28 iterations each. The
// program's main must start with workload.HandleWorker() (see HandleWorker).
func ExampleProcesses() {
	rep, err := workload.Processes{N: 2, Work: workload.Work{N: 1 << 28}}.Run(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %v wall, %.2f cores used\n", rep.Model, rep.Wall.Round(time.Millisecond), rep.CoresUsed())
}

// The seed's threading run under CPython 2.7's GIL: two threads of 2^26
// interpreted iterations each.
func ExampleGIL() {
	rep, err := workload.GIL{
		N:       2,
		Version: workload.Python2,
		Work:    workload.Work{Kernel: workload.Bytecode, N: 1 << 26},
	}.Run(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %v wall, %.2f cores, %.0f%% system, %d switches\n", rep.Model,
		rep.Wall.Round(time.Millisecond), rep.CoresUsed(), 100*rep.SystemShare(), rep.GIL.Switches)
}

// Work sized by time: each of 2 locked threads repeats units of 2^24
// iterations until 3 seconds have passed, for a recording of that length.
func ExampleWork_duration() {
	rep, err := workload.Threads{N: 2, Work: workload.Work{N: 1 << 24, Duration: 3 * time.Second}}.Run(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rep.Iterations(), "iterations")
}

// A program that runs Processes starts with HandleWorker: in a worker child
// it does the work and exits, elsewhere it returns at once.
func ExampleHandleWorker() {
	// The first statement of main:
	workload.HandleWorker()

	rep, err := workload.Processes{N: 4}.Run(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rep.Model, rep.Wall)
}
