package heatmap

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/corescope/corescope/cpuwatch"
	"golang.org/x/image/font/sfnt"
)

// DefaultFleetMaxRows is the most cores a fleet picture draws one row each,
// two pixels a row in the default height; a fleet with more is drawn in
// Distribution mode, across every core of every host.
const DefaultFleetMaxRows = 320

// RenderFleet draws many recordings, one per host, as one picture: rows
// grouped by host in the order given, each host's cores in ascending CPU
// id order, the host's name on its group's first row, a gap between hosts,
// and one time axis in UTC clock time over the span of all of them (a host
// that has no sample somewhere is grey there). Above Options.MaxRows rows
// in all (zero means DefaultFleetMaxRows) it draws the Distribution mode
// across every core of every host.
//
// A host's name is its Host.Hostname, or its DataID when that is empty;
// characters that cannot be drawn (controls, invisible formatting, glyphs
// the font lacks) become "?" and long names are cut to 40 characters. The
// title is Options.Title, or "CPU utilisation of N hosts". GroupByCore is
// an error: a fleet's rows are grouped by host. Every sample must carry its
// Time, since hosts are placed on one clock. The errors are those of
// Render, naming the host.
func RenderFleet(recs []*cpuwatch.Recording, opts Options) (image.Image, error) {
	c, err := fleetChart(recs, opts, false, forRaster)
	if err != nil {
		return nil, err
	}
	return c.image()
}

// WriteFleetPNG writes RenderFleet's picture to w as a paletted PNG.
func WriteFleetPNG(w io.Writer, recs []*cpuwatch.Recording, opts Options) error {
	c, err := fleetChart(recs, opts, false, forRaster)
	if err != nil {
		return err
	}
	return c.writePNG(w)
}

// WriteFleetSVG writes RenderFleet's picture to w as standalone SVG whose
// cells name their host, core, time and values in a <title>.
func WriteFleetSVG(w io.Writer, recs []*cpuwatch.Recording, opts Options) error {
	c, err := fleetChart(recs, opts, true, forVector)
	if err != nil {
		return err
	}
	return c.writeSVG(w)
}

// WriteFleetHTML writes RenderFleet's picture to w as a self-contained HTML
// page whose cells show their host, core, time and busy, user and system
// percentages on hover; in Distribution mode, how many CPUs sat in the
// bucket and which.
func WriteFleetHTML(w io.Writer, recs []*cpuwatch.Recording, opts Options) error {
	c, err := fleetChart(recs, opts, true, forVector)
	if err != nil {
		return err
	}
	return c.writeHTML(w)
}

// medium says where a name will be drawn: by our own rasteriser, which
// has only the Go fonts' glyphs, or by an SVG or HTML viewer.
type medium uint8

const (
	forRaster medium = iota
	forVector
)

// maxNameLen is the most characters of a host name a picture shows.
const maxNameLen = 40

// hostName makes s fit to draw in m: one line of visible characters, at
// most maxNameLen of them. XML escaping is left to the writers.
func hostName(s string, m medium) string {
	var b strings.Builder
	n := 0
	space := false
	var buf sfnt.Buffer
	regular, _ := goFonts()
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), !unicode.IsPrint(r), r == utf8.RuneError:
			r = '?'
		case m == forRaster:
			if x, err := regular.GlyphIndex(&buf, r); err != nil || x == 0 {
				r = '?'
			}
		}
		if n == maxNameLen {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
			n++
		}
		b.WriteRune(r)
		n++
	}
	if b.Len() == 0 {
		return "(unnamed)"
	}
	return b.String()
}

// fleetHost is one recording resampled onto the fleet's columns.
type fleetHost struct {
	name string
	s    *series
}

// fleetChart converts recs to one chart; hover asks for hover texts.
func fleetChart(recs []*cpuwatch.Recording, opts Options, hover bool, m medium) (*chart, error) {
	if len(recs) == 0 {
		return nil, badRecording("fleet of no recordings")
	}
	if opts.GroupByCore {
		return nil, errors.New("heatmap: GroupByCore: a fleet's rows are grouped by host")
	}
	if opts.MaxRows == 0 {
		opts.MaxRows = DefaultFleetMaxRows
	}
	o, err := opts.resolve()
	if err != nil {
		return nil, err
	}

	// One clock for all: from the earliest sample start to the latest end.
	var origin, last time.Time
	var finest time.Duration // the shortest mean sample length of a host
	for i, rec := range recs {
		if rec == nil {
			return nil, badRecording("fleet recording %d is nil", i)
		}
		n := rec.Len()
		if n == 0 {
			return nil, badRecording("%s: recording has no samples", fleetName(rec, i))
		}
		var prev time.Time
		for k := range n {
			t, _ := rec.SampleTime(k)
			if t.IsZero() {
				return nil, badRecording("%s: sample %d has no time, which a fleet needs to place it", fleetName(rec, i), k)
			}
			if k > 0 && t.Before(prev) {
				return nil, badRecording("%s: sample %d ends at %v, before sample %d", fleetName(rec, i), k, t, k-1)
			}
			prev = t
		}
		first, end := sampleStart(rec, 0), prev
		if origin.IsZero() || first.Before(origin) {
			origin = first
		}
		if end.After(last) {
			last = end
		}
		if d := end.Sub(first) / time.Duration(n); d > 0 && (finest == 0 || d < finest) {
			finest = d
		}
	}
	span := last.Sub(origin)
	if span <= 0 {
		return nil, badRecording("fleet samples span no time")
	}
	maxCols := o.GridWidth
	if o.CellWidth > 0 {
		maxCols = max(o.GridWidth/o.CellWidth, 1)
	}
	cols := maxCols
	if finest > 0 {
		cols = min(maxCols, max(int(math.Round(float64(span)/float64(finest))), 1))
	}

	// Which figures to resample: the mode is known once the rows are.
	hosts := make([]fleetHost, len(recs))
	rows := 0
	idss := make([][]int, len(recs))
	for i, rec := range recs {
		ids, err := coreIDs(rec)
		if err != nil {
			return nil, fmt.Errorf("%w (%s)", err, fleetName(rec, i))
		}
		idss[i] = ids
		rows += len(ids)
	}
	if rows > maxRows {
		return nil, badRecording("fleet of more than %d cores", maxRows)
	}
	mode := effectiveMode(o, rows)
	need := extraFor(hover)
	switch mode {
	case Busy, Distribution:
		need |= fBusy
	case User:
		need |= fUser
	case System:
		need |= fSys
	case Split:
		need |= fUser | fSys
	}
	for i, rec := range recs {
		s, err := resampleOnto(rec, idss[i], origin, span.Seconds(), cols, need)
		if err != nil {
			return nil, fmt.Errorf("%w (%s)", err, fleetName(rec, i))
		}
		name := rec.Host.Hostname
		if name == "" {
			name = rec.DataID
		}
		hosts[i] = fleetHost{name: hostName(name, m), s: s}
	}
	s, hostOf := stackSeries(hosts, cols, span.Seconds(), origin)

	c := &chart{cols: cols, t0: 0, t1: span.Seconds(), title: o.Title}
	if c.title == "" {
		c.title = "CPU utilisation of " + count(len(recs), "host")
	}
	c.clock = origin
	c.cellW = o.CellWidth
	if c.cellW == 0 {
		c.cellW = min(max(o.GridWidth/cols, 1), maxCell)
		if c.cellW*cols < minGridWidth {
			c.cellW = (minGridWidth + cols - 1) / cols
		}
	}
	colDur := span.Seconds() / float64(cols)
	per := "1 column = " + seconds(colDur)
	c.swatches = make([]color.RGBA, 1+levels)
	c.swatches[0] = colNoData
	for j := range levels {
		c.swatches[1+j] = o.cmap.table[(j*255+(levels-1)/2)/(levels-1)]
	}
	c.legend.bar = make([]uint8, levels)
	for j := range c.legend.bar {
		c.legend.bar[j] = uint8(1 + j)
	}
	when := func(col int) string {
		from, to := s.colTime(col)
		return clockSpan(origin, from, to)
	}
	// names[r] is row r's host and core, for hover texts.
	names := make([]string, rows)
	for r := range rows {
		h := hostOf[r]
		names[r] = hosts[h.host].name + " · cpu" + strconv.Itoa(h.id)
	}

	if mode == Distribution {
		distribution(c, s, o, per)
		c.subtitle = fmt.Sprintf("busy-time distribution of %d CPUs on %s · %s", rows, count(len(recs), "host"), per)
		if hover {
			nb := o.Buckets
			c.tip = func(r, col int) string {
				// Which CPUs sat in bucket r: the first few by row.
				var in []string
				n := 0
				var buf []float32
				buf = s.column(s.busy, col, buf)
				for row, v := range buf {
					if v != v {
						continue
					}
					if b := min(int(v*float32(nb)), nb-1); nb-1-b == r {
						n++
						if len(in) < 4 {
							in = append(in, names[row])
						}
					}
				}
				t := fmt.Sprintf("%s · busy %s: %d CPUs", when(col), c.rows[r], n)
				if n > 0 {
					t += " (" + strings.Join(in, ", ")
					if n > len(in) {
						t += ", …"
					}
					t += ")"
				}
				return t
			}
		}
		return c, nil
	}

	c.rows = make([]string, rows)
	for r := range rows {
		h := hostOf[r]
		c.rows[r] = "cpu" + strconv.Itoa(h.id)
		if h.first {
			c.rows[r] = hosts[h.host].name + " · " + c.rows[r]
			if r > 0 {
				c.breaks = append(c.breaks, r)
			}
		}
	}
	c.cellH = o.CellHeight
	if c.cellH == 0 {
		gaps := (len(recs) - 1) * breakGap
		c.cellH = min(max((o.GridHeight-gaps)/rows, 1), 24)
	}
	what := c.fillMode(s, mode, nil)
	c.subtitle = fmt.Sprintf("%s per CPU · %s, %s · %s", what, count(len(recs), "host"), count(rows, "CPU"), per)
	if hover {
		c.tip = func(r, col int) string {
			head := names[r] + " · " + when(col)
			busy := s.mean(s.busy, r, col)
			if busy != busy {
				return head + " · no data"
			}
			return fmt.Sprintf("%s · busy %.1f %% · user %.1f %% · system %.1f %%",
				head, 100*busy, 100*s.mean(s.user, r, col), 100*s.mean(s.sys, r, col))
		}
	}
	return c, nil
}

// count writes n things, such as "1 host" or "3 hosts".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}

func extraFor(hover bool) field {
	if hover {
		return fAll
	}
	return 0
}

// fleetName names recording i in errors.
func fleetName(rec *cpuwatch.Recording, i int) string {
	switch {
	case rec.Host.Hostname != "":
		return "host " + strconv.Quote(rec.Host.Hostname)
	case rec.DataID != "":
		return "recording " + strconv.Quote(rec.DataID)
	}
	return "recording " + strconv.Itoa(i)
}

// sampleStart returns when sample k of rec began: Time − Elapsed, or one
// Interval (else one second) before Time when Elapsed is unknown.
func sampleStart(rec *cpuwatch.Recording, k int) time.Time {
	t, d := rec.SampleTime(k)
	if d <= 0 {
		d = rec.Interval
	}
	if d <= 0 {
		d = time.Second
	}
	return t.Add(-d)
}

// resampleOnto is resample onto given columns: cols equal slices of
// [0, span] seconds after origin, rather than of rec's own span.
func resampleOnto(rec *cpuwatch.Recording, ids []int, origin time.Time, span float64, cols int, need field) (*series, error) {
	if rec.Interval < 0 {
		return nil, badRecording("negative interval %v", rec.Interval)
	}
	n := rec.Len()
	start, end := make([]float64, n), make([]float64, n)
	for i := range n {
		t, elapsed := rec.SampleTime(i)
		if elapsed < 0 {
			return nil, badRecording("sample %d has negative elapsed time %v", i, elapsed)
		}
		end[i] = t.Sub(origin).Seconds()
		if i > 0 && end[i] < end[i-1] {
			return nil, badRecording("sample %d ends at %v, before sample %d", i, t, i-1)
		}
		start[i] = sampleStart(rec, i).Sub(origin).Seconds()
	}
	rows := len(ids)
	sr := &series{ids: ids, cols: cols, t0: 0, t1: span, origin: origin, runStart: math.NaN(), runEnd: math.NaN()}
	alloc := func(f field) []float32 {
		if need&f == 0 {
			return nil
		}
		return make([]float32, rows*cols)
	}
	sr.busy, sr.user, sr.sys = alloc(fBusy), alloc(fUser), alloc(fSys)
	sr.colWeight = make([]float32, cols)
	a := accumulation{sr: sr, rec: rec, start: start, end: end, t0: 0, dt: span / float64(cols), need: need}
	if err := a.run(0, n, 0, cols, true); err != nil {
		return nil, err
	}
	return sr, nil
}

// fleetRow says whose row a row of the stacked series is.
type fleetRow struct {
	host, id int
	first    bool // the host's first row
}

// stackSeries puts the hosts' series one above the other in one series
// whose ids are row numbers, with a weight per cell since hosts differ in
// where they have samples.
func stackSeries(hosts []fleetHost, cols int, span float64, origin time.Time) (*series, []fleetRow) {
	rows := 0
	for _, h := range hosts {
		rows += len(h.s.ids)
	}
	out := &series{cols: cols, t0: 0, t1: span, origin: origin, runStart: math.NaN(), runEnd: math.NaN()}
	out.ids = make([]int, rows)
	for r := range out.ids {
		out.ids[r] = r
	}
	h0 := hosts[0].s
	mk := func(a []float32) []float32 {
		if a == nil {
			return nil
		}
		return make([]float32, rows*cols)
	}
	out.busy, out.user, out.sys = mk(h0.busy), mk(h0.user), mk(h0.sys)
	out.colWeight = make([]float32, cols)
	out.cellWeight = make([]float32, rows*cols)
	who := make([]fleetRow, 0, rows)
	r0 := 0
	for hi, h := range hosts {
		s := h.s
		n := len(s.ids)
		for k, id := range s.ids {
			who = append(who, fleetRow{host: hi, id: id, first: k == 0})
		}
		for col := range cols {
			src, dst := col*n, col*rows+r0
			for _, p := range [][2][]float32{{out.busy, s.busy}, {out.user, s.user}, {out.sys, s.sys}} {
				if p[0] != nil {
					copy(p[0][dst:dst+n], p[1][src:src+n])
				}
			}
			if s.cellWeight != nil {
				copy(out.cellWeight[dst:dst+n], s.cellWeight[src:src+n])
			} else {
				w := out.cellWeight[dst : dst+n]
				for k := range w {
					w[k] = s.colWeight[col]
				}
			}
		}
		r0 += n
	}
	return out, who
}

// clockSpan formats [from, to] seconds after origin as UTC clock times,
// such as "12:00:15–12:00:30 UTC".
func clockSpan(origin time.Time, from, to float64) string {
	a := origin.Add(time.Duration(from * float64(time.Second))).UTC()
	b := origin.Add(time.Duration(to * float64(time.Second))).UTC()
	layout := time.TimeOnly
	if a.Nanosecond() != 0 || b.Nanosecond() != 0 {
		layout = "15:04:05.000"
	}
	return a.Format(layout) + "–" + b.Format(layout) + " UTC"
}

// clockTicks picks ticks at round UTC clock times whose labels fit between
// ticks with room to spare, for a grid gw pixels wide covering [t0, t1]
// seconds after origin.
func clockTicks(origin time.Time, t0, t1 float64, gw int, f *fonts) []timeTick {
	span := t1 - t0
	if !(span > 0) || gw <= 0 {
		return nil
	}
	steps := []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
		time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}
	for _, st := range steps {
		layout := "15:04"
		if st < time.Minute {
			layout = time.TimeOnly
		} else if st >= 24*time.Hour {
			layout = "Jan 2"
		}
		w := f.width(faceLabel, origin.UTC().Format(layout))
		if st.Seconds()/span*float64(gw) < float64(w+2*labelGap) {
			continue
		}
		var ts []timeTick
		from := origin.Add(time.Duration(t0 * float64(time.Second)))
		to := origin.Add(time.Duration(t1 * float64(time.Second)))
		for t := from.Truncate(st); !t.After(to); t = t.Add(st) {
			if t.Before(from) {
				continue
			}
			ts = append(ts, timeTick{t.Sub(origin).Seconds(), t.UTC().Format(layout)})
		}
		return ts
	}
	return []timeTick{{t0, origin.UTC().Format("Jan 2 15:04")}}
}
