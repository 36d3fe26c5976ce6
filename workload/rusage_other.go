//go:build !unix

package workload

import (
	"fmt"
	"runtime"
)

// processCPU fails where getrusage does not exist.
func processCPU() (cpuTimes, error) {
	return cpuTimes{}, fmt.Errorf("%w: process CPU time needs getrusage, which %s lacks", ErrUnsupported, runtime.GOOS)
}
