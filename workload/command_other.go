//go:build !linux

package workload

import "context"

func runCommand(ctx context.Context, c Command) (Report, error) {
	return Report{Model: c.String()}, supported(c.String())
}
