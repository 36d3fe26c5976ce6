package heatmap

import (
	"fmt"
	"image/color"

	"github.com/corescope/corescope/cpuwatch"
)

// scene is a laid-out chart as vector shapes, for SVG and HTML.
type scene struct {
	Title string
	W, H  int
	Cells []rect // grid cells and legend swatches
	Lines []vline
	Texts []vtext
}

type rect struct {
	X, Y, W, H float64
	Fill       string
	Tip        string // hover text; "" for none
}

type vline struct {
	X1, Y1, X2, Y2 float64
	Dashed         bool
}

type vtext struct {
	X, Y   int
	S      string
	Anchor string // "start", "middle" or "end"
	Size   int
	Bold   bool
}

func hexOf(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// chartOf resolves opts and converts rec to a chart; hover asks for the
// figures the SVG and HTML hover texts show.
func chartOf(rec *cpuwatch.Recording, opts Options, hover bool) (*chart, error) {
	o, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	var extra field
	if hover {
		extra = fAll
	}
	return buildChart(rec, o, extra)
}

// vector lays the chart out as vector shapes.
func (c *chart) vector() (*scene, error) {
	l, err := c.layout(newFonts())
	if err != nil {
		return nil, err
	}
	return c.scene(l), nil
}

func (c *chart) scene(l *layout) *scene {
	sc := &scene{Title: c.title, W: l.w, H: l.h}
	fills := make([]string, len(c.swatches))
	for i, s := range c.swatches {
		fills[i] = hexOf(s)
	}
	g := l.grid
	half := (c.cellH + 1) / 2
	for r := range c.rows {
		y := float64(g.Min.Y + c.rowY(r))
		for col := 0; col < c.cols; {
			at := r*c.cols + col
			// Without hover texts, runs of equal cells merge into one rect.
			n := 1
			if c.tip == nil {
				for col+n < c.cols && c.cells[at+n] == c.cells[at] &&
					(c.lower == nil || c.lower[at+n] == c.lower[at]) {
					n++
				}
			}
			x := float64(g.Min.X + col*c.cellW)
			w := float64(n * c.cellW)
			tip := ""
			if c.tip != nil {
				tip = c.tip(r, col)
			}
			if c.lower == nil {
				sc.Cells = append(sc.Cells, rect{x, y, w, float64(c.cellH), fills[c.cells[at]], tip})
			} else {
				sc.Cells = append(sc.Cells,
					rect{x, y, w, float64(half), fills[c.cells[at]], tip},
					rect{x, y + float64(half), w, float64(c.cellH - half), fills[c.lower[at]], tip})
			}
			col += n
		}
	}
	if b := l.bar; !b.Empty() {
		n := len(c.legend.bar)
		h := float64(b.Dy()) / float64(n)
		for i, sw := range c.legend.bar {
			y := float64(b.Max.Y) - float64(i+1)*h
			// Overlap neighbours by a little so no hairline gaps show.
			sc.Cells = append(sc.Cells, rect{float64(b.Min.X), y, float64(b.Dx()), h + 0.5, fills[sw], ""})
		}
	}
	for _, bx := range l.boxes {
		r := bx.r
		sc.Cells = append(sc.Cells, rect{float64(r.Min.X), float64(r.Min.Y), float64(r.Dx()), float64(r.Dy()), fills[bx.swatch], ""})
	}
	for _, ln := range l.lines {
		// Raster lines cover pixel centres; vector lines run through them.
		sc.Lines = append(sc.Lines, vline{float64(ln.x0) + 0.5, float64(ln.y0) + 0.5, float64(ln.x1) + 0.5, float64(ln.y1) + 0.5, ln.dashed})
	}
	for _, t := range l.texts {
		sc.Texts = append(sc.Texts, vectorText(t))
	}
	return sc
}

// vectorText is a laid-out text as the vector outputs (SVG, HTML) draw it.
func vectorText(t text) vtext {
	vt := vtext{X: t.x, Y: t.y, S: t.s, Anchor: "start", Size: labelSize}
	switch t.anchor {
	case anchorMiddle:
		vt.Anchor = "middle"
	case anchorEnd:
		vt.Anchor = "end"
	}
	if t.face == faceTitle {
		vt.Size, vt.Bold = titleSize, true
	}
	return vt
}
