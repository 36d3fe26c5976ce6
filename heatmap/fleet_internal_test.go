package heatmap

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/google/go-cmp/cmp"
)

var fleetT0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// fleetRec makes a recording of host whose core ids[k] is busy[k] in every
// sample, n samples of step from fleetT0+offset.
func fleetRec(host string, ids []int, busy []float64, n int, step, offset time.Duration) *cpuwatch.Recording {
	rec := &cpuwatch.Recording{DataID: host, Interval: step, Host: cpuwatch.Host{Hostname: host}}
	for i := range n {
		s := cpuwatch.Sample{Time: fleetT0.Add(offset + time.Duration(i+1)*step), Elapsed: step}
		for k, id := range ids {
			s.Cores = append(s.Cores, cpuwatch.CoreUsage{ID: id, Usage: cpuwatch.Usage{User: busy[k], Idle: 1 - busy[k]}})
		}
		rec.Append(s)
	}
	return rec
}

func testFleet() []*cpuwatch.Recording {
	return []*cpuwatch.Recording{
		fleetRec("web-2", []int{0, 1}, []float64{1, 0}, 10, time.Second, 0),
		// Listed out of order: rows are by CPU id, numerically.
		fleetRec("web-10", []int{10, 2}, []float64{0, 0.5}, 5, 2*time.Second, 0),
		// Only the second half of the span.
		fleetRec("db", []int{0}, []float64{0.25}, 5, time.Second, 5*time.Second),
	}
}

func TestFleetChartRows(t *testing.T) {
	c, err := fleetChart(testFleet(), Options{}, true, forVector)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"web-2 · cpu0", "cpu1", "web-10 · cpu2", "cpu10", "db · cpu0"}, c.rows); diff != "" {
		t.Errorf("rows mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{2, 4}, c.breaks); diff != "" {
		t.Errorf("breaks mismatch (-want +got):\n%s", diff)
	}
	// One column per second, the finest host's step, over 10 s.
	if c.cols != 10 || !c.clock.Equal(fleetT0) || c.t1 != 10 {
		t.Fatalf("cols %d clock %v t1 %v, want 10, %v, 10", c.cols, c.clock, c.t1, fleetT0)
	}
	level := func(v float64) uint8 { return uint8(1 + int(v*(levels-1)+0.5)) }
	for _, tt := range []struct {
		row  int
		want []uint8
	}{
		{0, repeat(level(1), 10)},
		{1, repeat(level(0), 10)},
		{2, repeat(level(0.5), 10)},
		{3, repeat(level(0), 10)},
		{4, append(repeat(0, 5), repeat(level(0.25), 5)...)}, // grey before db's samples
	} {
		if diff := cmp.Diff(tt.want, c.cells[tt.row*c.cols:(tt.row+1)*c.cols]); diff != "" {
			t.Errorf("row %d (%s) cells mismatch (-want +got):\n%s", tt.row, c.rows[tt.row], diff)
		}
	}
	for _, tt := range []struct {
		row, col int
		want     string
	}{
		{0, 0, "web-2 · cpu0 · 12:00:00–12:00:01 UTC · busy 100.0 % · user 100.0 % · system 0.0 %"},
		{3, 9, "web-10 · cpu10 · 12:00:09–12:00:10 UTC · busy 0.0 % · user 0.0 % · system 0.0 %"},
		{4, 2, "db · cpu0 · 12:00:02–12:00:03 UTC · no data"},
	} {
		if got := c.tip(tt.row, tt.col); got != tt.want {
			t.Errorf("tip(%d, %d) = %q, want %q", tt.row, tt.col, got, tt.want)
		}
	}
}

func repeat(v uint8, n int) []uint8 {
	out := make([]uint8, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestFleetChartDistribution(t *testing.T) {
	c, err := fleetChart(testFleet(), Options{MaxRows: 4}, true, forVector)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.rows) != DefaultBuckets || !strings.Contains(c.subtitle, "distribution of 5 CPUs on 3 hosts") {
		t.Fatalf("%d rows, subtitle %q; want %d buckets across 5 CPUs on 3 hosts", len(c.rows), c.subtitle, DefaultBuckets)
	}
	// Column 0: web-2's cpu0 alone is in the top bucket; the bottom holds
	// web-2 cpu1 and web-10 cpu10 (db has no sample yet).
	if got, want := c.tip(0, 0), "12:00:00–12:00:01 UTC · busy 95–100 %: 1 CPUs (web-2 · cpu0)"; got != want {
		t.Errorf("tip(0, 0) = %q, want %q", got, want)
	}
	if got, want := c.tip(DefaultBuckets-1, 0), "12:00:00–12:00:01 UTC · busy 0–5 %: 2 CPUs (web-2 · cpu1, web-10 · cpu10)"; got != want {
		t.Errorf("tip(bottom, 0) = %q, want %q", got, want)
	}
}

func TestHostName(t *testing.T) {
	long := strings.Repeat("n", 50)
	tests := []struct {
		in             string
		raster, vector string
	}{
		{"web-01.example.com:9100", "web-01.example.com:9100", "web-01.example.com:9100"},
		{"evil\x1b[31mhost\x07", "evil?[31mhost?", "evil?[31mhost?"},
		{"right\u202eto\u200bleft", "right?to?left", "right?to?left"},
		{"  two \t\n words ", "two words", "two words"},
		{"bad\xffutf8", "bad?utf8", "bad?utf8"},
		{"日本-1", "??-1", "日本-1"},
		{"<script>&", "<script>&", "<script>&"}, // escaped by the writers
		{long, long[:maxNameLen] + "…", long[:maxNameLen] + "…"},
		{"", "(unnamed)", "(unnamed)"},
		{"\x00\x01", "??", "??"},
	}
	for _, tt := range tests {
		if got := hostName(tt.in, forRaster); got != tt.raster {
			t.Errorf("hostName(%q, forRaster) = %q, want %q", tt.in, got, tt.raster)
		}
		if got := hostName(tt.in, forVector); got != tt.vector {
			t.Errorf("hostName(%q, forVector) = %q, want %q", tt.in, got, tt.vector)
		}
	}
}

func TestFleetChartErrors(t *testing.T) {
	noTime := fleetRec("x", []int{0}, []float64{1}, 3, time.Second, 0)
	mutate(noTime, func(ss []cpuwatch.Sample) { ss[1].Time = time.Time{} })
	backwards := fleetRec("y", []int{0}, []float64{1}, 3, time.Second, 0)
	mutate(backwards, func(ss []cpuwatch.Sample) { ss[2].Time = fleetT0 })
	badFrac := fleetRec("z", []int{0}, []float64{1.5}, 3, time.Second, 0)
	tests := []struct {
		name string
		recs []*cpuwatch.Recording
		opts Options
		bad  bool // wraps ErrBadRecording
		want string
	}{
		{"none", nil, Options{}, true, "fleet of no recordings"},
		{"nil", []*cpuwatch.Recording{nil}, Options{}, true, "fleet recording 0 is nil"},
		{"empty", []*cpuwatch.Recording{{DataID: "e"}}, Options{}, true, `recording "e": recording has no samples`},
		{"no time", []*cpuwatch.Recording{noTime}, Options{}, true, `host "x": sample 1 has no time`},
		{"backwards", []*cpuwatch.Recording{backwards}, Options{}, true, `host "y": sample 2 ends at`},
		{"bad fraction", []*cpuwatch.Recording{badFrac}, Options{}, true, "out of [0, 1] (host \"z\")"},
		{"group by core", testFleet(), Options{GroupByCore: true}, false, "grouped by host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fleetChart(tt.recs, tt.opts, false, forRaster)
			if err == nil || !strings.HasPrefix(err.Error(), "heatmap: ") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want a heatmap: error saying %q", err, tt.want)
			}
			if errors.Is(err, ErrBadRecording) != tt.bad {
				t.Errorf("errors.Is(%v, ErrBadRecording) = %v, want %v", err, !tt.bad, tt.bad)
			}
		})
	}
}

// fleetOf returns hosts recordings of cores cores each, core k of host h
// busy when k ≡ h (mod 2), over n one-second samples.
func fleetOf(hosts, cores, n int, name func(h int) string) []*cpuwatch.Recording {
	var recs []*cpuwatch.Recording
	for h := range hosts {
		busy := make([]float64, cores)
		ids := make([]int, cores)
		for k := range cores {
			ids[k] = k
			if k%2 == h%2 {
				busy[k] = 1
			}
		}
		recs = append(recs, fleetRec(name(h), ids, busy, n, time.Second, 0))
	}
	return recs
}

func TestWriteFleetHTMLEscapesNames(t *testing.T) {
	recs := fleetOf(2, 2, 5, func(h int) string { return []string{"<script>alert(1)</script>", "a&b\x1b"}[h] })
	for _, w := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"html", func(b *bytes.Buffer) error { return WriteFleetHTML(b, recs, Options{}) }},
		{"svg", func(b *bytes.Buffer) error { return WriteFleetSVG(b, recs, Options{}) }},
	} {
		var buf bytes.Buffer
		if err := w.write(&buf); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if strings.Contains(out, "<script>alert") || strings.Contains(out, "\x1b") {
			t.Errorf("%s: a host name reaches the page unescaped", w.name)
		}
		if w.name == "html" {
			p := parsePage(t, out)
			if !slices.ContainsFunc(p.tips, func(s string) bool {
				return s == "<script>alert(1)</script> · cpu0 · 12:00:00–12:00:01 UTC · busy 100.0 % · user 100.0 % · system 0.0 %"
			}) {
				t.Errorf("no hover text names host, core, time and values; first: %q", p.tips[0])
			}
			if !slices.Contains(p.texts, "a&b? · cpu0") {
				t.Errorf("row labels %q lack the second host's, sanitised", p.texts)
			}
		}
	}
}
