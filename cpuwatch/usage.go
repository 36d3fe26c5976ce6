package cpuwatch

import (
	"math"
	"time"
)

// Usage is how one core (or the whole machine) spent an interval, as
// fractions of the clock ticks it counted in that interval.
//
// Every field is in [0, 1] and the fields sum to 1 (up to rounding). User and
// Nice exclude guest time, which the kernel also counts inside them; Guest and
// GuestNice carry it instead. A core that counted no ticks in the interval
// reports Idle = 1 and every other field 0, so no field is ever NaN.
type Usage struct {
	User      float64 `json:"user"`
	Nice      float64 `json:"nice"`
	System    float64 `json:"system"`
	Idle      float64 `json:"idle"`
	IOWait    float64 `json:"iowait"`
	IRQ       float64 `json:"irq"`
	SoftIRQ   float64 `json:"softirq"`
	Steal     float64 `json:"steal"`
	Guest     float64 `json:"guest"`
	GuestNice float64 `json:"guest_nice"`
}

// Busy returns the fraction of the interval the core was doing work:
// 1 − Idle − IOWait, clamped to [0, 1]. I/O wait counts as idle because the
// core was free to run anything else.
func (u Usage) Busy() float64 {
	return clamp01(1 - u.Idle - u.IOWait)
}

// CoreUsage is the Usage of one logical CPU, keyed by its real kernel CPU id
// (the N of "cpuN" in /proc/stat), which is not its position: offline CPUs
// leave gaps, so ids 0, 2, 5 are normal.
type CoreUsage struct {
	ID int `json:"id"`
	Usage
}

// Sample is the machine's CPU usage over one interval of a watch.
type Sample struct {
	// Time is the end of the interval: when the second reading was taken.
	Time time.Time `json:"time"`
	// Elapsed is the wall time actually measured between the two readings.
	// It exceeds the watch interval when a slow callback made the watcher
	// skip ticks.
	Elapsed time.Duration `json:"elapsed"`
	// Total is the aggregate "cpu" line: the average over all online cores.
	Total Usage `json:"total"`
	// Cores holds one entry per core present in both readings, in ascending
	// ID order.
	Cores []CoreUsage `json:"cores"`
	// Threads holds, when the watcher follows processes, one entry per
	// thread of theirs present at the end of the interval, in (PID, TID)
	// order. It is nil when the watcher follows none.
	Threads []ThreadUsage `json:"threads,omitempty"`
}

// Start returns the beginning of the interval the sample covers.
func (s Sample) Start() time.Time { return s.Time.Add(-s.Elapsed) }

// BusyCores returns the summed Busy fraction of every core in the sample:
// how many cores' worth of work the machine did in the interval.
func (s Sample) BusyCores() float64 {
	var n float64
	for _, c := range s.Cores {
		n += c.Busy()
	}
	return n
}

// Clone returns a copy of s that shares no memory with it. A callback that
// keeps a Sample beyond its return must keep a clone, because the watcher
// reuses the Cores and Threads slices for the next sample.
func (s Sample) Clone() Sample {
	if s.Cores != nil {
		s.Cores = append(make([]CoreUsage, 0, len(s.Cores)), s.Cores...)
	}
	if s.Threads != nil {
		s.Threads = append(make([]ThreadUsage, 0, len(s.Threads)), s.Threads...)
	}
	return s
}

func clamp01(x float64) float64 {
	switch {
	case math.IsNaN(x), x < 0:
		return 0
	case x > 1:
		return 1
	}
	return x
}

// meanUsage averages the usage of cores; with no cores it reports idle.
func meanUsage(cores []CoreUsage) Usage {
	if len(cores) == 0 {
		return Usage{Idle: 1}
	}
	var m Usage
	for _, c := range cores {
		m = m.add(c.Usage)
	}
	return m.scale(1 / float64(len(cores)))
}

// scale multiplies every field by f.
func (u Usage) scale(f float64) Usage {
	return Usage{
		User: u.User * f, Nice: u.Nice * f, System: u.System * f, Idle: u.Idle * f,
		IOWait: u.IOWait * f, IRQ: u.IRQ * f, SoftIRQ: u.SoftIRQ * f,
		Steal: u.Steal * f, Guest: u.Guest * f, GuestNice: u.GuestNice * f,
	}
}

// add returns u + v field by field.
func (u Usage) add(v Usage) Usage {
	return Usage{
		User: u.User + v.User, Nice: u.Nice + v.Nice, System: u.System + v.System,
		Idle: u.Idle + v.Idle, IOWait: u.IOWait + v.IOWait, IRQ: u.IRQ + v.IRQ,
		SoftIRQ: u.SoftIRQ + v.SoftIRQ, Steal: u.Steal + v.Steal,
		Guest: u.Guest + v.Guest, GuestNice: u.GuestNice + v.GuestNice,
	}
}
