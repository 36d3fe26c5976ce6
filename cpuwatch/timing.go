package cpuwatch

import "time"

// Timing is how a Watcher's Record spaces its samples, with every default
// applied: what a caller needs to size a run to a recording, or to
// estimate how long a recording lasts, without re-coding the defaults.
type Timing struct {
	// Interval is the time between readings.
	Interval time.Duration
	// Lead and Trail are the whole intervals Record samples before run
	// and after it returns; never negative.
	Lead, Trail int
	// MinSamples is the fewest samples Record returns; 0 means no minimum.
	MinSamples int
}

// Timing returns the timing Record uses for w — a zero Interval is
// DefaultInterval, a zero Lead or Trail DefaultLead or DefaultTrail — or
// an error if w's Interval is negative. A nil w means the zero Watcher.
func (w *Watcher) Timing() (Timing, error) {
	if w == nil {
		w = &Watcher{}
	}
	interval, err := w.interval()
	if err != nil {
		return Timing{}, err
	}
	return Timing{
		Interval:   interval,
		Lead:       orDefault(w.Lead, DefaultLead),
		Trail:      orDefault(w.Trail, DefaultTrail),
		MinSamples: max(w.MinSamples, 0),
	}, nil
}
