package prom

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/prometheus/common/model"
)

// The metrics node_exporter exports /proc/stat's cpu lines as.
const (
	// MetricSeconds is every mode's time per core. Its modes are user, nice,
	// system, idle, iowait, irq, softirq and steal; user and nice include
	// guest time, as in /proc/stat.
	MetricSeconds = "node_cpu_seconds_total"
	// MetricGuestSeconds is the guest time inside user and nice, with modes
	// user and nice. An exporter run with --no-collector.cpu.guest lacks it;
	// guest time then stays inside User and Nice.
	MetricGuestSeconds = "node_cpu_guest_seconds_total"
)

// Mode indexes, in cpuwatch.Counters order.
const (
	mUser = iota
	mNice
	mSystem
	mIdle
	mIOWait
	mIRQ
	mSoftIRQ
	mSteal
	mGuest
	mGuestNice
	numModes
)

// modeOf maps a series' metric name and mode label to a mode index.
func modeOf(metric, mode string) (int, bool) {
	if metric == MetricGuestSeconds {
		switch mode {
		case "user":
			return mGuest, true
		case "nice":
			return mGuestNice, true
		}
		return 0, false
	}
	i := slices.Index([]string{"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"}, mode)
	return i, i >= 0
}

// ErrLabels is wrapped by the errors for series whose labels are not those
// of node_exporter's cpu collector: no instance or cpu label, a cpu label
// that is not a CPU number, a mode cpuwatch has no field for (such as
// FreeBSD's "interrupt"), another metric, or two series for one instance,
// cpu and mode (two jobs scraping one target: narrow the selector).
var ErrLabels = errors.New("prom: unexpected series")

// grid is the evaluation times of a range query: start, start+step, … up
// to end, at the API's resolution of a millisecond.
type grid struct {
	start         time.Time
	step          time.Duration
	n             int   // number of points
	startMs, stMs int64 // start and step in milliseconds
}

func newGrid(start, end time.Time, step time.Duration) grid {
	start = start.Truncate(time.Millisecond)
	step = step.Truncate(time.Millisecond)
	return grid{start: start, step: step, n: int(end.Sub(start)/step) + 1,
		startMs: start.UnixMilli(), stMs: step.Milliseconds()}
}

func (g grid) at(k int) time.Time { return g.start.Add(time.Duration(k) * g.step) }

// index returns the point of g at unix milliseconds ms, or false if ms is
// none.
func (g grid) index(ms int64) (int, bool) {
	d := ms - g.startMs
	if d < 0 || d%g.stMs != 0 || d/g.stMs >= int64(g.n) {
		return 0, false
	}
	return int(d / g.stMs), true
}

// host gathers the series of one instance, from one or more range queries
// over the same grid, and turns them into a recording.
type host struct {
	instance string
	g        grid
	cores    map[int]*core
	labels   map[model.LabelName]model.LabelValue // shared by every series so far
	notes    []string
}

// core holds one CPU's counters: vals[m][k] is mode m at point k, NaN
// where the server had none.
type core struct {
	vals [numModes][]float64
	has  [numModes]bool // whether any series carried the mode
	// seen[m] records the labels of the series that carried mode m, to
	// name both of a duplicate pair.
	seen [numModes]model.Metric
}

func newHost(instance string, g grid) *host {
	return &host{instance: instance, g: g, cores: map[int]*core{}}
}

// add takes the series of m, which must all belong to h's instance.
func (h *host) add(m model.Matrix) error {
	for _, ss := range m {
		if len(ss.Histograms) > 0 {
			return fmt.Errorf("%w %v: native histogram samples, want counters", ErrLabels, ss.Metric)
		}
		vals, err := h.target(ss.Metric)
		if err != nil {
			return err
		}
		for _, p := range ss.Values {
			if err := h.set(vals, ss.Metric, int64(p.Timestamp), float64(p.Value)); err != nil {
				return err
			}
		}
	}
	return nil
}

// set stores the point at unix milliseconds ms of the series labelled m.
func (h *host) set(vals []float64, m model.Metric, ms int64, v float64) error {
	k, ok := h.g.index(ms)
	if !ok {
		return fmt.Errorf("prom: series %v has a point at %v, off the query's grid of %v from %v", m, time.UnixMilli(ms).UTC(), h.g.step, h.g.start.UTC())
	}
	vals[k] = v
	return nil
}

// target checks the labels of a series and returns the slice of h its
// points go into.
func (h *host) target(m model.Metric) ([]float64, error) {
	inst := string(m[model.InstanceLabel])
	if inst == "" {
		return nil, fmt.Errorf("%w %v: no instance label", ErrLabels, m)
	}
	if inst != h.instance {
		return nil, fmt.Errorf("%w %v: instance %q in the answer for %q", ErrLabels, m, inst, h.instance)
	}
	name := string(m[model.MetricNameLabel])
	if name != MetricSeconds && name != MetricGuestSeconds {
		return nil, fmt.Errorf("%w %v: metric %q, want %s or %s", ErrLabels, m, name, MetricSeconds, MetricGuestSeconds)
	}
	cpuLabel, ok := m["cpu"]
	if !ok {
		return nil, fmt.Errorf("%w %v: no cpu label", ErrLabels, m)
	}
	id, err := strconv.Atoi(string(cpuLabel))
	if err != nil || id < 0 || id > 1<<20 {
		return nil, fmt.Errorf("%w %v: cpu label %q is not a CPU number", ErrLabels, m, cpuLabel)
	}
	mode, ok := modeOf(name, string(m["mode"]))
	if !ok {
		return nil, fmt.Errorf("%w %v: mode %q has no cpuwatch.Usage field", ErrLabels, m, m["mode"])
	}
	c := h.cores[id]
	if c == nil {
		c = &core{}
		h.cores[id] = c
	}
	if c.vals[mode] == nil {
		c.vals[mode] = make([]float64, h.g.n)
		for k := range c.vals[mode] {
			c.vals[mode][k] = math.NaN()
		}
	}
	if prev := c.seen[mode]; prev != nil && !prev.Equal(m) {
		return nil, fmt.Errorf("%w: two series for one core and mode, %v and %v: narrow the selector", ErrLabels, prev, m)
	}
	c.seen[mode] = m
	c.has[mode] = true
	h.keepCommon(m)
	return c.vals[mode], nil
}

// keepCommon narrows h.labels to those every series shares.
func (h *host) keepCommon(m model.Metric) {
	if h.labels == nil {
		h.labels = map[model.LabelName]model.LabelValue{}
		for k, v := range m {
			switch k {
			case model.MetricNameLabel, model.InstanceLabel, "cpu", "mode":
				continue
			}
			h.labels[k] = v
		}
		return
	}
	for k, v := range h.labels {
		if m[k] != v {
			delete(h.labels, k)
		}
	}
}

// counters returns core c's counters at point k, or false if the server
// had no value (or NaN) for a mode the core has.
func (c *core) counters(k int) (cpuwatch.Counters, bool) {
	var v [numModes]float64
	for m := range v {
		if !c.has[m] {
			continue // a mode never exported, such as guest time: 0
		}
		x := c.vals[m][k]
		if math.IsNaN(x) {
			return cpuwatch.Counters{}, false
		}
		v[m] = x
	}
	return cpuwatch.Counters{
		User: v[mUser], Nice: v[mNice], System: v[mSystem], Idle: v[mIdle], IOWait: v[mIOWait],
		IRQ: v[mIRQ], SoftIRQ: v[mSoftIRQ], Steal: v[mSteal], Guest: v[mGuest], GuestNice: v[mGuestNice],
	}, true
}

// recording turns h's counters into a recording: one sample per step whose
// both ends have counters for some core.
func (h *host) recording() *cpuwatch.Recording {
	ids := make([]int, 0, len(h.cores))
	for _, id := range slices.Sorted(maps.Keys(h.cores)) {
		if !h.cores[id].has[mIdle] {
			// Without idle there is no busy fraction to speak of.
			h.notes = append(h.notes, fmt.Sprintf("cpu%d has no idle series and is left out", id))
			continue
		}
		ids = append(ids, id)
	}
	cores := make([]*core, len(ids))
	for i, id := range ids {
		cores[i] = h.cores[id]
	}
	rec := &cpuwatch.Recording{
		DataID:   h.instance,
		Interval: h.g.step,
		Host: cpuwatch.Host{
			Hostname: h.instance,
			NumCPU:   len(ids),
			UserHZ:   100, // node_exporter's seconds are USER_HZ ticks / 100
		},
	}
	var skipped int
	for k := 1; k < h.g.n; k++ {
		var cu []cpuwatch.CoreUsage
		var totPrev, totCur cpuwatch.Counters
		for i, c := range cores {
			prev, ok1 := c.counters(k - 1)
			cur, ok2 := c.counters(k)
			if !ok1 || !ok2 {
				continue
			}
			if prev == cur {
				// No scrape between the two points (a step shorter than the
				// scrape interval): nothing is known, which is not idle.
				skipped++
				continue
			}
			u, ok := cpuwatch.UsageBetween(prev, cur)
			if !ok {
				continue // a reset: the exporter or the host restarted
			}
			cu = append(cu, cpuwatch.CoreUsage{ID: ids[i], Usage: u})
			totPrev, totCur = addCounters(totPrev, prev), addCounters(totCur, cur)
		}
		if len(cu) == 0 {
			continue
		}
		total, _ := cpuwatch.UsageBetween(totPrev, totCur)
		appendSample(rec, cpuwatch.Sample{Time: h.g.at(k), Elapsed: h.g.step, Total: total, Cores: cu})
	}
	if rec.Len() > 0 {
		t, elapsed := rec.SampleTime(0)
		rec.Start = t.Add(-elapsed)
	}
	rec.Host.Notes = append(rec.Host.Notes, "read from Prometheus: NumCPU counts the cpu labels; topology and limits unknown")
	if len(h.labels) > 0 {
		var ls []string
		for k, v := range h.labels {
			ls = append(ls, string(k)+"="+strconv.Quote(string(v)))
		}
		slices.Sort(ls)
		rec.Host.Notes = append(rec.Host.Notes, "labels: "+strings.Join(ls, ", "))
	}
	if skipped > 0 {
		rec.Host.Notes = append(rec.Host.Notes, fmt.Sprintf("%d core steps without a new scrape left out: use a step no shorter than the scrape interval", skipped))
	}
	rec.Host.Notes = append(rec.Host.Notes, h.notes...)
	return rec
}

// appendSample adds s to rec. It is the one place that knows how a
// Recording stores its samples.
func appendSample(rec *cpuwatch.Recording, s cpuwatch.Sample) {
	rec.Append(s)
}

func addCounters(a, b cpuwatch.Counters) cpuwatch.Counters {
	return cpuwatch.Counters{
		User: a.User + b.User, Nice: a.Nice + b.Nice, System: a.System + b.System, Idle: a.Idle + b.Idle,
		IOWait: a.IOWait + b.IOWait, IRQ: a.IRQ + b.IRQ, SoftIRQ: a.SoftIRQ + b.SoftIRQ, Steal: a.Steal + b.Steal,
		Guest: a.Guest + b.Guest, GuestNice: a.GuestNice + b.GuestNice,
	}
}

// FromMatrix converts the answer of a range query over node_exporter's cpu
// metrics (see [MetricSeconds], [MetricGuestSeconds]), evaluated from start
// to end every step, into one recording per instance, in [Less] order of
// instance. It is what [Source.Recordings] does with each host's answer;
// call it on the answer of a query of your own.
//
// Each sample is one step: the usage between the counters at its two ends,
// computed by [cpuwatch.UsageBetween]. A core without counters at either
// end (not scraped, a NaN value, a stale series) is left out of the sample,
// as is a core whose counters went backwards (a reset) or did not move at
// all (no scrape in between); a step with no core left is no sample. Series
// whose labels are not node_exporter's get an error wrapping [ErrLabels].
func FromMatrix(m model.Matrix, start, end time.Time, step time.Duration) ([]*cpuwatch.Recording, error) {
	if err := checkRange(start, end, step); err != nil {
		return nil, err
	}
	g := newGrid(start, end, step)
	byInst := map[string]model.Matrix{}
	for _, ss := range m {
		inst := string(ss.Metric[model.InstanceLabel])
		if inst == "" {
			return nil, fmt.Errorf("%w %v: no instance label", ErrLabels, ss.Metric)
		}
		byInst[inst] = append(byInst[inst], ss)
	}
	insts := make([]string, 0, len(byInst))
	for inst := range byInst {
		insts = append(insts, inst)
	}
	slices.SortFunc(insts, compareNatural)
	recs := make([]*cpuwatch.Recording, 0, len(insts))
	for _, inst := range insts {
		h := newHost(inst, g)
		if err := h.add(byInst[inst]); err != nil {
			return nil, err
		}
		recs = append(recs, h.recording())
	}
	return recs, nil
}

func checkRange(start, end time.Time, step time.Duration) error {
	switch {
	case step <= 0:
		return fmt.Errorf("prom: step %v, want > 0", step)
	case step < time.Millisecond:
		return fmt.Errorf("prom: step %v is below the API's resolution of 1 ms", step)
	case start.IsZero() || end.IsZero():
		return errors.New("prom: range without a start or an end")
	case end.Before(start.Add(step)):
		return fmt.Errorf("prom: range %v to %v holds no step of %v", start.UTC(), end.UTC(), step)
	}
	return nil
}

// Less reports whether instance a sorts before b: numbers inside the names
// compare as numbers, so "node2:9100" comes before "node10:9100".
func Less(a, b string) bool { return compareNatural(a, b) < 0 }

func compareNatural(a, b string) int {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digits(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
