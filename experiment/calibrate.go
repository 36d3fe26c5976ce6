package experiment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/corescope/corescope/workload"
)

// Calibrate runs the plan's serial unit once (or a few times, if one is
// too quick to time) and sets Units so that the serial run takes about
// target on an otherwise idle core; the other runs scale from it. It
// measures the worker's CPU time, not its wall time, so a busy machine
// does not shrink the runs. It returns the measured cost of
// one iteration in nanoseconds, for Experiment.NsPerIteration.
func (p *Plan) Calibrate(ctx context.Context, target time.Duration) (float64, error) {
	if target <= 0 {
		return 0, fmt.Errorf("experiment: calibration target %v is not positive", target)
	}
	unit := serialUnit(p.Unit)
	var nsPerIt float64
	for units := 1; ; units *= 2 {
		m := workload.Serial{Work: workload.Work{Kernel: p.Kernel, N: unit, Units: units}}
		rep, err := m.Run(ctx)
		if err != nil {
			return 0, fmt.Errorf("experiment: calibrate: %w", err)
		}
		it := rep.Iterations()
		if it == 0 {
			return 0, errors.New("experiment: calibrate: the serial run did no iterations")
		}
		// The worker's own CPU time is what one core needs for the work,
		// however many other processes competed for the core meanwhile.
		cost := rep.CPU()
		if cost <= 0 {
			cost = rep.Wall
		}
		nsPerIt = float64(cost) / float64(it)
		if cost >= 50*time.Millisecond || units >= 1<<10 {
			break
		}
	}
	p.Units = max(1, int(float64(target)/(nsPerIt*float64(unit))+0.5))
	return nsPerIt, nil
}
