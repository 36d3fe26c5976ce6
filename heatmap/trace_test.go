package heatmap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/tracefake"
	"github.com/corescope/corescope/schedtrace"
)

const us = time.Microsecond

// twoSlices is a 1 ms trace on two CPUs: thread 1 runs on cpu0 for
// 100–300 µs, sleeps until a wake-up at 500 µs and runs again on cpu0 at
// 600–700 µs; thread 2 runs on cpu1 for 400–900 µs.
func twoSlices() *schedtrace.Trace {
	tr := &schedtrace.Trace{
		Start:    tracefake.Start,
		Duration: time.Millisecond,
		CPUs:     []int{0, 1},
		Slices: []schedtrace.Slice{
			{CPU: 0, PID: 1, TID: 1, Start: 100 * us, End: 300 * us},
			{CPU: 1, PID: 1, TID: 2, Start: 400 * us, End: 900 * us},
			{CPU: 0, PID: 1, TID: 1, Start: 600 * us, End: 700 * us},
		},
		Wakeups: []schedtrace.Wakeup{{Time: 500 * us, Waker: 2, Wakee: 1, CPU: 0}},
		Threads: []schedtrace.Thread{{TID: 1, PID: 1, Name: "one"}, {TID: 2, PID: 1, Name: "two"}},
	}
	tracefake.Finish(tr)
	return tr
}

// decodeTrace writes tr as a PNG, decodes it and returns it with the
// shape it was drawn from.
func decodeTrace(t *testing.T, tr *schedtrace.Trace, opts TraceOptions) (image.Image, *traceShape) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteTracePNG(&buf, tr, opts); err != nil {
		t.Fatalf("WriteTracePNG: %v", err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("png.Decode: %v", err)
	}
	sh, err := traceShapeOf(tr, opts)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != sh.w || b.Dy() != sh.h {
		t.Fatalf("PNG is %v, want %d×%d", b, sh.w, sh.h)
	}
	return img, sh
}

func TestTracePixels(t *testing.T) {
	tr := twoSlices()
	img, sh := decodeTrace(t, tr, TraceOptions{Window: schedtrace.Window{To: time.Millisecond}, Width: 1000})
	// 1 pixel per µs.
	at := func(lane [2]int, t time.Duration) color.RGBA {
		return rgba(img.At(sh.gx+int(t/us), (lane[0]+lane[1])/2))
	}
	one, two := sh.swatches[sh.threadHue[1]], sh.swatches[sh.threadHue[2]]
	cpu0, cpu1 := sh.swatches[sh.cpuHue[0]], sh.swatches[sh.cpuHue[1]]
	if one == two || cpu0 == cpu1 || one == cpu0 {
		t.Fatalf("colours not distinct: threads %v %v, cpus %v %v", one, two, cpu0, cpu1)
	}
	if cpu0 != OkabeIto()[0] || cpu1 != OkabeIto()[1] || one != TolMuted()[0] || two != TolMuted()[1] {
		t.Errorf("palette: threads %v %v, cpus %v %v; want Tol's muted for threads and Okabe–Ito for CPUs", one, two, cpu0, cpu1)
	}

	// Every pixel of each CPU lane: the thread's colour inside its slices,
	// the lane's background outside them.
	for lane, want := range []func(x int) color.RGBA{
		func(x int) color.RGBA {
			if x >= 100 && x < 300 || x >= 600 && x < 700 {
				return one
			}
			return colLaneBG
		},
		func(x int) color.RGBA {
			if x >= 400 && x < 900 {
				return two
			}
			return colLaneBG
		},
	} {
		for y := sh.cpuY[lane][0]; y < sh.cpuY[lane][1]; y++ {
			for x := range 1000 {
				if got := rgba(img.At(sh.gx+x, y)); got != want(x) {
					t.Fatalf("cpu%d lane at %d µs, y=%d: %v, want %v", lane, x, y, got, want(x))
				}
			}
		}
	}

	// Thread lanes: running in the CPU's colour, asleep, runnable, and
	// nothing where the thread's state is unknown.
	for _, tc := range []struct {
		lane int
		t    time.Duration
		want color.RGBA
	}{
		{0, 50 * us, colBackground}, // before its first slice: unknown
		{0, 200 * us, cpu0},
		{0, 400 * us, colAsleep},
		{0, 550 * us, colRunnable},
		{0, 650 * us, cpu0},
		{0, 800 * us, colBackground}, // after its last: unknown
		{1, 600 * us, cpu1},
		{1, 200 * us, colBackground},
	} {
		if got := at(sh.threadY[tc.lane], tc.t); got != tc.want {
			t.Errorf("thread lane %d at %v: %v, want %v", tc.lane, tc.t, got, tc.want)
		}
	}
	// Asleep is a thin line: a pixel above the lane's middle is blank.
	r := sh.threadY[0]
	if got := rgba(img.At(sh.gx+400, r[0]+1)); got != colBackground {
		t.Errorf("asleep lane top at 400 µs: %v, want background", got)
	}
}

func TestTraceWindow(t *testing.T) {
	tr := twoSlices()
	// 200–400 µs over 400 pixels: 2 pixels per µs; slice 1 ends at 300.
	img, sh := decodeTrace(t, tr, TraceOptions{Window: schedtrace.Window{From: 200 * us, To: 400 * us}, Width: 400})
	one := sh.swatches[sh.threadHue[1]]
	y := (sh.cpuY[0][0] + sh.cpuY[0][1]) / 2
	for x := range 400 {
		want := colLaneBG
		if x < 200 {
			want = one
		}
		if got := rgba(img.At(sh.gx+x, y)); got != want {
			t.Fatalf("cpu0 at pixel %d of the window: %v, want %v", x, got, want)
		}
	}
	// Nothing is drawn right of the axis: the frame, then the legend's
	// margin.
	if got := rgba(img.At(sh.gx+401, y)); got != colBackground {
		t.Errorf("right of the lanes: %v, want background", got)
	}
}

func TestTraceDefaultWindow(t *testing.T) {
	py2 := tracefake.NewPy2(300 * time.Millisecond).Trace
	sh, err := traceShapeOf(py2, TraceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := py2.DefaultWindow(); sh.win != want {
		t.Errorf("zero Window draws %v, want the default %v", sh.win, want)
	}
	// A GIL run has a lock band under every thread lane, with failed
	// wake-ups drawn as red ticks.
	if len(sh.gilY) != 2 {
		t.Fatalf("GIL bands: %d, want 2", len(sh.gilY))
	}
	img := sh.raster()
	red := 0
	for y := sh.gilY[0][0]; y < sh.gilY[1][1]; y++ {
		for x := sh.gx; x < sh.gx+sh.gw; x++ {
			if rgba(img.At(x, y)) == colFailed {
				red++
			}
		}
	}
	if red == 0 {
		t.Error("no failed wake-up drawn on a Python 2 storm")
	}
	// No GIL band for a run without a GIL.
	sh, err = traceShapeOf(tracefake.NewProcesses(time.Second), TraceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sh.gilY) != 0 {
		t.Errorf("processes run has %d GIL bands, want none", len(sh.gilY))
	}
}

func TestTraceLostAndNames(t *testing.T) {
	tr := twoSlices()
	tr.Lost = schedtrace.Lost{Kernel: 7, GIL: 2}
	tr.Threads[0].Name = "<b>&x\x00\xff</b>"
	var buf bytes.Buffer
	if err := WriteTraceSVG(&buf, tr, TraceOptions{}); err != nil {
		t.Fatal(err)
	}
	texts := svgTexts(t, buf.Bytes())
	all := strings.Join(texts, "\n")
	for _, want := range []string{"the kernel lost 7 scheduler events and the GIL buffers lost 2 events", "<b>&x\uFFFD\uFFFD</b> (1)", "two (2)"} {
		if !strings.Contains(all, want) {
			t.Errorf("SVG texts lack %q:\n%s", want, all)
		}
	}
	sh, err := traceShapeOf(tr, TraceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, tx := range sh.texts {
		found = found || strings.Contains(tx.s, "lost 7")
	}
	if !found {
		t.Error("the PNG's texts do not state the lost events")
	}
}

// svgTexts parses an SVG document as XML and returns its <text> contents
// and <title>s.
func svgTexts(t *testing.T, doc []byte) []string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var out []string
	var in string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			in = tok.Name.Local
		case xml.CharData:
			if in == "text" || in == "title" {
				out = append(out, string(tok))
			}
		case xml.EndElement:
			in = ""
		}
	}
	return out
}

func TestTraceSVG(t *testing.T) {
	tr := tracefake.NewPy2(100 * time.Millisecond).Trace
	var buf bytes.Buffer
	if err := WriteTraceSVG(&buf, tr, TraceOptions{}); err != nil {
		t.Fatal(err)
	}
	texts := svgTexts(t, buf.Bytes())
	tips := 0
	for _, s := range texts {
		if strings.HasPrefix(s, "cpu") && strings.Contains(s, "gil-py2/") {
			tips++
		}
	}
	w := tr.DefaultWindow()
	if want := tr.Stats(w).Slices; tips != want {
		t.Errorf("SVG has %d slice titles, want the window's %d slices", tips, want)
	}
}

func TestTraceMany(t *testing.T) {
	tr := tracefake.NewMany(100 * time.Millisecond)
	img, sh := decodeTrace(t, tr, TraceOptions{})
	if len(sh.cpuY) != 256 || sh.cpuY[255][0]-sh.cpuY[0][0] < 255*2 {
		t.Errorf("256 CPUs in %d lanes from y=%d to %d", len(sh.cpuY), sh.cpuY[0][0], sh.cpuY[len(sh.cpuY)-1][0])
	}
	if len(sh.threads) != DefaultMaxTraceThreads {
		t.Errorf("%d thread lanes, want %d", len(sh.threads), DefaultMaxTraceThreads)
	}
	// cpu250 runs nothing: its lane stays blank.
	for x := sh.gx; x < sh.gx+sh.gw; x++ {
		if got := rgba(img.At(x, sh.cpuY[250][0])); got != colLaneBG {
			t.Fatalf("idle cpu250 at x=%d: %v, want lane background", x, got)
		}
	}
}

func TestTraceBadInput(t *testing.T) {
	good := twoSlices()
	for _, tc := range []struct {
		name string
		tr   *schedtrace.Trace
		opts TraceOptions
		want string
		bad  bool // wraps ErrBadTrace
	}{
		{"nil", nil, TraceOptions{}, "no trace", true},
		{"no cpus", &schedtrace.Trace{Duration: time.Second}, TraceOptions{}, "no CPUs", true},
		{"no duration", &schedtrace.Trace{CPUs: []int{0}}, TraceOptions{}, "duration", true},
		{"unknown cpu", &schedtrace.Trace{Duration: time.Second, CPUs: []int{0}, Slices: []schedtrace.Slice{{CPU: 3, End: 1}}}, TraceOptions{}, "cpu3", true},
		{"backwards slice", &schedtrace.Trace{Duration: time.Second, CPUs: []int{0}, Slices: []schedtrace.Slice{{Start: 5, End: 1}}}, TraceOptions{}, "before it starts", true},
		{"cpu twice", &schedtrace.Trace{Duration: time.Second, CPUs: []int{0, 0}}, TraceOptions{}, "twice", true},
		{"empty window", good, TraceOptions{Window: schedtrace.Window{From: 5, To: 5}}, "empty", false},
		{"width", good, TraceOptions{Width: -1}, "Width", false},
		{"threads", good, TraceOptions{MaxThreads: 1000}, "MaxThreads", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, write := range []func(io.Writer, *schedtrace.Trace, TraceOptions) error{WriteTracePNG, WriteTraceSVG} {
				err := write(io.Discard, tc.tr, tc.opts)
				if err == nil || !strings.HasPrefix(err.Error(), "heatmap: ") || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error %v, want one starting \"heatmap: \" naming %q", err, tc.want)
				}
				if errors.Is(err, ErrBadTrace) != tc.bad {
					t.Errorf("errors.Is(%v, ErrBadTrace) = %v, want %v", err, !tc.bad, tc.bad)
				}
			}
		})
	}
	// A window past the end shows the trace's last moment rather than
	// failing.
	if err := WriteTracePNG(io.Discard, good, TraceOptions{Window: schedtrace.Window{From: time.Hour, To: 2 * time.Hour}}); err != nil {
		t.Errorf("window past the end: %v", err)
	}
}

func TestTraceByFormat(t *testing.T) {
	tr := twoSlices()
	opts := TraceOptions{Title: "t"}
	dir := t.TempDir()
	for f, write := range map[Format]func(io.Writer, *schedtrace.Trace, TraceOptions) error{
		PNG: WriteTracePNG, SVG: WriteTraceSVG, HTML: WriteTraceHTML,
	} {
		var got, want bytes.Buffer
		if err := WriteTrace(&got, f, tr, opts); err != nil {
			t.Fatalf("WriteTrace(%v): %v", f, err)
		}
		if err := write(&want, tr, opts); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) || got.Len() == 0 {
			t.Errorf("WriteTrace(%v) wrote %d bytes unlike its own writer's %d", f, got.Len(), want.Len())
		}
		name := filepath.Join(dir, TraceFileName("run"+f.Ext()))
		if err := WriteTraceFile(name, tr, opts); err != nil {
			t.Fatalf("WriteTraceFile(%s): %v", name, err)
		}
		if b, err := os.ReadFile(name); err != nil || !bytes.Equal(b, want.Bytes()) {
			t.Errorf("%s holds %d bytes (%v), want %d", name, len(b), err, want.Len())
		}
	}
	if err := WriteTrace(io.Discard, Terminal, tr, opts); err == nil {
		t.Error("WriteTrace(Terminal) succeeded, want an error")
	}
	bad := filepath.Join(dir, "bad-trace.png")
	if err := WriteTraceFile(bad, &schedtrace.Trace{}, opts); !errors.Is(err, ErrBadTrace) {
		t.Errorf("WriteTraceFile of an empty trace = %v, want ErrBadTrace", err)
	}
	if _, err := os.Stat(bad); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s left behind after the error (stat: %v)", bad, err)
	}
	if got := TraceFileName("out/run.v1.png"); got != "out/run.v1-trace.png" {
		t.Errorf("TraceFileName = %q, want out/run.v1-trace.png", got)
	}
}

// TestTraceGILMarks finds Python 3's drop requests and forced switches in
// the decoded PNG where the events are, and nowhere else: a violet
// pointer at the top of the asking thread's lane, a brown one at the
// bottom of the holder's, each with a stem the height of the lane and its
// lock band; the SVG names each one in a <title>; the legend names both,
// and a Python 2 picture, which has neither, does not.
func TestTraceGILMarks(t *testing.T) {
	tr := tracefake.NewPy3(100 * time.Millisecond)
	for _, w := range []schedtrace.Window{
		{},                                    // the default
		{From: 9990 * us, To: 10040 * us},     // one hand-off, 50 µs
		{From: 20003 * us, To: 20053 * us},    // starting on a drop request
		{From: 0, To: 100 * time.Millisecond}, // all of it
	} {
		t.Run(fmt.Sprint(w), func(t *testing.T) {
			img, sh := decodeTrace(t, tr, TraceOptions{Window: w})
			span := float64(sh.win.Len())
			col := func(d time.Duration) int {
				return int(math.Floor(float64(sh.gx) + float64(d-sh.win.From)/span*float64(sh.gw)))
			}
			for _, mk := range []struct {
				kind schedtrace.GILEventKind
				c    color.RGBA
				up   bool
			}{
				{schedtrace.GILDropRequest, colDropRequest, false},
				{schedtrace.GILForcedSwitch, colForced, true},
			} {
				n := 0
				for i, tid := range sh.threads {
					top, bot := sh.threadY[i][0], sh.gilY[i][1]
					head := top
					if mk.up {
						head = bot - 1
					}
					// The head's widest row covers 9 columns about each
					// event's, cut to the time axis.
					want := map[int]bool{}
					for _, e := range tr.GIL {
						if int(e.TID) != tid || e.Kind != mk.kind || e.Time < sh.win.From || e.Time >= sh.win.To {
							continue
						}
						n++
						c := col(e.Time)
						for x := max(c-markHead, sh.gx); x <= min(c+markHead, sh.gx+sh.gw-1); x++ {
							want[x] = true
						}
						for y := top; y < bot; y++ {
							if got := rgba(img.At(c, y)); got != mk.c {
								t.Fatalf("%v of thread %d at %v: stem pixel (%d, %d) is %v, want %v", mk.kind, tid, e.Time, c, y, got, mk.c)
							}
						}
					}
					for x := sh.gx; x < sh.gx+sh.gw; x++ {
						if got := rgba(img.At(x, head)) == mk.c; got != want[x] {
							t.Fatalf("thread %d, row %d, column %d: %v mark drawn %v, want %v", tid, head, x, mk.kind, got, want[x])
						}
					}
				}
				if n == 0 && w.Len() > 200*us {
					t.Errorf("no %v in the window %v to look for", mk.kind, sh.win)
				}
			}
		})
	}

	// The SVG names every mark of the default window in its <title>s:
	// four rects (stem and head rows) each.
	var buf bytes.Buffer
	if err := WriteTraceSVG(&buf, tr, TraceOptions{}); err != nil {
		t.Fatal(err)
	}
	texts := svgTexts(t, buf.Bytes())
	count := func(sub string) int {
		n := 0
		for _, s := range texts {
			if strings.Contains(s, sub) {
				n++
			}
		}
		return n
	}
	win := tr.DefaultWindow()
	want := map[schedtrace.GILEventKind]int{}
	for _, e := range tr.GIL {
		if e.Time >= win.From && e.Time < win.To {
			want[e.Kind]++
		}
	}
	if want[schedtrace.GILDropRequest] == 0 || want[schedtrace.GILForcedSwitch] == 0 {
		t.Fatalf("default window %v has no drop request or forced switch: %v", win, want)
	}
	for _, tc := range []struct {
		kind schedtrace.GILEventKind
		sub  string
	}{
		{schedtrace.GILDropRequest, "asks the holder to drop the GIL at"},
		{schedtrace.GILForcedSwitch, "(forced switch) at"},
	} {
		// Each mark's stem and 4 head rows carry the title; a head row
		// cut away at the window's edge carries none.
		if got, n := count(tc.sub), want[tc.kind]; got < 2*n || got > (1+markHead)*n {
			t.Errorf("SVG has %d titles %q, want %d marks' worth", got, tc.sub, n)
		}
	}
	for _, legend := range []string{"drop request: a waiter asks the holder to drop the GIL", "forced switch: the holder dropped it on request"} {
		if count(legend) != 1 {
			t.Errorf("SVG legend lacks %q", legend)
		}
	}
	buf.Reset()
	if err := WriteTraceSVG(&buf, tracefake.NewPy2(100*time.Millisecond).Trace, TraceOptions{}); err != nil {
		t.Fatal(err)
	}
	if all := strings.Join(svgTexts(t, buf.Bytes()), "\n"); strings.Contains(all, "drop request") || strings.Contains(all, "forced switch") {
		t.Error("a Python 2 picture names drop requests or forced switches, which it has none of")
	}
}
