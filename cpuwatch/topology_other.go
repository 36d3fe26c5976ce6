//go:build !linux

package cpuwatch

import (
	"fmt"
	"runtime"
)

// Topology reads the CPU topology from sysfs, which only Linux has; here it
// returns an error.
func (w *Watcher) Topology() (*Topology, error) {
	return nil, fmt.Errorf("%w: CPU topology from sysfs is Linux-only, not on %s", ErrUnsupported, runtime.GOOS)
}
