package heatmap

import (
	"cmp"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/corescope/corescope/cpuwatch"
)

// OkabeIto is the Okabe–Ito categorical palette, in the order a thread
// timeline gives it to CPUs: eight colours that stay distinct for the
// common forms of colour blindness. The first two, orange and blue, are the
// most distinct pair, so a two-core machine gets them. The slice is a
// fresh copy.
func OkabeIto() []color.RGBA {
	return []color.RGBA{
		{0xe6, 0x9f, 0x00, 0xff}, // orange
		{0x00, 0x72, 0xb2, 0xff}, // blue
		{0x00, 0x9e, 0x73, 0xff}, // bluish green
		{0xd5, 0x5e, 0x00, 0xff}, // vermillion
		{0x56, 0xb4, 0xe9, 0xff}, // sky blue
		{0xcc, 0x79, 0xa7, 0xff}, // reddish purple
		{0xf0, 0xe4, 0x42, 0xff}, // yellow
		{0x00, 0x00, 0x00, 0xff}, // black
	}
}

// DefaultMaxThreads is the most threads a timeline draws when
// ThreadOptions.MaxThreads is zero.
const DefaultMaxThreads = 64

// threadLevels is how many brightness steps a thread's busy fraction is
// shown in: 0, 20, …, 100 % of the interval.
const threadLevels = 6

// idleTint is how much of its CPU's colour a thread that ran for none of
// the interval keeps, so that where it waits still shows.
const idleTint = 0.12

// ThreadOptions controls a thread timeline. The zero value gives a good
// one: titled with the recording's DataID, cells sized to fit about
// 960×640 pixels, the 64 busiest threads that ran at all.
type ThreadOptions struct {
	// Title heads the picture; "" means the recording's DataID followed by
	// "threads", or "Thread timeline".
	Title string
	// GridWidth and GridHeight are the budgets, in pixels, of the cells;
	// zero means DefaultGridWidth and DefaultGridHeight. Recordings with
	// more samples than GridWidth are drawn with fewer, wider columns.
	GridWidth, GridHeight int
	// CellWidth and CellHeight fix a cell's size in pixels instead.
	CellWidth, CellHeight int
	// MaxThreads is the most rows: the threads with the most CPU time.
	// Zero means DefaultMaxThreads.
	MaxThreads int
	// AllThreads keeps threads that used no CPU time in the whole
	// recording, such as a Go program's idle runtime threads; by default
	// they get no row.
	AllThreads bool
}

// RenderThreads draws the per-thread timeline of rec, which must have been
// recorded by a watcher that followed processes (cpuwatch.Watcher's
// FollowSelf, FollowPIDs, FollowChildren). The image is an *image.Paletted.
//
// There is one row per thread, labelled with its TID and name (and PID
// when several processes are shown), in (PID, TID) order, and one column
// per interval. A cell's hue says which CPU the thread last ran on, in the
// Okabe–Ito palette with a legend (colours repeat beyond eight CPUs); its
// strength says how much of the interval the thread ran, from a faint tint
// (waiting) to full colour (running throughout). Light grey means the
// thread did not exist then. Threads taking turns under a lock, such as
// Python's GIL, show as strong cells passing from row to row, and their
// changing hues show each turn landing on whatever core was free.
//
// When a column covers several samples (long recordings), its strength is
// the mean and its hue the CPU of the sample in which the thread ran most.
func RenderThreads(rec *cpuwatch.Recording, opts ThreadOptions) (image.Image, error) {
	c, err := buildThreadChart(rec, opts)
	if err != nil {
		return nil, err
	}
	return c.image()
}

// WriteThreadsPNG renders rec's thread timeline, as RenderThreads does,
// and writes it to w as a paletted PNG.
func WriteThreadsPNG(w io.Writer, rec *cpuwatch.Recording, opts ThreadOptions) error {
	return writeThreads(w, rec, opts, (*chart).writePNG)
}

// WriteThreadsSVG writes rec's thread timeline to w as a standalone SVG
// document with the same layout as RenderThreads; each cell's <title>
// names the thread, the interval, its CPU and how much it ran.
func WriteThreadsSVG(w io.Writer, rec *cpuwatch.Recording, opts ThreadOptions) error {
	return writeThreads(w, rec, opts, (*chart).writeSVG)
}

// WriteThreadsHTML writes rec's thread timeline to w as a self-contained
// HTML page, as WriteHTML does for cores: hovering a cell names the
// thread, the interval, its CPU and how much it ran.
func WriteThreadsHTML(w io.Writer, rec *cpuwatch.Recording, opts ThreadOptions) error {
	return writeThreads(w, rec, opts, (*chart).writeHTML)
}

// writeThreads builds rec's thread timeline and writes it to w with out,
// as writeCores does for cores.
func writeThreads(w io.Writer, rec *cpuwatch.Recording, opts ThreadOptions, out func(*chart, io.Writer) error) error {
	c, err := buildThreadChart(rec, opts)
	if err != nil {
		return err
	}
	return out(c, w)
}

// threadRow is one thread across the recording.
type threadRow struct {
	pid, tid int
	name     string
	cpuTime  float64 // seconds, over the recording
	// names is the CPU time the thread used under each name it carried, in
	// the order first seen: a worker names itself while it works and may
	// take its old name back before the recording ends.
	names []namedCPU
}

type namedCPU struct {
	name string
	cpu  float64
}

// label returns the name under which the thread used the most CPU time;
// of equals (a thread that never ran, say) the latest.
func (r *threadRow) label() string {
	best := namedCPU{cpu: -1}
	for _, n := range r.names {
		if n.cpu >= best.cpu {
			best = n
		}
	}
	return best.name
}

// add counts cpu seconds used under name.
func (r *threadRow) add(name string, cpu float64) {
	r.cpuTime += cpu
	for i := range r.names {
		if r.names[i].name == name {
			r.names[i].cpu += cpu
			return
		}
	}
	r.names = append(r.names, namedCPU{name, cpu})
}

// buildThreadChart turns rec's Sample.Threads into a chart.
func buildThreadChart(rec *cpuwatch.Recording, opts ThreadOptions) (*chart, error) {
	o, err := Options{GridWidth: opts.GridWidth, GridHeight: opts.GridHeight,
		CellWidth: opts.CellWidth, CellHeight: opts.CellHeight}.resolve()
	if err != nil {
		return nil, err
	}
	if opts.MaxThreads < 0 || opts.MaxThreads > maxRows {
		return nil, fmt.Errorf("heatmap: ThreadOptions.MaxThreads %d out of [0, %d]", opts.MaxThreads, maxRows)
	}
	maxThreads := cmp.Or(opts.MaxThreads, DefaultMaxThreads)
	ids, err := coreIDs(rec)
	if err != nil {
		return nil, err
	}
	maxCols := o.GridWidth
	if o.CellWidth > 0 {
		maxCols = max(o.GridWidth/o.CellWidth, 1)
	}
	// resample checks the recording's times and usage and gives the time
	// axis; the thread cells share its columns.
	s, err := resample(rec, ids, maxCols, fBusy)
	if err != nil {
		return nil, err
	}
	start, end := s.start, s.end

	// Rows: every thread seen, with its total CPU time.
	type key struct{ pid, tid int }
	rowOf := map[key]int{}
	var rows []threadRow
	cpuSet := map[int]bool{}
	for i, smp := range rec.All() {
		for _, th := range smp.Threads {
			if th.CPU < 0 {
				return nil, badRecording("sample %d thread %d: negative cpu %d", i, th.TID, th.CPU)
			}
			for _, v := range []float64{th.User, th.System} {
				if !(v >= -usageTolerance && v <= 1+usageTolerance) {
					return nil, badRecording("sample %d thread %d: usage fraction %v out of [0, 1]", i, th.TID, v)
				}
			}
			k := key{th.PID, th.TID}
			r, ok := rowOf[k]
			if !ok {
				r = len(rows)
				rowOf[k] = r
				rows = append(rows, threadRow{pid: th.PID, tid: th.TID})
			}
			rows[r].add(th.Name, th.Busy()*(end[i]-start[i]))
		}
	}
	for i := range rows {
		rows[i].name = rows[i].label()
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: the recording followed none (record with a watcher that follows processes)", ErrNoThreads)
	}
	total := len(rows)
	keep := rows[:0:0]
	for _, r := range rows {
		if opts.AllThreads || r.cpuTime > 0 {
			keep = append(keep, r)
		}
	}
	if len(keep) == 0 {
		return nil, fmt.Errorf("%w: no followed thread used any CPU time (set AllThreads to draw them anyway)", ErrNoThreads)
	}
	if len(keep) > maxThreads {
		slices.SortStableFunc(keep, func(a, b threadRow) int { return cmp.Compare(b.cpuTime, a.cpuTime) })
		keep = keep[:maxThreads]
	}
	slices.SortFunc(keep, func(a, b threadRow) int { return cmp.Or(cmp.Compare(a.pid, b.pid), cmp.Compare(a.tid, b.tid)) })
	clear(rowOf)
	pids := map[int]bool{}
	for r, t := range keep {
		rowOf[key{t.pid, t.tid}] = r
		pids[t.pid] = true
	}

	// Cells: per (row, column) the overlap-weighted busy fraction, and the
	// CPU of the sample in which the thread ran most.
	nr, nc := len(keep), s.cols
	busy := make([]float64, nr*nc)
	weight := make([]float64, nr*nc)
	best := make([]float64, nr*nc)
	cpuAt := make([]int, nr*nc)
	for i := range cpuAt {
		cpuAt[i] = -1
	}
	// The columns a sample covers, and by how much, are exactly those of
	// the core heatmap (accumulation.spans), and a column's time is the
	// series' weight of it: so both pictures put every sample in the same
	// place.
	dt := (s.t1 - s.t0) / float64(nc)
	a := accumulation{sr: s, rec: rec, start: start, end: end, t0: s.t0, dt: dt}
	var spans []span
	colTime := make([]float64, nc) // in columns: the samples' weight
	for i, smp := range rec.All() {
		spans, _ = a.spans(i, nc, spans)
		for _, sp := range spans {
			w := float64(sp.w)
			colTime[sp.col] += w
			for _, th := range smp.Threads {
				r, ok := rowOf[key{th.PID, th.TID}]
				if !ok {
					continue
				}
				at := r*nc + sp.col
				b := th.Busy()
				busy[at] += w * b
				weight[at] += w
				// The tiny floor lets an idle thread's CPU count too.
				if score := w * (b + 1e-6); score >= best[at] {
					best[at], cpuAt[at] = score, th.CPU
				}
				cpuSet[th.CPU] = true
			}
		}
	}
	// present reports whether the thread of cell at existed in any of
	// its column, and ran is its share of the column's time: a column
	// that a sample of a busy thread only touches shows it as faint as
	// the core heatmap shows its core.
	present := func(at int) bool { return weight[at] > 0 && cpuAt[at] >= 0 }
	ran := func(at int) float64 { return busy[at] / max(colTime[at%nc], weight[at]) }

	cpus := slices.Sorted(func(yield func(int) bool) {
		for id := range cpuSet {
			if !yield(id) {
				return
			}
		}
	})
	palette := OkabeIto()
	hue := map[int]int{}
	for i, id := range cpus {
		hue[id] = i % len(palette)
	}
	nHues := min(len(cpus), len(palette))

	c := &chart{title: opts.Title, cols: nc, t0: s.t0, t1: s.t1}
	if c.title == "" {
		c.title = "Thread timeline"
		if rec.DataID != "" {
			c.title = rec.DataID + " threads"
		}
	}
	// Swatches: no data, then threadLevels strengths of each hue, then the
	// neutral ramp of the strength legend.
	c.swatches = []color.RGBA{colNoData}
	strength := func(k int) float64 { return idleTint + (1-idleTint)*float64(k)/(threadLevels-1) }
	for h := range nHues {
		for k := range threadLevels {
			c.swatches = append(c.swatches, blend(colBackground, palette[h], strength(k)))
		}
	}
	neutral := color.RGBA{0x44, 0x44, 0x44, 0xff}
	rampAt := len(c.swatches)
	for k := range threadLevels {
		c.swatches = append(c.swatches, blend(colBackground, neutral, strength(k)))
	}
	c.cells = make([]uint8, nr*nc)
	level := func(b float64) int { return int(math.Round(clampUnit(b) * (threadLevels - 1))) }
	for at := range c.cells {
		if !present(at) {
			continue // the thread did not exist: no data
		}
		c.cells[at] = uint8(1 + hue[cpuAt[at]]*threadLevels + level(ran(at)))
	}

	c.rows = make([]string, nr)
	for r, t := range keep {
		label := strconv.Itoa(t.tid) + " " + t.name
		if len(pids) > 1 {
			label = strconv.Itoa(t.pid) + "/" + label
		}
		c.rows[r] = label
	}
	c.cellW = o.CellWidth
	if c.cellW == 0 {
		c.cellW = min(max(o.GridWidth/nc, 1), maxCell)
		if c.cellW*nc < minGridWidth {
			c.cellW = (minGridWidth + nc - 1) / nc
		}
	}
	c.cellH = o.CellHeight
	if c.cellH == 0 {
		c.cellH = min(max(o.GridHeight/nr, 1), 24)
	}
	if c.cellH >= 8 {
		c.gap = 1 // keeps neighbouring threads of one colour apart
	}
	for _, m := range []marker{{s.runStart, "run start"}, {s.runEnd, "run end"}} {
		if m.at >= s.t0 && m.at <= s.t1 {
			c.markers = append(c.markers, m)
		}
	}
	if len(c.markers) == 2 && c.markers[0].at == c.markers[1].at {
		c.markers = []marker{{c.markers[0].at, "run"}}
	}

	c.legend.title = []string{"ran"}
	for k := range threadLevels {
		c.legend.bar = append(c.legend.bar, uint8(rampAt+k))
	}
	c.legend.ticks = []tick{{0, "0 %"}, {0.5, "50 %"}, {1, "100 %"}}
	for i, id := range cpus {
		if i == len(palette) {
			break
		}
		label := "cpu" + strconv.Itoa(id)
		// With more CPUs than colours, each colour stands for several.
		for j := i + len(palette); j < len(cpus); j += len(palette) {
			label += ", " + strconv.Itoa(cpus[j])
		}
		c.legend.entries = append(c.legend.entries, entry{uint8(1 + hue[id]*threadLevels + threadLevels - 1), label})
	}

	per := "1 column = " + seconds(dt)
	if nc < rec.Len() {
		per += " (averaged)"
	}
	c.subtitle = "hue: CPU the thread last ran on · strength: share of the interval it ran · " + per
	if shown := len(keep); shown < total {
		c.subtitle += fmt.Sprintf(" · %d of %d threads", shown, total)
	}
	c.tip = func(r, col int) string {
		from, to := s.colTime(col)
		at := r*nc + col
		head := fmt.Sprintf("%s · %s–%s s", c.rows[r], trim(from), trim(to))
		if !present(at) {
			return head + " · not running"
		}
		return fmt.Sprintf("%s · cpu%d · ran %.0f %%", head, cpuAt[at], 100*ran(at))
	}
	return c, nil
}

func clampUnit(x float64) float64 { return min(max(x, 0), 1) }
