package heatmap

import (
	"bufio"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/corescope/corescope/cpuwatch"
)

// ColorSupport is what a terminal can show.
type ColorSupport int

const (
	// DetectColor reads the environment: NO_COLOR (set and not empty)
	// means NoColor; COLORTERM "truecolor" or "24bit" means TrueColor; a
	// TERM naming 256 colours or an xterm-like terminal means Color256;
	// "dumb", an empty TERM and anything else mean NoColor.
	DetectColor ColorSupport = iota
	// TrueColor draws with 24-bit ANSI colours and upper-half blocks, two
	// rows to a line.
	TrueColor
	// Color256 draws with the xterm 256-colour palette and half blocks.
	Color256
	// NoColor draws one line per row with the ramp " ░▒▓█" and no escape
	// sequences.
	NoColor
)

// TerminalOptions controls WriteTerminal and Live. The zero value detects
// the terminal from the environment and draws busy time 64 columns wide.
type TerminalOptions struct {
	// Mode, Colormap, Title and MaxRows are as in Options.
	Mode     Mode
	Colormap *Colormap
	Title    string
	MaxRows  int
	// GroupByCore is as in Options: WriteTerminal orders the rows by
	// physical core, and one line never holds rows of two cores, so with
	// two SMT siblings per core each line is one core ("core 0 · cpu0/4").
	// A Live view has no topology to group by: its Add returns an error.
	GroupByCore bool
	// Width is the most columns of cells; longer recordings are averaged
	// into Width columns, and Live scrolls. Zero means 64.
	Width int
	// Color says what the terminal can show; DetectColor reads NO_COLOR,
	// COLORTERM and TERM from the environment. Live also reads TERM: a
	// "dumb" terminal makes it append frames instead of redrawing in place.
	Color ColorSupport
}

const defaultTermWidth = 64

// colorSupport resolves DetectColor.
func (o TerminalOptions) colorSupport() ColorSupport {
	if o.Color != DetectColor {
		return o.Color
	}
	if os.Getenv("NO_COLOR") != "" {
		return NoColor
	}
	switch strings.ToLower(os.Getenv("COLORTERM")) {
	case "truecolor", "24bit":
		return TrueColor
	}
	term := os.Getenv("TERM")
	switch {
	case strings.Contains(term, "truecolor"), strings.Contains(term, "24bit"), strings.HasSuffix(term, "-direct"):
		return TrueColor
	case strings.Contains(term, "256"), strings.HasPrefix(term, "xterm"), strings.HasPrefix(term, "screen"),
		strings.HasPrefix(term, "tmux"), strings.HasPrefix(term, "rxvt"):
		return Color256
	}
	return NoColor
}

func (o TerminalOptions) options() Options {
	w := o.Width
	if w == 0 {
		w = defaultTermWidth
	}
	return Options{Mode: o.Mode, Colormap: o.Colormap, Title: o.Title, MaxRows: o.MaxRows,
		GroupByCore: o.GroupByCore, GridWidth: w, CellWidth: 1, CellHeight: 1}
}

// WriteTerminal draws rec's heatmap as text for a terminal: a title, one
// line per pair of rows (the upper-half block ▀ in the upper row's colour on
// the lower row's), a time axis, run markers and a colour key. In Split mode
// each line is one core, user time in the upper half and system time in the
// lower. Without colour it draws one line per row with the ramp " ░▒▓█".
// Texts from data, such as a DataID in the title, are shown with control
// characters, line breaks and invalid UTF-8 replaced, so that they cannot
// move the cursor, retitle the window or break the picture, whatever the
// ColorSupport.
func WriteTerminal(w io.Writer, rec *cpuwatch.Recording, opts TerminalOptions) error {
	o, err := opts.options().resolve()
	if err != nil {
		return err
	}
	if opts.Width < 0 || opts.Width > 1<<12 {
		return fmt.Errorf("heatmap: TerminalOptions.Width %d out of [0, %d]", opts.Width, 1<<12)
	}
	c, err := buildChart(rec, o, 0)
	if err != nil {
		return err
	}
	return buffered(w, func(bw *bufio.Writer) error {
		c.writeText(bw, opts.colorSupport())
		return nil
	})
}

// ramp is the plain-text scale, from 0 to 100 %: rampLen runes.
const (
	ramp    = " ░▒▓█"
	rampLen = 5
)

// rampAt returns rune i of ramp.
func rampAt(i int) rune { return []rune(ramp)[i] }

// writeText draws the chart as text; it returns the number of lines.
func (c *chart) writeText(w *bufio.Writer, cs ColorSupport) int {
	c.sanitize()
	n := 0
	nl := func() { w.WriteByte('\n'); n++ }
	w.WriteString(c.title)
	nl()

	type textRow struct {
		label        string
		upper, lower []uint8 // lower nil: none
	}
	var trs []textRow
	row := func(r int) []uint8 { return c.cells[r*c.cols : (r+1)*c.cols] }
	switch {
	case cs == NoColor && c.lower != nil:
		for r, l := range c.rows {
			trs = append(trs, textRow{l + " usr", row(r), nil},
				textRow{strings.Repeat(" ", len(l)) + " sys", c.lower[r*c.cols : (r+1)*c.cols], nil})
		}
	case cs == NoColor:
		for r, l := range c.rows {
			trs = append(trs, textRow{l, row(r), nil})
		}
	case c.lower != nil:
		for r, l := range c.rows {
			trs = append(trs, textRow{l, row(r), c.lower[r*c.cols : (r+1)*c.cols]})
		}
	default:
		for r := 0; r < len(c.rows); r++ {
			tr := textRow{label: c.rows[r], upper: row(r)}
			if r+1 < len(c.rows) && !slices.Contains(c.breaks, r+1) {
				if c.pair != nil {
					tr.label = c.pair(r, r+1)
				} else {
					tr.label = pairLabel(c.rows[r], c.rows[r+1])
				}
				r++
				tr.lower = row(r)
			}
			trs = append(trs, tr)
		}
	}
	lw := 0
	for _, tr := range trs {
		lw = max(lw, len([]rune(tr.label)))
	}
	for _, tr := range trs {
		w.WriteString(padLeft(tr.label, lw))
		w.WriteByte(' ')
		c.writeCells(w, cs, tr.upper, tr.lower)
		nl()
	}

	// Markers and time axis: character positions under the cells.
	indent := strings.Repeat(" ", lw+1)
	colOf := func(t float64) int {
		return min(int((t-c.t0)/(c.t1-c.t0)*float64(c.cols)), c.cols-1)
	}
	if len(c.markers) > 0 {
		var ml []rune
		for _, m := range c.markers {
			col := colOf(m.at)
			s := []rune("^" + m.label)
			if col < len(ml) {
				// Too close to the previous marker: share the line.
				s = append([]rune(" ^"), []rune(m.label)...)
				col = len(ml)
			}
			for len(ml) < col {
				ml = append(ml, ' ')
			}
			ml = append(ml, s...)
		}
		w.WriteString(indent + string(ml))
		nl()
	}
	var axis []rune
	span := c.t1 - c.t0
	// Each label needs its width and some room; the step is the smallest
	// nice one that gives it, so there are at most cols/room ticks
	// whatever the span.
	room := float64(max(len(trim(c.t0)), len(trim(c.t1))) + 3)
	step := niceStep(span * room / float64(c.cols))
	k0 := math.Ceil(c.t0/step - 1e-9)
	for i := 0; i <= c.cols; i++ {
		t := (k0 + float64(i)) * step
		if t > c.t1+1e-9*span {
			break
		}
		col := int(math.Round((t - c.t0) / span * float64(c.cols)))
		label := []rune("|" + trim(t))
		if col < len(axis) {
			continue
		}
		for len(axis) < col {
			axis = append(axis, ' ')
		}
		axis = append(axis, label...)
	}
	w.WriteString(indent + string(axis) + " s")
	nl()

	// Colour key: a ramp for a colour bar, a swatch per entry otherwise.
	if bar := c.legend.bar; len(bar) > 0 {
		key := make([]uint8, 0, 21)
		for i := 0; i <= 20; i++ {
			key = append(key, bar[i*(len(bar)-1)/20])
		}
		lo, hi := "", ""
		if len(c.legend.ticks) > 0 {
			lo, hi = c.legend.ticks[0].label, c.legend.ticks[len(c.legend.ticks)-1].label
		}
		w.WriteString(indent + strings.Join(c.legend.title, ", ") + ": " + lo + " ")
		if cs == NoColor {
			key := c.plainKey
			if key == "" {
				key = ramp
			}
			w.WriteString(key)
		} else {
			c.writeCells(w, cs, key, key)
		}
		w.WriteString(" " + hi)
		nl()
	}
	if len(c.legend.entries) > 0 && cs != NoColor {
		w.WriteString(indent + strings.Join(c.legend.title, ", ") + ":")
		for _, e := range c.legend.entries {
			w.WriteByte(' ')
			c.writeCells(w, cs, []uint8{e.swatch}, []uint8{e.swatch})
			w.WriteString(" " + e.label)
		}
		nl()
	}
	return n
}

// writeCells writes one line of cells: half blocks in colour, or the ramp.
func (c *chart) writeCells(w *bufio.Writer, cs ColorSupport, upper, lower []uint8) {
	if cs == NoColor {
		plain := c.plain
		if plain == nil {
			plain = rampRune
		}
		for _, s := range upper {
			w.WriteRune(plain(s))
		}
		return
	}
	var last string
	for i, s := range upper {
		esc := fgEscape(cs, c.swatches[s])
		if lower != nil {
			esc += bgEscape(cs, c.swatches[lower[i]])
		} else {
			esc += "\x1b[49m"
		}
		if esc != last {
			w.WriteString(esc)
			last = esc
		}
		w.WriteString("▀")
	}
	w.WriteString("\x1b[0m")
}

// rampRune maps a continuous swatch index to the plain ramp; cells without
// data are '·'.
func rampRune(s uint8) rune {
	if s == 0 {
		return '·'
	}
	v := float64(s-1) / (levels - 1)
	return rampAt(int(math.Round(v * (rampLen - 1))))
}

func fgEscape(cs ColorSupport, c color.RGBA) string {
	if cs == TrueColor {
		return fmt.Sprintf("\x1b[38;2;%d;%d;%dm", c.R, c.G, c.B)
	}
	return "\x1b[38;5;" + strconv.Itoa(xterm256(c)) + "m"
}

func bgEscape(cs ColorSupport, c color.RGBA) string {
	if cs == TrueColor {
		return fmt.Sprintf("\x1b[48;2;%d;%d;%dm", c.R, c.G, c.B)
	}
	return "\x1b[48;5;" + strconv.Itoa(xterm256(c)) + "m"
}

// xterm256 returns the nearest colour of the xterm 256-colour palette's
// 6×6×6 cube and grey ramp (indices 16–255; 0–15 vary by terminal).
func xterm256(c color.RGBA) int {
	levels := [6]int{0, 95, 135, 175, 215, 255}
	near := func(v uint8) int {
		best := 0
		for i, l := range levels {
			if abs(int(v)-l) < abs(int(v)-levels[best]) {
				best = i
			}
		}
		return best
	}
	r, g, b := near(c.R), near(c.G), near(c.B)
	cube := 16 + 36*r + 6*g + b
	dc := dist2(c, levels[r], levels[g], levels[b])
	avg := (int(c.R) + int(c.G) + int(c.B)) / 3
	gi := min(max((avg-8+5)/10, 0), 23)
	gv := 8 + 10*gi
	if dist2(c, gv, gv, gv) < dc {
		return 232 + gi
	}
	return cube
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func dist2(c color.RGBA, r, g, b int) int {
	dr, dg, db := int(c.R)-r, int(c.G)-g, int(c.B)-b
	return dr*dr + dg*dg + db*db
}

// pairLabel names two rows drawn on one line: "cpu0" and "cpu1" give
// "cpu0/1".
func pairLabel(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] && unicode.IsLetter(rune(a[i])) {
		i++
	}
	return a + "/" + b[i:]
}

func padLeft(s string, n int) string {
	if k := n - len([]rune(s)); k > 0 {
		return strings.Repeat(" ", k) + s
	}
	return s
}

// niceStep returns the smallest step of 1, 2 or 5 times a power of ten,
// and at least 1 ms, that is at least min seconds: the tick step of a time
// axis, found in constant time for any span.
func niceStep(min float64) float64 {
	if !(min > 1e-3) {
		return 1e-3
	}
	if math.IsInf(min, 1) {
		return math.MaxFloat64
	}
	p := math.Pow10(int(math.Floor(math.Log10(min))))
	for _, m := range []float64{1, 2, 5, 10} {
		if st := m * p; st >= min*(1-1e-12) {
			return st
		}
	}
	return 10 * p
}

// Live draws a growing terminal heatmap while a watch runs: one text line
// per pair of cores (upper-half block ▀), redrawn in place as samples
// arrive. Once the samples outnumber the width it scrolls, showing the
// latest. A Live is not safe for concurrent use; call Add from the watch
// callback's goroutine.
type Live struct {
	w       io.Writer
	opts    TerminalOptions
	cs      ColorSupport
	inPlace bool
	samples []cpuwatch.Sample // the last Width
	lines   int               // lines of the last frame
}

// NewLive returns a Live that draws to w, usually os.Stdout.
func NewLive(w io.Writer, opts TerminalOptions) *Live {
	if opts.Width <= 0 {
		opts.Width = defaultTermWidth
	}
	return &Live{w: w, opts: opts, cs: opts.colorSupport(), inPlace: os.Getenv("TERM") != "dumb"}
}

// Add records a sample (it keeps a clone, so the watcher may reuse s) and
// redraws the picture. A sample that cannot be drawn, such as one whose
// time goes backwards, is dropped with an error; the view goes on with the
// next. It also returns the error of writing to w.
func (l *Live) Add(s cpuwatch.Sample) error {
	if l.opts.GroupByCore {
		return fmt.Errorf("%w: Live cannot GroupByCore, samples carry none (use WriteTerminal on a recording)", ErrNoTopology)
	}
	l.samples = append(l.samples, s.Clone())
	if extra := len(l.samples) - l.opts.Width; extra > 0 {
		l.samples = append(l.samples[:0], l.samples[extra:]...)
	}
	o, err := l.opts.options().resolve()
	if err != nil {
		return err
	}
	// The view holds at most Width samples: a Recording of them, made
	// afresh, costs little next to drawing it.
	var rec cpuwatch.Recording
	for _, s := range l.samples {
		rec.Append(s)
	}
	c, err := buildChart(&rec, o, 0)
	if err != nil {
		// Drop the sample, so that one bad sample does not end the view.
		l.samples = l.samples[:len(l.samples)-1]
		return err
	}
	return buffered(l.w, func(bw *bufio.Writer) error {
		if l.inPlace && l.lines > 0 {
			// Back to the first line of the last frame, and clear below it.
			fmt.Fprintf(bw, "\x1b[%dF\x1b[J", l.lines)
		}
		l.lines = c.writeText(bw, l.cs)
		return nil
	})
}
