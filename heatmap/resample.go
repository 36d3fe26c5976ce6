// This file resamples a Recording onto a grid of equal time columns.
// parallel.go splits that work among goroutines; validate.go checks the input.

package heatmap

import (
	"errors"
	"math"
	"runtime"
	"slices"
	"time"

	"github.com/corescope/corescope/cpuwatch"
)

// field selects the usage figures resample accumulates.
type field uint8

const (
	fBusy field = 1 << iota
	fUser
	fSys
	fAll = fBusy | fUser | fSys
)

// series is a recording resampled onto a grid of equal time columns: one
// row per core in ascending id order. It is the Recording→grid step; the
// chart builders turn it into coloured cells.
type series struct {
	ids    []int
	cols   int
	t0, t1 float64 // seconds since the origin at the left and right edges
	origin time.Time
	// busy, user and sys hold the weighted sums of rows×cols cells in
	// column-major order (see at); only the fields asked for are filled.
	// Column-major keeps the accumulation of each sample, which holds every
	// core, to one sequential stretch of memory. column and mean divide by
	// the weights.
	busy, user, sys []float32
	// colWeight is the weight of every cell of a column, unless cellWeight
	// is not nil: then some sample lacked some core, and each cell has its
	// own.
	colWeight, cellWeight []float32
	// markers are run start and end in seconds since origin; NaN if absent.
	runStart, runEnd float64
	// start and end are each sample's span in seconds since origin: where
	// every chart of the recording places the sample (see samplesIn).
	start, end []float64
}

// at returns the index of cell (row, col) in busy, user and sys.
func (s *series) at(row, col int) int { return col*len(s.ids) + row }

// mean returns the mean of cell (row, col) of the sums a: a fraction, or
// NaN where the core has no data.
func (s *series) mean(a []float32, row, col int) float32 {
	at := s.at(row, col)
	w := s.colWeight[col]
	if s.cellWeight != nil {
		w = s.cellWeight[at]
	}
	if w <= 0 {
		return float32(math.NaN())
	}
	return min(a[at]/w, 1)
}

// column returns the means of column col of the sums a, top row first,
// in buf (which it grows as needed).
func (s *series) column(a []float32, col int, buf []float32) []float32 {
	rows := len(s.ids)
	buf = append(buf[:0], a[col*rows:(col+1)*rows]...)
	if s.cellWeight == nil {
		w := s.colWeight[col]
		if w <= 0 {
			nan := float32(math.NaN())
			for r := range buf {
				buf[r] = nan
			}
			return buf
		}
		inv := 1 / w
		for r, v := range buf {
			// Rounding of the weights may overshoot 1 by an ulp or so.
			if v *= inv; v > 1 {
				v = 1
			}
			buf[r] = v
		}
		return buf
	}
	for r := range buf {
		buf[r] = s.mean(a, r, col)
	}
	return buf
}

func (s *series) colTime(c int) (from, to float64) {
	dt := (s.t1 - s.t0) / float64(s.cols)
	return s.t0 + float64(c)*dt, s.t0 + float64(c+1)*dt
}

// errNewCore means a sample holds a core that the ids given to resample
// lack; the caller retries with every sample's ids.
var errNewCore = errors.New("heatmap: core not in the id list")

// resample checks rec and averages its samples into at most maxCols
// columns of equal duration, weighting each sample by how much of its
// interval falls in the column. Bad input gets an error, never a panic.
//
// ids must be ascending and unique; resample returns errNewCore if a
// sample has a core outside them. It reads each core usage once, because
// for a big recording reading the input is most of the cost.
func resample(rec *cpuwatch.Recording, ids []int, maxCols int, need field) (*series, error) {
	sr, _, err := resampleN(rec, ids, maxCols, need, runtime.GOMAXPROCS(0))
	return sr, err
}

// resampleN is resample with the samples split among up to workers
// goroutines, each filling its own columns; 1 is the serial path. The
// result is bit for bit the serial one: a split falls only between samples
// that share no column, so every sum is added up in the same order.
// split reports whether the parallel path made the result.
func resampleN(rec *cpuwatch.Recording, ids []int, maxCols int, need field, workers int) (sr *series, split bool, err error) {
	n := rec.Len()
	sp, err := spansOf(rec, rec.Interval)
	if err != nil {
		return nil, false, err
	}
	a := newAccumulation(rec, &sp, ids, maxCols, need)
	sr, rows, cols := a.sr, len(ids), a.sr.cols
	if workers > 1 && n*rows >= minParallel {
		if a.parallel(workers) {
			return sr, true, nil
		}
		// Something needs the serial path (a ragged sample, bad input, or
		// columns that could not be split cleanly): start again from zero,
		// so results and errors are exactly the serial ones.
		clear(sr.busy)
		clear(sr.user)
		clear(sr.sys)
		clear(sr.colWeight)
	}
	if err := a.run(0, n, 0, cols, true); err != nil {
		return nil, false, err
	}
	return sr, false, nil
}

// timeSpans is where a recording's samples lie in time: each covers
// [start, end] in seconds since origin, and all of them [t0, t1].
type timeSpans struct {
	start, end []float64
	origin     time.Time
	allZero    bool // no sample has a time: they follow each other
	t0, t1     float64
}

// sampleTimes is where a sequence of samples lies in time: a
// *cpuwatch.Recording, or the times of samples read from a stream.
type sampleTimes interface {
	Len() int
	SampleTime(i int) (time.Time, time.Duration)
}

// timeList is the sampleTimes of samples read one at a time.
type timeList struct {
	time    []time.Time
	elapsed []time.Duration
}

func (l *timeList) Len() int { return len(l.time) }
func (l *timeList) SampleTime(i int) (time.Time, time.Duration) {
	return l.time[i], l.elapsed[i]
}

// spansOf places samples in time, reading only their Time and Elapsed, or
// says why it cannot. interval is the recording's.
func spansOf(rec sampleTimes, interval time.Duration) (timeSpans, error) {
	n := rec.Len()
	if interval < 0 {
		return timeSpans{}, badRecording("negative interval %v", interval)
	}

	// Each sample covers [start, end] in seconds since origin.
	start := make([]float64, n)
	end := make([]float64, n)
	allZero := true
	for i := range n {
		if t, _ := rec.SampleTime(i); !t.IsZero() {
			allZero = false
			break
		}
	}
	def := interval
	if def <= 0 {
		def = cpuwatch.DefaultInterval
	}
	var origin time.Time
	if !allZero {
		t, d0 := rec.SampleTime(0)
		if d0 <= 0 {
			d0 = def
		}
		origin = t.Add(-d0)
	}
	for i := range n {
		sTime, sElapsed := rec.SampleTime(i)
		if sElapsed < 0 {
			return timeSpans{}, badRecording("sample %d has negative elapsed time %v", i, sElapsed)
		}
		if allZero {
			d := sElapsed
			if d <= 0 {
				d = def
			}
			if i > 0 {
				start[i] = end[i-1]
			}
			end[i] = start[i] + d.Seconds()
			continue
		}
		if sTime.IsZero() {
			return timeSpans{}, badRecording("sample %d has no time but others have", i)
		}
		end[i] = sTime.Sub(origin).Seconds()
		if i > 0 && end[i] < end[i-1] {
			return timeSpans{}, badRecording("sample %d ends at %v, before sample %d", i, sTime, i-1)
		}
		d := sElapsed.Seconds()
		if i == 0 {
			d = end[0] // origin is one interval before the first sample
		} else if sElapsed == 0 {
			d = interval.Seconds()
			if d <= 0 || d > end[i]-end[i-1] {
				d = end[i] - end[i-1]
			}
		}
		start[i] = end[i] - d
	}
	t0, t1 := slices.Min(start), end[n-1]
	if math.Abs(t0) < 1e-9 {
		t0 = 0 // rounding of the first sample's start
	}
	if !(t1 > t0) || math.IsInf(t1-t0, 0) {
		return timeSpans{}, badRecording("samples span no time")
	}

	return timeSpans{start: start, end: end, origin: origin, allZero: allZero, t0: t0, t1: t1}, nil
}

// newAccumulation makes the empty series of samples that lie as sp says,
// with rows ids and at most maxCols columns, ready for their usage: rec's
// run window and, unless cur is set, its samples.
func newAccumulation(rec *cpuwatch.Recording, sp *timeSpans, ids []int, maxCols int, need field) accumulation {
	n := len(sp.end)
	rows := len(ids)
	cols := min(n, maxCols)
	sr := &series{ids: ids, cols: cols, t0: sp.t0, t1: sp.t1, origin: sp.origin,
		runStart: math.NaN(), runEnd: math.NaN(), start: sp.start, end: sp.end}
	if !sp.allZero && !rec.RunStart.IsZero() {
		sr.runStart = rec.RunStart.Sub(sp.origin).Seconds()
		if !rec.RunEnd.IsZero() && !rec.RunEnd.Before(rec.RunStart) {
			sr.runEnd = rec.RunEnd.Sub(sp.origin).Seconds()
		}
	}

	cells := rows * cols
	alloc := func(f field) []float32 {
		if need&f == 0 {
			return nil
		}
		return make([]float32, cells)
	}
	sr.busy, sr.user, sr.sys = alloc(fBusy), alloc(fUser), alloc(fSys)
	// While every sample holds every core, one weight per column serves
	// all its cells; the first sample that lacks a core switches to one
	// weight per cell (sr.cellWeight).
	sr.colWeight = make([]float32, cols)
	dt := (sp.t1 - sp.t0) / float64(cols)
	return accumulation{sr: sr, rec: rec, start: sp.start, end: sp.end, t0: sp.t0, dt: dt, need: need}
}

// accumulation is the state of resample's pass over the samples.
type accumulation struct {
	sr  *series
	rec *cpuwatch.Recording
	// cur, when set, is the sample run reads whatever its index: a
	// sample read from a stream, one at a time, instead of rec's.
	cur *cpuwatch.Sample
	// src, when set, is where run reads the usage of sample i as of
	// its index i − off, instead of rec: the last sample a Decoder read.
	src loadSource
	off int
	// fast, when set, is run's fastLoads, kept from call to call.
	fast       *fastLoads
	start, end []float64 // each sample's span, seconds since origin
	t0, dt     float64   // left edge and width of the columns
	need       field
}

// span is the overlap of a sample with a column, in columns.
type span struct {
	col int
	w   float32
}

// spans appends to buf the columns sample i overlaps before column hi, and
// reports whether the sample reaches no further.
func (a *accumulation) spans(i, hi int, buf []span) ([]span, bool) {
	buf = buf[:0]
	d := a.end[i] - a.start[i]
	if d <= 0 {
		return buf, true
	}
	t0, dt := a.t0, a.dt
	for c := max(int((a.start[i]-t0)/dt), 0); ; c++ {
		lo, hi2 := t0+float64(c)*dt, t0+float64(c+1)*dt
		if lo >= a.end[i] {
			return buf, true
		}
		if c >= hi {
			return buf, c >= a.sr.cols
		}
		if ov := min(hi2, a.end[i]) - max(lo, a.start[i]); ov > dt*1e-9 {
			buf = append(buf, span{c, float32(ov / dt)})
		}
	}
}

// run adds samples [i0, i1) into columns [c0, c1) of a.sr. With serial
// false it touches nothing outside those columns and returns errSplit
// where the serial path must take over: a sample reaching outside them,
// or one whose cores differ from the ids (which switches every column to
// weights per cell).
func (a *accumulation) run(i0, i1, c0, c1 int, serial bool) error {
	sr, rec, need := a.sr, a.rec, a.need
	ids := sr.ids
	rows := len(ids)
	cells := rows * sr.cols
	colWeight := sr.colWeight
	var rowOf map[int]int
	var spans []span
	var seen []bool // for a ragged sample: rows already filled
	fast := a.fast
	if fast == nil {
		fast = &fastLoads{}
	}
	var scratch cpuwatch.Sample
	for i := i0; i < i1; i++ {
		// The columns this sample overlaps, and by how much (in columns).
		var ok bool
		spans, ok = a.spans(i, c1, spans)
		if !ok || (len(spans) > 0 && spans[0].col < c0) {
			return errSplit
		}
		if len(spans) == 0 {
			continue
		}
		s := a.cur
		if s == nil {
			var src loadSource = rec
			if a.src != nil {
				src = a.src
			}
			if fast.add(src, i-a.off, sr, need, spans) {
				continue
			}
			src.SampleInto(i-a.off, &scratch)
			s = &scratch
		}

		// A sample whose cores are ids, position by position, needs no
		// lookups and cannot name a core twice; one that is not switches to
		// lookups where it departs from them. The check rides along with
		// the accumulation, so the cores are read only once.
		ragged := false
		toRagged := func(k int) {
			ragged = true
			if rowOf == nil {
				rowOf = make(map[int]int, rows)
				for r, id := range ids {
					rowOf[id] = r
				}
				seen = make([]bool, rows)
			}
			clear(seen)
			for kk := range k {
				seen[kk] = true
			}
			if sr.cellWeight == nil {
				cellWeight := make([]float32, cells)
				for c, w := range colWeight {
					for r := range rows {
						cellWeight[c*rows+r] = w
					}
				}
				for _, sp := range spans {
					for kk := range k {
						cellWeight[sp.col*rows+kk] += sp.w
					}
				}
				sr.cellWeight = cellWeight
			}
		}
		// Fast path for the common case, busy time of a sample that holds
		// every core in order and falls in one column: one tight loop. It
		// stops at the first core that needs more care, and the general
		// loop below carries on from there.
		k0 := 0
		if need == fBusy && len(spans) == 1 && sr.cellWeight == nil && len(s.Cores) == rows {
			w := spans[0].w
			dst := sr.busy[spans[0].col*rows : (spans[0].col+1)*rows]
			cores := s.Cores[:len(dst)]
			idv := ids[:len(dst)]
			for ; k0 < len(cores); k0++ {
				cu := &cores[k0]
				if cu.ID != idv[k0] || !isFrac(cu.Idle) || !isFrac(cu.IOWait) {
					break
				}
				dst[k0] += w * clampFrac(1-cu.Idle-cu.IOWait)
			}
		}
		if len(s.Cores) != rows {
			if !serial {
				return errSplit
			}
			toRagged(0)
		}
		for k := k0; k < len(s.Cores); k++ {
			cu := &s.Cores[k]
			r := k
			if !ragged && cu.ID != ids[k] {
				if !serial {
					return errSplit
				}
				toRagged(k)
			}
			if ragged {
				var ok bool
				r, ok = rowOf[cu.ID]
				switch {
				case cu.ID < 0:
					return badRecording("sample %d has negative cpu id %d", i, cu.ID)
				case !ok:
					return errNewCore
				case seen[r]:
					return badRecording("sample %d names cpu %d twice", i, cu.ID)
				}
				seen[r] = true
			}
			var busy, user, sys float32
			if need&fBusy != 0 {
				if !isFrac(cu.Idle) || !isFrac(cu.IOWait) {
					return usageErr(i, cu.ID, cu.Idle, cu.IOWait)
				}
				busy = clampFrac(1 - cu.Idle - cu.IOWait)
			}
			if need&fUser != 0 {
				if !isFrac(cu.User) || !isFrac(cu.Nice) {
					return usageErr(i, cu.ID, cu.User, cu.Nice)
				}
				user = clampFrac(cu.User + cu.Nice)
			}
			if need&fSys != 0 {
				if !isFrac(cu.System) {
					return usageErr(i, cu.ID, cu.System, 0)
				}
				sys = clampFrac(cu.System)
			}
			// Local slices: the compiler cannot keep sr's fields in
			// registers across the stores.
			busyA, userA, sysA, cw := sr.busy, sr.user, sr.sys, sr.cellWeight
			for _, sp := range spans {
				at := sp.col*rows + r
				if busyA != nil {
					busyA[at] += sp.w * busy
				}
				if userA != nil {
					userA[at] += sp.w * user
				}
				if sysA != nil {
					sysA[at] += sp.w * sys
				}
				if cw != nil {
					cw[at] += sp.w
				}
			}
		}
		if sr.cellWeight == nil {
			for _, sp := range spans {
				colWeight[sp.col] += sp.w
			}
		}
	}
	return nil
}

// loadSource is where resample reads a sample's usage: a Recording, or
// the sample a Decoder read last (lastDecoded).
type loadSource interface {
	CoreIDs(i int) []int
	CoreLoads(i int, busy, user, system []float64) bool
	SampleInto(i int, s *cpuwatch.Sample)
}

// lastDecoded is the loadSource of the sample a Decoder's DecodeTo read
// last, whatever the index.
type lastDecoded struct{ d *cpuwatch.Decoder }

func (l lastDecoded) CoreIDs(int) []int { return l.d.LastCoreIDs() }
func (l lastDecoded) CoreLoads(_ int, busy, user, system []float64) bool {
	return l.d.LastCoreLoads(busy, user, system)
}
func (l lastDecoded) SampleInto(_ int, s *cpuwatch.Sample) { l.d.LastSample(s) }

// fastLoads adds up the samples of a Recording that hold exactly the
// series' cores, whose usage it kept as ticks: cpuwatch's CoreLoads
// computes the sums without building a Sample, so each core costs a
// few bytes of reading and two or three divisions.
type fastLoads struct {
	busy, user, sys []float64
	// ids is the last id list seen, and same whether it is the series'.
	ids  []int
	same bool
}

// addWeighted adds w times each of src's fractions, clamped, to dst.
func addWeighted(dst []float32, src []float64, w float32) {
	for k, v := range src[:len(dst)] {
		dst[k] += w * clampFrac(v)
	}
}

// add adds sample i of rec into sr's columns spans, as run's general loop
// would, and reports true; or reports false, having added nothing, for a
// sample the general loop must read.
func (f *fastLoads) add(rec loadSource, i int, sr *series, need field, spans []span) bool {
	ids := rec.CoreIDs(i)
	rows := len(sr.ids)
	if len(ids) != rows || rows == 0 {
		return false
	}
	if &ids[0] != f.idsAt() || len(ids) != len(f.ids) {
		f.ids, f.same = ids, slices.Equal(ids, sr.ids)
	}
	if !f.same {
		return false
	}
	if f.busy == nil {
		f.busy, f.user, f.sys = make([]float64, rows), make([]float64, rows), make([]float64, rows)
	}
	b, u, y := f.busy, f.user, f.sys
	if need&fBusy == 0 {
		b = nil
	}
	if need&fUser == 0 {
		u = nil
	}
	if need&fSys == 0 {
		y = nil
	}
	if !rec.CoreLoads(i, b, u, y) {
		return false
	}
	busyA, userA, sysA, cw := sr.busy, sr.user, sr.sys, sr.cellWeight
	for _, sp := range spans {
		base := sp.col * rows
		w := sp.w
		if busyA != nil {
			addWeighted(busyA[base:base+rows], b, w)
		}
		if userA != nil {
			addWeighted(userA[base:base+rows], u, w)
		}
		if sysA != nil {
			addWeighted(sysA[base:base+rows], y, w)
		}
		if cw != nil {
			dst := cw[base : base+rows]
			for k := range dst {
				dst[k] += w
			}
		}
	}
	if cw == nil {
		for _, sp := range spans {
			sr.colWeight[sp.col] += sp.w
		}
	}
	return true
}

func (f *fastLoads) idsAt() *int {
	if len(f.ids) == 0 {
		return nil
	}
	return &f.ids[0]
}
