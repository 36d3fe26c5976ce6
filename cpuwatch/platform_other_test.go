//go:build !linux

package cpuwatch_test

import (
	"errors"
	"testing"

	"github.com/corescope/corescope/cpuwatch"
)

// TestUnsupported checks that reading the live machine off Linux fails
// with an error a caller can recognise, while a fixture tree still works.
func TestUnsupported(t *testing.T) {
	if err := cpuwatch.Watch(t.Context(), 0, func(cpuwatch.Sample) {}); !errors.Is(err, cpuwatch.ErrUnsupported) {
		t.Errorf("Watch error = %v, want one wrapping ErrUnsupported", err)
	}
	if _, err := (&cpuwatch.Watcher{}).Topology(); !errors.Is(err, cpuwatch.ErrUnsupported) {
		t.Errorf("Topology error = %v, want one wrapping ErrUnsupported", err)
	}
}
