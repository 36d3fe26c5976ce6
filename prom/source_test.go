package prom_test

import (
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/prom"
	"github.com/google/go-cmp/cmp"
)

func constBusy(b float64) func(int) float64 { return func(int) float64 { return b } }

// busyOf returns each sample's busy fraction of core id, NaN where the
// sample lacks it.
func busyOf(rec *cpuwatch.Recording, id int) []float64 {
	var out []float64
	for _, s := range rec.All() {
		v := math.NaN()
		for _, c := range s.Cores {
			if c.ID == id {
				v = c.Busy()
			}
		}
		out = append(out, v)
	}
	return out
}

func ids(s cpuwatch.Sample) []int {
	var out []int
	for _, c := range s.Cores {
		out = append(out, c.ID)
	}
	return out
}

func approx(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.IsNaN(a[i]) != math.IsNaN(b[i]) || math.Abs(a[i]-b[i]) > tol {
			return false
		}
	}
	return true
}

func TestRecordings(t *testing.T) {
	f := &fakeProm{}
	const n = 21
	// Instances out of order, and cores 10 and 2: natural order puts
	// node2 before node10 and cpu2 before cpu10.
	for _, inst := range []string{"node10:9100", "node2:9100"} {
		f.node(inst, 10, n, 5000, constBusy(1), 0)
		f.node(inst, 2, n, 100, func(i int) float64 { return float64(i%2) * 0.5 }, 0.5)
	}
	src := prom.Source{Address: serve(t, f), Selector: `{job="node"}`, Step: 2 * time.Second}
	recs, err := src.Recordings(t.Context(), t0, t0.Add(20*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.DataID)
	}
	if diff := cmp.Diff([]string{"node2:9100", "node10:9100"}, got); diff != "" {
		t.Fatalf("instances mismatch (-want +got):\n%s", diff)
	}
	r := recs[0]
	if r.Len() != 10 {
		t.Fatalf("%d samples, want 10 (20 s at 2 s)", r.Len())
	}
	if diff := cmp.Diff([]int{2, 10}, ids(r.Sample(0))); diff != "" {
		t.Errorf("core ids mismatch (-want +got):\n%s", diff)
	}
	if r.Interval != 2*time.Second || r.Sample(0).Elapsed != 2*time.Second || !r.Sample(0).Time.Equal(t0.Add(2*time.Second)) || !r.Start.Equal(t0) {
		t.Errorf("interval %v, first sample %v at %v, start %v; want 2s, 2s at t0+2s, t0", r.Interval, r.Sample(0).Elapsed, r.Sample(0).Time, r.Start)
	}
	if r.Host.Hostname != "node2:9100" || r.Host.NumCPU != 2 || r.Host.UserHZ != 100 {
		t.Errorf("host %+v", r.Host)
	}
	if !slices0(r.Host.Notes, `labels: job="node"`) {
		t.Errorf("notes %q lack the shared labels", r.Host.Notes)
	}
	// cpu10 is pinned; cpu2 is busy every other second at 50 %: 25 % over
	// each 2 s step, half of it in a guest.
	for i, s := range r.All() {
		c2, c10 := s.Cores[0], s.Cores[1]
		if math.Abs(c10.Busy()-1) > 1e-9 || math.Abs(c2.Busy()-0.25) > 1e-9 {
			t.Fatalf("sample %d: busy cpu2 %v cpu10 %v, want 0.25 and 1", i, c2.Busy(), c10.Busy())
		}
		if math.Abs(c2.Guest-0.125) > 1e-9 || math.Abs(c2.User-0.125) > 1e-9 {
			t.Fatalf("sample %d: cpu2 user %v guest %v, want 0.125 each (guest out of user)", i, c2.User, c2.Guest)
		}
		if want := (1 + 0.25) / 2; math.Abs(s.Total.Busy()-want) > 1e-9 {
			t.Fatalf("sample %d: total busy %v, want %v", i, s.Total.Busy(), want)
		}
	}
}

func slices0(ss []string, want string) bool {
	for _, s := range ss {
		if s == want {
			return true
		}
	}
	return false
}

// TestRecordingsSplitsRange checks that long ranges become several queries
// of at most MaxPoints points, with the same result as one query.
func TestRecordingsSplitsRange(t *testing.T) {
	f := &fakeProm{}
	const n = 61
	f.node("a:1", 0, n, 0, func(i int) float64 { return float64(i%7) / 7 }, 0)
	url := serve(t, f)
	one := prom.Source{Address: url, Step: time.Second}
	want, err := one.Recordings(t.Context(), t0, t0.Add(60*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{61}, f.queries); diff != "" {
		t.Fatalf("unsplit queries' points mismatch (-want +got):\n%s", diff)
	}
	f.queries = nil
	split := prom.Source{Address: url, Step: time.Second, MaxPoints: 25}
	got, err := split.Recordings(t.Context(), t0, t0.Add(60*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{25, 25, 11}, f.queries); diff != "" {
		t.Errorf("split queries' points mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, got, viewRecordings); diff != "" {
		t.Errorf("split recording differs (-one query +split):\n%s", diff)
	}
}

func TestRecordingsConcurrencyBound(t *testing.T) {
	f := &fakeProm{hold: 20 * time.Millisecond}
	for _, inst := range []string{"a", "b", "c", "d", "e", "f"} {
		f.node(inst, 0, 3, 0, constBusy(0.5), 0)
	}
	src := prom.Source{Address: serve(t, f), Step: time.Second, Concurrency: 2}
	recs, err := src.Recordings(t.Context(), t0, t0.Add(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 6 || f.maxInflight > 2 {
		t.Errorf("%d recordings with up to %d queries at once, want 6 with at most 2", len(recs), f.maxInflight)
	}
}

// TestRecordingsGaps checks that a core with no value, a NaN or a reset in
// a step is left out of the samples that step ends or starts, never shown
// as idle, and that a step with no scrape leaves everything out.
func TestRecordingsGaps(t *testing.T) {
	f := &fakeProm{}
	const n = 8
	f.node("h", 0, n, 1000, constBusy(1), 0)
	f.node("h", 1, n, 1000, constBusy(1), 0)
	f.node("h", 2, n, 1000, constBusy(1), 0)
	for i := range f.series {
		s := &f.series[i]
		at := func(k int) int64 { return t0.Add(time.Duration(k) * time.Second).UnixMilli() }
		switch {
		case s.metric["cpu"] == "0" && s.metric["mode"] == "idle":
			delete(s.vals, at(2)) // missing at point 2
		case s.metric["cpu"] == "1" && s.metric["mode"] == "user" && s.metric["__name__"] == "node_cpu_seconds_total":
			s.vals[at(4)] = "NaN"
			s.vals[at(6)] = "3" // the exporter restarted: a reset
			s.vals[at(7)] = "4"
		}
	}
	src := prom.Source{Address: serve(t, f), Step: time.Second}
	recs, err := src.Recordings(t.Context(), t0, t0.Add(7*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	r := recs[0]
	nan := math.NaN()
	for _, tt := range []struct {
		id   int
		want []float64
	}{
		{0, []float64{1, nan, nan, 1, 1, 1, 1}},
		// Reset at 6: left out of 5→6; after it, 6→7 counts 1 s of user
		// against an idle that kept growing by 0: busy again.
		{1, []float64{1, 1, 1, nan, nan, nan, 1}},
		{2, []float64{1, 1, 1, 1, 1, 1, 1}},
	} {
		if got := busyOf(r, tt.id); !approx(got, tt.want, 1e-9) {
			t.Errorf("cpu%d busy %v, want %v", tt.id, got, tt.want)
		}
	}
}

func TestRecordingsNoNewScrape(t *testing.T) {
	f := &fakeProm{}
	f.node("h", 0, 5, 0, constBusy(0.5), 0)
	for i := range f.series {
		s := &f.series[i]
		// Point 2 repeats point 1, as a step shorter than the scrape
		// interval sees.
		if v, ok := s.vals[t0.Add(time.Second).UnixMilli()]; ok {
			s.vals[t0.Add(2*time.Second).UnixMilli()] = v
		}
	}
	src := prom.Source{Address: serve(t, f), Step: time.Second}
	recs, err := src.Recordings(t.Context(), t0, t0.Add(4*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	got := busyOf(recs[0], 0)
	if len(got) != 3 || !strings.Contains(strings.Join(recs[0].Host.Notes, "\n"), "without a new scrape") {
		t.Errorf("%d samples (busy %v), notes %q; want 3, the step without a scrape left out and noted", len(got), got, recs[0].Host.Notes)
	}
}

func TestRecordingsErrors(t *testing.T) {
	good := func(f *fakeProm) { f.node("h:1", 0, 3, 0, constBusy(0.5), 0) }
	label := func(key, val string) func(f *fakeProm) {
		return func(f *fakeProm) {
			good(f)
			if val == "" {
				delete(f.series[0].metric, key)
			} else {
				f.series[0].metric[key] = val
			}
		}
	}
	tests := []struct {
		name  string
		setup func(f *fakeProm)
		src   prom.Source
		is    error
		want  string // in the error text
	}{
		{name: "no series", setup: func(*fakeProm) {}, is: prom.ErrNoSeries, want: "node_cpu_seconds_total{job=\"x\"}", src: prom.Source{Selector: `{job="x"}`}},
		{name: "bad request", setup: func(f *fakeProm) {
			f.fail = func(w http.ResponseWriter, r *http.Request) bool {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"status":"error","errorType":"bad_data","error":"1:31: parse error: unexpected \"=\""}`))
				return true
			}
		}, want: `parse error: unexpected "="`},
		{name: "server error", setup: func(f *fakeProm) {
			good(f)
			f.fail = func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path != "/api/v1/query_range" {
					return false
				}
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte(`{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}`))
				return true
			}
		}, want: "query timed out in expression evaluation"},
		{name: "proxy error", setup: func(f *fakeProm) {
			f.fail = func(w http.ResponseWriter, r *http.Request) bool {
				http.Error(w, "502 upstream connect error", http.StatusBadGateway)
				return true
			}
		}, want: "502 upstream connect error"},
		{name: "no cpu label", setup: label("cpu", ""), is: prom.ErrLabels, want: "no cpu label"},
		{name: "cpu not a number", setup: label("cpu", "cpu3"), is: prom.ErrLabels, want: `cpu label "cpu3"`},
		{name: "unknown mode", setup: label("mode", "interrupt"), is: prom.ErrLabels, want: `mode "interrupt"`},
		{name: "two jobs", setup: func(f *fakeProm) {
			good(f)
			dup := map[string]string{}
			for k, v := range f.series[0].metric {
				dup[k] = v
			}
			dup["job"] = "other"
			f.series = append(f.series, fakeSeries{metric: dup, vals: f.series[0].vals})
		}, is: prom.ErrLabels, want: "narrow the selector"},
		{name: "bad selector", setup: good, src: prom.Source{Selector: `node_cpu_seconds_total{job="x"}`}, want: "want label matchers in braces"},
		{name: "zero step range", setup: good, src: prom.Source{Step: time.Hour}, want: "holds no step"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeProm{}
			tt.setup(f)
			src := tt.src
			src.Address = serve(t, f)
			if src.Step == 0 {
				src.Step = time.Second
			}
			recs, err := src.Recordings(t.Context(), t0, t0.Add(2*time.Second))
			if err == nil {
				t.Fatalf("Recordings = %d recordings, nil error; want an error", len(recs))
			}
			if !strings.HasPrefix(err.Error(), "prom: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want one starting \"prom: \" that says %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q does not wrap %v", err, tt.is)
			}
		})
	}
}

func TestRecordingsServerDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + l.Addr().String()
	l.Close()
	src := prom.Source{Address: addr}
	_, err = src.Recordings(t.Context(), t0, t0.Add(time.Minute))
	if err == nil || !strings.Contains(err.Error(), "prom: Prometheus at "+addr+" not reachable") {
		t.Errorf("error %v, want one saying Prometheus at %s is not reachable", err, addr)
	}
}

func TestRecordingsCancel(t *testing.T) {
	f := &fakeProm{hold: time.Minute}
	for _, inst := range []string{"a", "b", "c"} {
		f.node(inst, 0, 3, 0, constBusy(0.5), 0)
	}
	src := prom.Source{Address: serve(t, f), Step: time.Second, Concurrency: 2}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	began := time.Now()
	_, err := src.Recordings(ctx, t0, t0.Add(2*time.Second))
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "prom: ") {
		t.Errorf("error %v, want a prom: error wrapping context.Canceled", err)
	}
	if d := time.Since(began); d > 10*time.Second {
		t.Errorf("Recordings returned %v after cancel", d)
	}
}

// TestRecordingsManyCores reads one host of 10,000 cores.
func TestRecordingsManyCores(t *testing.T) {
	f := &fakeProm{}
	const cores = 10_000
	for c := range cores {
		f.node("big", c, 3, float64(c), constBusy(float64(c%5)/4), 0)
	}
	src := prom.Source{Address: serve(t, f), Step: time.Second}
	recs, err := src.Recordings(t.Context(), t0, t0.Add(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	r := recs[0]
	if r.Len() != 2 || len(r.Sample(1).Cores) != cores || r.Host.NumCPU != cores {
		t.Fatalf("%d samples, %d cores, NumCPU %d; want 2, %d, %d", r.Len(), len(r.Sample(1).Cores), r.Host.NumCPU, cores, cores)
	}
	for k, c := range r.Sample(1).Cores {
		if c.ID != k || math.Abs(c.Busy()-float64(k%5)/4) > 1e-6 {
			t.Fatalf("core %d: id %d busy %v, want %d and %v", k, c.ID, c.Busy(), k, float64(k%5)/4)
		}
	}
}
