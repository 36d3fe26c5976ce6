//go:build !linux

package schedtrace_test

import (
	"errors"
	"testing"

	"github.com/corescope/corescope/schedtrace"
)

func TestUnsupported(t *testing.T) {
	_, err := (&schedtrace.Tracer{}).Record(t.Context(), nil)
	if !errors.Is(err, schedtrace.ErrUnsupported) {
		t.Fatalf("Record off Linux: error = %v, want ErrUnsupported", err)
	}
}
