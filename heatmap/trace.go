package heatmap

import (
	"bufio"
	"cmp"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/corescope/corescope/schedtrace"
)

// TraceOptions controls a zoom picture of a scheduler trace. The zero
// value gives a good one: the trace's default window (see
// [schedtrace.Trace.DefaultWindow]), 960 pixels of time, lanes sized to
// fit about 640 pixels, the 16 threads that ran most in the window.
type TraceOptions struct {
	// Title heads the picture; "" means "Scheduler trace".
	Title string
	// Window is the stretch of the trace to draw; the zero Window means
	// the trace's default window. It is cut to the trace.
	Window schedtrace.Window
	// Width is the width in pixels of the time axis; zero means
	// DefaultGridWidth.
	Width int
	// Height is the budget in pixels of the CPU lanes; zero means half of
	// DefaultGridHeight. Lanes are between 2 and 16 pixels high, so a
	// machine with hundreds of CPUs makes a taller picture.
	Height int
	// MaxThreads is the most thread lanes: the threads that ran most in
	// the window. Zero means DefaultMaxTraceThreads.
	MaxThreads int
}

// DefaultMaxTraceThreads is the most thread lanes a trace picture draws
// when TraceOptions.MaxThreads is zero.
const DefaultMaxTraceThreads = 16

// TolMuted is Paul Tol's "muted" categorical palette, in the order a
// trace picture gives it to threads: nine colours distinct for the common
// forms of colour blindness, and apart from [OkabeIto]'s, which colour
// CPUs, so that a thread is never mistaken for a CPU. The slice is a
// fresh copy.
func TolMuted() []color.RGBA {
	return []color.RGBA{
		{0xcc, 0x66, 0x77, 0xff}, // rose
		{0x44, 0xaa, 0x99, 0xff}, // teal
		{0x33, 0x22, 0x88, 0xff}, // indigo
		{0xdd, 0xcc, 0x77, 0xff}, // sand
		{0x88, 0x22, 0x55, 0xff}, // wine
		{0x11, 0x77, 0x33, 0xff}, // green
		{0x88, 0xcc, 0xee, 0xff}, // cyan
		{0x99, 0x99, 0x33, 0xff}, // olive
		{0xaa, 0x44, 0x99, 0xff}, // purple
	}
}

// Colours of the thread lanes' states and GIL marks.
var (
	colRunnable = color.RGBA{0x99, 0x99, 0x99, 0xff}
	colAsleep   = color.RGBA{0xcc, 0xcc, 0xcc, 0xff}
	colHeld     = color.RGBA{0x33, 0x33, 0x33, 0xff}
	colWanted   = color.RGBA{0xbb, 0xbb, 0xbb, 0xff}
	colFailed   = color.RGBA{0xe4, 0x1a, 0x1c, 0xff}
	colLaneBG   = color.RGBA{0xf6, 0xf6, 0xf6, 0xff}
	// Python 3's drop requests and forced switches are pointers, told
	// apart from the CPU colours of the running bars by their shape.
	colDropRequest = color.RGBA{0x6a, 0x3d, 0x9a, 0xff} // violet
	colForced      = color.RGBA{0x8c, 0x51, 0x0a, 0xff} // brown
)

// Swatch indices of a trace picture: fixed colours first, then the CPU
// hues, then the thread hues.
const (
	swLaneBG = iota
	swRunnable
	swAsleep
	swHeld
	swWanted
	swFailed
	swDropRequest
	swForced
	swFixed
)

// traceShape is a trace picture laid out: vector shapes on a w×h canvas,
// which both the raster and the SVG draw. Rects span [x0, x1) horizontally
// in fractional pixels and [y0, y1) vertically.
type traceShape struct {
	title    string
	w, h     int
	swatches []color.RGBA
	rects    []trect
	lines    []line
	texts    []text
	// Geometry, for tests and the page: the time axis spans [gx, gx+gw)
	// for the window, CPU lane i covers cpuY[i], thread lane j threadY[j].
	gx, gw  int
	win     schedtrace.Window
	cpus    []int
	cpuY    [][2]int
	threads []int
	threadY [][2]int
	gilY    [][2]int
	// hue maps a CPU or a thread to its swatch.
	cpuHue, threadHue map[int]uint8
	// cpuLegend names the CPU colours, as the legend does.
	cpuLegend []legendItem
}

type trect struct {
	x0, x1 float64
	y0, y1 int
	sw     uint8
	tip    string
}

// traceLanes holds what a picture needs from the trace beyond the slices.
type traceLanes struct {
	states map[int][]schedtrace.Span
	gil    map[int][]schedtrace.Span
}

// RenderTrace draws a window of tr as a zoom picture. The image is an
// *image.Paletted.
//
// The upper lanes are CPUs, one per traced CPU, labelled with its id; each
// slice is drawn where it ran, in the colour of its thread ([TolMuted],
// with a legend naming the threads). The lower lanes are threads: full
// height in the colour of the CPU it ran on ([OkabeIto]) while running, a
// grey bar while runnable (woken or preempted, waiting for a CPU), a thin
// line while asleep; for a GIL run, a band beneath shows the lock held
// (dark) or wanted (light), a red tick each failed wake-up, and Python 3's
// drop requests and forced switches as pointers: a violet one pointing
// down from the top of the waiter's lane where it asked the holder to
// drop the lock, a brown one pointing up from the bottom of the holder's
// lane where, having dropped it on request, it waits for another thread to
// take it. The time
// axis is in µs, ms or s, as the window's length suits. When the trace lost
// events a line under the title says how many.
//
// RenderTrace returns an error, never a panic, for a trace it cannot
// draw: none, no CPUs, an empty window, or options out of range.
func RenderTrace(tr *schedtrace.Trace, opts TraceOptions) (image.Image, error) {
	sh, err := traceShapeOf(tr, opts)
	if err != nil {
		return nil, err
	}
	return sh.raster(), nil
}

// WriteTracePNG draws a window of tr, as RenderTrace does, and writes it
// to w as a paletted PNG.
func WriteTracePNG(w io.Writer, tr *schedtrace.Trace, opts TraceOptions) error {
	sh, err := traceShapeOf(tr, opts)
	if err != nil {
		return err
	}
	img := sh.raster()
	return buffered(w, func(bw *bufio.Writer) error { return encodePNG(bw, img) })
}

// WriteTraceSVG writes a window of tr to w as a standalone SVG document
// with the layout of RenderTrace; each slice and state's <title> names
// the thread, the CPU and the times, which viewers show on hover.
func WriteTraceSVG(w io.Writer, tr *schedtrace.Trace, opts TraceOptions) error {
	sh, err := traceShapeOf(tr, opts)
	if err != nil {
		return err
	}
	sc := sh.scene()
	return buffered(w, func(bw *bufio.Writer) error {
		sc.writeSVG(bw, true)
		return nil
	})
}

func traceShapeOf(tr *schedtrace.Trace, opts TraceOptions) (*traceShape, error) {
	if err := checkTrace(tr, opts); err != nil {
		return nil, err
	}
	// The picture shows one window: only its lock spans, not a GIL
	// storm's millions.
	lanes := traceLanes{states: tr.ThreadStates(), gil: tr.GILStatesIn(opts.window(tr))}
	return layoutTrace(tr, opts, lanes, newFonts())
}

// checkTrace returns an error for a trace or options a picture cannot
// show faithfully.
func checkTrace(tr *schedtrace.Trace, opts TraceOptions) error {
	switch {
	case tr == nil:
		return badTrace("no trace")
	case len(tr.CPUs) == 0:
		return badTrace("trace lists no CPUs")
	case len(tr.CPUs) > maxRows:
		return badTrace("trace of %d CPUs, more than %d", len(tr.CPUs), maxRows)
	case tr.Duration <= 0:
		return badTrace("trace of duration %v", tr.Duration)
	case opts.Width < 0 || opts.Width > 1<<14:
		return fmt.Errorf("heatmap: TraceOptions.Width %d out of [0, %d]", opts.Width, 1<<14)
	case opts.Height < 0 || opts.Height > 1<<15:
		return fmt.Errorf("heatmap: TraceOptions.Height %d out of [0, %d]", opts.Height, 1<<15)
	case opts.MaxThreads < 0 || opts.MaxThreads > 256:
		return fmt.Errorf("heatmap: TraceOptions.MaxThreads %d out of [0, 256]", opts.MaxThreads)
	}
	if w := opts.Window; !w.IsZero() && w.To <= w.From {
		return fmt.Errorf("heatmap: TraceOptions.Window %v–%v is empty", w.From, w.To)
	}
	known := map[int]bool{}
	for _, c := range tr.CPUs {
		if c < 0 || known[c] {
			return badTrace("trace lists CPU %d twice or negative", c)
		}
		known[c] = true
	}
	for i, s := range tr.Slices {
		if !known[s.CPU] {
			return badTrace("slice %d on cpu%d, which the trace does not list", i, s.CPU)
		}
		if s.End < s.Start {
			return badTrace("slice %d ends (%v) before it starts (%v)", i, s.End, s.Start)
		}
	}
	return nil
}

// window returns the window opts ask for, cut to tr.
func (opts TraceOptions) window(tr *schedtrace.Trace) schedtrace.Window {
	w := opts.Window
	if w.IsZero() {
		w = tr.DefaultWindow()
	}
	w = tr.Clip(w)
	if w.Len() == 0 {
		// A window wholly outside the trace shows its last moment.
		w = schedtrace.Window{From: max(tr.Duration-time.Microsecond, 0), To: tr.Duration}
	}
	return w
}

// threadOrder returns the TIDs of tr's threads with slices, in TID order,
// the order in which they take thread colours.
func threadOrder(tr *schedtrace.Trace) []int {
	seen := map[int]bool{}
	for _, s := range tr.Slices {
		seen[s.TID] = true
	}
	for _, th := range tr.Threads {
		seen[th.TID] = true
	}
	return slices.Sorted(func(yield func(int) bool) {
		for tid := range seen {
			if !yield(tid) {
				return
			}
		}
	})
}

// threadLabel names a thread for a lane or legend.
func threadLabel(tr *schedtrace.Trace, tid int) string {
	name := ""
	if th := tr.Thread(tid); th != nil {
		name = schedtrace.CleanName(th.Name)
	}
	if name == "" {
		return strconv.Itoa(tid)
	}
	return name + " (" + strconv.Itoa(tid) + ")"
}

// windowUnit picks the unit in which windowLabel states w's bounds.
func windowUnit(w schedtrace.Window) string {
	switch {
	case w.To < time.Millisecond:
		return "µs"
	case w.To < time.Second:
		return "ms"
	}
	return "s"
}

// windowLabel states w's bounds, such as "500.00–500.50 ms", with enough
// decimals to tell a tenth of its length.
func windowLabel(w schedtrace.Window) string {
	u := windowUnit(w)
	scale := map[string]float64{"µs": 1e3, "ms": 1e6, "s": 1e9}[u]
	res := float64(w.Len()) / 10 / scale
	dec := 0
	for dec < 9 && res < 1 {
		res *= 10
		dec++
	}
	f := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/scale, 'f', dec, 64) }
	return f(w.From) + "–" + f(w.To) + " " + u
}

// traceUnit picks the time unit of an axis over a window of length l.
func traceUnit(l time.Duration) (name string, unit time.Duration) {
	switch {
	case l < 2*time.Millisecond:
		return "µs", time.Microsecond
	case l < 2*time.Second:
		return "ms", time.Millisecond
	}
	return "s", time.Second
}

// traceTicks picks a 1-2-5 step, in unit, whose labels (offsets from the
// window's start) fit between ticks over gw pixels.
func traceTicks(w schedtrace.Window, unit time.Duration, gw int, f *fonts) []timeTick {
	span := float64(w.Len()) / float64(unit)
	for e := -3; e <= 9; e++ {
		for _, m := range []float64{1, 2, 5} {
			st := m * math.Pow10(e)
			dec := max(0, -e)
			format := func(t float64) string { return strconv.FormatFloat(t, 'f', dec, 64) }
			if st/span*float64(gw) < float64(f.width(faceLabel, format(span))+3*labelGap) {
				continue
			}
			var ts []timeTick
			for k := 0.0; k*st <= span*(1+1e-9); k++ {
				ts = append(ts, timeTick{k * st, format(k * st)})
			}
			return ts
		}
	}
	return []timeTick{{0, "0"}}
}

// layoutTrace lays out the picture of tr's window.
func layoutTrace(tr *schedtrace.Trace, opts TraceOptions, lanes traceLanes, f *fonts) (*traceShape, error) {
	win := opts.window(tr)
	gw := cmp.Or(opts.Width, DefaultGridWidth)
	budget := cmp.Or(opts.Height, DefaultGridHeight/2)
	maxThreads := cmp.Or(opts.MaxThreads, DefaultMaxTraceThreads)

	sh := &traceShape{title: cmp.Or(opts.Title, "Scheduler trace"), win: win, gw: gw, cpus: tr.CPUs}
	sh.swatches = []color.RGBA{colLaneBG, colRunnable, colAsleep, colHeld, colWanted, colFailed, colDropRequest, colForced}
	// CPU hues.
	okabe := OkabeIto()
	sh.cpuHue = map[int]uint8{}
	cpuUsed := map[int]bool{}
	for _, s := range tr.Slices {
		cpuUsed[s.CPU] = true
	}
	nc := 0
	for _, c := range tr.CPUs {
		if cpuUsed[c] {
			sh.cpuHue[c] = uint8(swFixed + nc%len(okabe))
			nc++
		}
	}
	for i := range min(nc, len(okabe)) {
		sh.swatches = append(sh.swatches, okabe[i])
	}
	// Thread hues, in TID order over the whole trace so that a thread keeps
	// its colour from window to window.
	tol := TolMuted()
	base := uint8(len(sh.swatches))
	order := threadOrder(tr)
	sh.threadHue = map[int]uint8{}
	for i, tid := range order {
		sh.threadHue[tid] = base + uint8(i%len(tol))
	}
	for i := range min(len(order), len(tol)) {
		sh.swatches = append(sh.swatches, tol[i])
	}

	// Threads with lanes: those that ran most in the window.
	ran := map[int]time.Duration{}
	for _, s := range tr.Slices {
		if win.Overlaps(s.Start, s.End) {
			ran[s.TID] += min(s.End, win.To) - max(s.Start, win.From)
		}
	}
	shown := slices.Collect(func(yield func(int) bool) {
		for tid := range ran {
			if !yield(tid) {
				return
			}
		}
	})
	slices.SortFunc(shown, func(a, b int) int { return cmp.Or(cmp.Compare(ran[b], ran[a]), cmp.Compare(a, b)) })
	hidden := max(len(shown)-maxThreads, 0)
	shown = shown[:min(len(shown), maxThreads)]
	slices.Sort(shown)
	sh.threads = shown
	isGIL := len(tr.GIL) > 0

	// Subtitle lines.
	unitName, unit := traceUnit(win.Len())
	sub := []string{fmt.Sprintf("%s of a %s trace · upper lanes: CPUs, coloured by thread · lower lanes: threads, coloured by CPU",
		windowLabel(win), schedtrace.FormatDuration(tr.Duration))}
	if hidden > 0 {
		sub = append(sub, fmt.Sprintf("of the %d threads that ran in the window, the %d that ran most have lanes", hidden+len(shown), len(shown)))
	}
	if l := tr.LostSentence(); l != "" {
		sub = append(sub, l)
	}

	// Left labels.
	cpuLabels := make([]string, len(tr.CPUs))
	labelW := 0
	for i, c := range tr.CPUs {
		cpuLabels[i] = "cpu" + strconv.Itoa(c)
		labelW = max(labelW, f.width(faceLabel, cpuLabels[i]))
	}
	threadLabels := make([]string, len(shown))
	for i, tid := range shown {
		threadLabels[i] = threadLabel(tr, tid)
		labelW = max(labelW, f.width(faceLabel, threadLabels[i]))
	}
	sh.gx = pad + labelW + labelGap
	gx := sh.gx

	y := pad
	sh.texts = append(sh.texts, text{x: pad, y: y + f.titleAsc, s: sh.title, face: faceTitle})
	wantW := pad + f.width(faceTitle, sh.title) + pad
	y += f.titleH
	for _, s := range sub {
		sh.texts = append(sh.texts, text{x: pad, y: y + f.asc, s: s})
		wantW = max(wantW, pad+f.width(faceLabel, s)+pad)
		y += f.lineH
	}
	y += labelGap
	top := y

	// CPU lanes.
	laneH := min(max(budget/len(tr.CPUs), 2), 16)
	laneGap := 0
	if laneH >= 8 {
		laneGap = 2
	}
	for range tr.CPUs {
		sh.cpuY = append(sh.cpuY, [2]int{y, y + laneH})
		y += laneH + laneGap
	}
	cpuBottom := y - laneGap
	// Label as many CPU lanes as fit, every step-th.
	step := 1
	for step*(laneH+laneGap) < f.lineH {
		step++
	}
	for i := 0; i < len(tr.CPUs); i += step {
		cy := (sh.cpuY[i][0] + sh.cpuY[i][1]) / 2
		sh.texts = append(sh.texts, text{x: gx - labelGap, y: cy + (f.asc-f.desc)/2, s: cpuLabels[i], anchor: anchorEnd})
	}

	// Thread lanes.
	y = cpuBottom + 3*labelGap
	const stateH, gilH, threadGap = 14, 6, 4
	for range shown {
		sh.threadY = append(sh.threadY, [2]int{y, y + stateH})
		y += stateH
		if isGIL {
			sh.gilY = append(sh.gilY, [2]int{y + 1, y + 1 + gilH})
			y += 1 + gilH
		}
		y += threadGap
	}
	bottom := y - threadGap
	if len(shown) == 0 {
		bottom = cpuBottom
	}
	for i := range shown {
		cy := (sh.threadY[i][0] + sh.threadY[i][1]) / 2
		if isGIL {
			cy = (sh.threadY[i][0] + sh.gilY[i][1]) / 2
		}
		sh.texts = append(sh.texts, text{x: gx - labelGap, y: cy + (f.asc-f.desc)/2, s: threadLabels[i], anchor: anchorEnd})
	}

	// Lane backgrounds, then the slices and states over them.
	span := float64(win.Len())
	xOf := func(d time.Duration) float64 { return float64(gx) + float64(d-win.From)/span*float64(gw) }
	cpuRow := map[int]int{}
	for i, c := range tr.CPUs {
		cpuRow[c] = i
		sh.rects = append(sh.rects, trect{float64(gx), float64(gx + gw), sh.cpuY[i][0], sh.cpuY[i][1], swLaneBG, ""})
	}
	for _, s := range tr.Slices {
		if !win.Overlaps(s.Start, s.End) {
			continue
		}
		r := sh.cpuY[cpuRow[s.CPU]]
		tip := fmt.Sprintf("cpu%d · %s · %s–%s (%s)", s.CPU, threadLabel(tr, s.TID),
			schedtrace.FormatDuration(s.Start), schedtrace.FormatDuration(s.End), schedtrace.FormatDuration(s.Len()))
		sh.rects = append(sh.rects, trect{xOf(max(s.Start, win.From)), xOf(min(s.End, win.To)), r[0], r[1], sh.threadHue[s.TID], tip})
	}
	for i, tid := range shown {
		r := sh.threadY[i]
		mid := (r[0] + r[1]) / 2
		name := threadLabel(tr, tid)
		for _, sp := range lanes.states[tid] {
			if !win.Overlaps(sp.Start, sp.End) {
				continue
			}
			x0, x1 := xOf(max(sp.Start, win.From)), xOf(min(sp.End, win.To))
			tip := fmt.Sprintf("%s · %s · %s–%s", name, sp.State, schedtrace.FormatDuration(sp.Start), schedtrace.FormatDuration(sp.End))
			switch sp.State {
			case schedtrace.Running:
				tip = fmt.Sprintf("%s · running on cpu%d · %s–%s", name, sp.CPU, schedtrace.FormatDuration(sp.Start), schedtrace.FormatDuration(sp.End))
				sh.rects = append(sh.rects, trect{x0, x1, r[0], r[1], sh.cpuHue[sp.CPU], tip})
			case schedtrace.Runnable:
				sh.rects = append(sh.rects, trect{x0, x1, mid - 3, mid + 3, swRunnable, tip})
			case schedtrace.Asleep:
				sh.rects = append(sh.rects, trect{x0, x1, mid, mid + 1, swAsleep, tip})
			}
		}
		if !isGIL {
			continue
		}
		g := sh.gilY[i]
		for _, sp := range lanes.gil[tid] {
			if !win.Overlaps(sp.Start, sp.End) {
				continue
			}
			sw, what := uint8(swHeld), "holds the GIL"
			if sp.State == schedtrace.GILWanted {
				sw, what = swWanted, "wants the GIL"
			}
			tip := fmt.Sprintf("%s · %s · %s–%s", name, what, schedtrace.FormatDuration(sp.Start), schedtrace.FormatDuration(sp.End))
			sh.rects = append(sh.rects, trect{xOf(max(sp.Start, win.From)), xOf(min(sp.End, win.To)), g[0], g[1], sw, tip})
		}
	}
	if isGIL {
		row := map[int]int{}
		for i, tid := range shown {
			row[tid] = i
		}
		for _, e := range tr.GIL {
			i, ok := row[int(e.TID)]
			if !ok || e.Time < win.From || e.Time >= win.To {
				continue
			}
			x, top, bot := xOf(e.Time), sh.threadY[i][0], sh.gilY[i][1]
			at := schedtrace.FormatDuration(e.Time)
			switch e.Kind {
			case schedtrace.GILFailedWake:
				tip := fmt.Sprintf("%s · failed wake-up at %s", threadLabel(tr, int(e.TID)), at)
				sh.rects = append(sh.rects, trect{x - 1, x + 1, top, bot, swFailed, tip})
			case schedtrace.GILDropRequest:
				tip := fmt.Sprintf("%s · asks the holder to drop the GIL at %s", threadLabel(tr, int(e.TID)), at)
				sh.rects = appendMark(sh.rects, x, float64(gx), float64(gx+gw), top, bot, false, swDropRequest, tip)
			case schedtrace.GILForcedSwitch:
				tip := fmt.Sprintf("%s · dropped the GIL on request, waits for another thread to take it (forced switch) at %s", threadLabel(tr, int(e.TID)), at)
				sh.rects = appendMark(sh.rects, x, float64(gx), float64(gx+gw), top, bot, true, swForced, tip)
			}
		}
	}

	// Frame and time axis.
	sh.lines = append(sh.lines,
		line{gx - 1, top - 1, gx + gw, top - 1, false},
		line{gx - 1, bottom, gx + gw, bottom, false},
		line{gx - 1, top - 1, gx - 1, bottom, false},
		line{gx + gw, top - 1, gx + gw, bottom, false})
	ay := bottom + 1
	right := gx + gw
	for _, tk := range traceTicks(win, unit, gw, f) {
		x := gx + int(math.Round(tk.t*float64(unit)/span*float64(gw)))
		x = min(x, gx+gw-1)
		sh.lines = append(sh.lines, line{x, ay, x, ay + tickLen - 1, false})
		sh.texts = append(sh.texts, text{x: x, y: ay + tickLen + 1 + f.asc, s: tk.label, anchor: anchorMiddle})
		right = max(right, x+f.width(faceLabel, tk.label)/2)
	}
	from, _, _ := strings.Cut(windowLabel(win), "–")
	if u := windowUnit(win); !strings.HasSuffix(from, u) {
		from += " " + u
	}
	caption := "time (" + unitName + ") from " + from + " into the trace"
	cy := ay + tickLen + 1 + f.lineH + f.asc
	sh.texts = append(sh.texts, text{x: gx + gw/2, y: cy, s: caption, anchor: anchorMiddle})
	bottom = cy + f.desc

	// Legend, right of the lanes.
	lx := right + 3*labelGap
	ly := top
	heading := func(s string) {
		sh.texts = append(sh.texts, text{x: lx, y: ly + f.asc, s: s})
		wantW = max(wantW, lx+f.width(faceLabel, s)+pad)
		ly += f.lineH + 2
	}
	type box struct {
		sw     uint8
		h0, h1 int // rows of the box that are coloured, from its top
	}
	entry := func(b box, label string) {
		sz := f.asc
		sh.rects = append(sh.rects, trect{float64(lx), float64(lx + sz), ly + 2 + b.h0, ly + 2 + min(b.h1, sz), b.sw, ""})
		sh.texts = append(sh.texts, text{x: lx + sz + labelGap, y: ly + f.asc + 1, s: label})
		wantW = max(wantW, lx+sz+labelGap+f.width(faceLabel, label)+pad)
		ly += f.lineH + 2
	}
	full := 1 << 10
	heading("threads")
	for _, tid := range shown {
		entry(box{sh.threadHue[tid], 0, full}, threadLabel(tr, tid))
	}
	if len(order) > len(tol) {
		entry(box{swLaneBG, 0, 0}, fmt.Sprintf("(colours repeat every %d threads)", len(tol)))
	}
	ly += f.lineH / 2
	heading("CPUs")
	var used []int
	for _, c := range tr.CPUs {
		if _, ok := sh.cpuHue[c]; ok {
			used = append(used, c)
		}
	}
	for i, c := range used {
		if i == len(okabe) {
			break
		}
		label := "cpu" + strconv.Itoa(c)
		// With more CPUs than colours, each colour stands for several.
		for j, n := i+len(okabe), 0; j < len(used); j += len(okabe) {
			if n++; n == 3 {
				label += ", …"
				break
			}
			label += ", " + strconv.Itoa(used[j])
		}
		entry(box{sh.cpuHue[c], 0, full}, label)
		sh.cpuLegend = append(sh.cpuLegend, legendItem{label, hexOf(sh.swatches[sh.cpuHue[c]])})
	}
	ly += f.lineH / 2
	heading("thread states")
	entry(box{swRunnable, f.asc/2 - 3, f.asc/2 + 3}, "runnable: waiting for a CPU")
	entry(box{swAsleep, f.asc / 2, f.asc/2 + 1}, "asleep")
	if isGIL {
		entry(box{swHeld, 0, full}, "holds the GIL")
		entry(box{swWanted, 0, full}, "wants the GIL")
		entry(box{swFailed, 0, full}, "failed wake-up: lock taken again")
		// A mark has a legend entry when the trace has one: Python 2
		// makes no drop requests.
		mark := func(up bool, sw uint8, label string) {
			sz := f.asc
			sh.rects = appendMark(sh.rects, float64(lx+sz/2), float64(lx), float64(lx+sz), ly+2, ly+2+sz, up, sw, "")
			sh.texts = append(sh.texts, text{x: lx + sz + labelGap, y: ly + f.asc + 1, s: label})
			wantW = max(wantW, lx+sz+labelGap+f.width(faceLabel, label)+pad)
			ly += f.lineH + 2
		}
		if hasGIL(tr, schedtrace.GILDropRequest) {
			mark(false, swDropRequest, "drop request: a waiter asks the holder to drop the GIL")
		}
		if hasGIL(tr, schedtrace.GILForcedSwitch) {
			mark(true, swForced, "forced switch: the holder dropped it on request, waits for a taker")
		}
	}
	bottom = max(bottom, ly)
	sh.w = max(wantW, right+pad)
	sh.h = bottom + pad
	if sh.w*sh.h > maxPixels {
		return nil, fmt.Errorf("heatmap: picture of %d×%d pixels is too large", sh.w, sh.h)
	}
	return sh, nil
}

// hasGIL reports whether tr has a GIL event of kind k.
func hasGIL(tr *schedtrace.Trace, k schedtrace.GILEventKind) bool {
	return slices.ContainsFunc(tr.GIL, func(e schedtrace.GILEvent) bool { return e.Kind == k })
}

// markHead is how many rows a mark's head takes: rows 9, 7, 5 and 3 pixels
// wide, a pointer.
const markHead = 4

// appendMark appends a GIL mark at x over the rows [top, bot), cut to the
// columns [lo, hi): a 1-pixel stem the whole height and a pointer at the
// top pointing down (a drop request, which comes from outside the lock)
// or, with up, at the bottom pointing up (a forced switch, out of the
// lock band).
func appendMark(rects []trect, x, lo, hi float64, top, bot int, up bool, sw uint8, tip string) []trect {
	c := math.Floor(x)
	rects = append(rects, trect{c, c + 1, top, bot, sw, tip})
	for k := range markHead {
		half := float64(markHead - k)
		y := top + k
		if up {
			y = bot - 1 - k
		}
		if x0, x1 := max(c-half, lo), min(c+half+1, hi); x0 < x1 {
			rects = append(rects, trect{x0, x1, y, y + 1, sw, tip})
		}
	}
	return rects
}

// pixels returns the pixel columns [a, b) a rect covers: every column its
// span touches, and at least one, so that a slice too short for a pixel
// still shows.
func (r trect) pixels() (a, b int) {
	a = int(math.Floor(r.x0))
	b = max(int(math.Ceil(r.x1)), a+1)
	return a, b
}

// raster draws the shape as a paletted image.
func (sh *traceShape) raster() *image.Paletted {
	pal := uiPalette()
	for _, s := range sh.swatches {
		pal = append(pal, s)
	}
	img := image.NewPaletted(image.Rect(0, 0, sh.w, sh.h), pal)
	for _, r := range sh.rects {
		a, b := r.pixels()
		a, b = max(a, 0), min(b, sh.w)
		for y := max(r.y0, 0); y < min(r.y1, sh.h); y++ {
			row := img.Pix[img.PixOffset(0, y):][:sh.w]
			for x := a; x < b; x++ {
				row[x] = idxSwatch + r.sw
			}
		}
	}
	for _, ln := range sh.lines {
		for y := ln.y0; y <= ln.y1; y++ {
			for x := ln.x0; x <= ln.x1; x++ {
				img.SetColorIndex(x, y, idxAxis)
			}
		}
	}
	f := newFonts()
	for _, t := range sh.texts {
		x := t.x
		switch t.anchor {
		case anchorMiddle:
			x -= f.width(t.face, t.s) / 2
		case anchorEnd:
			x -= f.width(t.face, t.s)
		}
		drawText(img, f.face(t.face), x, t.y, t.s)
	}
	return img
}

// scene converts the shape to the vector scene the SVG writer draws.
func (sh *traceShape) scene() *scene {
	sc := &scene{Title: sh.title, W: sh.w, H: sh.h}
	for _, r := range sh.rects {
		w := r.x1 - r.x0
		x := r.x0
		if w < 1 {
			// As in the raster: a slice too short for a pixel still shows.
			x, w = r.x0-(1-w)/2, 1
		}
		sc.Cells = append(sc.Cells, rect{x, float64(r.y0), w, float64(r.y1 - r.y0), hexOf(sh.swatches[r.sw]), r.tip})
	}
	for _, ln := range sh.lines {
		sc.Lines = append(sc.Lines, vline{float64(ln.x0) + 0.5, float64(ln.y0) + 0.5, float64(ln.x1) + 0.5, float64(ln.y1) + 0.5, false})
	}
	for _, t := range sh.texts {
		sc.Texts = append(sc.Texts, vectorText(t))
	}
	return sc
}
