//go:build unix

package workload_test

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corescope/corescope/workload"
)

// processCPU reads the process's CPU time independently of the package.
func processCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestFunc(t *testing.T) {
	boom := errors.New("boom")
	rep, err := workload.Func("f", func(context.Context) error { return boom }).Run(t.Context())
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "workload: f: ") {
		t.Errorf("Run() error = %v, want workload: f: wrapping boom", err)
	}
	if rep.Model != "f" {
		t.Errorf("Report.Model = %q, want %q", rep.Model, "f")
	}
	if _, err := workload.Func("", nil).Run(t.Context()); err == nil || !strings.HasPrefix(err.Error(), "workload: ") {
		t.Errorf("Func(nil).Run() = %v, want a workload error", err)
	}
	if got := workload.Func("", nil).String(); got != "func" {
		t.Errorf("String() = %q, want %q", got, "func")
	}
	var gotCtx context.Context
	ctx := context.WithValue(t.Context(), t, "mark")
	if _, err := workload.Func("ctx", func(ctx context.Context) error { gotCtx = ctx; return nil }).Run(ctx); err != nil || gotCtx != ctx {
		t.Errorf("fn got context %v (err %v), want Run's", gotCtx, err)
	}
}

// TestFuncMeasuresCPU burns CPU until getrusage, read by the test itself,
// says the process used 30 ms more: Func's figures bracket the call, so
// they cannot show less.
func TestFuncMeasuresCPU(t *testing.T) {
	const burn = 30 * time.Millisecond
	var spent time.Duration
	rep, err := workload.Func("burn", func(context.Context) error {
		start := processCPU(t)
		for {
			if spent = processCPU(t) - start; spent >= burn {
				return nil
			}
		}
	}).Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.User + rep.System; got < spent {
		t.Errorf("User+System = %v, want at least the %v the test measured", got, spent)
	}
	if rep.Wall <= 0 || len(rep.Workers) != 0 {
		t.Errorf("Wall = %v, %d workers; want a positive Wall and no workers", rep.Wall, len(rep.Workers))
	}
}
