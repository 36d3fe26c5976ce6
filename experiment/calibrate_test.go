package experiment_test

import (
	"testing"
	"time"

	"github.com/corescope/corescope/experiment"
	"github.com/corescope/corescope/workload"
)

func TestCalibrate(t *testing.T) {
	p := experiment.Plan{Kernel: workload.Native, Unit: 1 << 16}
	ns, err := p.Calibrate(t.Context(), 200*time.Millisecond)
	if err != nil {
		t.Fatalf("Calibrate() error = %v", err)
	}
	// A native iteration costs about a nanosecond; the race detector and a
	// busy machine make it slower, never 100× faster or 1000× slower.
	if ns < 0.01 || ns > 1000 {
		t.Errorf("Calibrate() = %v ns per iteration, want about 1", ns)
	}
	want := int(float64(200*time.Millisecond)/(ns*(1<<16)) + 0.5)
	if p.Units != max(want, 1) {
		t.Errorf("Units = %d, want %d for 200ms at %v ns per iteration", p.Units, want, ns)
	}
	if _, err := p.Calibrate(t.Context(), 0); err == nil {
		t.Error("Calibrate(0) = nil error, want one")
	}
}
