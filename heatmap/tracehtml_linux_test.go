//go:build linux

package heatmap_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/heatmap"
	"github.com/corescope/corescope/internal/tracefake"
	"github.com/corescope/corescope/schedtrace"
)

// pageState is window.corescope as the page keeps it.
type pageState struct {
	From  float64 `json:"from"`
	To    float64 `json:"to"`
	Drawn int     `json:"drawn"`
	Draws int     `json:"draws"`
}

// window returns the page's window in whole ns, widened to them: a slice
// with integer times overlaps the page's window exactly when it overlaps
// this one.
func (p pageState) window() schedtrace.Window {
	return schedtrace.Window{From: time.Duration(math.Floor(p.From)), To: time.Duration(math.Ceil(p.To))}
}

func TestTraceHTMLInBrowser(t *testing.T) {
	b := startBrowser(t)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()

	tr := tracefake.NewPy2(200 * time.Millisecond).Trace
	tr.Threads[1].Name = `</script><script>alert(1)</script>`
	tr.Lost = schedtrace.Lost{Kernel: 3}
	page := filepath.Join(t.TempDir(), "trace.html")
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := heatmap.WriteTraceHTML(f, tr, heatmap.TraceOptions{Title: "py2 storm"}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.open(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.call(ctx, "Page.navigate", map[string]any{"url": "file://" + page}, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.waitFor(ctx, "window.corescope && corescope.draws > 0"); err != nil {
		t.Fatal(err)
	}
	state := func() pageState {
		t.Helper()
		var s pageState
		if err := b.eval(ctx, "window.corescope", &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	check := func(what string, s pageState) {
		t.Helper()
		want := tr.Stats(s.window()).Slices
		if s.Drawn != want {
			t.Errorf("%s: page drew %d slices for %v, want the %d that overlap it", what, s.Drawn, s.window(), want)
		}
		if s.Drawn == 0 {
			t.Errorf("%s: nothing drawn", what)
		}
	}

	// It opens on the default window.
	s := state()
	if def := tr.DefaultWindow(); s.window() != def {
		t.Errorf("page opens on %v, want the default window %v", s.window(), def)
	}
	check("default window", s)

	// The URL's fragment sets the window.
	if err := b.eval(ctx, `location.hash = "#from=50ms&to=50.5ms"`, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.waitFor(ctx, "corescope.from === 50e6"); err != nil {
		t.Fatal(err)
	}
	s = state()
	if want := (schedtrace.Window{From: 50 * time.Millisecond, To: 50500 * time.Microsecond}); s.window() != want {
		t.Errorf("after #from=50ms&to=50.5ms the window is %v, want %v", s.window(), want)
	}
	check("window from the URL", s)

	// The wheel zooms in about the pointer, in the middle of the lanes.
	var box struct{ X, Y, W, H float64 }
	if err := b.eval(ctx, `(function () { var r = document.getElementById("lanes").getBoundingClientRect(); return {X: r.left, Y: r.top, W: r.width, H: r.height}; })()`, &box); err != nil {
		t.Fatal(err)
	}
	before := s
	cx, cy := box.X+box.W/2, box.Y+20
	if err := b.call(ctx, "Input.dispatchMouseEvent", map[string]any{"type": "mouseWheel", "x": cx, "y": cy, "deltaX": 0, "deltaY": -400}, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.waitFor(ctx, "corescope.draws > "+itoa(before.Draws)); err != nil {
		t.Fatal(err)
	}
	s = state()
	if span, was := s.To-s.From, before.To-before.From; !(span < was/2) {
		t.Errorf("wheel zoom: window %v → %v, want under half as long", before.window(), s.window())
	}
	if !(s.From > before.From && s.To < before.To) {
		t.Errorf("wheel zoom: window %v → %v, want inside the old one", before.window(), s.window())
	}
	check("after wheel zoom", s)
	if got := hashOf(t, b, ctx); !strings.HasPrefix(got, "#from=") {
		t.Errorf("after zooming the URL fragment is %q, want it to name the window", got)
	}

	// Dragging left pans later in time by the dragged share of the window.
	before = s
	for _, ev := range []map[string]any{
		{"type": "mousePressed", "x": cx, "y": cy, "button": "left", "buttons": 1, "clickCount": 1},
		{"type": "mouseMoved", "x": cx - 200, "y": cy, "button": "left", "buttons": 1},
		{"type": "mouseReleased", "x": cx - 200, "y": cy, "button": "left", "buttons": 0, "clickCount": 1},
	} {
		if err := b.call(ctx, "Input.dispatchMouseEvent", ev, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.waitFor(ctx, "corescope.from > "+ftoa(before.From)); err != nil {
		t.Fatal(err)
	}
	s = state()
	span := before.To - before.From
	if shift := s.From - before.From; math.Abs(shift-span*200/960) > span/100 {
		t.Errorf("drag by 200 px: window moved %.0f ns, want %.0f (200/960 of %.0f)", shift, span*200/960, span)
	}
	check("after drag", s)

	// The whole trace, from its button.
	if err := b.eval(ctx, `document.getElementById("whole").click()`, nil); err != nil {
		t.Fatal(err)
	}
	s = state()
	if s.From != 0 || s.To != float64(tr.Duration) || s.Drawn != len(tr.Slices) {
		t.Errorf("whole trace: window %v with %d slices drawn, want 0–%v with %d", s.window(), s.Drawn, tr.Duration, len(tr.Slices))
	}

	// A fragment that names no window leaves the window alone.
	before = s
	if err := b.eval(ctx, `location.hash = "#from=soon&to=1ms"`, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.eval(ctx, `new Promise(function (ok) { setTimeout(ok, 100); })`, nil); err != nil {
		t.Fatal(err)
	}
	if s = state(); s.From != before.From || s.To != before.To {
		t.Errorf("#from=soon&to=1ms moved the window from %v to %v", before.window(), s.window())
	}

	// The hostile thread name is text, not markup, and the lost events
	// are stated.
	var scripts int
	var body string
	if err := b.eval(ctx, `document.scripts.length`, &scripts); err != nil {
		t.Fatal(err)
	}
	if err := b.eval(ctx, `document.body.innerText`, &body); err != nil {
		t.Fatal(err)
	}
	if scripts != 2 {
		t.Errorf("page has %d script elements, want its own 2", scripts)
	}
	for _, want := range []string{"</script><script>alert(1)</script> (102)", "the kernel lost 3 scheduler events"} {
		if !strings.Contains(body, want) {
			t.Errorf("page text lacks %q", want)
		}
	}

	if dir := os.Getenv("TRACE_LOOK"); dir != "" {
		var shot struct {
			Data string `json:"data"`
		}
		if err := b.eval(ctx, `location.hash = "#from=50ms&to=50.3ms"`, nil); err == nil {
			if err := b.call(ctx, "Page.captureScreenshot", map[string]any{"format": "png"}, &shot); err == nil {
				png, _ := base64.StdEncoding.DecodeString(shot.Data)
				_ = os.WriteFile(filepath.Join(dir, "browser.png"), png, 0o644)
			}
		}
	}

	requests, exceptions := b.seen()
	for _, u := range requests {
		if !strings.HasPrefix(u, "file:") && !strings.HasPrefix(u, "data:") && u != "about:blank" {
			t.Errorf("page requested %s: it must load nothing from elsewhere", u)
		}
	}
	for _, e := range exceptions {
		t.Errorf("script exception: %s", e)
	}
}

func hashOf(t *testing.T, b *browser, ctx context.Context) string {
	t.Helper()
	var h string
	if err := b.eval(ctx, "location.hash", &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func itoa(n int) string     { return strconv.Itoa(n) }
func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// TestTraceHTMLMarksInBrowser loads a Python 3 page and checks that its
// thread lanes draw every drop request and forced switch in the window,
// and only those, as the window moves; and that the canvas has the
// marks' colours where the events are.
func TestTraceHTMLMarksInBrowser(t *testing.T) {
	b := startBrowser(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	tr := tracefake.NewPy3(100 * time.Millisecond)
	page := filepath.Join(t.TempDir(), "py3.html")
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := heatmap.WriteTraceHTML(f, tr, heatmap.TraceOptions{Title: "py3"}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.open(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.call(ctx, "Page.navigate", map[string]any{"url": "file://" + page}, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.waitFor(ctx, "window.corescope && corescope.draws > 0"); err != nil {
		t.Fatal(err)
	}
	type marks struct{ FW, DR, FS int }
	var body string
	if err := b.eval(ctx, `document.body.innerText`, &body); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"drop request: a waiter asks the holder", "forced switch: the holder dropped it on request"} {
		if !strings.Contains(body, want) {
			t.Errorf("page legend lacks %q", want)
		}
	}
	for _, w := range []schedtrace.Window{
		{},
		{From: 9990 * time.Microsecond, To: 10040 * time.Microsecond},
		{From: 0, To: tr.Duration},
		{From: 12 * time.Millisecond, To: 14 * time.Millisecond}, // none
	} {
		if !w.IsZero() {
			if err := b.eval(ctx, fmt.Sprintf("corescope.setWindow(%d, %d)", w.From, w.To), nil); err != nil {
				t.Fatal(err)
			}
		}
		var s struct {
			From, To float64
			Marks    marks
		}
		if err := b.eval(ctx, "({From: corescope.from, To: corescope.to, Marks: {FW: corescope.marks.fw, DR: corescope.marks.dr, FS: corescope.marks.fs}})", &s); err != nil {
			t.Fatal(err)
		}
		var want marks
		for _, e := range tr.GIL {
			if float64(e.Time) < s.From || float64(e.Time) >= s.To {
				continue
			}
			switch e.Kind {
			case schedtrace.GILFailedWake:
				want.FW++
			case schedtrace.GILDropRequest:
				want.DR++
			case schedtrace.GILForcedSwitch:
				want.FS++
			}
		}
		if s.Marks != want {
			t.Errorf("window %.0f–%.0f ns: page drew marks %+v, want %+v", s.From, s.To, s.Marks, want)
		}
	}

	// In the one-hand-off window, read the canvas: the drop request's
	// head is violet and the forced switch's brown, at the events'
	// columns.
	if err := b.eval(ctx, "corescope.setWindow(9990e3, 10040e3)", nil); err != nil {
		t.Fatal(err)
	}
	var px map[string][]int
	err = b.eval(ctx, `(function () {
	  var c = document.getElementById("lanes"), g = c.getContext("2d"), d = c.width / parseFloat(c.style.width);
	  var out = {}, img = g.getImageData(0, 0, c.width, c.height);
	  function at(x, y) { var i = (Math.round(y * d) * c.width + Math.round(x * d)) * 4; return [img.data[i], img.data[i+1], img.data[i+2]]; }
	  out.colours = [];
	  for (var y = 0; y < c.height / d; y++) { for (var x = 0; x < c.width / d; x++) {
	    var p = at(x, y), k = p.join(",");
	    if (k === "106,61,154" || k === "140,81,10") { out.colours.push(x, y, p[0]); }
	  } }
	  return out;
	})()`, &px)
	if err != nil {
		t.Fatal(err)
	}
	violet, brown := 0, 0
	for i := 0; i+2 < len(px["colours"]); i += 3 {
		if px["colours"][i+2] == 106 {
			violet++
		} else {
			brown++
		}
	}
	if violet == 0 || brown == 0 {
		t.Errorf("canvas of one hand-off has %d violet and %d brown pixels, want a drop request and a forced switch drawn", violet, brown)
	}
	if dir := os.Getenv("TRACE_LOOK"); dir != "" {
		var shot struct {
			Data string `json:"data"`
		}
		if err := b.call(ctx, "Page.captureScreenshot", map[string]any{"format": "png"}, &shot); err == nil {
			png, _ := base64.StdEncoding.DecodeString(shot.Data)
			_ = os.WriteFile(filepath.Join(dir, "browser-py3.png"), png, 0o644)
		}
	}
	_, exceptions := b.seen()
	for _, e := range exceptions {
		t.Errorf("script exception: %s", e)
	}
}
