package heatmap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 11, 26, 4, 0, 0, 0, time.UTC)

// makeRec builds a recording of n one-second samples of the given cores;
// usage(i, id) gives each core's user and system fractions.
func makeRec(ids []int, n int, usage func(i, id int) (user, sys float64)) *cpuwatch.Recording {
	rec := &cpuwatch.Recording{DataID: "test", Interval: time.Second, Start: t0}
	for i := range n {
		s := cpuwatch.Sample{Time: t0.Add(time.Duration(i+1) * time.Second), Elapsed: time.Second}
		for _, id := range ids {
			u, sy := usage(i, id)
			s.Cores = append(s.Cores, cpuwatch.CoreUsage{ID: id, Usage: cpuwatch.Usage{User: u, System: sy, Idle: 1 - u - sy}})
		}
		rec.Append(s)
	}
	return rec
}

// decodePNG encodes rec with WritePNG and decodes the result.
func decodePNG(t *testing.T, rec *cpuwatch.Recording, opts Options) image.Image {
	t.Helper()
	var buf bytes.Buffer
	if err := WritePNG(&buf, rec, opts); err != nil {
		t.Fatalf("WritePNG: %v", err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("png.Decode: %v", err)
	}
	if _, ok := img.(*image.Paletted); !ok {
		t.Errorf("decoded %T, want a paletted PNG", img)
	}
	return img
}

// layoutOf lays rec out the way Render does, so tests know where cells are.
func layoutOf(t *testing.T, rec *cpuwatch.Recording, opts Options) (*chart, *layout) {
	t.Helper()
	o, err := opts.resolve()
	if err != nil {
		t.Fatal(err)
	}
	c, err := buildChart(rec, o, 0)
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.layout(newFonts())
	if err != nil {
		t.Fatal(err)
	}
	return c, l
}

func rgba(c color.Color) color.RGBA {
	r, g, b, a := c.RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
}

func near(a, b color.RGBA, tol int) bool {
	d := func(x, y uint8) bool { return abs(int(x)-int(y)) <= tol }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B)
}

// cellAt returns the pixel in the middle of cell (row, col).
func cellAt(img image.Image, c *chart, l *layout, row, col int) color.RGBA {
	x := l.grid.Min.X + col*c.cellW + c.cellW/2
	y := l.grid.Min.Y + c.rowY(row) + c.cellH/2
	return rgba(img.At(x, y))
}

func TestPNGCellsRowsAndMarkers(t *testing.T) {
	// Ids with gaps, and busy levels that identify each row.
	busy := map[int]float64{0: 1, 2: 0, 5: 0.5}
	rec := makeRec([]int{0, 2, 5}, 6, func(i, id int) (float64, float64) { return busy[id] * 0.8, busy[id] * 0.2 })
	rec.RunStart = t0.Add(2 * time.Second)
	rec.RunEnd = t0.Add(5 * time.Second)
	opts := Options{CellWidth: 50, CellHeight: 20}
	img := decodePNG(t, rec, opts)
	c, l := layoutOf(t, rec, opts)

	if got, want := img.Bounds().Size(), image.Pt(l.w, l.h); got != want {
		t.Errorf("image size = %v, want %v", got, want)
	}
	if got, want := l.grid.Size(), image.Pt(6*50, 3*20); got != want {
		t.Errorf("grid size = %v, want %v", got, want)
	}
	if diff := cmp.Diff([]string{"cpu0", "cpu2", "cpu5"}, c.rows); diff != "" {
		t.Errorf("row labels mismatch (-want +got):\n%s", diff)
	}
	vir := Viridis()
	for col := range 6 {
		if got, want := cellAt(img, c, l, 0, col), vir.At(1); got != want {
			t.Errorf("cpu0 (100 %%) col %d = %v, want the map's top %v", col, got, want)
		}
		if got, want := cellAt(img, c, l, 1, col), vir.At(0); got != want {
			t.Errorf("cpu2 (0 %%) col %d = %v, want the map's bottom %v", col, got, want)
		}
		if got, want := cellAt(img, c, l, 2, col), vir.At(0.5); !near(got, want, 3) {
			t.Errorf("cpu5 (50 %%) col %d = %v, want about %v", col, got, want)
		}
	}

	// Markers: dashed ink lines at 2 s and 5 s of the 6 s recording
	// (samples start at t0), i.e. at 1/3 and 5/6 of the grid.
	ink := colInk
	for _, at := range []float64{2.0 / 6, 5.0 / 6} {
		x := l.grid.Min.X + int(math.Round(at*float64(l.grid.Dx())))
		inks := 0
		for y := l.grid.Min.Y; y < l.grid.Max.Y; y++ {
			if rgba(img.At(x, y)) == ink {
				inks++
			}
		}
		if inks < l.grid.Dy()/3 {
			t.Errorf("marker column x=%d has %d ink pixels of %d, want a dashed line", x, inks, l.grid.Dy())
		}
		if rgba(img.At(x+3, l.grid.Min.Y+2)) == ink {
			t.Errorf("ink at x=%d, 3 pixels right of the marker", x+3)
		}
	}
}

func TestSplitHalves(t *testing.T) {
	rec := makeRec([]int{0, 1}, 4, func(i, id int) (float64, float64) {
		if id == 0 {
			return 1, 0
		}
		return 0, 1
	})
	opts := Options{Mode: Split, CellWidth: 20, CellHeight: 20}
	img := decodePNG(t, rec, opts)
	c, l := layoutOf(t, rec, opts)
	vir := Viridis()
	for _, tc := range []struct {
		row          int
		upper, lower color.RGBA
	}{{0, vir.At(1), vir.At(0)}, {1, vir.At(0), vir.At(1)}} {
		top := l.grid.Min.Y + c.rowY(tc.row)
		x := l.grid.Min.X + 5
		if got := rgba(img.At(x, top+2)); got != tc.upper {
			t.Errorf("row %d upper half = %v, want %v", tc.row, got, tc.upper)
		}
		if got := rgba(img.At(x, top+c.cellH-2)); got != tc.lower {
			t.Errorf("row %d lower half = %v, want %v", tc.row, got, tc.lower)
		}
	}
}

func TestDistributionForManyCores(t *testing.T) {
	ids := make([]int, 100)
	for i := range ids {
		ids[i] = i
	}
	rec := makeRec(ids, 5, func(i, id int) (float64, float64) {
		if id < 60 {
			return 1, 0
		}
		return 0, 0
	})
	opts := Options{CellWidth: 20, CellHeight: 10}
	img := decodePNG(t, rec, opts)
	c, l := layoutOf(t, rec, opts)
	if len(c.rows) != DefaultBuckets {
		t.Fatalf("rows = %d, want %d buckets (100 cores > MaxRows)", len(c.rows), DefaultBuckets)
	}
	vir := Viridis()
	wantBottom := vir.At(math.Log(40) / math.Log(60))
	for col := range 5 {
		if got := cellAt(img, c, l, 0, col); got != vir.At(1) {
			t.Errorf("top bucket (60 CPUs, the most) col %d = %v, want %v", col, got, vir.At(1))
		}
		if got := cellAt(img, c, l, DefaultBuckets-1, col); !near(got, wantBottom, 3) {
			t.Errorf("bottom bucket (40 CPUs) col %d = %v, want about %v", col, got, wantBottom)
		}
		if got := cellAt(img, c, l, 10, col); got != colNoData {
			t.Errorf("empty bucket col %d = %v, want %v", col, got, colNoData)
		}
	}
}

func TestWideRecordingAveragesColumns(t *testing.T) {
	rec := makeRec([]int{0}, 100, func(i, id int) (float64, float64) { return float64(i % 2), 0 })
	opts := Options{GridWidth: 10, CellWidth: 1}
	c, _ := layoutOf(t, rec, opts)
	if c.cols != 10 {
		t.Fatalf("cols = %d, want 10", c.cols)
	}
	opts = Options{GridWidth: 100, CellWidth: 10}
	img := decodePNG(t, rec, opts)
	c, l := layoutOf(t, rec, opts)
	for col := range c.cols {
		if got, want := cellAt(img, c, l, 0, col), Viridis().At(0.5); !near(got, want, 3) {
			t.Errorf("col %d = %v, want the 50 %% mean %v", col, got, want)
		}
	}
}

func TestRecordingOfOnlySamples(t *testing.T) {
	full := makeRec([]int{3}, 3, func(i, id int) (float64, float64) { return 0.5, 0 })
	for name, rec := range map[string]*cpuwatch.Recording{
		"timed samples": recOf(samplesOf(full)),
		"untimed samples": recOf([]cpuwatch.Sample{
			{Cores: []cpuwatch.CoreUsage{{ID: 0, Usage: cpuwatch.Usage{User: 1}}}},
			{Cores: []cpuwatch.CoreUsage{{ID: 0, Usage: cpuwatch.Usage{Idle: 1}}}},
		}),
		"one sample, no elapsed": recOf([]cpuwatch.Sample{{Time: t0, Cores: full.Sample(0).Cores}}),
	} {
		t.Run(name, func(t *testing.T) {
			img, err := Render(rec, Options{})
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if b := img.Bounds(); b.Dx() < minGridWidth || b.Dy() < 100 {
				t.Errorf("bounds = %v, want at least %d×100", b, minGridWidth)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	good := func() *cpuwatch.Recording {
		return makeRec([]int{0, 1}, 3, func(i, id int) (float64, float64) { return 0.5, 0.1 })
	}
	tests := []struct {
		name   string
		rec    func() *cpuwatch.Recording
		opts   Options
		errHas string
		is     error // the sentinel the error wraps, if any
	}{
		{"nil recording", func() *cpuwatch.Recording { return nil }, Options{}, "nil recording", ErrBadRecording},
		{"no samples", func() *cpuwatch.Recording { return &cpuwatch.Recording{} }, Options{}, "no samples", ErrBadRecording},
		{"no cores", func() *cpuwatch.Recording {
			return recOf([]cpuwatch.Sample{{Time: t0}})
		}, Options{}, "no cores", ErrBadRecording},
		{"negative elapsed", func() *cpuwatch.Recording {
			r := good()
			mutate(r, func(ss []cpuwatch.Sample) { ss[1].Elapsed = -time.Second })
			return r
		}, Options{}, "negative elapsed", ErrBadRecording},
		{"time backwards", func() *cpuwatch.Recording {
			r := good()
			mutate(r, func(ss []cpuwatch.Sample) { ss[2].Time = t0 })
			return r
		}, Options{}, "before sample", ErrBadRecording},
		{"user above 1", func() *cpuwatch.Recording {
			r := good()
			mutate(r, func(ss []cpuwatch.Sample) { ss[1].Cores[0].User = 7 })
			return r
		}, Options{Mode: User}, "out of [0, 1]", ErrBadRecording},
		{"NaN idle", func() *cpuwatch.Recording {
			r := good()
			mutate(r, func(ss []cpuwatch.Sample) { ss[0].Cores[1].Idle = math.NaN() })
			return r
		}, Options{}, "out of [0, 1]", ErrBadRecording},
		{"duplicate cpu", func() *cpuwatch.Recording {
			r := good()
			mutate(r, func(ss []cpuwatch.Sample) { ss[0].Cores[1].ID = 0 })
			return r
		}, Options{}, "twice", ErrBadRecording},
		{"negative cpu", func() *cpuwatch.Recording {
			r := good()
			mutate(r, func(ss []cpuwatch.Sample) { ss[0].Cores[0].ID = -1 })
			return r
		}, Options{}, "negative cpu", ErrBadRecording},
		{"unknown mode", good, Options{Mode: 42}, "unknown mode", nil},
		{"cell too wide", good, Options{CellWidth: 1000}, "CellWidth", nil},
		{"too many buckets", good, Options{Mode: Distribution, Buckets: 1000}, "Buckets", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for name, write := range map[string]func(io.Writer, *cpuwatch.Recording, Options) error{
				"PNG": WritePNG, "SVG": WriteSVG, "HTML": WriteHTML,
			} {
				err := write(io.Discard, tc.rec(), tc.opts)
				if err == nil || !strings.HasPrefix(err.Error(), "heatmap: ") || !strings.Contains(err.Error(), tc.errHas) {
					t.Errorf("Write%s error = %v, want a heatmap error about %q", name, err, tc.errHas)
				}
				if got := errors.Is(err, ErrBadRecording); got != (tc.is == ErrBadRecording) {
					t.Errorf("errors.Is(Write%s error, ErrBadRecording) = %v, want %v", name, got, !got)
				}
			}
		})
	}
}

func TestColormaps(t *testing.T) {
	// Entries 100 and 200 of the published 256-entry tables: not keypoints,
	// so they test the OkLab blending between them.
	tests := []struct {
		m            *Colormap
		bottom, top  string
		at100, at200 string
	}{
		{Viridis(), "440154", "fde725", "2a768e", "70cf57"},
		{Magma(), "000004", "fcfdbf", "892881", "fd9869"},
		{Inferno(), "000004", "fcffa4", "902568", "fb9d07"},
		{Cividis(), "00224e", "fee838", "656870", "c4b468"},
	}
	for _, tc := range tests {
		t.Run(tc.m.Name(), func(t *testing.T) {
			tab := tc.m.Table()
			for _, ck := range []struct {
				got  color.RGBA
				want string
				tol  int
			}{{tab[0], tc.bottom, 0}, {tab[255], tc.top, 0}, {tab[100], tc.at100, 6}, {tab[200], tc.at200, 6}} {
				if h := hexOf(ck.got)[1:]; !near(ck.got, mustHex(t, ck.want), ck.tol) {
					t.Errorf("entry = %s, want %s (±%d)", h, ck.want, ck.tol)
				}
			}
			if tc.m.At(-1) != tab[0] || tc.m.At(2) != tab[255] || tc.m.At(math.NaN()) != tab[0] {
				t.Errorf("At does not clamp out-of-range input")
			}
		})
	}
}

func mustHex(t *testing.T, h string) color.RGBA {
	t.Helper()
	m, err := NewColormap(h, h)
	if err != nil {
		t.Fatal(err)
	}
	return m.At(0)
}

func TestNewColormap(t *testing.T) {
	m, err := NewColormap("#000000", "ffffff")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.At(0); got != (color.RGBA{0, 0, 0, 255}) {
		t.Errorf("At(0) = %v, want black", got)
	}
	if got := m.At(1); got != (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("At(1) = %v, want white", got)
	}
	// OkLab's lightness is perceptual: its midpoint is far lighter than
	// sRGB's 50 % grey.
	if got := m.At(0.5); got.R < 90 || got.R > 110 {
		t.Errorf("At(0.5) = %v, want the OkLab mid-grey near 99", got)
	}
	for _, bad := range [][]string{nil, {"#fff"}, {"#000000", "nothex"}} {
		if _, err := NewColormap(bad...); err == nil || !strings.HasPrefix(err.Error(), "heatmap: ") {
			t.Errorf("NewColormap(%q) error = %v, want a heatmap error", bad, err)
		}
	}
}

// svgDoc is the part of an SVG document the tests read back.
type svgDoc struct {
	Width  int    `xml:"width,attr"`
	Height int    `xml:"height,attr"`
	Title  string `xml:"title"`
	Rects  []struct {
		Fill  string `xml:"fill,attr"`
		Title string `xml:"title"`
	} `xml:"g>rect"`
	Texts []string `xml:"text"`
}

func TestSVG(t *testing.T) {
	rec := makeRec([]int{0, 1}, 4, func(i, id int) (float64, float64) { return float64(1 - id), 0 })
	rec.DataID = `<threads> & "GIL"`
	var buf bytes.Buffer
	if err := WriteSVG(&buf, rec, Options{}); err != nil {
		t.Fatal(err)
	}
	var doc svgDoc
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("SVG does not parse: %v", err)
	}
	_, l := layoutOf(t, rec, Options{})
	if doc.Width != l.w || doc.Height != l.h {
		t.Errorf("SVG size = %d×%d, want %d×%d as the PNG", doc.Width, doc.Height, l.w, l.h)
	}
	if doc.Title != rec.DataID || !containsStr(doc.Texts, rec.DataID) {
		t.Errorf("title = %q, texts %q; want %q", doc.Title, doc.Texts, rec.DataID)
	}
	for _, want := range []string{"cpu0", "cpu1", "time (s)", "100 %", "0 %"} {
		if !containsStr(doc.Texts, want) {
			t.Errorf("no text %q in %q", want, doc.Texts)
		}
	}
	var cells []string
	for _, r := range doc.Rects {
		if r.Title != "" {
			cells = append(cells, r.Title)
			if strings.HasPrefix(r.Title, "cpu0 ") && r.Fill != hexOf(Viridis().At(1)) {
				t.Errorf("cell %q fill = %s, want the top colour", r.Title, r.Fill)
			}
		}
	}
	if len(cells) != 8 {
		t.Fatalf("%d cells with hover text, want 8", len(cells))
	}
	if want := "cpu0 · 0–1 s · busy 100.0 % · user 100.0 % · system 0.0 %"; cells[0] != want {
		t.Errorf("first cell's hover = %q, want %q", cells[0], want)
	}
}

func containsStr(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestHTML(t *testing.T) {
	rec := makeRec([]int{0, 7}, 3, func(i, id int) (float64, float64) { return 0.25, 0.5 })
	rec.DataID = `<script>alert("x")</script>`
	var buf bytes.Buffer
	if err := WriteHTML(&buf, rec, Options{Mode: Split}); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if strings.Contains(page, rec.DataID) {
		t.Errorf("page contains the unescaped title %q", rec.DataID)
	}
	p := parsePage(t, page)
	title, tips, texts := p.title, p.tips, p.texts
	if title != rec.DataID {
		t.Errorf("<title> = %q, want %q", title, rec.DataID)
	}
	if !containsStr(texts, rec.DataID) || !containsStr(texts, "cpu7") {
		t.Errorf("svg texts %q lack the title or cpu7", texts)
	}
	// Split draws two rects per cell, both with the cell's hover text.
	if len(tips) != 2*2*3 {
		t.Errorf("%d hover texts, want %d", len(tips), 12)
	}
	if want := "cpu7 · 2–3 s · busy 75.0 % · user 25.0 % · system 50.0 %"; !containsStr(tips, want) {
		t.Errorf("no hover text %q in %q", want, tips)
	}
}

// htmlPage is what a reader of a WriteHTML page sees.
type htmlPage struct {
	title string
	texts []string    // <text> contents of the picture
	tips  []string    // data-tip hover texts, in document order
	lines [][4]string // x1, y1, x2, y2 of every <line>
}

// parsePage walks an HTML page as XML, which it must be.
func parsePage(t *testing.T, html string) htmlPage {
	t.Helper()
	var (
		p     htmlPage
		stack []string
	)
	dec := xml.NewDecoder(strings.NewReader(html))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return p
		}
		if err != nil {
			t.Fatalf("page does not parse: %v", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			stack = append(stack, tk.Name.Local)
			attr := map[string]string{}
			for _, a := range tk.Attr {
				attr[a.Name.Local] = a.Value
			}
			if tip, ok := attr["data-tip"]; ok {
				p.tips = append(p.tips, tip)
			}
			if tk.Name.Local == "line" {
				p.lines = append(p.lines, [4]string{attr["x1"], attr["y1"], attr["x2"], attr["y2"]})
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			switch strings.Join(stack, "/") {
			case "html/head/title":
				p.title += string(tk)
			case "html/body/svg/text":
				p.texts = append(p.texts, string(tk))
			}
		}
	}
}

// TestHotplug covers samples whose cores differ: a core that appears
// late, one that goes offline, and ids that are not the first sample's.
func TestHotplug(t *testing.T) {
	cu := func(id int, busy float64) cpuwatch.CoreUsage {
		return cpuwatch.CoreUsage{ID: id, Usage: cpuwatch.Usage{User: busy, Idle: 1 - busy}}
	}
	sample := func(i int, cores ...cpuwatch.CoreUsage) cpuwatch.Sample {
		return cpuwatch.Sample{Time: t0.Add(time.Duration(i+1) * time.Second), Elapsed: time.Second, Cores: cores}
	}
	rec := recOf([]cpuwatch.Sample{
		sample(0, cu(0, 1), cu(1, 0)),
		sample(1, cu(0, 1)),           // cpu1 offline
		sample(2, cu(0, 1), cu(4, 1)), // cpu4 new, cpu1 still gone
		sample(3, cu(0, 0), cu(1, 1), cu(4, 0)),
	})
	opts := Options{CellWidth: 20, CellHeight: 20}
	img := decodePNG(t, rec, opts)
	c, l := layoutOf(t, rec, opts)
	if diff := cmp.Diff([]string{"cpu0", "cpu1", "cpu4"}, c.rows); diff != "" {
		t.Fatalf("rows mismatch (-want +got):\n%s", diff)
	}
	top, bottom := Viridis().At(1), Viridis().At(0)
	want := [][]color.RGBA{
		{top, top, top, bottom},
		{bottom, colNoData, colNoData, top},
		{colNoData, colNoData, top, bottom},
	}
	for r, row := range want {
		for col, w := range row {
			if got := cellAt(img, c, l, r, col); got != w {
				t.Errorf("%s col %d = %v, want %v", c.rows[r], col, got, w)
			}
		}
	}

	mutate(rec, func(ss []cpuwatch.Sample) { ss[3].Cores[2].ID = 1 }) // cpu1 twice
	if _, err := Render(rec, opts); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("Render with a duplicate core: error %v, want one about cpu1 twice", err)
	}
}

// TestCoresOutOfOrder checks a sample that lists its cores in another
// order than the first sample: the fast path gives way to lookups mid-way,
// and every value still lands in its core's row.
func TestCoresOutOfOrder(t *testing.T) {
	cu := func(id int, busy float64) cpuwatch.CoreUsage {
		return cpuwatch.CoreUsage{ID: id, Usage: cpuwatch.Usage{User: busy, Idle: 1 - busy}}
	}
	rec := recOf([]cpuwatch.Sample{
		{Time: t0.Add(time.Second), Elapsed: time.Second, Cores: []cpuwatch.CoreUsage{cu(0, 1), cu(1, 0), cu(2, 1)}},
		{Time: t0.Add(2 * time.Second), Elapsed: time.Second, Cores: []cpuwatch.CoreUsage{cu(0, 0), cu(2, 0), cu(1, 1)}},
		{Time: t0.Add(3 * time.Second), Elapsed: time.Second, Cores: []cpuwatch.CoreUsage{cu(0, 1), cu(1, 1), cu(2, 1)}},
	})
	opts := Options{CellWidth: 20, CellHeight: 20}
	img := decodePNG(t, rec, opts)
	c, l := layoutOf(t, rec, opts)
	top, bottom := Viridis().At(1), Viridis().At(0)
	want := [][]color.RGBA{{top, bottom, top}, {bottom, top, top}, {top, bottom, top}}
	for r, row := range want {
		for col, w := range row {
			if got := cellAt(img, c, l, r, col); got != w {
				t.Errorf("%s col %d = %v, want %v", c.rows[r], col, got, w)
			}
		}
	}
}
