package prom

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/heatmap"
	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"golang.org/x/sync/errgroup"
)

// The scale of the fleet benchmarks: 100 hosts × 64 cores × 1 hour at a
// 15 s step, 241 points of 10 series per core.
var benchHosts = 100

const (
	benchCores = 64
	benchStep  = 15 * time.Second
	benchSpan  = time.Hour
)

var benchFleetHosts = flag.Int("fleet.hosts", 0, "hosts of BenchmarkFleet; 0 means 100")

// cpuTime reports, per op, the CPU time the process spent (user and
// system, all threads) as cpu-ms/op: on a shared machine whose load moves
// wall times by 2× or more, it says what the work costs.
func cpuTime(b *testing.B, run func()) {
	var r0, r1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
	n := 0
	for b.Loop() {
		run()
		n++
	}
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
	cpu := time.Duration(r1.Utime.Nano()-r0.Utime.Nano()) + time.Duration(r1.Stime.Nano()-r0.Stime.Nano())
	b.ReportMetric(float64(cpu.Milliseconds())/float64(n), "cpu-ms/op")
}

var benchT0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// fleetBodies returns, per instance, the body of the answer Prometheus
// gives a range query for that host's cpu series: the same JSON as the
// answers recorded in testdata/live, at the benchmark's scale. Core c of
// host h is busy (c+h)%8/8 of the time, half of it system time, and a
// tenth of its user time in a guest.
var fleetBodies = sync.OnceValue(func() map[string][]byte {
	bodies := map[string][]byte{}
	n := int(benchSpan/benchStep) + 1
	modes := []string{"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"}
	for h := range benchHosts {
		inst := fmt.Sprintf("node%02d:9100", h)
		var b bytes.Buffer
		b.WriteString(`{"status":"success","data":{"resultType":"matrix","result":[`)
		first := true
		series := func(metric, cpu, mode string, v func(k int) float64) {
			if !first {
				b.WriteByte(',')
			}
			first = false
			fmt.Fprintf(&b, `{"metric":{"__name__":%q,"cpu":%q,"instance":%q,"job":"node","mode":%q},"values":[`, metric, cpu, inst, mode)
			for k := range n {
				if k > 0 {
					b.WriteByte(',')
				}
				ts := benchT0.Add(time.Duration(k) * benchStep).Unix()
				b.WriteByte('[')
				b.WriteString(strconv.FormatInt(ts, 10))
				b.WriteString(`,"`)
				b.WriteString(strconv.FormatFloat(v(k), 'f', 2, 64))
				b.WriteString(`"]`)
			}
			b.WriteString("]}")
		}
		for c := range benchCores {
			busy := float64((c+h)%8) / 8
			sec := benchStep.Seconds()
			at := func(share float64) func(k int) float64 {
				return func(k int) float64 { return 1e5 + share*sec*float64(k) }
			}
			cpu := strconv.Itoa(c)
			for _, m := range modes {
				share := 0.0
				switch m {
				case "user":
					share = busy / 2
				case "system":
					share = busy / 2
				case "idle":
					share = 1 - busy
				}
				series(MetricSeconds, cpu, m, at(share))
			}
			series(MetricGuestSeconds, cpu, "user", at(busy/20))
			series(MetricGuestSeconds, cpu, "nice", at(0))
		}
		b.WriteString("]}}")
		bodies[inst] = b.Bytes()
	}
	return bodies
})

// fleetServer serves fleetBodies as a Prometheus would.
func fleetServer(b *testing.B) string {
	bodies := fleetBodies()
	var insts []string
	for inst := range bodies {
		insts = append(insts, strconv.Quote(inst))
	}
	labels := []byte(`{"status":"success","data":[` + strings.Join(insts, ",") + `]}`)
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/label/instance/values", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(labels)
	})
	mux.HandleFunc("/api/v1/query_range", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		m := instRe.FindStringSubmatch(r.Form.Get("query"))
		if m == nil || bodies[m[1]] == nil {
			http.Error(w, "no such instance", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(bodies[m[1]])
	})
	srv := httptest.NewServer(mux)
	b.Cleanup(srv.Close)
	return srv.URL
}

var instRe = regexp.MustCompile(`instance="([^"]*)"`)

// BenchmarkFleet measures a fleet picture of 100 hosts × 64 cores × 1 hour
// at 15 s from recorded-format answers: all of it (Source.Recordings and
// WriteFleetPNG), and its parts — decode (HTTP and client_golang's JSON
// into model.Matrix, 8 hosts at a time, as Source does), convert
// (FromMatrix) and render (WriteFleetPNG).
func BenchmarkFleet(b *testing.B) {
	if *benchFleetHosts > 0 {
		benchHosts = *benchFleetHosts
	}
	url := fleetServer(b)
	end := benchT0.Add(benchSpan)
	src := Source{Address: url, Step: benchStep}
	b.Run("all", func(b *testing.B) {
		cpuTime(b, func() {
			recs, err := src.Recordings(context.Background(), benchT0, end)
			if err != nil {
				b.Fatal(err)
			}
			if err := heatmap.WriteFleetPNG(io.Discard, recs, heatmap.Options{}); err != nil {
				b.Fatal(err)
			}
		})
	})
	c, err := api.NewClient(api.Config{Address: url})
	if err != nil {
		b.Fatal(err)
	}
	a := v1.NewAPI(c)
	decodeV1 := func() model.Matrix {
		ms := make([]model.Matrix, benchHosts)
		var g errgroup.Group
		g.SetLimit(DefaultConcurrency)
		for h := range benchHosts {
			g.Go(func() error {
				q := fmt.Sprintf(`{__name__=~"node_cpu_seconds_total|node_cpu_guest_seconds_total",instance="node%02d:9100"}`, h)
				v, _, _, err := a.QueryRange(context.Background(), q, v1.Range{Start: benchT0, End: end, Step: benchStep})
				if err != nil {
					return err
				}
				ms[h] = v.(model.Matrix)
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
		var all model.Matrix
		for _, m := range ms {
			all = append(all, m...)
		}
		return all
	}
	b.Run("decode", func(b *testing.B) {
		cpuTime(b, func() { fleetHosts(b, end) })
	})
	b.Run("convert", func(b *testing.B) {
		hosts := fleetHosts(b, end)
		cpuTime(b, func() {
			for _, h := range hosts {
				h.recording()
			}
		})
	})
	var recs []*cpuwatch.Recording
	for _, h := range fleetHosts(b, end) {
		recs = append(recs, h.recording())
	}
	if len(recs) != benchHosts || recs[0].Len() != int(benchSpan/benchStep) || len(recs[0].Sample(0).Cores) != benchCores {
		b.Fatalf("%d recordings, want %d of %d samples of %d cores", len(recs), benchHosts, benchSpan/benchStep, benchCores)
	}
	b.Run("render", func(b *testing.B) {
		cpuTime(b, func() {
			if err := heatmap.WriteFleetPNG(io.Discard, recs, heatmap.Options{}); err != nil {
				b.Fatal(err)
			}
		})
	})
	// The reference: client_golang's QueryRange decodes the same answers
	// into a model.Matrix, which FromMatrix converts.
	b.Run("v1-decode", func(b *testing.B) {
		cpuTime(b, func() { decodeV1() })
	})
	m := decodeV1()
	b.Run("v1-convert", func(b *testing.B) {
		cpuTime(b, func() {
			if _, err := FromMatrix(m, benchT0, end, benchStep); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// fleetHosts decodes every host's answer, as Source does once the bytes
// have arrived, DefaultConcurrency at a time.
func fleetHosts(b *testing.B, end time.Time) []*host {
	bodies := fleetBodies()
	hosts := make([]*host, benchHosts)
	var g errgroup.Group
	g.SetLimit(DefaultConcurrency)
	for i := range benchHosts {
		g.Go(func() error {
			inst := fmt.Sprintf("node%02d:9100", i)
			hosts[i] = newHost(inst, newGrid(benchT0, end, benchStep))
			_, err := hosts[i].decode(bodies[inst])
			return err
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	return hosts
}
