package cpuwatch

import (
	"context"
	"errors"
	"os"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Recording is what Record saw: the samples of a watch, when the recorded
// function ran, and facts about the host. It round-trips through
// encoding/json. A Recording that holds nothing but samples is valid; its
// run window is then the whole recording; the zero Recording is an empty
// one, ready for Append.
//
// A Recording keeps its samples compactly, as the tick deltas the kernel
// gave (a few bytes per core-sample rather than the 88 of a CoreUsage),
// and computes their fractions when they are read, bit for bit the ones
// the watch gave: read them with Len, Sample, SampleInto and All. Copying a
// Recording value shares its samples, as copying a slice shares its array.
type Recording struct {
	// DataID names the recording, such as "multiprocessing:4"; renderers
	// use it as a title.
	DataID string `json:"data_id,omitempty"`
	// Interval is the watcher's interval.
	Interval time.Duration `json:"interval"`
	// Start is the time of the first reading, one interval before the
	// first sample's Time.
	Start time.Time `json:"start"`
	// RunStart and RunEnd bound the recorded function's run. They are zero
	// when the recording did not run one.
	RunStart time.Time `json:"run_start"`
	RunEnd   time.Time `json:"run_end"`
	// Host describes the machine the recording was made on.
	Host Host `json:"host"`

	// store holds the samples, in time order; in JSON they are "samples",
	// a list of Sample between run_end and host.
	store sampleStore
}

// Host holds facts about the recording machine that help to read it.
type Host struct {
	Hostname string `json:"hostname,omitempty"`
	// NumCPU is runtime.NumCPU: the CPUs this process may run on.
	NumCPU int `json:"num_cpu"`
	// GOMAXPROCS is the Go scheduler's limit when the recording started.
	GOMAXPROCS int `json:"gomaxprocs"`
	// UserHZ is the tick rate of /proc/stat's counters: the resolution of
	// every sample is one tick per core per interval.
	UserHZ int `json:"user_hz"`
	// Topology is how the online CPUs sit on physical cores, and Limits
	// what of them this process could use; nil when they could not be
	// read, with the reason in Notes.
	Topology *Topology `json:"topology,omitempty"`
	Limits   *Limits   `json:"limits,omitempty"`
	// Notes says what could not be found out about the host, and why.
	Notes []string `json:"notes,omitempty"`
}

// userHZ is USER_HZ, the unit of /proc/stat. The kernel fixes it at 100 for
// user space on every mainstream architecture, whatever its internal HZ.
const userHZ = 100

// Record is shorthand for a Watcher with only Interval set, so a zero
// interval means DefaultInterval.
func Record(ctx context.Context, interval time.Duration, run func(context.Context) error) (*Recording, error) {
	w := Watcher{Interval: interval}
	return w.Record(ctx, run)
}

// Record watches the machine while run executes, and returns what it saw.
//
// It samples Lead idle intervals first, then calls run on the caller's
// goroutine with a context that is cancelled if the watch fails, then keeps
// sampling until it has the sample that covers the moment run returned and
// Trail more (and MinSamples in all). It returns the recording together
// with run's error; if the watch itself fails, or ctx is cancelled, that
// error is returned too and the recording holds what was sampled until
// then. A nil run records Lead+Trail intervals of the machine alone, and
// leaves RunStart and RunEnd zero.
func (w *Watcher) Record(ctx context.Context, run func(context.Context) error) (*Recording, error) {
	return w.record(ctx, run, memorySink{})
}

// RecordTo is Record writing each sample to enc as soon as it is taken,
// instead of keeping it: its memory does not grow with the length of the
// watch, and a process killed while it runs leaves a file that holds every
// sample taken until then (see Encoder). The header goes out with the
// first sample, whose start it records, and the run window as the run
// starts and ends. The returned Recording has every field but Samples,
// which is nil. A failure to write ends the watch and is returned.
func (w *Watcher) RecordTo(ctx context.Context, enc *Encoder, run func(context.Context) error) (*Recording, error) {
	return w.record(ctx, run, &encoderSink{enc: enc})
}

// A recordSink keeps what record sees. Its methods are called with
// record's lock held, one at a time.
type recordSink interface {
	// sample keeps s, computed from the readings prev and cur, whose
	// slices are reused after it returns; rec's facts are set, Start
	// included.
	sample(rec *Recording, s Sample, prev, cur *reading) error
	// run keeps the run window as it stands: start only, then both.
	run(rec *Recording) error
	// end is called once the watch is over, unless a call failed.
	end(rec *Recording) error
}

// memorySink appends every sample to the recording.
type memorySink struct{}

func (memorySink) sample(rec *Recording, s Sample, prev, cur *reading) error {
	rec.appendWatched(&s, prev, cur)
	return nil
}
func (memorySink) run(*Recording) error { return nil }
func (memorySink) end(*Recording) error { return nil }

// encoderSink writes every sample to an Encoder, the header with the
// first and the run window whenever it changes after that.
type encoderSink struct {
	enc    *Encoder
	header bool
}

func (e *encoderSink) writeHeader(rec *Recording) error {
	if e.header {
		return nil
	}
	e.header = true
	if err := e.enc.WriteHeader(rec.Header()); err != nil {
		return err
	}
	return e.run(rec)
}

func (e *encoderSink) sample(rec *Recording, s Sample, _, _ *reading) error {
	if err := e.writeHeader(rec); err != nil {
		return err
	}
	return e.enc.Encode(s)
}

func (e *encoderSink) run(rec *Recording) error {
	if !e.header || (rec.RunStart.IsZero() && rec.RunEnd.IsZero()) {
		return nil // the header writes it
	}
	return e.enc.WriteRun(rec.RunStart, rec.RunEnd)
}

func (e *encoderSink) end(rec *Recording) error { return e.writeHeader(rec) }

// record is Record and RecordTo, with keep receiving the samples.
func (w *Watcher) record(ctx context.Context, run func(context.Context) error, keep recordSink) (*Recording, error) {
	lead, trail := orDefault(w.Lead, DefaultLead), orDefault(w.Trail, DefaultTrail)
	interval, err := w.interval()
	if err != nil {
		return &Recording{}, err
	}
	rec := &Recording{DataID: w.DataID, Interval: interval, Host: hostFacts()}
	w.describeHost(&rec.Host)

	var (
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		watched bool      // the watch goroutine has returned
		werr    error     // what it returned
		kerr    error     // the first error keeping a sample
		endAt   time.Time // when run returned; zero until then
		n       int       // samples taken
		// last holds the times of the last trail+1 samples, oldest
		// first: all enough needs, so nothing grows with the watch.
		last = make([]time.Time, 0, trail+1)
	)
	// enough reports, with mu held, whether the recording is complete: it
	// has the sample whose interval holds endAt, trail samples after that,
	// and MinSamples in all. It goes by time, not by counting samples, so a
	// sample taken at the very moment run returns counts the same whichever
	// goroutine gets the lock first.
	enough := func() bool {
		if endAt.IsZero() || n < w.MinSamples || len(last) < trail+1 {
			return false
		}
		return !last[0].Before(endAt)
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		err := w.watch(wctx, func(s Sample, prev, cur *reading) {
			if w.OnSample != nil {
				w.OnSample(s) // outside mu: a slow hook must not stall run's waits
			}
			mu.Lock()
			defer mu.Unlock()
			if kerr != nil {
				return
			}
			if n == 0 {
				rec.Start = s.Start()
			}
			if kerr = keep.sample(rec, s, prev, cur); kerr != nil {
				stop()
				return
			}
			n++
			if len(last) == cap(last) {
				last = append(last[:0], last[1:]...)
			}
			last = append(last, s.Time)
			cond.Broadcast()
			if enough() {
				stop()
			}
		})
		stop() // a failed watch cancels run
		mu.Lock()
		watched, werr = true, err
		cond.Broadcast()
		mu.Unlock()
	}()
	// The watch goroutine wakes waiters on every sample and when it ends;
	// cancelling ctx ends it, so no wait below outlives ctx.

	mu.Lock()
	for !watched && n < lead {
		cond.Wait()
	}
	failed := watched
	mu.Unlock()

	var runErr error
	end := time.Now()
	if !failed && run != nil {
		mu.Lock()
		rec.RunStart = end
		if err := keep.run(rec); err != nil && kerr == nil {
			kerr = err
			stop()
		}
		mu.Unlock()
		runErr = run(wctx)
		end = time.Now()
		mu.Lock()
		rec.RunEnd = end
		if err := keep.run(rec); err != nil && kerr == nil {
			kerr = err
			stop()
		}
		mu.Unlock()
	}
	// With no run, RunStart and RunEnd stay zero, so the Window, and with it
	// Summary and EffectiveCores, covers the whole recording.

	mu.Lock()
	endAt = end
	if enough() {
		stop()
	}
	for !watched {
		cond.Wait()
	}
	err = werr
	if kerr == nil {
		kerr = keep.end(rec)
	}
	mu.Unlock()

	if errors.Is(err, context.Canceled) && ctx.Err() == nil {
		err = nil // we stopped the watch ourselves
	}
	if err != nil && errors.Is(runErr, err) {
		err = nil // run already reports it, typically ctx.Err()
	}
	return rec, errors.Join(runErr, kerr, err)
}

// orDefault maps 0 to def and a negative count to 0.
func orDefault(n, def int) int {
	switch {
	case n == 0:
		return def
	case n < 0:
		return 0
	}
	return n
}

func hostFacts() Host {
	name, _ := os.Hostname()
	return Host{
		Hostname:   name,
		NumCPU:     runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		UserHZ:     userHZ,
	}
}

// Window returns the span the recording's summaries cover: the run, or,
// when the recording ran nothing, every sample.
func (r *Recording) Window() (from, to time.Time) {
	if !r.RunStart.IsZero() {
		return r.RunStart, r.RunEnd
	}
	n := r.Len()
	if n == 0 {
		return time.Time{}, time.Time{}
	}
	t, e := r.SampleTime(0)
	last, _ := r.SampleTime(n - 1)
	return t.Add(-e), last
}

// Summary is a recording's usage averaged over its window.
type Summary struct {
	// Window is the length of time averaged over.
	Window time.Duration `json:"window"`
	// EffectiveCores is how many cores' worth of work the machine did on
	// average: the summed Busy of all cores. A single busy thread scores
	// about 1, two cores saturated about 2.
	EffectiveCores float64 `json:"effective_cores"`
	// Total is the mean of the samples' Total.
	Total Usage `json:"total"`
	// Cores is the mean usage of each core seen in the window, ascending by
	// ID. A core missing from some samples is averaged over those it is in.
	Cores []CoreUsage `json:"cores"`
}

// Summary averages the samples over the recording's Window. Each sample
// counts in proportion to how much of its interval lies inside the window,
// so the partly idle intervals at the start and end of a run weigh less.
// An empty window gives a zero Summary.
func (r *Recording) Summary() Summary {
	from, to := r.Window()
	var (
		sum    Summary
		weight float64
		cores  = map[int]*struct {
			u Usage
			w float64
		}{}
		ids []int
	)
	for _, s := range r.All() {
		lo, hi := s.Start(), s.Time
		if lo.Before(from) {
			lo = from
		}
		if hi.After(to) {
			hi = to
		}
		ov := hi.Sub(lo)
		if ov <= 0 || s.Elapsed <= 0 {
			continue
		}
		w := float64(ov)
		weight += w
		sum.Total = sum.Total.add(s.Total.scale(w))
		sum.EffectiveCores += s.BusyCores() * w
		for _, c := range s.Cores {
			acc, ok := cores[c.ID]
			if !ok {
				acc = &struct {
					u Usage
					w float64
				}{}
				cores[c.ID] = acc
				ids = append(ids, c.ID)
			}
			acc.u = acc.u.add(c.Usage.scale(w))
			acc.w += w
		}
	}
	if weight == 0 {
		return Summary{}
	}
	sum.Window = to.Sub(from)
	sum.Total = sum.Total.scale(1 / weight)
	sum.EffectiveCores /= weight
	slices.Sort(ids)
	for _, id := range ids {
		acc := cores[id]
		sum.Cores = append(sum.Cores, CoreUsage{ID: id, Usage: acc.u.scale(1 / acc.w)})
	}
	return sum
}

// EffectiveCores returns Summary().EffectiveCores: the mean, over the run
// window, of the summed busy fraction of all cores — how many cores the
// machine kept busy while run ran. It includes whatever else the machine
// was doing; compare with the lead intervals to see the background.
func (r *Recording) EffectiveCores() float64 { return r.Summary().EffectiveCores }
