package experiment_test

import (
	"os"
	"testing"

	"github.com/corescope/corescope/workload"
)

// TestMain lets this test binary serve as a multiprocessing worker: the
// Processes model re-executes it, and HandleWorker runs the child's work.
func TestMain(m *testing.M) {
	workload.HandleWorker()
	os.Exit(m.Run())
}
