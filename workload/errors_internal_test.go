package workload

import (
	"errors"
	"io/fs"
	"testing"
)

// TestWorkerErrorNamesPackageOnce checks that a worker's failure says
// "workload: " once, whether its cause is this package's error or a
// kernel's, and still unwraps to the cause.
func TestWorkerErrorNamesPackageOnce(t *testing.T) {
	tests := []struct {
		name  string
		cause error
		want  string
	}{
		{"own error", errors.New("workload: pinning to cpu 3: invalid argument"), "workload: worker 2: pinning to cpu 3: invalid argument"},
		{"kernel error", errors.New("checksum mismatch"), "workload: worker 2: checksum mismatch"},
		{"wrapped", &fs.PathError{Op: "open", Path: "x", Err: fs.ErrNotExist}, "workload: worker 2: open x: file does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := error(&workerError{2, tt.cause})
			if got := err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			if !errors.Is(err, tt.cause) {
				t.Errorf("errors.Is(%v, cause) = false, want true", err)
			}
		})
	}
}
