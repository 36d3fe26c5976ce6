package heatmap

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"runtime"
	"strconv"
	"sync"

	"github.com/corescope/corescope/cpuwatch"
)

// levels is how many colours of a map a picture uses: all the palette has
// room for, with slot 0 kept for cells without data.
const levels = maxSwatches - 1

// colNoData colours swatch slot 0 of every cell chart: no data (a core
// offline in that column), or an empty distribution bucket.
var colNoData = color.RGBA{0xee, 0xee, 0xee, 0xff}

// Render draws rec as a heatmap. The image is an *image.Paletted.
//
// Rows are cores in ascending CPU id order, top to bottom, labelled with
// their ids (grouped by physical core with Options.GroupByCore; in
// Distribution mode, busy buckets, highest on top); columns are equal
// slices of time, each the mean of the samples it overlaps (weighted by
// overlap), so recordings longer than the width budget are averaged rather
// than cut. Dashed lines mark the recording's RunStart and RunEnd. Render returns an error, never a panic, for a
// recording it cannot draw: no samples, no cores, times out of order,
// usage fractions outside [0, 1], or a picture beyond 128 Mpx.
func Render(rec *cpuwatch.Recording, opts Options) (image.Image, error) {
	return render(rec, opts)
}

func render(rec *cpuwatch.Recording, opts Options) (*image.Paletted, error) {
	c, err := chartOf(rec, opts, false)
	if err != nil {
		return nil, err
	}
	return c.image()
}

// image lays the chart out and draws it.
func (c *chart) image() (*image.Paletted, error) {
	f := newFonts()
	l, err := c.layout(f)
	if err != nil {
		return nil, err
	}
	return c.raster(l, f), nil
}

// WritePNG renders rec and writes it to w as a paletted PNG at
// png.BestSpeed: heatmaps are large flat areas, which compress well even at
// the fastest level.
func WritePNG(w io.Writer, rec *cpuwatch.Recording, opts Options) error {
	return writeCores(w, rec, opts, false, (*chart).writePNG)
}

// writeCores converts rec to a chart, with the figures of the hover texts
// if hover, and writes it to w with out: the path of every core output.
func writeCores(w io.Writer, rec *cpuwatch.Recording, opts Options, hover bool, out func(*chart, io.Writer) error) error {
	c, err := chartOf(rec, opts, hover)
	if err != nil {
		return err
	}
	return out(c, w)
}

// writePNG draws the chart and writes it as a paletted PNG.
func (c *chart) writePNG(w io.Writer) error {
	img, err := c.image()
	if err != nil {
		return err
	}
	return buffered(w, func(bw *bufio.Writer) error { return encodePNG(bw, img) })
}

// buffered runs write on a buffer over w and flushes it, so that outputs
// made of many small writes reach w in large ones. Errors come back
// prefixed "heatmap: ".
func buffered(w io.Writer, write func(*bufio.Writer) error) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := write(bw); err != nil {
		return fmt.Errorf("heatmap: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("heatmap: %w", err)
	}
	return nil
}

// effectiveMode returns the mode drawn for rows cores.
func effectiveMode(o resolved, rows int) Mode {
	if o.Mode != Distribution && o.MaxRows > 0 && rows > o.MaxRows {
		return Distribution
	}
	return o.Mode
}

// buildChart converts rec to a chart: the Recording→grid step. extra names
// fields beyond the mode's own to resample, for hover texts.
func buildChart(rec *cpuwatch.Recording, o resolved, extra field) (*chart, error) {
	if rec == nil {
		return nil, badRecording("nil recording")
	}
	if o.GroupByCore && rec.Host.Topology == nil {
		return nil, fmt.Errorf("%w: GroupByCore needs the recording's Host.Topology, which cpuwatch.Record keeps where sysfs is readable", ErrNoTopology)
	}
	if o.GroupByCore {
		if err := rec.Host.Topology.Validate(); err != nil {
			return nil, fmt.Errorf("%w: GroupByCore: %w", ErrBadRecording, err)
		}
	}
	s, n, err := seriesFor(rec, o, extra)
	if err != nil {
		return nil, err
	}
	ids := s.ids
	mode := effectiveMode(o, len(ids))
	c := &chart{
		title: o.Title,
		cols:  s.cols,
		t0:    s.t0, t1: s.t1,
	}

	if c.title == "" {
		c.title = rec.DataID
	}
	if c.title == "" {
		c.title = "CPU utilisation"
	}
	c.cellW = o.CellWidth
	if c.cellW == 0 {
		c.cellW = min(max(o.GridWidth/s.cols, 1), maxCell)
		if c.cellW*s.cols < minGridWidth {
			c.cellW = (minGridWidth + s.cols - 1) / s.cols
		}
	}
	colDur := (s.t1 - s.t0) / float64(s.cols)
	per := "1 column = " + seconds(colDur)
	if s.cols < n {
		per += " (averaged)"
	}
	for _, m := range []marker{{s.runStart, "run start"}, {s.runEnd, "run end"}} {
		if m.at >= s.t0 && m.at <= s.t1 {
			c.markers = append(c.markers, m)
		}
	}
	if len(c.markers) == 2 && c.markers[0].at == c.markers[1].at {
		c.markers = []marker{{c.markers[0].at, "run"}}
	}

	cmap := o.cmap
	c.swatches = make([]color.RGBA, 1+levels)
	c.swatches[0] = colNoData
	for j := range levels {
		c.swatches[1+j] = cmap.table[(j*255+(levels-1)/2)/(levels-1)]
	}
	c.legend.bar = make([]uint8, levels)
	for j := range c.legend.bar {
		c.legend.bar[j] = uint8(1 + j)
	}

	if mode == Distribution {
		distribution(c, s, o, per)
		return c, nil
	}

	cr := plainRows(s.ids)
	if o.GroupByCore {
		cr = rowsByCore(rec.Host.Topology, s.ids)
	}
	c.rows, c.breaks, c.joins, c.pair = cr.labels, cr.breaks, cr.joins, cr.pair
	c.cellH = o.CellHeight
	if c.cellH == 0 {
		c.cellH = min(max(o.GridHeight/len(s.ids), 1), 24)
	}
	what := c.fillMode(s, mode, cr.rowOf)
	c.subtitle = what + " per CPU · " + per
	if o.GroupByCore {
		c.subtitle += " · rows grouped by physical core"
		if len(c.joins) > 0 {
			c.subtitle += "; a bar joins SMT siblings"
		}
	}
	if extra == fAll {
		// seriesRow maps a chart row back to the series.
		seriesRow := make([]int, len(s.ids))
		for sr := range seriesRow {
			seriesRow[rowAt(cr.rowOf, sr)] = sr
		}
		c.tip = func(r, col int) string {
			from, to := s.colTime(col)
			head := fmt.Sprintf("%s · %s–%s s", cr.names[r], trim(from), trim(to))
			sr := seriesRow[r]
			busy := s.mean(s.busy, sr, col)
			if busy != busy {
				return head + " · no data"
			}
			return fmt.Sprintf("%s · busy %.1f %% · user %.1f %% · system %.1f %%",
				head, 100*busy, 100*s.mean(s.user, sr, col), 100*s.mean(s.sys, sr, col))
		}
	}
	return c, nil
}

// seriesFor resamples the samples of rec, or of o.from, for o, and says
// how many there are.
func seriesFor(rec *cpuwatch.Recording, o resolved, extra field) (*series, int, error) {
	if o.from != nil {
		s, err := o.from.series(rec, o, extra)
		return s, o.from.n, err
	}
	ids, err := firstIDs(rec)
	if err != nil {
		return nil, 0, err
	}
	for retry := false; ; retry = true {
		s, err := resampleFor(rec, ids, o, extra)
		if err != errNewCore || retry {
			return s, rec.Len(), err
		}
		if ids, err = coreIDs(rec); err != nil {
			return nil, 0, err
		}
	}
}

// needFor returns the fields o's mode needs for rows rows, and extra,
// and the most columns o allows.
func needFor(o resolved, rows int, extra field) (field, int) {
	need := extra
	switch effectiveMode(o, rows) {
	case Busy, Distribution:
		need |= fBusy
	case User:
		need |= fUser
	case System:
		need |= fSys
	case Split:
		need |= fUser | fSys
	}
	maxCols := o.GridWidth
	if o.CellWidth > 0 {
		maxCols = max(o.GridWidth/o.CellWidth, 1)
	}
	return need, maxCols
}

// resampleFor resamples rec with the fields o's mode needs for len(ids)
// cores, plus extra.
func resampleFor(rec *cpuwatch.Recording, ids []int, o resolved, extra field) (*series, error) {
	need, maxCols := needFor(o, len(ids), extra)
	return resample(rec, ids, maxCols, need)
}

// minGridWidth keeps short recordings wide enough for their axis labels.
const minGridWidth = 240

// quantize maps the means of the sums a to swatch indices: no data to 0,
// [0, 1] to the levels 1…levels. It reads s column by column, as series
// holds it, and returns rows×cols indices row-major, as charts hold them,
// series row r in chart row rowAt(rowOf, r).
func quantize(s *series, a []float32, rowOf []int) []uint8 {
	return quantizeN(s, a, rowOf, runtime.GOMAXPROCS(0))
}

// quantizeBlock is how many columns quantize transposes at a time: their
// sums are one stretch of memory, read in order, and each row of the
// output gets whole cache lines rather than one byte per line per column.
const quantizeBlock = 64

// quantizeN is quantize with the columns split among up to workers
// goroutines (1: serial) for a big series; each writes only its columns.
func quantizeN(s *series, a []float32, rowOf []int, workers int) []uint8 {
	rows, cols := len(s.ids), s.cols
	out := make([]uint8, rows*cols)
	blocks := (cols + quantizeBlock - 1) / quantizeBlock
	if workers = min(workers, blocks); workers < 2 || rows*cols < minParallel {
		quantizeCols(s, a, rowOf, out, 0, cols)
		return out
	}
	var wg sync.WaitGroup
	for k := range workers {
		c0 := blocks * k / workers * quantizeBlock
		c1 := min(blocks*(k+1)/workers*quantizeBlock, cols)
		wg.Go(func() { quantizeCols(s, a, rowOf, out, c0, c1) })
	}
	wg.Wait()
	return out
}

// quantizeCols fills columns [c0, c1) of out, quantizeBlock at a time.
func quantizeCols(s *series, a []float32, rowOf []int, out []uint8, c0, c1 int) {
	rows, cols := len(s.ids), s.cols
	const bw = quantizeBlock
	tile := make([]uint8, rows*bw) // row r, column j of the block at r*bw+j
	for b0 := c0; b0 < c1; b0 += bw {
		nb := min(bw, c1-b0)
		for j := range nb {
			c := b0 + j
			if s.cellWeight != nil {
				for r := range rows {
					tile[r*bw+j] = 0
					if x := s.mean(a, r, c); x == x {
						tile[r*bw+j] = uint8(1 + int(x*(levels-1)+0.5))
					}
				}
				continue
			}
			w := s.colWeight[c]
			if w <= 0 {
				for r := range rows {
					tile[r*bw+j] = 0 // no data
				}
				continue
			}
			inv := 1 / w
			for r, v := range a[c*rows : (c+1)*rows] {
				// Rounding of the weights may overshoot 1 by an ulp or so.
				if v *= inv; v > 1 {
					v = 1
				}
				tile[r*bw+j] = uint8(1 + int(v*(levels-1)+0.5))
			}
		}
		for r := range rows {
			copy(out[rowAt(rowOf, r)*cols+b0:][:nb], tile[r*bw:][:nb])
		}
	}
}

// rowAt returns the chart row of series row r under rowOf (nil: the same).
func rowAt(rowOf []int, r int) int {
	if rowOf == nil {
		return r
	}
	return rowOf[r]
}

// distribution fills c as a utilisation heat map: one row per busy bucket,
// highest on top, coloured by how many CPUs sat in it.
func distribution(c *chart, s *series, o resolved, per string) {
	nb := o.Buckets
	counts := make([]int, nb*s.cols)
	maxCount := 0
	nRows := len(s.ids)
	var buf []float32
	for col := range s.cols {
		buf = s.column(s.busy, col, buf)
		for _, v := range buf {
			if v != v {
				continue
			}
			b := min(int(v*float32(nb)), nb-1)
			at := (nb-1-b)*s.cols + col
			counts[at]++
			maxCount = max(maxCount, counts[at])
		}
	}
	// Colour follows log(count): idle machines put every CPU in one bucket,
	// and a linear scale would leave the few busy ones invisible.
	logMax := math.Log(float64(max(maxCount, 2)))
	pos := func(n int) float64 { return math.Log(float64(n)) / logMax }
	c.cells = make([]uint8, len(counts))
	for i, n := range counts {
		if n > 0 {
			c.cells[i] = uint8(1 + int(pos(n)*(levels-1)+0.5))
		}
	}
	// Row b (from the top) holds busy fractions in [lo(b), lo(b-1)).
	lo := func(b int) string { return trim(100 * float64(nb-1-b) / float64(nb)) }
	c.rows = make([]string, nb)
	for b := range nb {
		c.rows[b] = lo(b) + "–" + lo(b-1) + " %"
	}
	// Without colour an empty bucket is blank and any CPUs at all show.
	c.plain = func(sw uint8) rune {
		if sw == 0 {
			return ' '
		}
		v := float64(sw-1) / (levels - 1)
		return rampAt(1 + int(math.Round(v*(rampLen-2))))
	}
	c.plainKey = ramp[1:]
	c.pair = func(upper, lower int) string { return lo(lower) + "–" + lo(upper-1) + " %" }
	c.cellH = o.CellHeight
	if c.cellH == 0 {
		c.cellH = min(max(o.GridHeight/nb, 1), 16)
	}
	c.legend.title = []string{"CPUs"}
	c.legend.ticks = []tick{{0, "1"}}
	for _, n := range []int{2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000} {
		if n < maxCount {
			c.legend.ticks = append(c.legend.ticks, tick{pos(n), strconv.Itoa(n)})
		}
	}
	if maxCount > 1 {
		c.legend.ticks = append(c.legend.ticks, tick{1, strconv.Itoa(maxCount)})
	}
	c.subtitle = fmt.Sprintf("busy-time distribution of %d CPUs · %s", nRows, per)
	c.tip = func(r, col int) string {
		from, to := s.colTime(col)
		return fmt.Sprintf("%s–%s s · busy %s: %d CPUs", trim(from), trim(to), c.rows[r], counts[r*s.cols+col])
	}
}

// seconds formats a duration in seconds for a subtitle, such as "1 s" or
// "250 ms".
func seconds(d float64) string {
	if d < 1 {
		return strconv.FormatFloat(d*1000, 'g', 3, 64) + " ms"
	}
	if d >= 1000 {
		return strconv.FormatFloat(d, 'f', 0, 64) + " s"
	}
	return strconv.FormatFloat(d, 'g', 3, 64) + " s"
}

// trim formats x with up to 3 significant decimals and no trailing zeros.
func trim(x float64) string {
	if math.Abs(x) < 5e-4 {
		return "0"
	}
	return strconv.FormatFloat(math.Round(x*1000)/1000, 'f', -1, 64)
}

// fillMode fills c's cells, legend and Split layout with what mode shows
// of s, rows placed by rowOf (nil: series order), and returns the phrase
// naming it for the subtitle. c.cellH must be set: Split raises it so that
// each half has at least 2 pixels, with a gap that pairs them per core.
func (c *chart) fillMode(s *series, mode Mode, rowOf []int) (what string) {
	if mode == Split {
		c.cellH = max(c.cellH, 4)
		if c.cellH >= 8 {
			c.gap = 2
		}
	}
	for _, p := range []int{0, 25, 50, 75, 100} {
		c.legend.ticks = append(c.legend.ticks, tick{float64(p) / 100, strconv.Itoa(p) + " %"})
	}
	switch mode {
	case Busy:
		c.cells = quantize(s, s.busy, rowOf)
		what, c.legend.title = "busy time (all but idle and iowait)", []string{"busy"}
	case User:
		c.cells = quantize(s, s.user, rowOf)
		what, c.legend.title = "user time (user + nice)", []string{"user"}
	case System:
		c.cells = quantize(s, s.sys, rowOf)
		what, c.legend.title = "system time", []string{"system"}
	case Split:
		c.cells, c.lower = quantize(s, s.user, rowOf), quantize(s, s.sys, rowOf)
		what, c.legend.title = "user time (upper half of each cell) and system time (lower half)", []string{"upper: user", "lower: system"}
	}
	return what
}
