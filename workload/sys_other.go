//go:build !linux

package workload

import (
	"fmt"
	"runtime"
	"time"
)

func supported(model string) error {
	return fmt.Errorf("%w: %s needs Linux (per-thread rusage, futexes, affinity), not %s", ErrUnsupported, model, runtime.GOOS)
}

func threadCPU() (cpuTimes, error)        { return cpuTimes{}, supported("this model") }
func allowedCPUs() ([]int, error)         { return nil, supported("pinning") }
func pinThread(int) (func() error, error) { return nil, supported("pinning") }

// Naming threads and processes is cosmetic: a no-op elsewhere.
func nameThread(string) (func() error, error) { return func() error { return nil }, nil }
func onMainThread() bool                      { return false }
func nameProcess(string) error                { return nil }

// The futex operations are never reached off Linux: every model that needs
// them fails in supported first.
func futexWait(*uint32, uint32, time.Duration) error { panic("workload: futex on " + runtime.GOOS) }
func futexWake(*uint32, int)                         { panic("workload: futex on " + runtime.GOOS) }
func isTimeout(error) bool                           { return false }

// GIL events are never recorded off Linux either.
func gettid() int    { return 0 }
func monoNow() int64 { return 0 }

func eventChunk(n int) ([]uint64, func()) { return make([]uint64, n), nil }
