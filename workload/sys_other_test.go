//go:build !linux

package workload_test

import (
	"errors"
	"testing"

	"github.com/corescope/corescope/workload"
)

// TestUnsupported checks that a model needing Linux fails with an error a
// caller can recognise.
func TestUnsupported(t *testing.T) {
	_, err := workload.Threads{N: 2, Work: workload.Work{N: 1}}.Run(t.Context())
	if !errors.Is(err, workload.ErrUnsupported) {
		t.Errorf("Threads.Run error = %v, want one wrapping ErrUnsupported", err)
	}
}
