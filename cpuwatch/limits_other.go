//go:build !linux

package cpuwatch

import (
	"fmt"
	"runtime"
)

// selfAffinity is Linux's sched_getaffinity; Limits only calls it for the
// live /proc, which platformDefault has already refused here.
func selfAffinity() ([]int, error) {
	return nil, fmt.Errorf("%w: sched_getaffinity is Linux-only, not on %s", ErrUnsupported, runtime.GOOS)
}
