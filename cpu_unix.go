//go:build unix

package corescope

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// processCPU returns the user and system CPU time of the whole process.
func processCPU() (user, system time.Duration, err error) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0, 0, fmt.Errorf("corescope: getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano()), nil
}
