// Package nohandletest is a test binary that runs Processes but has no
// TestMain calling workload.HandleWorker: its child runs the tests again,
// and the test that fails there reports on stdout, as tests do.
package nohandletest

import (
	"testing"

	"github.com/corescope/corescope/workload"
)

func TestRunsProcesses(t *testing.T) {
	if _, err := (workload.Processes{N: 1, Work: workload.Work{N: 1000}}).Run(t.Context()); err != nil {
		t.Fatal(err)
	}
}
