//go:build linux

package cpuwatch_test

import (
	"runtime"
	"testing"

	"github.com/corescope/corescope/cpuwatch"
)

func TestLimitsLive(t *testing.T) {
	l, err := (&cpuwatch.Watcher{}).Limits()
	if err != nil {
		t.Fatalf("Limits() error: %v", err)
	}
	// runtime.NumCPU is the affinity mask's size at start-up.
	if len(l.Affinity) != runtime.NumCPU() {
		t.Errorf("len(Affinity) = %d (%v), want runtime.NumCPU() = %d", len(l.Affinity), l.Affinity, runtime.NumCPU())
	}
	if l.UsableCPUs <= 0 || l.UsableCPUs > float64(runtime.NumCPU()) {
		t.Errorf("UsableCPUs = %v, want within (0, %d]", l.UsableCPUs, runtime.NumCPU())
	}
	t.Log(l)
}
