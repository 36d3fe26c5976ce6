//go:build !linux

package cpuwatch

import (
	"fmt"
	"os"
	"runtime"
)

// platformDefault fails off Linux: only Linux has /proc/stat. A Watcher with
// ProcRoot set still reads a fixture tree on any platform.
func platformDefault() error {
	return fmt.Errorf("%w: /proc/stat is Linux-only, not on %s", ErrUnsupported, runtime.GOOS)
}

func pread(f *os.File, b []byte) (int, error) { return f.ReadAt(b, 0) }

// openNonblock is 0 where O_NONBLOCK's meaning for open varies; openRegular
// relies on its check before the open.
const openNonblock = 0
