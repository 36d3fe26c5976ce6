package heatmap

import (
	"fmt"
	"image/color"
	"math"
	"sync"

	colorful "github.com/lucasb-eyer/go-colorful"
)

// Colormap maps a fraction in [0, 1] to a colour. It is a 256-entry table
// precomputed once from evenly spaced keypoints blended in OkLab, so looking
// a colour up costs an index and nothing else. A Colormap is immutable and
// safe for concurrent use; the built-in maps are shared values.
type Colormap struct {
	name  string
	table [256]color.RGBA
}

// NewColormap builds a Colormap from two or more colours such as "#440154"
// or "fde725", spaced evenly from 0 (the first) to 1 (the last). Neighbours
// are blended in OkLab, a perceptual space, so equal steps of the input
// look like equal steps of colour.
func NewColormap(hexKeypoints ...string) (*Colormap, error) {
	if len(hexKeypoints) < 2 {
		return nil, fmt.Errorf("heatmap: a colormap needs at least 2 keypoints, got %d", len(hexKeypoints))
	}
	kps := make([]colorful.Color, len(hexKeypoints))
	for i, h := range hexKeypoints {
		if len(h) > 0 && h[0] != '#' {
			h = "#" + h
		}
		c, err := colorful.Hex(h)
		if err != nil {
			return nil, fmt.Errorf("heatmap: colormap keypoint %d %q: %w", i, hexKeypoints[i], err)
		}
		kps[i] = c
	}
	m := &Colormap{name: "custom"}
	n := len(kps) - 1
	for i := range m.table {
		t := float64(i) / 255 * float64(n)
		k := min(int(t), n-1)
		r, g, b := kps[k].BlendOkLab(kps[k+1], t-float64(k)).Clamped().RGB255()
		m.table[i] = color.RGBA{r, g, b, 0xff}
	}
	return m, nil
}

// mustColormap is for the built-in maps, whose keypoints are constants.
func mustColormap(name string, hex ...string) *Colormap {
	m, err := NewColormap(hex...)
	if err != nil {
		panic(err)
	}
	m.name = name
	return m
}

// The built-in keypoints are every 17th entry (0, 17, …, 255: 16 evenly
// spaced points) of the published 256-entry tables of matplotlib's
// perceptually uniform maps (van der Walt and Smith; Nuñez et al. for
// cividis), rounded to 8 bits. Blending them in OkLab reproduces the
// published tables to within 6 units (of 255) per channel.
var (
	viridis = sync.OnceValue(func() *Colormap {
		return mustColormap("viridis",
			"440154", "481a6c", "472f7d", "414487", "39568c", "31688e", "2a788e", "23888e",
			"1f988b", "22a884", "35b779", "54c568", "7ad151", "a5db36", "d2e21b", "fde725")
	})
	magma = sync.OnceValue(func() *Colormap {
		return mustColormap("magma",
			"000004", "0b0924", "20114b", "3b0f70", "57157e", "721f81", "8c2981", "a8327d",
			"c43c75", "de4968", "f1605d", "fa7f5e", "fe9f6d", "febf84", "fddea0", "fcfdbf")
	})
	inferno = sync.OnceValue(func() *Colormap {
		return mustColormap("inferno",
			"000004", "0c0826", "240c4f", "420a68", "5d126e", "781c6d", "932667", "ae305c",
			"c73e4c", "dd513a", "ed6925", "f8850f", "fca50a", "fac62d", "f2e661", "fcffa4")
	})
	cividis = sync.OnceValue(func() *Colormap {
		return mustColormap("cividis",
			"00224e", "002e6c", "1e3a6f", "35456c", "47516c", "575d6d", "666970", "757575",
			"848279", "948e77", "a59c74", "b7a96e", "c8b866", "dbc75a", "eed649", "fee838")
	})
)

// Viridis returns the default map: dark blue-purple through green to
// yellow, perceptually uniform and readable with every common form of colour
// blindness and in greyscale.
func Viridis() *Colormap { return viridis() }

// Magma returns the black–purple–orange–cream map.
func Magma() *Colormap { return magma() }

// Inferno returns the black–purple–orange–yellow map; it reaches a brighter
// top than Magma.
func Inferno() *Colormap { return inferno() }

// Cividis returns the blue–grey–yellow map optimised for deuteranopia and
// protanopia: its colours look nearly the same to every viewer.
func Cividis() *Colormap { return cividis() }

// Name returns "viridis", "magma", "inferno", "cividis" or, for a map made
// by NewColormap, "custom".
func (m *Colormap) Name() string { return m.name }

// At returns the colour for fraction v: 0 is the bottom of the map, 1 the
// top. Values outside [0, 1] are clamped and NaN counts as 0.
func (m *Colormap) At(v float64) color.RGBA { return m.table[index256(v)] }

// Table returns a copy of the map's 256 entries, bottom first.
func (m *Colormap) Table() [256]color.RGBA { return m.table }

func index256(v float64) int {
	switch {
	case !(v > 0): // also NaN
		return 0
	case v >= 1:
		return 255
	}
	return int(math.Round(v * 255))
}
