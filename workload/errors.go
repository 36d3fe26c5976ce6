package workload

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnsupported is wrapped by the error of every model that needs Linux
// (per-thread rusage, futexes, CPU affinity, worker processes) when it runs
// elsewhere. A caller checks for it with [errors.Is] to skip rather than
// fail.
var ErrUnsupported = errors.New("workload: unsupported platform")

// workerError is the failure of one worker. Its message names the worker
// once and the package once, whether the cause is the kernel's own error or
// one of this package's, which already says "workload: ".
type workerError struct {
	id  int
	err error
}

func (e *workerError) Error() string {
	return fmt.Sprintf("workload: worker %d: %s", e.id, strings.TrimPrefix(e.err.Error(), "workload: "))
}

func (e *workerError) Unwrap() error { return e.err }
