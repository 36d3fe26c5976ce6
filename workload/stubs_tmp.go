package workload

import (
	"context"
	"errors"
)

func runGIL(ctx context.Context, g GIL) (Report, error) {
	return Report{}, errors.New("workload: GIL not implemented yet")
}
func runProcesses(ctx context.Context, p Processes) (Report, error) {
	return Report{}, errors.New("workload: Processes not implemented yet")
}

// HandleWorker must be the first statement of main (or of TestMain) in any
// program that runs [Processes]: in a worker child it does the work and
// exits; elsewhere it returns at once.
func HandleWorker() {}
