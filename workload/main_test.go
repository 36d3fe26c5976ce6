package workload_test

import (
	"os"
	"testing"

	"github.com/corescope/corescope/workload"
)

// TestMain makes this test binary usable as a Processes worker.
func TestMain(m *testing.M) {
	workload.HandleWorker()
	os.Exit(m.Run())
}
