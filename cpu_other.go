//go:build !unix

package corescope

import (
	"fmt"
	"runtime"
	"time"
)

// processCPU fails where getrusage does not exist.
func processCPU() (user, system time.Duration, err error) {
	return 0, 0, fmt.Errorf("corescope: process CPU time is not available on %s", runtime.GOOS)
}
