//go:build unix

package experiment_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/corescope/corescope/experiment"
	"github.com/corescope/corescope/workload"
)

// processCPU is this process's user and system time, from getrusage: a
// measure of the work independent of Calibrate's and of workload's own.
func processCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Skipf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestCalibrate checks Calibrate's promise by running what it sized: the
// serial run of the calibrated plan must cost about the target in CPU time,
// as the process's own rusage counts it. The bound of 2× either way
// leaves room for a shared machine's speed moving between two runs a
// moment apart and for rusage's 10 ms ticks (the two agree within 15 %
// on this 2-CPU machine at load 11), while a wrong formula — a unit
// counted twice, a factor of two, iterations taken for nanoseconds — falls
// outside it.
func TestCalibrate(t *testing.T) {
	const target = 300 * time.Millisecond
	p := experiment.Plan{Kernel: workload.Native, Unit: 1 << 16}
	ns, err := p.Calibrate(t.Context(), target)
	if err != nil {
		t.Fatalf("Calibrate() error = %v", err)
	}
	if p.Units < 1 || ns <= 0 {
		t.Fatalf("Calibrate() = %v ns per iteration, Units = %d; want both positive", ns, p.Units)
	}
	serial := workload.Serial{Work: workload.Work{Kernel: p.Kernel, N: p.Unit, Units: p.Units}}
	before := processCPU(t)
	if _, err := serial.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	cost := processCPU(t) - before
	t.Logf("Calibrate: %.3g ns per iteration, %d units; the serial run then cost %v of CPU", ns, p.Units, cost)
	if cost < target/2 || cost > 2*target {
		t.Errorf("the calibrated serial run cost %v of CPU, want about %v (within 2×)", cost, target)
	}
	// The nanoseconds per iteration agree with the same measure.
	if perIt := float64(cost) / float64(p.Unit*uint64(p.Units)); ns < perIt/2 || ns > 2*perIt {
		t.Errorf("Calibrate() = %.3g ns per iteration, the serial run measured %.3g", ns, perIt)
	}
}
