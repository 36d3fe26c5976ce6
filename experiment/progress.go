package experiment

import (
	"time"

	"github.com/corescope/corescope"
)

// Progress tells how far an Experiment has got.
type Progress struct {
	// Run is the index in Specs of the run in progress; Runs is len(Specs).
	Run, Runs int
	// Job is the run in progress, resolved from its Spec.
	Job Job
	// Elapsed is how long the current run has taken so far, and Expected
	// how long it should take in all, recording lead and trail included.
	Elapsed, Expected time.Duration
	// Left is the estimated time until the whole experiment ends.
	Left time.Duration
	// Done is set on the last report of a run, with its Result (which is
	// nil if the run failed before it started).
	Done   bool
	Result *corescope.Result
}

// Fraction returns how far the current run has got, in [0, 1]: 1 once it
// is done, and at most 0.99 before, however late it runs.
func (p Progress) Fraction() float64 {
	if p.Done {
		return 1
	}
	if p.Expected <= 0 {
		return 0
	}
	return min(float64(p.Elapsed)/float64(p.Expected), 0.99)
}

// defaultProgressEvery is Experiment.ProgressEvery's default.
const defaultProgressEvery = 250 * time.Millisecond

// report forwards start and end events to Progress, and between them sends
// ticks of the run in progress, so that Progress runs on this goroutine only.
func (e *Experiment) report(events <-chan Progress, done chan<- struct{}) {
	defer close(done)
	every := e.ProgressEvery
	if every <= 0 {
		every = defaultProgressEvery
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	var (
		cur     Progress
		running bool
		started time.Time
	)
	for {
		select {
		case p, ok := <-events:
			if !ok {
				return
			}
			cur, running = p, !p.Done
			if running {
				started = time.Now()
			}
			if e.Progress != nil {
				e.Progress(p)
			}
		case <-tick.C:
			if !running || e.Progress == nil {
				continue
			}
			p := cur
			p.Elapsed = time.Since(started)
			// The later runs' estimate stands; this run's shrinks to 0 and
			// stays there if it overruns.
			p.Left = cur.Left - cur.Expected + max(cur.Expected-p.Elapsed, 0)
			e.Progress(p)
		}
	}
}
