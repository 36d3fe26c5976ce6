// Command nohandleworker is a program that runs Processes but forgot to call
// workload.HandleWorker: its child must fail with a clear error instead of
// spawning workers of its own.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/corescope/corescope/workload"
)

func main() {
	_, err := workload.Processes{N: 1, Work: workload.Work{N: 1000}}.Run(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("ok")
}
