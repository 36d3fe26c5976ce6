//go:build !linux

package workload

import (
	"fmt"
	"runtime"
)

func supported(model string) error {
	return fmt.Errorf("workload: %s needs Linux (per-thread rusage, futexes, affinity); not supported on %s", model, runtime.GOOS)
}

func threadCPU() (cpuTimes, error)        { return cpuTimes{}, supported("this model") }
func processCPU() (cpuTimes, error)       { return cpuTimes{}, supported("this model") }
func allowedCPUs() ([]int, error)         { return nil, supported("pinning") }
func pinThread(int) (func() error, error) { return nil, supported("pinning") }
