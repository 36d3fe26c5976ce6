package heatmap

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"os"
	"slices"
	"time"

	"github.com/corescope/corescope/cpuwatch"
)

// Condense reads a recording too long to hold in memory and returns one of
// at most as many samples as opts gives a chart columns (GridWidth, or
// GridWidth/CellWidth), which Render, WritePNG, WriteSVG and WriteHTML draw
// with opts as they would draw the whole recording: each sample of the
// result is one column, the overlap-weighted mean of the samples in it,
// which is what the renderer computes for a column. The chart only lacks
// the "(averaged)" note on its time axis, and colours may differ where a
// column's mean lies within rounding of a colour's edge.
//
// facts gives the recording's fields other than Samples; samples must
// yield the same samples in time order each time it is called, and is
// called twice: first for the samples' Time, Elapsed and core IDs only
// (their usage may be left zero, as cpuwatch's Decoder.Skim leaves it),
// then for everything. Its samples may
// reuse their slices from one to the next, as a Decoder's do. The result
// holds no threads; draw thread timelines from a whole Recording.
//
// Memory is about 100 bytes per core per column (90 MB for 1024 cores at
// the default 960 columns) plus 170 bytes per sample, whatever the length.
func Condense(facts *cpuwatch.Recording, samples func() iter.Seq[cpuwatch.Sample], opts Options) (*cpuwatch.Recording, error) {
	o, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	maxCols := o.GridWidth
	if o.CellWidth > 0 {
		maxCols = max(o.GridWidth/o.CellWidth, 1)
	}
	// Pass 1: the times of every sample and the ids of every core.
	skel := *facts
	skel.Samples = nil
	ids := map[int]bool{}
	var last []cpuwatch.CoreUsage
	for s := range samples() {
		skel.Samples = append(skel.Samples, cpuwatch.Sample{Time: s.Time, Elapsed: s.Elapsed})
		if !sameIDs(last, s.Cores) {
			for _, c := range s.Cores {
				if c.ID < 0 {
					return nil, badRecording("sample %d has negative cpu id %d", len(skel.Samples)-1, c.ID)
				}
				ids[c.ID] = true
			}
			last = append(last[:0], s.Cores...)
		}
	}
	n := len(skel.Samples)
	if n == 0 || len(ids) == 0 {
		return nil, badRecording("no samples with cores")
	}
	if len(ids) > maxRows {
		return nil, badRecording("more than %d cores", maxRows)
	}
	sp, err := spansOf(&skel)
	if err != nil {
		return nil, err
	}
	idList := make([]int, 0, len(ids))
	for id := range ids {
		idList = append(idList, id)
	}
	slices.Sort(idList)
	// Cpu ids are small: a slice indexed by id finds a core's row.
	if idList[len(idList)-1] >= 1<<22 {
		return nil, badRecording("cpu id %d too large", idList[len(idList)-1])
	}
	row := make([]int32, idList[len(idList)-1]+1)
	for i := range row {
		row[i] = -1
	}
	for r, id := range idList {
		row[id] = int32(r)
	}
	rows := len(idList)
	cols := min(n, maxCols)
	dt := (sp.t1 - sp.t0) / float64(cols)

	// Pass 2: each sample's usage, weighted by its overlap with each
	// column, summed into that column's sample.
	out := make([]cpuwatch.Sample, cols)
	cores := make([]cpuwatch.CoreUsage, cols*rows)
	weight := make([]float64, cols*rows)
	total := make([]float64, cols)
	for c := range out {
		out[c].Cores = cores[c*rows : (c+1)*rows : (c+1)*rows]
		for r, id := range idList {
			out[c].Cores[r].ID = id
		}
	}
	i := 0
	for s := range samples() {
		if i >= n {
			return nil, errors.New("heatmap: samples yielded more the second time")
		}
		lo, hi := sp.start[i], sp.end[i]
		c0 := max(int(math.Floor((lo-sp.t0)/dt)), 0)
		for c := c0; c < cols; c++ {
			from, to := sp.t0+float64(c)*dt, sp.t0+float64(c+1)*dt
			if from >= hi {
				break
			}
			ov := min(hi, to) - max(lo, from)
			if ov <= 0 {
				continue
			}
			total[c] += ov
			addUsage(&out[c].Total, &s.Total, ov)
			for k := range s.Cores {
				cu := &s.Cores[k]
				if err := checkUsage(i, cu); err != nil {
					return nil, err
				}
				if cu.ID < 0 || cu.ID >= len(row) || row[cu.ID] < 0 {
					return nil, errors.New("heatmap: samples yielded other cores the second time")
				}
				r := int(row[cu.ID])
				addUsage(&out[c].Cores[r].Usage, &cu.Usage, ov)
				weight[c*rows+r] += ov
			}
		}
		i++
	}
	if i != n {
		return nil, errors.New("heatmap: samples yielded fewer the second time")
	}

	// Each column's sample covers the column, and holds the mean of the
	// cores seen in it.
	edge := func(c int) time.Duration {
		return time.Duration(math.Round((sp.t0 + float64(c)*dt) * 1e9))
	}
	for c := range out {
		s := &out[c]
		s.Elapsed = edge(c+1) - edge(c)
		if !sp.allZero {
			s.Time = sp.origin.Add(edge(c + 1))
		}
		if total[c] > 0 {
			scaleUsage(&s.Total, 1/total[c])
		}
		kept := s.Cores[:0]
		for r := range s.Cores {
			if w := weight[c*rows+r]; w > 0 {
				cu := s.Cores[r]
				scaleUsage(&cu.Usage, 1/w)
				kept = append(kept, cu)
			}
		}
		s.Cores = kept
	}
	rec := *facts
	rec.Samples = out
	return &rec, nil
}

// checkUsage reports a usage fraction of sample i out of [0, 1].
func checkUsage(i int, c *cpuwatch.CoreUsage) error {
	u := &c.Usage
	for _, v := range [...]float64{u.User, u.Nice, u.System, u.Idle, u.IOWait, u.IRQ, u.SoftIRQ, u.Steal, u.Guest, u.GuestNice} {
		if !isFrac(v) {
			return badRecording("sample %d cpu %d: usage fraction %v out of [0, 1]", i, c.ID, v)
		}
	}
	return nil
}

// addUsage adds w·v to u.
func addUsage(u, v *cpuwatch.Usage, w float64) {
	u.User += w * v.User
	u.Nice += w * v.Nice
	u.System += w * v.System
	u.Idle += w * v.Idle
	u.IOWait += w * v.IOWait
	u.IRQ += w * v.IRQ
	u.SoftIRQ += w * v.SoftIRQ
	u.Steal += w * v.Steal
	u.Guest += w * v.Guest
	u.GuestNice += w * v.GuestNice
}

// scaleUsage multiplies u by f.
func scaleUsage(u *cpuwatch.Usage, f float64) {
	u.User *= f
	u.Nice *= f
	u.System *= f
	u.Idle *= f
	u.IOWait *= f
	u.IRQ *= f
	u.SoftIRQ *= f
	u.Steal *= f
	u.Guest *= f
	u.GuestNice *= f
}

// CondenseFile is Condense of a binary recording file (cpuwatch's
// FORMAT.md), read twice, one sample at a time. If the file's tail is
// damaged, it condenses the samples before the damage and returns the
// result together with the *cpuwatch.FormatError that says where.
func CondenseFile(name string, opts Options) (*cpuwatch.Recording, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("heatmap: %w", err)
	}
	defer f.Close()
	var (
		readErr error
		last    *cpuwatch.Decoder // of the latest pass
		pass    int
	)
	samples := func() iter.Seq[cpuwatch.Sample] {
		return func(yield func(cpuwatch.Sample) bool) {
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				readErr = fmt.Errorf("heatmap: %w", err)
				return
			}
			last = cpuwatch.NewDecoder(bufio.NewReaderSize(f, 1<<20))
			decode := last.Decode
			if pass++; pass == 1 {
				decode = last.Skim // the first pass needs only times and ids
			}
			var s cpuwatch.Sample
			for {
				err := decode(&s)
				if err != nil {
					if err != io.EOF {
						readErr = err
					}
					return
				}
				if !yield(s) {
					return
				}
			}
		}
	}
	h, err := cpuwatch.NewDecoder(f).Header()
	if err != nil {
		return nil, err
	}
	facts := &cpuwatch.Recording{DataID: h.DataID, Interval: h.Interval, Start: h.Start, Host: h.Host}
	rec, err := Condense(facts, samples, opts)
	if err != nil {
		if readErr != nil {
			return nil, errors.Join(err, readErr)
		}
		return nil, err
	}
	// The second pass read as far as the first: its run window is the
	// file's.
	rec.RunStart, rec.RunEnd = last.Run()
	return rec, readErr
}
