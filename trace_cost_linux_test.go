//go:build linux

package corescope_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/schedtrace"
)

// BenchmarkTraceCost runs the Python 2 GIL with 2 threads (2 × 2^24
// bytecode iterations, in a child process) untraced, traced by schedtrace
// following the child, and under perf sched record, the three in turn
// (rotating which goes first) in every iteration, and reports the median
// workload wall time of each, the ratios to untraced, the bytes of trace
// per second of workload and the events schedtrace lost.
func BenchmarkTraceCost(b *testing.B) {
	perf, err := exec.LookPath("perf")
	if err != nil {
		b.Skip("perf is not installed (Debian: apt-get install linux-perf)")
	}
	probe, err := (&schedtrace.Tracer{}).Start()
	if err != nil {
		var ae *schedtrace.AccessError
		if errors.As(err, &ae) {
			b.Skipf("cannot trace here: %v", err)
		}
		b.Fatal(err)
	}
	if _, err := probe.Stop(); err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	dir := b.TempDir()
	var walls [3][]time.Duration
	var stBytes, perfBytes, lost, unmatched, stSecs, perfSecs, perfLost float64
	variants := []func() (time.Duration, error){
		func() (time.Duration, error) { // untraced
			c, err := startChild(ctx, "cost")
			if err != nil {
				return 0, err
			}
			return c.run()
		},
		func() (time.Duration, error) { // schedtrace
			c, err := startChild(ctx, "cost")
			if err != nil {
				return 0, err
			}
			r, err := (&schedtrace.Tracer{FollowPIDs: []int{c.pid}}).Start()
			if err != nil {
				c.cmd.Process.Kill()
				c.cmd.Wait()
				return 0, err
			}
			wall, err := c.run()
			tr, serr := r.Stop()
			if err == nil {
				err = serr
			}
			if tr != nil {
				stBytes += float64(tr.Bytes)
				stSecs += wall.Seconds()
				lost += float64(tr.Lost.Kernel)
				unmatched += float64(tr.Lost.Unmatched)
			}
			return wall, err
		},
		func() (time.Duration, error) { // perf sched record
			data := filepath.Join(dir, "perf.data")
			c, err := startChild(ctx, "cost", perf, "sched", "record", "-o", data, "--")
			if err != nil {
				return 0, err
			}
			wall, err := c.run()
			if strings.Contains(c.stderr.String(), "lost") { // perf's "Check IO/CPU overload!" warning
				perfLost++
			}
			if fi, serr := os.Stat(data); serr == nil {
				perfBytes += float64(fi.Size())
				perfSecs += wall.Seconds()
			}
			os.Remove(data)
			return wall, err
		},
	}
	i := 0
	for b.Loop() {
		for k := range variants {
			v := (i + k) % len(variants)
			wall, err := variants[v]()
			if err != nil {
				b.Fatal(err)
			}
			walls[v] = append(walls[v], wall)
		}
		i++
	}
	med := func(d []time.Duration) float64 {
		s := slices.Clone(d)
		slices.Sort(s)
		return float64(s[len(s)/2]) / float64(time.Millisecond)
	}
	b.ReportMetric(med(walls[0]), "untraced-ms")
	b.ReportMetric(med(walls[1]), "schedtrace-ms")
	b.ReportMetric(med(walls[2]), "perf-ms")
	// Ratios within each iteration, whose three runs were neighbours in
	// time, cancel the machine's slow swings; their quartiles give the
	// spread.
	paired := func(v int) (p25, p50, p75 float64) {
		var r []float64
		for i := range walls[0] {
			r = append(r, float64(walls[v][i])/float64(walls[0][i]))
		}
		slices.Sort(r)
		return r[len(r)/4], r[len(r)/2], r[(3*len(r))/4]
	}
	for v, name := range map[int]string{1: "schedtrace", 2: "perf"} {
		p25, p50, p75 := paired(v)
		b.ReportMetric(p50, name+"/untraced")
		b.ReportMetric(p25, name+"/untraced-p25")
		b.ReportMetric(p75, name+"/untraced-p75")
	}
	b.ReportMetric(stBytes/stSecs, "schedtrace-B/s")
	b.ReportMetric(perfBytes/perfSecs, "perf-B/s")
	b.ReportMetric(lost/float64(i), "lost/run")
	b.ReportMetric(perfLost/float64(i), "perf-lossy-runs/run")
	b.ReportMetric(unmatched/float64(i), "unmatched/run")
	b.ReportMetric(0, "ns/op")
}
