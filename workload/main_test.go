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

// helperEnv makes this test binary a small program for the Command tests
// (see helperMain in command_linux_test.go).
const helperEnv = "WORKLOAD_TEST_HELPER"

// TestMain makes this test binary usable as a Processes worker, and as the
// parent of TestChildrenDieWithParent.
func TestMain(m *testing.M) {
	workload.HandleWorker()
	if h := os.Getenv(helperEnv); h != "" {
		os.Exit(helperMain(h))
	}
	if os.Getenv(parentEnv) != "" {
		fmt.Println("ready")
		_, err := workload.Processes{N: 2, Work: workload.Work{N: 1 << 20, Duration: time.Minute}}.Run(context.Background())
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
