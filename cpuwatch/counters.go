package cpuwatch

import "math"

// Counters is one core's cumulative time in each mode, as /proc/stat counts
// it and node_exporter exports it (node_cpu_seconds_total and
// node_cpu_guest_seconds_total): Guest is also counted inside User, and
// GuestNice inside Nice. The unit is free — USER_HZ ticks, seconds — as long
// as the two readings given to [UsageBetween] share it.
type Counters struct {
	User, Nice, System, Idle, IOWait, IRQ, SoftIRQ, Steal, Guest, GuestNice float64
}

// UsageBetween returns how a core spent the interval between two readings
// of its counters, with the arithmetic the watcher applies to /proc/stat:
// a counter that went backwards contributes nothing, except iowait, whose
// drop is taken out of idle's rise (the tickless idle code moves time from
// iowait to idle); guest time is moved out of user and nice.
//
// It reports ok false when the interval means nothing: the core's total
// went backwards, as after a reboot, an exporter restart or a hot-plug,
// which is when the watcher leaves the core out of its sample; or a counter
// is NaN or infinite. Other sources of counters, such as a Prometheus
// server, use it so that their fractions are the watcher's.
func UsageBetween(prev, cur Counters) (u Usage, ok bool) {
	p, c := prev.array(), cur.array()
	var d [numFields]float64
	var total, before float64
	for i := range d {
		if math.IsNaN(p[i]) || math.IsInf(p[i], 0) || math.IsNaN(c[i]) || math.IsInf(c[i], 0) {
			return Usage{}, false
		}
		d[i] = c[i] - p[i]
		if i != fGuest && i != fGuestNice {
			total += d[i]
			before += math.Abs(p[i])
		}
	}
	// In seconds the counters are not exact: a total that stood still may
	// seem to move by a rounding error, far less than a tick.
	if total < -1e-12*before {
		return Usage{}, false
	}
	return usageOfDeltas(&d), true
}

func (c Counters) array() [numFields]float64 {
	return [numFields]float64{c.User, c.Nice, c.System, c.Idle, c.IOWait, c.IRQ, c.SoftIRQ, c.Steal, c.Guest, c.GuestNice}
}

// usageOfDeltas turns signed per-mode deltas, cur − prev, into fractions:
// the float arithmetic of usageOf, shared by the watcher's overflow path
// and UsageBetween. It modifies d.
func usageOfDeltas(d *[numFields]float64) Usage {
	back := -d[fIOWait] // how far iowait went backwards, if it did
	for i := range d {
		d[i] = nonNegative(d[i])
	}
	if back > 0 {
		d[fIdle] = nonNegative(d[fIdle] - back)
	}
	d[fUser] = nonNegative(d[fUser] - d[fGuest])
	d[fNice] = nonNegative(d[fNice] - d[fGuestNice])
	var sum float64
	for _, v := range d {
		sum += v
	}
	if sum == 0 {
		return Usage{Idle: 1}
	}
	return Usage{
		User:      d[fUser] / sum,
		Nice:      d[fNice] / sum,
		System:    d[fSystem] / sum,
		Idle:      d[fIdle] / sum,
		IOWait:    d[fIOWait] / sum,
		IRQ:       d[fIRQ] / sum,
		SoftIRQ:   d[fSoftIRQ] / sum,
		Steal:     d[fSteal] / sum,
		Guest:     d[fGuest] / sum,
		GuestNice: d[fGuestNice] / sum,
	}
}
