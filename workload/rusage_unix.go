//go:build unix

package workload

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// processCPU returns the whole calling process's CPU time. getrusage
// exists on every Unix, so Func measures there too, not only on Linux.
func processCPU() (cpuTimes, error) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return cpuTimes{}, fmt.Errorf("workload: getrusage(RUSAGE_SELF): %w", err)
	}
	return cpuTimes{time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano()), int64(ru.Nvcsw), int64(ru.Nivcsw)}, nil
}
