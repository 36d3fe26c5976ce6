package heatmap

import (
	"image"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Parsed Go fonts, shared read-only. Faces are not safe for concurrent use,
// so every render makes its own from these.
var goFonts = sync.OnceValues(func() (regular, bold *opentype.Font) {
	var err error
	if regular, err = opentype.Parse(goregular.TTF); err != nil {
		panic(err) // the embedded font is a constant
	}
	if bold, err = opentype.Parse(gobold.TTF); err != nil {
		panic(err)
	}
	return regular, bold
})

const (
	labelSize = 12 // px: row labels, ticks, legend
	titleSize = 15 // px
)

// fonts holds one render's faces and the metrics layout needs, in pixels.
type fonts struct {
	label, title     font.Face
	asc, desc, lineH int // of label
	titleAsc, titleH int
}

func newFonts() *fonts {
	regular, bold := goFonts()
	mk := func(f *opentype.Font, size float64) font.Face {
		face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
		if err != nil {
			panic(err)
		}
		return face
	}
	f := &fonts{label: mk(regular, labelSize), title: mk(bold, titleSize)}
	m := f.label.Metrics()
	f.asc, f.desc = m.Ascent.Ceil(), m.Descent.Ceil()
	f.lineH = f.asc + f.desc + 2
	tm := f.title.Metrics()
	f.titleAsc = tm.Ascent.Ceil()
	f.titleH = tm.Ascent.Ceil() + tm.Descent.Ceil() + 4
	return f
}

func (f *fonts) face(k faceKind) font.Face {
	if k == faceTitle {
		return f.title
	}
	return f.label
}

func (f *fonts) width(k faceKind, s string) int {
	return font.MeasureString(f.face(k), s).Ceil()
}

// Text colours: the ink and seven blends of it over the white background,
// so anti-aliased glyphs fit a paletted image.
const aaLevels = 8

// drawText draws s with its baseline's left end at (x, y) onto dst, whose
// background there must be white. Partially covered pixels take the nearest
// of the anti-aliasing greys.
func drawText(dst *image.Paletted, face font.Face, x, y int, s string) {
	b, _ := font.BoundString(face, s)
	r := image.Rect(b.Min.X.Floor(), b.Min.Y.Floor(), b.Max.X.Ceil(), b.Max.Y.Ceil())
	if r.Empty() {
		return
	}
	mask := image.NewAlpha(r)
	d := font.Drawer{Dst: mask, Src: image.Opaque, Face: face, Dot: fixed.Point26_6{}}
	d.DrawString(s)
	clip := dst.Bounds()
	for py := r.Min.Y; py < r.Max.Y; py++ {
		for px := r.Min.X; px < r.Max.X; px++ {
			a := int(mask.Pix[mask.PixOffset(px, py)])
			lvl := (a*aaLevels + 127) / 255
			if lvl == 0 {
				continue
			}
			p := image.Pt(x+px, y+py)
			if !p.In(clip) {
				continue
			}
			idx := dst.PixOffset(p.X, p.Y)
			if dst.Pix[idx] != idxBackground {
				// Overlapping glyphs keep the darker pixel.
				if old := dst.Pix[idx]; old == idxInk || (old >= idxAA && old < idxAA+aaLevels-1 && int(old-idxAA)+1 >= lvl) {
					continue
				}
			}
			if lvl == aaLevels {
				dst.Pix[idx] = idxInk
			} else {
				dst.Pix[idx] = idxAA + uint8(lvl-1)
			}
		}
	}
}
