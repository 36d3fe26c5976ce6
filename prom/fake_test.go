package prom_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// fakeProm answers /api/v1/query_range and /api/v1/label/instance/values
// as Prometheus does, from series held in memory: the JSON of a real
// server's answers, built from known counters.
type fakeProm struct {
	mu     sync.Mutex
	series []fakeSeries
	// fail, if not nil, answers a request instead.
	fail func(w http.ResponseWriter, r *http.Request) bool
	// queries records every range query's point count; inflight and
	// maxInflight how many ran at once.
	queries               []int
	inflight, maxInflight int
	hold                  time.Duration // each range query waits this long
}

type fakeSeries struct {
	metric map[string]string
	vals   map[int64]string // unix ms → value as the API writes it
}

// t0 is where the fake series start.
var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// add adds a series whose value at t0+i·1s is vals[i]; NaN-free values
// are written as the API does, and a nil entry (math.Inf(-1) here) leaves
// the point out.
func (f *fakeProm) add(metric map[string]string, vals []float64) {
	s := fakeSeries{metric: metric, vals: map[int64]string{}}
	for i, v := range vals {
		if v == skip {
			continue
		}
		s.vals[t0.Add(time.Duration(i)*time.Second).UnixMilli()] = strconv.FormatFloat(v, 'f', -1, 64)
	}
	f.series = append(f.series, s)
}

// skip marks a point that a series lacks.
const skip = -1e300

var instRe = regexp.MustCompile(`instance="([^"]*)"`)

func (f *fakeProm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.fail != nil && f.fail(w, r) {
		return
	}
	_ = r.ParseForm()
	switch r.URL.Path {
	case "/api/v1/label/instance/values":
		var insts []string
		for _, s := range f.series {
			if !slices.Contains(insts, s.metric["instance"]) {
				insts = append(insts, s.metric["instance"])
			}
		}
		writeJSON(w, map[string]any{"status": "success", "data": insts})
	case "/api/v1/query_range":
		f.mu.Lock()
		f.inflight++
		f.maxInflight = max(f.maxInflight, f.inflight)
		f.mu.Unlock()
		defer func() { f.mu.Lock(); f.inflight--; f.mu.Unlock() }()
		if f.hold > 0 {
			select {
			case <-time.After(f.hold):
			case <-r.Context().Done():
				return
			}
		}
		start, _ := strconv.ParseFloat(r.Form.Get("start"), 64)
		end, _ := strconv.ParseFloat(r.Form.Get("end"), 64)
		step, _ := strconv.ParseFloat(r.Form.Get("step"), 64)
		n := int((end-start)/step+1e-9) + 1
		f.mu.Lock()
		f.queries = append(f.queries, n)
		f.mu.Unlock()
		inst := ""
		if m := instRe.FindStringSubmatch(r.Form.Get("query")); m != nil {
			inst = m[1]
		}
		result := []map[string]any{}
		for _, s := range f.series {
			if inst != "" && s.metric["instance"] != inst {
				continue
			}
			var vals [][2]any
			for k := range n {
				ts := start + float64(k)*step
				if v, ok := s.vals[int64(ts*1000+0.5)]; ok {
					vals = append(vals, [2]any{json.Number(strconv.FormatFloat(ts, 'f', -1, 64)), v})
				}
			}
			if len(vals) > 0 {
				result = append(result, map[string]any{"metric": s.metric, "values": vals})
			}
		}
		writeJSON(w, map[string]any{"status": "success", "data": map[string]any{"resultType": "matrix", "result": result}})
	default:
		http.NotFound(w, r)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func serve(t *testing.T, f *fakeProm) string {
	t.Helper()
	return serveHandler(t, f)
}

func serveHandler(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// node adds the series node_exporter would export for one core whose busy
// fraction in second i is busy(i), as user time, over n seconds; guest is
// the fraction of that user time spent in a guest. Counters start at
// base, in seconds.
func (f *fakeProm) node(inst string, cpu int, n int, base float64, busy func(i int) float64, guest float64) {
	modes := []string{"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"}
	vals := make(map[string][]float64)
	for _, m := range modes {
		vals[m] = make([]float64, n)
	}
	gu := make([]float64, n)
	user, idle, g := base, base, 0.0
	for i := range n {
		if i > 0 {
			b := busy(i)
			user += b
			idle += 1 - b
			g += b * guest
		}
		// node_exporter exports ticks / 100: two decimals.
		vals["user"][i] = round2(user)
		vals["idle"][i] = round2(idle)
		gu[i] = round2(g)
	}
	for _, m := range modes {
		f.add(map[string]string{"__name__": "node_cpu_seconds_total", "instance": inst, "job": "node", "cpu": strconv.Itoa(cpu), "mode": m}, vals[m])
	}
	f.add(map[string]string{"__name__": "node_cpu_guest_seconds_total", "instance": inst, "job": "node", "cpu": strconv.Itoa(cpu), "mode": "user"}, gu)
	f.add(map[string]string{"__name__": "node_cpu_guest_seconds_total", "instance": inst, "job": "node", "cpu": strconv.Itoa(cpu), "mode": "nice"}, make([]float64, n))
}

func round2(x float64) float64 {
	v, _ := strconv.ParseFloat(fmt.Sprintf("%.2f", x), 64)
	return v
}
