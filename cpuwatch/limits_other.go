//go:build !linux

package cpuwatch

import (
	"fmt"
	"runtime"
)

// selfAffinity is Linux's sched_getaffinity; Limits only calls it for the
// live /proc, which platformDefault has already refused here.
func selfAffinity() ([]int, error) {
	return nil, fmt.Errorf("cpuwatch: sched_getaffinity is Linux-only; not supported on %s", runtime.GOOS)
}
