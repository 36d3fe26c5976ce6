package heatmap

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"slices"

	"github.com/corescope/corescope/cpuwatch"
)

// source is a recording's samples read as a sequence rather than held:
// what WriteFrom draws.
type source struct {
	samples func() iter.Seq[cpuwatch.Sample]
	n       int // samples in the sequence, known after series
	// short, if set, reports whether the second reading may end early:
	// a file whose damage the first pass, reading no usage, did not see.
	short func() bool
	// decoded, if set, is the second reading, of the same samples: a
	// Decoder after the DecodeTo of each in turn, whose tick deltas
	// resample reads without building a Sample.
	decoded func() iter.Seq[*cpuwatch.Decoder]
}

// series reads the samples twice: their times and core ids, then their
// usage, added up as resample adds up a Recording's, in the same order,
// so that the grid is bit for bit the one of the whole recording.
func (src *source) series(facts *cpuwatch.Recording, o resolved, extra field) (*series, error) {
	var times timeList
	seen := map[int]bool{}
	var ids []int
	var last []cpuwatch.CoreUsage
	for s := range src.samples() {
		times.time = append(times.time, s.Time)
		times.elapsed = append(times.elapsed, s.Elapsed)
		if sameIDs(last, s.Cores) {
			continue
		}
		last = append(last[:0], s.Cores...)
		for _, c := range s.Cores {
			if c.ID < 0 {
				return nil, badRecording("sample %d has negative cpu id %d", times.Len()-1, c.ID)
			}
			if !seen[c.ID] {
				seen[c.ID] = true
				ids = append(ids, c.ID)
			}
		}
		if len(ids) > maxRows {
			return nil, badRecording("more than %d cores", maxRows)
		}
	}
	src.n = times.Len()
	if src.n == 0 {
		return nil, badRecording("no samples")
	}
	if len(ids) == 0 {
		return nil, badRecording("no cores in any sample")
	}
	slices.Sort(ids)
	sp, err := spansOf(&times, facts.Interval)
	if err != nil {
		return nil, err
	}
	times = timeList{} // only the spans are needed from here on
	need, maxCols := needFor(o, len(ids), extra)
	a := newAccumulation(facts, &sp, ids, maxCols, need)
	a.fast = &fastLoads{}
	changed := errors.New("heatmap: the samples changed between two readings")
	i := 0
	// step accumulates sample i, which a.src or a.cur now holds.
	step := func() error {
		if i == src.n {
			return changed
		}
		if err := a.run(i, i+1, 0, a.sr.cols, true); err != nil {
			if err == errNewCore {
				return changed
			}
			return err
		}
		i++
		return nil
	}
	if src.decoded != nil {
		for d := range src.decoded() {
			a.src, a.off = lastDecoded{d}, i
			if err := step(); err != nil {
				return nil, err
			}
		}
	} else {
		for s := range src.samples() {
			a.cur = &s
			if err := step(); err != nil {
				return nil, err
			}
		}
	}
	if i != src.n && (src.short == nil || !src.short()) {
		return nil, changed
	}
	return a.sr, nil
}

// WriteFrom writes the heatmap of a recording too long to hold in memory
// to w in format f (PNG, SVG or HTML): the picture Write draws of the
// whole recording, bit for bit, from a sequence of its samples.
//
// facts gives the recording's fields other than Samples. samples must
// yield the same samples in time order each time it is called; WriteFrom
// calls it twice, first for the samples' Time, Elapsed and core IDs only
// (their usage may be left zero, as cpuwatch's Decoder.Skim leaves it),
// then for everything. A sample it yields may reuse the slices of the one
// before, as a Decoder's do. Memory is the picture's grid, 12 bytes per
// core and column, and 16 bytes per sample (48 while the first pass
// runs), whatever the number of cores.
func WriteFrom(w io.Writer, f Format, facts *cpuwatch.Recording, samples func() iter.Seq[cpuwatch.Sample], opts Options) error {
	return writeFrom(w, f, facts, &source{samples: samples}, opts)
}

func writeFrom(w io.Writer, f Format, facts *cpuwatch.Recording, src *source, opts Options) error {
	if facts == nil {
		return badRecording("nil recording")
	}
	var out func(*chart, io.Writer) error
	hover := true
	switch f {
	case PNG:
		out, hover = (*chart).writePNG, false
	case SVG:
		out = (*chart).writeSVG
	case HTML:
		out = (*chart).writeHTML
	default:
		return fmt.Errorf("heatmap: WriteFrom draws PNG, SVG or HTML, not %v", f)
	}
	o, err := opts.resolve()
	if err != nil {
		return err
	}
	o.from = src
	var extra field
	if hover {
		extra = fAll
	}
	c, err := buildChart(facts, o, extra)
	if err != nil {
		return err
	}
	return out(c, w)
}

// WriteFileFrom draws the binary recording file in (cpuwatch's FORMAT.md)
// to the file out, in the format out's extension names (see FormatFor),
// reading in twice, one sample at a time, with WriteFrom. If in's tail is
// damaged it draws the samples before the damage and returns the
// *cpuwatch.FormatError that says where; any other error leaves no out.
func WriteFileFrom(out, in string, opts Options) error {
	f, err := FormatFor(out)
	if err != nil {
		return err
	}
	file, err := os.Open(in)
	if err != nil {
		return fmt.Errorf("heatmap: %w", err)
	}
	defer file.Close()
	h, err := cpuwatch.NewDecoder(file).Header()
	if err != nil {
		return fmt.Errorf("heatmap: %s: %w", in, err)
	}
	facts := &cpuwatch.Recording{DataID: h.DataID, Interval: h.Interval, Start: h.Start, Host: h.Host}
	var (
		readErr error
		pass    int
	)
	samples := func() iter.Seq[cpuwatch.Sample] {
		return func(yield func(cpuwatch.Sample) bool) {
			if _, err := file.Seek(0, io.SeekStart); err != nil {
				readErr = fmt.Errorf("heatmap: %w", err)
				return
			}
			d := cpuwatch.NewDecoder(bufio.NewReaderSize(file, 1<<20))
			decode := d.Decode
			if pass++; pass == 1 {
				decode = d.Skim // the first pass needs only times and ids
				// The run window lies in blocks among the samples; the
				// chart needs it only after this pass.
				defer func() { facts.RunStart, facts.RunEnd = d.Run() }()
			}
			var s cpuwatch.Sample
			for {
				if err := decode(&s); err != nil {
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
	// The second pass reads each sample's tick deltas and keeps none:
	// resample takes what it needs from the Decoder.
	decoded := func() iter.Seq[*cpuwatch.Decoder] {
		return func(yield func(*cpuwatch.Decoder) bool) {
			if _, err := file.Seek(0, io.SeekStart); err != nil {
				readErr = fmt.Errorf("heatmap: %w", err)
				return
			}
			d := cpuwatch.NewDecoder(bufio.NewReaderSize(file, 1<<20))
			for {
				if err := d.DecodeTo(nil); err != nil {
					if err != io.EOF {
						readErr = err
					}
					return
				}
				if !yield(d) {
					return
				}
			}
		}
	}
	err = writeFile(out, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<16)
		// A usage the first pass skimmed may fail the second: the
		// picture then ends there, and the error says why.
		short := func() bool { return readErr != nil }
		src := &source{samples: samples, decoded: decoded, short: short}
		if err := writeFrom(bw, f, facts, src, opts); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return errors.Join(err, readErr)
	}
	if readErr != nil {
		return fmt.Errorf("heatmap: %s: %w", in, readErr)
	}
	return nil
}
