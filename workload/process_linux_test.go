//go:build linux

package workload_test

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// noChildren fails if this process has any child left, running or zombie.
func noChildren(t *testing.T) {
	t.Helper()
	var status unix.WaitStatus
	pid, err := unix.Wait4(-1, &status, unix.WNOHANG, nil)
	if !errors.Is(err, unix.ECHILD) {
		t.Errorf("wait4(-1, WNOHANG) = %d, %v; want ECHILD (no child left)", pid, err)
	}
}
