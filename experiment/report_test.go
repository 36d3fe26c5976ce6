package experiment_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/experiment"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// recording returns a 2-core recording of n one-second samples in which
// core 0 is busy with the given user and system fractions during the run
// (samples 2 … n-3) and idle around it.
func recording(id string, n int, user, system float64) *cpuwatch.Recording {
	return recordingWith(id, n, user, system, nil)
}

// recordingWith is recording with, if threads is not nil, threads(i) in
// sample i.
func recordingWith(id string, n int, user, system float64, threads func(i int) []cpuwatch.ThreadUsage) *cpuwatch.Recording {
	start := time.Date(2026, 11, 26, 4, 0, 0, 0, time.UTC)
	rec := &cpuwatch.Recording{DataID: id, Interval: time.Second, Start: start,
		RunStart: start.Add(2 * time.Second), RunEnd: start.Add(time.Duration(n-2) * time.Second),
		Host: cpuwatch.Host{NumCPU: 2, GOMAXPROCS: 2, UserHZ: 100}}
	for i := range n {
		busy := i >= 2 && i < n-2
		c0 := cpuwatch.Usage{Idle: 1}
		if busy {
			c0 = cpuwatch.Usage{User: user, System: system, Idle: 1 - user - system}
		}
		s := cpuwatch.Sample{
			Time: start.Add(time.Duration(i+1) * time.Second), Elapsed: time.Second,
			Cores: []cpuwatch.CoreUsage{{ID: 0, Usage: c0}, {ID: 1, Usage: cpuwatch.Usage{Idle: 1}}},
		}
		if threads != nil {
			s.Threads = threads(i)
		}
		rec.Append(s)
	}
	return rec
}

func TestWriteReport(t *testing.T) {
	r := synthetic()
	r.Interval = time.Second
	r.Host = cpuwatch.Host{Hostname: "<test>", NumCPU: 2, GOMAXPROCS: 2, UserHZ: 100}
	for k, run := range r.Runs {
		// The GIL run followed its threads: two workers taking turns on cpu0.
		var threads func(i int) []cpuwatch.ThreadUsage
		if k == 3 {
			threads = func(i int) []cpuwatch.ThreadUsage {
				return []cpuwatch.ThreadUsage{
					{PID: 100, TID: 101, Name: "worker", User: float64(i % 2), CPU: 0},
					{PID: 100, TID: 102, Name: "worker", User: float64(1 - i%2), CPU: 0},
				}
			}
		}
		run.Recording = recordingWith(run.DataID, 8, 0.6, 0.3, threads)
	}
	r.Runs[3].DataID = "threading-py2:4<script>" // must be escaped, and make a safe file name
	dir := filepath.Join(t.TempDir(), "report")
	if err := r.WriteReport(dir); err != nil {
		t.Fatalf("WriteReport() error = %v", err)
	}

	// Every file is in place, and no temporary one is left behind.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		files = append(files, e.Name())
	}
	wantFiles := []string{experiment.ReportPage, experiment.ReportResults}
	for _, run := range r.Runs {
		wantFiles = append(wantFiles, experiment.PictureName(run))
		if name := experiment.ThreadPictureName(run); name != "" {
			wantFiles = append(wantFiles, name)
		}
	}
	if diff := cmp.Diff(wantFiles, files, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("report folder mismatch (-want +got):\n%s", diff)
	}

	page, err := os.ReadFile(filepath.Join(dir, experiment.ReportPage))
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	if strings.Contains(html, "<script>") || strings.Contains(html, "<test>") {
		t.Errorf("index.html holds unescaped names")
	}
	srcs := regexp.MustCompile(`<img src="([^"]+)"`).FindAllStringSubmatch(html, -1)
	var want []string
	for _, run := range r.Runs {
		want = append(want, experiment.PictureName(run))
		if name := experiment.ThreadPictureName(run); name != "" {
			want = append(want, name)
		}
	}
	if want[len(want)-1] != "threading-py2-4-script--threads.png" || len(want) != len(r.Runs)+1 {
		t.Fatalf("pictures = %q, want one per run and a thread timeline for the last", want)
	}
	var got []string
	for _, m := range srcs {
		got = append(got, m[1])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("index.html pictures mismatch (-want +got):\n%s", diff)
	}
	for _, m := range srcs {
		f, err := os.Open(filepath.Join(dir, m[1]))
		if err != nil {
			t.Fatalf("picture %q: %v", m[1], err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("picture %q does not decode: %v", m[1], err)
		}
		if b := img.Bounds(); b.Dx() < 200 || b.Dy() < 100 {
			t.Errorf("picture %q is %v, want a readable size", m[1], b)
		}
	}
	for _, want := range []string{"Beside the seed", "14.60", "threading:4", "futex", "Python 2 GIL (threading-py2)", "0.40×"} {
		if !strings.Contains(html, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}

	b, err := os.ReadFile(filepath.Join(dir, experiment.ReportResults))
	if err != nil {
		t.Fatal(err)
	}
	var back experiment.Results
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("results.json does not decode: %v", err)
	}
	if len(back.Runs) != len(r.Runs) || back.Runs[3].GIL == nil || back.Runs[3].GIL.Switches != 500 ||
		back.Runs[1].Recording.Len() != 8 || back.Runs[2].Results[3] != 4950 {
		t.Errorf("results.json does not hold the runs: %s", b[:min(len(b), 300)])
	}
}

func TestPictureName(t *testing.T) {
	tests := []struct{ id, want string }{
		{"multiprocessing:4", "multiprocessing-4.png"},
		{"../../etc/passwd", "..-..-etc-passwd.png"},
		{"", "goroutines.png"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := experiment.PictureName(&corescope.Result{DataID: tt.id, Workload: "goroutines"}); got != tt.want {
				t.Errorf("PictureName(%q) = %q, want %q", tt.id, got, tt.want)
			}
		})
	}
}

func TestWriteReportNoRuns(t *testing.T) {
	if err := (&experiment.Results{}).WriteReport(t.TempDir()); !errors.Is(err, experiment.ErrNoRuns) {
		t.Errorf("WriteReport() of no runs = %v, want ErrNoRuns", err)
	}
}

// TestWriteReportUnwritable checks that a picture that cannot be written
// (a folder holds its name) gives an error naming the file, prefixed
// once, and leaves no temporary file behind.
func TestWriteReportUnwritable(t *testing.T) {
	dir := t.TempDir()
	r := synthetic()
	r.Runs[1].Recording = recording(r.Runs[1].DataID, 4, 0.5, 0)
	if err := os.Mkdir(filepath.Join(dir, experiment.PictureName(r.Runs[1])), 0o755); err != nil {
		t.Fatal(err)
	}
	err := r.WriteReport(dir)
	if err == nil || !strings.Contains(err.Error(), "non-threaded-1.png") || strings.Count(err.Error(), "experiment: ") != 1 {
		t.Errorf("WriteReport() over a folder = %v, want one experiment: error naming the picture", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("report folder holds %d entries after the failure, want only the blocking folder", len(entries))
	}
}

// TestReportTemplateHoldsNoFigures keeps the page's data out of its
// template: the runs it quotes, its thresholds and the seed's figures are
// chosen in Go, from the workload table and SeedRuns.
func TestReportTemplateHoldsNoFigures(t *testing.T) {
	b, err := os.ReadFile("report.html")
	if err != nil {
		t.Fatal(err)
	}
	tmpl := string(b)
	if ids := regexp.MustCompile(`[a-z-]+:[0-9]+`).FindAllString(tmpl, -1); len(ids) > 0 {
		t.Errorf("report.html names runs %q", ids)
	}
	if strings.Contains(tmpl, ".Find") {
		t.Error("report.html looks runs up itself")
	}
	for _, s := range experiment.SeedRuns() {
		for _, fig := range []string{fmt.Sprintf("%.2f", s.Real), fmt.Sprintf("%.2f", s.CoresUsed()), fmt.Sprintf("%.2f×", s.Speedup())} {
			if strings.Contains(tmpl, fig) {
				t.Errorf("report.html quotes the seed's %s figure %s", s.DataID, fig)
			}
		}
	}
}

func TestReportWarnsOfABusyMachine(t *testing.T) {
	tests := []struct {
		name           string
		baseline, seen float64 // the do-nothing run's and the serial run's cores seen busy
		want           []string
	}{
		{"quiet", 0.05, 1.05, nil},
		{"busy baseline", 0.6, 1.05, []string{"already kept 0.60 cores busy"}},
		{"busy serial run", 0.05, 1.5, []string{"0.50 cores of other work"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := synthetic()
			r.Runs[0].EffectiveCores, r.Runs[1].EffectiveCores = tt.baseline, tt.seen
			var b strings.Builder
			if err := r.WriteHTML(&b); err != nil {
				t.Fatal(err)
			}
			notes := strings.Count(b.String(), `<p class="note">`) - 1 // the resolution note is always there
			if notes != len(tt.want) {
				t.Errorf("page has %d warnings, want %d", notes, len(tt.want))
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
}
