package cpuwatch

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Defaults used by a Watcher whose fields are zero.
const (
	// DefaultInterval is the time between readings when Interval is zero:
	// one second, long enough for smooth per-core figures from /proc/stat's
	// 100 Hz ticks.
	DefaultInterval = time.Second
	// DefaultLead is how many idle intervals Record keeps before it calls
	// run: the "dead time" that shows the machine at rest.
	DefaultLead = 2
	// DefaultTrail is how many intervals Record keeps after run returns.
	DefaultTrail = 2
)

// Watcher samples per-core CPU usage from a proc tree at a fixed interval.
//
// The zero Watcher is ready to use: it samples /proc every second, with
// DefaultLead and DefaultTrail intervals around Record's run. A Watcher
// holds only configuration; each call to Watch or Record opens
// its own descriptor, so one Watcher may serve several goroutines at once.
type Watcher struct {
	// Interval is the time between readings. Zero means DefaultInterval
	// (one second); a negative value is an error. /proc/stat counts in USER_HZ ticks (100 a second on Linux), so at
	// 100 ms a core's usage moves in steps of 10 %; use 1 s for smooth
	// pictures and short intervals only for coarse, fast views.
	Interval time.Duration

	// ProcRoot is the proc file system to read. "" means "/proc";
	// tests point it at a fixture tree such as "testdata/normal/proc".
	ProcRoot string

	// Lead is how many whole intervals Record samples before it calls run.
	// Zero means DefaultLead; a negative value means none.
	Lead int

	// Trail is how many whole intervals Record samples after run returns.
	// Zero means DefaultTrail; a negative value means none.
	Trail int

	// MinSamples is the fewest samples Record returns: it keeps sampling
	// after the trail until it has this many. Zero means no minimum.
	MinSamples int

	// FollowSelf, FollowPIDs and FollowChildren choose the processes whose
	// threads every sample carries in Sample.Threads: this process, the
	// given ones, and, with FollowChildren, all descendants of those,
	// found afresh at every reading so children that come and go are
	// followed while they live. Threads and processes that exit simply
	// drop out. A FollowPIDs entry that does not exist when the watch
	// starts is an error. Following nothing (the zero value) costs nothing.
	//
	// Reading threads costs about one small file read per thread per
	// interval (see BENCHMARKS.md). At 1 s a sample cannot see a thread
	// move between cores within the second; intervals down to 10 ms show
	// the moves, at the price of coarse CPU times (see ThreadUsage).
	FollowSelf     bool
	FollowPIDs     []int
	FollowChildren bool

	// OnSample, if set, is called by Record with each sample as soon as it
	// is taken, so a caller can draw or log the recording as it grows.
	// It runs on Record's watch goroutine, not the caller's, one call at a
	// time, before the sample is added to the recording; the sample's
	// slices are reused afterwards, so it must Clone what it keeps. A slow
	// OnSample delays sampling as a slow Watch callback does. Watch does
	// not use it: it calls its own fn.
	OnSample func(Sample)

	// SysRoot is the sys file system that Record reads the CPU topology
	// and cgroup limits from. "" means "/sys"; tests point it at a fixture
	// tree such as "testdata/topology/smt-on/sys".
	SysRoot string

	// DataID is the DataID of the recordings Record and RecordTo make. It
	// matters to RecordTo, which writes it in the header before the first
	// sample; after Record a caller may as well set the field it returns.
	DataID string
}

// Watch samples the machine every interval until ctx is done, calling fn
// with each sample. It is shorthand for a Watcher with only Interval set,
// so a zero interval means DefaultInterval.
func Watch(ctx context.Context, interval time.Duration, fn func(Sample)) error {
	w := Watcher{Interval: interval}
	return w.Watch(ctx, fn)
}

// Watch takes a reading now and one every Interval after it, on an absolute
// schedule that does not drift, and calls fn with the usage between each
// pair of readings. The first call therefore comes one interval after Watch
// starts.
//
// fn runs on the caller's goroutine. Its Sample's Cores slice is reused for
// the next sample, so fn must Clone a sample it keeps. A slow fn delays
// sampling rather than queueing samples: readings whose time passed while
// fn ran are skipped, and the next sample covers the whole longer span, with
// Elapsed saying how long it was.
//
// Watch blocks until ctx is done and then returns ctx.Err(), or returns the
// first error reading the proc tree. It starts no goroutines.
func (w *Watcher) Watch(ctx context.Context, fn func(Sample)) error {
	if _, err := w.interval(); err != nil {
		return err
	}
	if fn == nil {
		return errors.New("cpuwatch: nil callback")
	}
	return w.watch(ctx, func(s Sample, _, _ *reading) { fn(s) })
}

// watch is Watch with fn also given the two readings each sample was
// computed from, which are reused after it returns.
func (w *Watcher) watch(ctx context.Context, fn func(s Sample, prev, cur *reading)) error {
	interval, err := w.interval()
	if err != nil {
		return err
	}
	sr, err := openStat(w.ProcRoot)
	if err != nil {
		return err
	}
	defer sr.Close()
	tr, err := w.openThreads()
	if err != nil {
		return err
	}

	var prev, cur reading
	if err := sr.read(&prev, nil); err != nil {
		return err
	}
	var threads []ThreadUsage
	if tr != nil {
		if _, err := tr.read(nil, 0); err != nil {
			return err
		}
	}
	start := time.Now()
	prevAt := start
	timer := time.NewTimer(interval)
	defer timer.Stop()
	var cores []CoreUsage
	for k := int64(1); ; {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
		// When the timer and ctx are both ready the select picks either;
		// once ctx is done, deliver nothing more.
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := sr.read(&cur, &prev); err != nil {
			return err
		}
		now := time.Now()
		cores = diff(cores[:0], &prev, &cur)
		s := Sample{
			Time:    now,
			Elapsed: now.Sub(prevAt),
			Cores:   cores,
		}
		if !wentBack(&prev.total, &cur.total) {
			s.Total = usageOf(&prev.total, &cur.total)
		} else {
			// The aggregate went backwards (a CPU came back from hot-plug
			// with reset counters): the cores present tell the truth.
			s.Total = meanUsage(cores)
		}
		if tr != nil {
			if threads, err = tr.read(threads[:0], s.Elapsed); err != nil {
				return err
			}
			s.Threads = threads
		}
		fn(s, &prev, &cur)
		prev, cur = cur, prev
		prevAt = now

		// Next reading: the first point of the schedule start + k·Interval
		// that has not passed yet. Points missed while fn ran are skipped.
		since := time.Since(start)
		k = max(k+1, int64(since/interval)+1)
		timer.Reset(time.Duration(k)*interval - since)
	}
}

// interval returns the time between readings, with zero meaning
// DefaultInterval.
func (w *Watcher) interval() (time.Duration, error) {
	switch {
	case w.Interval < 0:
		return 0, fmt.Errorf("cpuwatch: interval %v is negative", w.Interval)
	case w.Interval == 0:
		return DefaultInterval, nil
	}
	return w.Interval, nil
}

// WithDefaults returns a copy of w with its zero Interval, Lead and Trail
// replaced by DefaultInterval, DefaultLead and DefaultTrail, the values
// Watch and Record use for them. A caller that plans around a watcher,
// such as one estimating how long a recording takes, reads them from here
// instead of knowing the defaults. Negative values are kept: Lead and
// Trail below zero mean none, and a negative Interval stays an error.
func (w Watcher) WithDefaults() Watcher {
	if w.Interval == 0 {
		w.Interval = DefaultInterval
	}
	if w.Lead == 0 {
		w.Lead = DefaultLead
	}
	if w.Trail == 0 {
		w.Trail = DefaultTrail
	}
	return w
}
