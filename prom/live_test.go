package prom_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"iter"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/prom"
	"github.com/prometheus/client_golang/api"
)

var (
	livePicture = flag.String("live.picture", "", "write the fleet picture of TestLive to this file (.png, .svg or .html)")
	liveRecord  = flag.String("live.record", "", "save TestLive's query_range answers in this directory")
)

// liveHost is a synthetic machine: a proc tree whose /proc/stat moves on
// with known busy patterns, read by a node_exporter of its own.
type liveHost struct {
	name  string
	cores int
	// ticks returns core c's counters (user, guest inside user, idle) n
	// ticks after the start; swap is the tick where patterns change.
	ticks func(c int, n, swap int64) (user, guest, idle int64)
	// want is core c's expected busy and guest fractions in the phase
	// before (0) or after (1) the swap.
	want func(c, phase int) (busy, guest float64)
	root string
	f    *os.File
	size int
}

var liveHosts = []*liveHost{
	{
		name: "pinned", cores: 4,
		// cpu1 pinned at 100 %; cpu2 at 50 %, half of it in a guest;
		// cpu0 and cpu3 idle.
		ticks: func(c int, n, _ int64) (int64, int64, int64) {
			switch c {
			case 1:
				return n, 0, 0
			case 2:
				return n / 2, n / 4, n - n/2
			}
			return 0, 0, n
		},
		want: func(c, _ int) (float64, float64) {
			switch c {
			case 1:
				return 1, 0
			case 2:
				return 0.5, 0.25
			}
			return 0, 0
		},
	},
	{
		name: "idle", cores: 2,
		ticks: func(_ int, n, _ int64) (int64, int64, int64) { return 0, 0, n },
		want:  func(int, int) (float64, float64) { return 0, 0 },
	},
	{
		name: "alternating", cores: 64,
		// Even cores busy, odd ones idle; at the swap, the other way round.
		ticks: func(c int, n, swap int64) (int64, int64, int64) {
			busy := min(n, swap)
			if c%2 == 1 {
				busy = max(n-swap, 0)
			}
			return busy, 0, n - busy
		},
		want: func(c, phase int) (float64, float64) {
			if c%2 == phase {
				return 1, 0
			}
			return 0, 0
		},
	},
}

// writeStat rewrites h's stat file in place for tick n. A reader of
// /proc keeps the file open (cpuwatch preads it), so the file must stay the
// same file: every counter starts high enough that its width never changes
// in a test, so each rewrite is one write of the same length.
func (h *liveHost) writeStat(n, swap int64) error {
	const base, guestBase = 1_000_000, 100_000 // a machine that has been up a while
	var b bytes.Buffer
	var tu, tg, ti int64
	lines := make([]string, h.cores)
	for c := range h.cores {
		u, g, i := h.ticks(c, n, swap)
		tu, tg, ti = tu+u, tg+g, ti+i
		lines[c] = fmt.Sprintf("cpu%d %d 0 0 %d 0 0 0 0 %d 0\n", c, base+u, base+i, guestBase+g)
	}
	k := int64(h.cores)
	fmt.Fprintf(&b, "cpu  %d 0 0 %d 0 0 0 0 %d 0\n", k*base+tu, k*base+ti, k*guestBase+tg)
	for _, l := range lines {
		b.WriteString(l)
	}
	b.WriteString("intr 0\nctxt 0\nbtime 1700000000\nprocesses 1\nprocs_running 1\nprocs_blocked 0\n")
	if h.f == nil {
		f, err := os.Create(filepath.Join(h.root, "stat"))
		if err != nil {
			return err
		}
		h.f, h.size = f, b.Len()
	}
	if b.Len() != h.size {
		return fmt.Errorf("%s: stat file would change length from %d to %d", h.name, h.size, b.Len())
	}
	_, err := h.f.WriteAt(b.Bytes(), 0)
	return err
}

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// start runs a program in a process group of its own until the test ends,
// then kills the group and reaps it.
func start(t *testing.T, log string, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("starting %s: %v", name, err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				<-done
			}
			f.Close()
		})
	}
	t.Cleanup(stop)
	stops[cmd] = stop
	return cmd
}

var stops = map[*exec.Cmd]func(){}

// waitHTTP waits until url answers 200.
func waitHTTP(t *testing.T, url string, within time.Duration, log string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	out, _ := os.ReadFile(log)
	t.Fatalf("%s not ready after %v; its log:\n%s", url, within, out)
}

func lookPath(t *testing.T, names ...string) string {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	t.Skipf("%s not installed (Debian: apt-get install prometheus prometheus-node-exporter; .ci/run does)", strings.Join(names, " or "))
	return ""
}

// TestLive runs a Prometheus scraping three node_exporters every second,
// each reading a synthetic proc tree with known busy patterns, and checks
// that the recordings built from the server's answers show the patterns,
// and agree with cpuwatch's own reading of the same trees.
func TestLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus and node_exporters for about 40 s")
	}
	promBin := lookPath(t, "prometheus")
	nodeBin := lookPath(t, "prometheus-node-exporter", "node_exporter")
	dir := t.TempDir()

	const run = 32 * time.Second
	const swapAfter = run / 2
	began := time.Now()
	swap := int64(swapAfter / (10 * time.Millisecond))
	tick := func() int64 { return int64(time.Since(began) / (10 * time.Millisecond)) }
	var targets []string
	for _, h := range liveHosts {
		h.root, h.f = filepath.Join(dir, h.name, "proc"), nil
		t.Cleanup(func() {
			if h.f != nil {
				h.f.Close()
			}
		})
		if err := os.MkdirAll(filepath.Join(dir, h.name, "sys"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(h.root, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := h.writeStat(0, swap); err != nil {
			t.Fatal(err)
		}
	}

	// The trees move on every 50 ms until the test ends.
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Go(func() {
		tk := time.NewTicker(50 * time.Millisecond)
		defer tk.Stop()
		for {
			n := tick()
			for _, h := range liveHosts {
				if err := h.writeStat(n, swap); err != nil {
					t.Error(err)
					return
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
			}
		}
	})
	// cpuwatch reads the same trees.
	watched := make([][]cpuwatch.Sample, len(liveHosts))
	for i, h := range liveHosts {
		wg.Go(func() {
			w := cpuwatch.Watcher{Interval: time.Second, ProcRoot: h.root}
			err := w.Watch(ctx, func(s cpuwatch.Sample) { watched[i] = append(watched[i], s.Clone()) })
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Error(err)
			}
		})
	}

	var nodes []*exec.Cmd
	for _, h := range liveHosts {
		port := freePort(t)
		addr := "127.0.0.1:" + strconv.Itoa(port)
		log := filepath.Join(dir, h.name+".log")
		nodes = append(nodes, start(t, log, nodeBin, "--collector.disable-defaults", "--collector.cpu",
			"--path.procfs="+h.root, "--path.sysfs="+filepath.Join(dir, h.name, "sys"), "--web.listen-address="+addr))
		waitHTTP(t, "http://"+addr+"/metrics", 20*time.Second, log)
		targets = append(targets, fmt.Sprintf("      - targets: [%q]\n        labels: {instance: %q}\n", addr, h.name))
	}
	cfg := "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n  - job_name: node\n    static_configs:\n" + strings.Join(targets, "")
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	promAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	promLog := filepath.Join(dir, "prometheus.log")
	start(t, promLog, promBin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+promAddr)
	waitHTTP(t, "http://"+promAddr+"/-/ready", 30*time.Second, promLog)
	scraped := time.Now()

	// The idle host's exporter stops three quarters in: Prometheus marks
	// its series stale, and its recording must end there.
	idleStop := began.Add(run * 3 / 4)
	time.Sleep(time.Until(idleStop))
	stops[nodes[1]]()
	time.Sleep(time.Until(began.Add(run + 2*time.Second)))

	client, err := api.NewClient(api.Config{Address: "http://" + promAddr})
	if err != nil {
		t.Fatal(err)
	}
	var rc api.Client = client
	if *liveRecord != "" {
		rc = &recorder{Client: client, dir: *liveRecord}
	}
	const step = 2 * time.Second
	src := prom.Source{Client: rc, Selector: `{job="node"}`, Step: step}
	from := scraped.Truncate(time.Second).Add(2 * time.Second)
	to := began.Add(run).Truncate(time.Second)
	recs, err := src.Recordings(t.Context(), from, to)
	if err != nil {
		t.Fatal(err)
	}
	// The trees and cpuwatch's reading of them stop here.
	cancel()
	wg.Wait()
	swapAt := began.Add(swapAfter)
	checkPatterns(t, recs, swapAt, idleStop, step)
	if *liveRecord != "" {
		b, err := json.MarshalIndent(liveRange{Start: from, End: to, Step: step, Swap: swapAt, IdleStop: idleStop}, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(*liveRecord, "range.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	byName := map[string]*cpuwatch.Recording{}
	for _, r := range recs {
		byName[r.DataID] = r
	}
	for hi, h := range liveHosts {
		r := byName[h.name]
		// Per phase, every core's mean usage agrees with cpuwatch's.
		for phase, win := range [][2]time.Time{{from, swapAt.Add(-1100 * time.Millisecond)}, {swapAt.Add(1100 * time.Millisecond), to}} {
			if h.name == "idle" {
				if end := idleStop.Add(-time.Second); end.Before(win[1]) {
					win[1] = end
				}
			}
			p, w := meanUsage(r.All(), win), meanUsage(slices.All(watched[hi]), win)
			if len(p) != h.cores || len(w) != h.cores {
				t.Errorf("%s phase %d: means of %d cores from Prometheus and %d from cpuwatch, want %d", h.name, phase, len(p), len(w), h.cores)
				continue
			}
			for id := range p {
				if d := maxFieldDiff(p[id], w[id]); d > 0.02 {
					t.Errorf("%s phase %d cpu%d: Prometheus %+v, cpuwatch %+v", h.name, phase, id, p[id], w[id])
				}
			}
		}
	}
	if *livePicture != "" {
		if err := writePicture(*livePicture, recs); err != nil {
			t.Fatal(err)
		}
	}
}

// checkPatterns checks that recs, read from a Prometheus scraping
// liveHosts, show their patterns within 2 points per core and step.
func checkPatterns(t *testing.T, recs []*cpuwatch.Recording, swapAt, idleStop time.Time, step time.Duration) {
	t.Helper()
	if len(recs) != len(liveHosts) {
		t.Fatalf("%d recordings, want %d", len(recs), len(liveHosts))
	}
	byName := map[string]*cpuwatch.Recording{}
	for _, r := range recs {
		byName[r.DataID] = r
	}
	for _, h := range liveHosts {
		r := byName[h.name]
		if r == nil {
			t.Fatalf("no recording for %s", h.name)
		}
		checked := 0
		for _, s := range r.All() {
			// A step that holds the swap, give or take a scrape and the
			// 50 ms the trees lag, mixes both phases.
			if s.Start().Before(swapAt.Add(1100*time.Millisecond)) && s.Time.After(swapAt.Add(-1100*time.Millisecond)) {
				continue
			}
			phase := 0
			if s.Time.After(swapAt) {
				phase = 1
			}
			if len(s.Cores) != h.cores {
				t.Errorf("%s at %v: %d cores, want %d", h.name, s.Time, len(s.Cores), h.cores)
				continue
			}
			checked++
			for _, c := range s.Cores {
				busy, guest := h.want(c.ID, phase)
				if math.Abs(c.Busy()-busy) > 0.02 || math.Abs(c.Guest-guest) > 0.02 {
					t.Errorf("%s cpu%d at %v: busy %.3f guest %.3f, want %.2f and %.2f", h.name, c.ID, s.Time.Format(time.TimeOnly), c.Busy(), c.Guest, busy, guest)
				}
			}
		}
		if checked < 5 {
			t.Errorf("%s: only %d steps checked of %d samples", h.name, checked, r.Len())
		}
		if h.name == "idle" {
			last := r.Sample(r.Len() - 1).Time
			if last.After(idleStop.Add(step + 1500*time.Millisecond)) {
				t.Errorf("idle host: samples until %v, after its exporter stopped at %v", last, idleStop)
			}
		}
	}
}

// meanUsage averages each core's usage over the samples that lie inside
// win.
func meanUsage(samples iter.Seq2[int, cpuwatch.Sample], win [2]time.Time) map[int]cpuwatch.Usage {
	sum := map[int][]cpuwatch.Usage{}
	for _, s := range samples {
		if s.Start().Before(win[0]) || s.Time.After(win[1]) {
			continue
		}
		for _, c := range s.Cores {
			sum[c.ID] = append(sum[c.ID], c.Usage)
		}
	}
	out := map[int]cpuwatch.Usage{}
	for id, us := range sum {
		var m cpuwatch.Usage
		for _, u := range us {
			m.User += u.User / float64(len(us))
			m.Idle += u.Idle / float64(len(us))
			m.System += u.System / float64(len(us))
			m.Guest += u.Guest / float64(len(us))
			m.Nice += u.Nice / float64(len(us))
		}
		out[id] = m
	}
	return out
}

func maxFieldDiff(a, b cpuwatch.Usage) float64 {
	return max(math.Abs(a.User-b.User), math.Abs(a.Idle-b.Idle), math.Abs(a.System-b.System),
		math.Abs(a.Guest-b.Guest), math.Abs(a.Nice-b.Nice))
}

// recorder saves the body of every range query answer in dir.
type recorder struct {
	api.Client
	dir string
	mu  sync.Mutex
	n   int
}

func (r *recorder) Do(ctx context.Context, req *http.Request) (*http.Response, []byte, error) {
	resp, body, err := r.Client.Do(ctx, req)
	if err == nil && strings.HasSuffix(req.URL.Path, "/query_range") {
		r.mu.Lock()
		r.n++
		name := filepath.Join(r.dir, fmt.Sprintf("query_range_%d.json", r.n))
		r.mu.Unlock()
		if werr := os.WriteFile(name, body, 0o644); werr != nil {
			return resp, body, werr
		}
	}
	return resp, body, err
}
