//go:build linux

package workload_test

import (
	"syscall"
	"unsafe"
)

func unsafeTimespec(ts *syscall.Timespec) unsafe.Pointer { return unsafe.Pointer(ts) }
