//go:build !linux

package workload

import (
	"context"
	"io"
)

// Off Linux there are no worker children: HandleWorker always returns.
func lookupWorkerEnv() (string, bool) { return "", false }
func exit(int)                        {}
func stdout() io.Writer               { return io.Discard }
func stderr() io.Writer               { return io.Discard }

func runProcesses(ctx context.Context, p Processes) (Report, error) {
	return Report{Model: p.String(), Kernel: p.Work.Kernel}, supported(p.String())
}
