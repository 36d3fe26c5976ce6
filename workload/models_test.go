package workload_test

import (
	"testing"

	"github.com/corescope/corescope/workload"
)

func TestProcessesSmoke(t *testing.T) {
	rep, err := workload.Processes{N: 2, Work: workload.Work{N: 1 << 20, Units: 3}, Pin: true}.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", rep)
}
