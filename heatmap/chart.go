package heatmap

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"strconv"
	"time"
)

// This file is the drawing layer. It knows nothing of recordings: a chart
// is rows of coloured cells with row labels, a time axis with markers, and
// a legend. The Recording→chart step (buildChart in render.go) and any
// other source of rows, such as a thread timeline, feed it; layout places
// every label so that none overlap, and every output draws that layout.
//
// To draw another kind of rows, fill a chart: swatches (at most
// maxSwatches colours; categorical ones work as well as a colormap's),
// cells as swatch indices, a legend with a colour bar or with entries,
// breaks to group rows and joins to bracket them, tip for hover texts,
// pair and plain for the terminal. Then c.writePNG, c.image, c.writeSVG,
// c.writeHTML and c.writeText give every output.

// chart is the drawing layer's input.
type chart struct {
	title    string
	subtitle string
	rows     []string // row labels, top to bottom
	cols     int
	cellW    int // pixels per column
	cellH    int // pixels per row
	gap      int // background pixels between rows
	// breaks lists, ascending, the rows that start a new group (such as the
	// logical CPUs of one physical core); each adds breakGap pixels above
	// the row.
	breaks []int
	// joins lists runs of rows, first and last, that a bar left of the
	// grid joins, such as the SMT siblings of one physical core.
	joins [][2]int
	// cells holds rows×cols swatch indices, row-major. lower, if not nil,
	// colours the lower half of each cell instead (Split mode).
	cells, lower []uint8
	// swatches are the cell colours, at most maxSwatches.
	swatches []color.RGBA
	// t0 and t1 are the times, in seconds, of the grid's left and right
	// edges; markers lie between them.
	t0, t1  float64
	markers []marker
	// clock, if not zero, is the instant of time 0: the time axis then
	// shows UTC clock times rather than seconds.
	clock  time.Time
	legend legend
	// tip, if not nil, gives a cell's hover text for SVG and HTML.
	tip func(row, col int) string
	// pair, if not nil, labels two rows that share a line of terminal
	// text; nil joins their labels as "cpu0/1". Rows of different groups
	// (see breaks) never share a line.
	pair func(upper, lower int) string
	// plain, if not nil, maps a swatch to a character for terminals
	// without colour, and plainKey is its key; nil means the ramp
	// " ░▒▓█" over a continuous map, with '·' for no data.
	plain    func(swatch uint8) rune
	plainKey string
	// sanitized records that sanitize has run.
	sanitized bool
}

// breakGap is the extra space above a row that starts a group.
const breakGap = 4

// rowY returns the offset of row r's top from the grid's top.
func (c *chart) rowY(r int) int {
	groups := 0
	for _, b := range c.breaks {
		if b > 0 && b <= r {
			groups++
		}
	}
	return r*(c.cellH+c.gap) + groups*breakGap
}

// gridHeight returns the height of the cells, gaps included.
func (c *chart) gridHeight() int {
	if len(c.rows) == 0 {
		return 0
	}
	return c.rowY(len(c.rows)-1) + c.cellH
}

// marker is a labelled instant on the time axis, such as "run start".
type marker struct {
	at    float64 // seconds, in [t0, t1]
	label string
}

// legend is a colour bar with ticks, or a list of categorical entries.
type legend struct {
	title   []string // lines above the bar or entries
	bar     []uint8  // swatch indices, bottom first, stretched over the bar
	ticks   []tick
	entries []entry
}

type tick struct {
	pos   float64 // 0 = bottom of the bar, 1 = top
	label string
}

type entry struct {
	swatch uint8
	label  string
}

// Palette layout of every PNG: user-interface colours, then the swatches.
const (
	idxBackground = 0
	idxInk        = 1
	idxAA         = 2 // aaLevels-1 blends of ink over background
	idxAxis       = idxAA + aaLevels - 1
	idxSwatch     = idxAxis + 1
	maxSwatches   = 256 - idxSwatch
)

var (
	colBackground = color.RGBA{0xff, 0xff, 0xff, 0xff}
	colInk        = color.RGBA{0x22, 0x22, 0x22, 0xff}
	colAxis       = color.RGBA{0x88, 0x88, 0x88, 0xff}
)

func uiPalette() color.Palette {
	p := make(color.Palette, idxSwatch, 256)
	p[idxBackground], p[idxInk], p[idxAxis] = colBackground, colInk, colAxis
	for i := 1; i < aaLevels; i++ {
		p[idxAA+i-1] = blend(colBackground, colInk, float64(i)/aaLevels)
	}
	return p
}

func blend(a, b color.RGBA, t float64) color.RGBA {
	m := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + t*(float64(y)-float64(x)))) }
	return color.RGBA{m(a.R, b.R), m(a.G, b.G), m(a.B, b.B), 0xff}
}

type faceKind uint8

const (
	faceLabel faceKind = iota
	faceTitle
)

type anchor uint8

const (
	anchorStart anchor = iota
	anchorMiddle
	anchorEnd
)

// text is a placed label: (x, y) is the anchor point on the baseline.
type text struct {
	x, y   int
	s      string
	face   faceKind
	anchor anchor
}

// line is an axis-aligned 1-pixel line from (x0, y0) to (x1, y1) inclusive.
type line struct {
	x0, y0, x1, y1 int
	dashed         bool // marker style: alternating ink and background
}

// layout is a chart placed on a canvas: every position in pixels.
type layout struct {
	w, h  int
	grid  image.Rectangle
	texts []text
	lines []line
	bar   image.Rectangle // colour bar; empty if none
	boxes []swatchBox     // categorical legend swatches
}

type swatchBox struct {
	r      image.Rectangle
	swatch uint8
}

const (
	pad      = 12 // canvas margin
	tickLen  = 4
	labelGap = 6 // between a label and what it labels
	barW     = 14
)

// layout places the chart. f measures text.
func (c *chart) layout(f *fonts) (*layout, error) {
	c.sanitize()
	l := &layout{}
	nRows := len(c.rows)
	gw, gh := c.cols*c.cellW, c.gridHeight()

	// Row labels: as many as fit without overlapping; when some rows go
	// without, ticks show which rows the labels name.
	labelled := c.labelRows(f.lineH)
	thinned := len(labelled) < nRows
	rowLabelW := 0
	for _, r := range labelled {
		rowLabelW = max(rowLabelW, f.width(faceLabel, c.rows[r]))
	}
	gx := pad + rowLabelW + labelGap
	if thinned {
		gx += tickLen
	}

	y := pad
	title := c.title
	l.texts = append(l.texts, text{x: pad, y: y + f.titleAsc, s: title, face: faceTitle})
	y += f.titleH
	if c.subtitle != "" {
		l.texts = append(l.texts, text{x: pad, y: y + f.asc, s: c.subtitle})
		y += f.lineH
	}
	y += labelGap
	wantW := max(pad+f.width(faceTitle, title), pad+f.width(faceLabel, c.subtitle)) + pad

	// Marker labels sit above the grid, in as many lines as it takes to
	// keep them apart.
	type placed struct{ lo, hi int }
	var mLines [][]placed
	type mlabel struct{ x, line, mx int }
	var mls []mlabel
	span := c.t1 - c.t0
	xOf := func(t float64) int { return gx + int(math.Round((t-c.t0)/span*float64(gw))) }
	for _, m := range c.markers {
		mx := min(xOf(m.at), gx+gw-1)
		w := f.width(faceLabel, m.label)
		lo := max(min(mx-w/2, gx+gw-w), gx)
		line := 0
		for ; line < len(mLines); line++ {
			free := true
			for _, p := range mLines[line] {
				if lo < p.hi+labelGap && p.lo < lo+w+labelGap {
					free = false
					break
				}
			}
			if free {
				break
			}
		}
		if line == len(mLines) {
			mLines = append(mLines, nil)
		}
		mLines[line] = append(mLines[line], placed{lo, lo + w})
		mls = append(mls, mlabel{lo, line, mx})
		wantW = max(wantW, lo+w+pad)
	}
	if len(mLines) > 0 {
		y += len(mLines)*f.lineH + tickLen
	}
	gy := y
	l.grid = image.Rect(gx, gy, gx+gw, gy+gh)
	for i, m := range mls {
		base := gy - tickLen - f.desc - 1 - m.line*f.lineH
		l.texts = append(l.texts, text{x: m.x, y: base, s: c.markers[i].label})
		l.lines = append(l.lines, line{m.mx, gy - tickLen, m.mx, gy + gh - 1, true})
	}

	// Frame and row labels.
	l.lines = append(l.lines,
		line{gx - 1, gy - 1, gx + gw, gy - 1, false},
		line{gx - 1, gy + gh, gx + gw, gy + gh, false},
		line{gx - 1, gy - 1, gx - 1, gy + gh, false},
		line{gx + gw, gy - 1, gx + gw, gy + gh, false})
	for _, r := range labelled {
		cy := gy + c.rowY(r) + c.cellH/2
		right := gx - labelGap
		if thinned {
			l.lines = append(l.lines, line{gx - 1 - tickLen, cy, gx - 2, cy, false})
			right -= tickLen
		}
		l.texts = append(l.texts, text{x: right, y: cy + (f.asc-f.desc)/2, s: c.rows[r], anchor: anchorEnd})
	}
	// Join bars, 2 pixels wide, in the gap between row labels and grid.
	for _, j := range c.joins {
		top, bottom := gy+c.rowY(j[0]), gy+c.rowY(j[1])+c.cellH-1
		for x := gx - 4; x <= gx-3; x++ {
			l.lines = append(l.lines, line{x, top, x, bottom, false})
		}
	}

	// Time axis.
	ay := gy + gh + 1
	right := gx + gw
	ticks, caption := timeTicks(c.t0, c.t1, gw, f), "time (s)"
	if !c.clock.IsZero() {
		ticks, caption = clockTicks(c.clock, c.t0, c.t1, gw, f), "time (UTC)"
	}
	for _, tk := range ticks {
		x := xOf(tk.t)
		l.lines = append(l.lines, line{x, ay, x, ay + tickLen - 1, false})
		l.texts = append(l.texts, text{x: x, y: ay + tickLen + 1 + f.asc, s: tk.label, anchor: anchorMiddle})
		right = max(right, x+f.width(faceLabel, tk.label)/2)
	}
	cy := ay + tickLen + 1 + f.lineH + f.asc
	l.texts = append(l.texts, text{x: gx + gw/2, y: cy, s: caption, anchor: anchorMiddle})
	right = max(right, gx+gw/2+f.width(faceLabel, caption)/2)
	bottom := cy + f.desc

	// Legend, right of everything above.
	lx := right + 3*labelGap
	ly := gy
	for _, s := range c.legend.title {
		l.texts = append(l.texts, text{x: lx, y: ly + f.asc, s: s})
		wantW = max(wantW, lx+f.width(faceLabel, s)+pad)
		ly += f.lineH
	}
	if len(c.legend.bar) > 0 {
		// Half a line, so that the top tick's label clears the title.
		ly += f.lineH / 2
		barH := min(max(gy+gh-ly, 120), 400)
		l.bar = image.Rect(lx, ly, lx+barW, ly+barH)
		kept := thinTicks(c.legend.ticks, barH, f.lineH)
		for _, tk := range kept {
			ty := ly + barH - 1 - int(math.Round(tk.pos*float64(barH-1)))
			l.lines = append(l.lines, line{lx + barW, ty, lx + barW + tickLen - 1, ty, false})
			l.texts = append(l.texts, text{x: lx + barW + tickLen + 2, y: ty + (f.asc-f.desc)/2, s: tk.label})
			wantW = max(wantW, lx+barW+tickLen+2+f.width(faceLabel, tk.label)+pad)
		}
		ly += barH + f.lineH/2
	}
	for _, e := range c.legend.entries {
		box := image.Rect(lx, ly+2, lx+f.asc, ly+2+f.asc)
		l.boxes = append(l.boxes, swatchBox{box, e.swatch})
		l.texts = append(l.texts, text{x: lx + f.asc + labelGap, y: ly + f.asc + 1, s: e.label})
		wantW = max(wantW, lx+f.asc+labelGap+f.width(faceLabel, e.label)+pad)
		ly += f.lineH + 2
	}
	bottom = max(bottom, ly)

	l.w = max(wantW, lx+barW+pad)
	l.h = bottom + pad
	if l.w*l.h > maxPixels {
		return nil, fmt.Errorf("heatmap: picture of %d×%d pixels is too large", l.w, l.h)
	}
	return l, nil
}

// labelRows returns, ascending, the rows whose labels the layout draws:
// as many as fit with the centres of any two at least lineH apart, so
// that labels of height lineH never overlap.
//
// Groups (see breaks) are labelled by their first row, which names the
// group ("core 3 · cpu3"); a group's other rows are labelled only once its
// first row is, so no group is named by a later row alone. The first rows
// take a regular stride of the smallest "nice" step (1, 2, 4, 5, 8, 10, …
// groups) that keeps them apart, then any first row that still fits
// between its neighbours, then the groups' other rows where they fit.
// Without breaks every row is a group of one, and the stride alone is the
// familiar "every step-th row".
func (c *chart) labelRows(lineH int) []int {
	n := len(c.rows)
	if n == 0 {
		return nil
	}
	centre := make([]int, n)
	for r := range centre {
		centre[r] = c.rowY(r) + c.cellH/2
	}
	first := make([]bool, n)
	if len(c.breaks) == 0 {
		for r := range first {
			first[r] = true
		}
	} else {
		first[0] = true // rows above the first break are a group too
		for _, b := range c.breaks {
			if b >= 0 && b < n {
				first[b] = true
			}
		}
	}
	var firsts []int
	for r, ok := range first {
		if ok {
			firsts = append(firsts, r)
		}
	}

	// The stride: every row kept is lineH below the one kept before it.
	var kept []int
	for _, step := range [...]int{1, 2, 4, 5, 8, 10, 16, 20, 25, 32, 50, 64, 100, 128, 200, 256, 500, 512, 1000, 1024, len(firsts)} {
		kept = kept[:0]
		for i := 0; i < len(firsts); i += step {
			if len(kept) > 0 && centre[firsts[i]]-centre[kept[len(kept)-1]] < lineH {
				break
			}
			kept = append(kept, firsts[i])
		}
		if len(kept) == (len(firsts)+step-1)/step {
			break
		}
	}

	// place keeps row r if its label clears every label kept so far.
	place := func(r int) {
		i, _ := slices.BinarySearch(kept, r)
		if i > 0 && centre[r]-centre[kept[i-1]] < lineH || i < len(kept) && centre[kept[i]]-centre[r] < lineH {
			return
		}
		kept = slices.Insert(kept, i, r)
	}
	for _, r := range firsts {
		if _, ok := slices.BinarySearch(kept, r); !ok {
			place(r)
		}
	}
	named := false // whether the group of row r has its first row labelled
	for r := range n {
		if first[r] {
			_, named = slices.BinarySearch(kept, r)
			continue
		}
		if named {
			place(r)
		}
	}
	return kept
}

type timeTick struct {
	t     float64
	label string
}

// timeTicks picks a 1-2-5 step, in seconds, whose labels fit between ticks
// with room to spare.
func timeTicks(t0, t1 float64, gw int, f *fonts) []timeTick {
	span := t1 - t0
	if !(span > 0) || gw <= 0 {
		return nil
	}
	for e := -3; e <= 9; e++ {
		for _, m := range []float64{1, 2, 5} {
			st := m * math.Pow10(e)
			dec := max(0, -e)
			if m != 1 && e < 0 {
				dec = -e
			}
			format := func(t float64) string { return strconv.FormatFloat(t, 'f', dec, 64) }
			wmax := max(f.width(faceLabel, format(t0)), f.width(faceLabel, format(t1)))
			if st/span*float64(gw) < float64(wmax+2*labelGap) {
				continue
			}
			var ts []timeTick
			for k := math.Ceil(t0/st - 1e-9); k*st <= t1+1e-9*span; k++ {
				t := k * st
				if math.Abs(t) < 1e-12 {
					t = 0
				}
				ts = append(ts, timeTick{t, format(t)})
			}
			return ts
		}
	}
	return []timeTick{{t0, strconv.FormatFloat(t0, 'g', 4, 64)}}
}

// thinTicks drops ticks until neighbours on a bar of height barH are at
// least lineH apart, keeping the first and last.
func thinTicks(ts []tick, barH, lineH int) []tick {
	for stride := 1; stride <= len(ts); stride++ {
		var kept []tick
		for i := 0; i < len(ts); i += stride {
			kept = append(kept, ts[i])
		}
		if last := ts[len(ts)-1]; kept[len(kept)-1] != last {
			if len(kept) > 1 && (last.pos-kept[len(kept)-1].pos)*float64(barH) < float64(lineH) {
				kept = kept[:len(kept)-1]
			}
			kept = append(kept, last)
		}
		ok := true
		for i := 1; i < len(kept); i++ {
			if (kept[i].pos-kept[i-1].pos)*float64(barH) < float64(lineH) {
				ok = false
				break
			}
		}
		if ok {
			return kept
		}
	}
	if len(ts) == 0 {
		return nil
	}
	return []tick{ts[len(ts)-1]}
}

// raster draws the laid-out chart as a paletted image.
func (c *chart) raster(l *layout, f *fonts) *image.Paletted {
	pal := uiPalette()
	for _, s := range c.swatches {
		pal = append(pal, s)
	}
	img := image.NewPaletted(image.Rect(0, 0, l.w, l.h), pal)

	// Cells: build each pixel row once, then copy it down the cell.
	g := l.grid
	rowPix := make([]uint8, g.Dx())
	fill := func(src []uint8, y0, y1 int) {
		if c.cellW == 1 {
			for i, s := range src {
				rowPix[i] = idxSwatch + s
			}
		} else {
			for i, s := range src {
				v := idxSwatch + s
				p := rowPix[i*c.cellW : (i+1)*c.cellW]
				for k := range p {
					p[k] = v
				}
			}
		}
		for y := y0; y < y1; y++ {
			o := img.PixOffset(g.Min.X, y)
			copy(img.Pix[o:o+len(rowPix)], rowPix)
		}
	}
	for r := range c.rows {
		top := g.Min.Y + c.rowY(r)
		cells := c.cells[r*c.cols : (r+1)*c.cols]
		if c.lower == nil {
			fill(cells, top, top+c.cellH)
			continue
		}
		mid := top + (c.cellH+1)/2
		fill(cells, top, mid)
		fill(c.lower[r*c.cols:(r+1)*c.cols], mid, top+c.cellH)
	}

	if b := l.bar; !b.Empty() {
		n := len(c.legend.bar)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			f := (float64(b.Max.Y-1-y) + 0.5) / float64(b.Dy())
			v := idxSwatch + c.legend.bar[min(int(f*float64(n)), n-1)]
			for x := b.Min.X; x < b.Max.X; x++ {
				img.Pix[img.PixOffset(x, y)] = v
			}
		}
	}
	for _, bx := range l.boxes {
		for y := bx.r.Min.Y; y < bx.r.Max.Y; y++ {
			for x := bx.r.Min.X; x < bx.r.Max.X; x++ {
				img.Pix[img.PixOffset(x, y)] = idxSwatch + bx.swatch
			}
		}
	}
	for _, ln := range l.lines {
		k := 0
		for y := ln.y0; y <= ln.y1; y++ {
			for x := ln.x0; x <= ln.x1; x++ {
				v := uint8(idxAxis)
				if ln.dashed {
					v = idxInk
					if k%6 >= 3 {
						v = idxBackground
					}
					k++
				}
				img.SetColorIndex(x, y, v)
			}
		}
	}
	for _, t := range l.texts {
		face := f.face(t.face)
		x := t.x
		switch t.anchor {
		case anchorMiddle:
			x -= f.width(t.face, t.s) / 2
		case anchorEnd:
			x -= f.width(t.face, t.s)
		}
		drawText(img, face, x, t.y, t.s)
	}
	return img
}
