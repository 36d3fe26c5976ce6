package workload_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/corescope/corescope/workload"
)

// parentEnv makes this test binary act as a parent that runs two long-lived
// worker children and prints "ready"; TestChildrenDieWithParent kills it.
const parentEnv = "WORKLOAD_TEST_PARENT"

// TestMain makes this test binary usable as a Processes worker, and as the
// parent of TestChildrenDieWithParent.
func TestMain(m *testing.M) {
	workload.HandleWorker()
	if os.Getenv(parentEnv) != "" {
		fmt.Println("ready")
		_, err := workload.Processes{N: 2, Work: workload.Work{N: 1 << 20, Duration: time.Minute}}.Run(context.Background())
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
