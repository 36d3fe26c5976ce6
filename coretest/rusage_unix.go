//go:build unix

package coretest

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// processCPU returns the CPU time of this process and of its children
// that have been waited for: a child process fn starts and waits for
// counts once it has exited.
func processCPU() (cpuTimes, error) {
	var c cpuTimes
	for _, who := range []int{unix.RUSAGE_SELF, unix.RUSAGE_CHILDREN} {
		var ru unix.Rusage
		if err := unix.Getrusage(who, &ru); err != nil {
			return cpuTimes{}, fmt.Errorf("coretest: getrusage: %w", err)
		}
		c.user += time.Duration(ru.Utime.Nano())
		c.system += time.Duration(ru.Stime.Nano())
	}
	return c, nil
}
