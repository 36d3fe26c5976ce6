package experiment_test

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/experiment"
	"github.com/corescope/corescope/internal/tracefake"
	"github.com/corescope/corescope/schedtrace"
	"github.com/corescope/corescope/workload"
)

// fakeTracer stands in for schedtrace.Tracer: it fails to start with err,
// or runs the run and returns trace.
type fakeTracer struct {
	trace *schedtrace.Trace
	err   error
	calls int
}

func (f *fakeTracer) Record(ctx context.Context, run func(context.Context) error) (*schedtrace.Trace, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	return f.trace, run(ctx)
}

func TestDefaultTraced(t *testing.T) {
	for _, tc := range []struct {
		j    experiment.Job
		want bool
	}{
		{experiment.Job{Workload: experiment.ThreadingPy2, Workers: 4}, true},
		{experiment.Job{Workload: experiment.Threading, Workers: 2}, true},
		{experiment.Job{Workload: experiment.Multiprocessing, Workers: 2}, true},
		{experiment.Job{Workload: experiment.Multiprocessing, Workers: 3}, false},
		{experiment.Job{Workload: experiment.Threads, Workers: 2}, true},
		{experiment.Job{Workload: experiment.Goroutines, Workers: 2}, false},
		{experiment.Job{Workload: experiment.NonThreaded, Workers: 1}, false},
		{experiment.Job{Workload: experiment.DoNothing}, false},
	} {
		if got := experiment.DefaultTraced(tc.j); got != tc.want {
			t.Errorf("DefaultTraced(%s) = %v, want %v", tc.j.DataID(), got, tc.want)
		}
	}
}

func TestExperimentTraces(t *testing.T) {
	specs := []experiment.Spec{
		{Workload: experiment.NonThreaded, Kernel: workload.Native, Unit: 1 << 10},
		{Workload: experiment.Threads, Workers: 2, Kernel: workload.Native, Unit: 1 << 10},
	}
	for _, tc := range []struct {
		name       string
		tracer     *fakeTracer
		wantTrace  bool
		wantReason string
	}{
		{"traced", &fakeTracer{trace: tracefake.NewProcesses(time.Second)}, true, ""},
		{"no privilege", &fakeTracer{err: errors.New("schedtrace: cannot trace the scheduler: missing root or CAP_PERFMON")}, false, "missing root or CAP_PERFMON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := experiment.Experiment{Specs: specs, Watcher: *fast(), Tracer: tc.tracer}
			res, err := e.Run(t.Context())
			if err != nil {
				t.Fatalf("Run() error = %v", err)
			}
			// The run is done either way, traced or not.
			if len(res.Runs) != 2 || res.Runs[1].Results[0] != workload.Expected(1<<10) {
				t.Fatalf("Run() = %d runs, want 2 that did their work", len(res.Runs))
			}
			if tc.tracer.calls != 1 {
				t.Errorf("tracer called %d times, want once: for threads:2 only", tc.tracer.calls)
			}
			rt := res.Traces["threads:2"]
			if rt == nil || len(res.Traces) != 1 {
				t.Fatalf("Traces = %v, want one for threads:2", res.Traces)
			}
			if (rt.Trace != nil) != tc.wantTrace || !strings.Contains(rt.NotTraced, tc.wantReason) || (tc.wantReason == "") != (rt.NotTraced == "") {
				t.Errorf("threads:2 trace %v, NotTraced %q; want trace %v and a reason naming %q", rt.Trace != nil, rt.NotTraced, tc.wantTrace, tc.wantReason)
			}
		})
	}
}

func TestReportShowsTraces(t *testing.T) {
	r := synthetic()
	r.Interval = time.Second
	r.Host = cpuwatch.Host{NumCPU: 2, GOMAXPROCS: 2, UserHZ: 100}
	for _, run := range r.Runs {
		run.Recording = recording(run.DataID, 8, 0.6, 0.3)
	}
	py2 := tracefake.NewPy2(300 * time.Millisecond).Trace
	py2.Lost = schedtrace.Lost{Kernel: 5}
	r.Traces = map[string]*experiment.RunTrace{
		"threading-py2:4":   {Trace: py2},
		"multiprocessing:4": {NotTraced: "schedtrace: cannot trace the scheduler: missing a mounted tracefs; mount -t tracefs nodev /sys/kernel/tracing"},
		"non-threaded:1":    {Trace: &schedtrace.Trace{}}, // cannot be drawn
	}
	dir := filepath.Join(t.TempDir(), "report")
	if err := r.WriteReport(dir); err != nil {
		t.Fatalf("WriteReport() error = %v", err)
	}
	page, err := os.ReadFile(filepath.Join(dir, experiment.ReportPage))
	if err != nil {
		t.Fatal(err)
	}
	run := r.Find("threading-py2:4")
	for _, name := range []string{experiment.TracePictureName(run), experiment.TracePageName(run)} {
		if !strings.Contains(string(page), `"`+name+`"`) {
			t.Errorf("page does not refer to %s", name)
		}
	}
	f, err := os.Open(filepath.Join(dir, experiment.TracePictureName(run)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("zoom picture: %v", err)
	}
	sentence := py2.Describe(py2.DefaultWindow())
	for _, want := range []string{
		sentence,
		"the kernel lost 5 scheduler events",
		"Not traced:</b> schedtrace: cannot trace the scheduler: missing a mounted tracefs; mount -t tracefs nodev /sys/kernel/tracing",
		"Not traced:</b> the trace could not be drawn: heatmap: bad trace",
	} {
		if !strings.Contains(string(page), want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(string(page), "No run was traced") {
		t.Error("page says no run was traced")
	}
	bad := experiment.TracePictureName(r.Find("non-threaded:1"))
	if _, err := os.Stat(filepath.Join(dir, bad)); err == nil || strings.Contains(string(page), bad) {
		t.Errorf("%s is left in the folder or named on the page, though its trace could not be drawn", bad)
	}
}

// TestExperimentReportDir checks that an experiment with a ReportDir
// draws each trace as its run ends and lets it go, and that the report
// then written is the one an experiment holding its traces writes: the
// same trace files, linked, with the same sentence; copied when the
// report goes to another folder.
func TestExperimentReportDir(t *testing.T) {
	specs := []experiment.Spec{
		{Workload: experiment.NonThreaded, Kernel: workload.Native, Unit: 1 << 10},
		{Workload: experiment.Threads, Workers: 2, Kernel: workload.Native, Unit: 1 << 10},
	}
	py2 := tracefake.NewPy2(300 * time.Millisecond).Trace
	run := func(dir string) *experiment.Results {
		e := experiment.Experiment{Specs: specs, Watcher: *fast(), Tracer: &fakeTracer{trace: py2}, ReportDir: dir}
		res, err := e.Run(t.Context())
		if err != nil {
			t.Fatalf("Run() error = %v", err)
		}
		return res
	}
	kept := run("")
	if kept.Traces["threads:2"].Trace == nil {
		t.Fatal("without a ReportDir the trace is let go")
	}
	keptDir := t.TempDir()
	if err := kept.WriteReport(keptDir); err != nil {
		t.Fatal(err)
	}

	dir := filepath.Join(t.TempDir(), "report")
	res := run(dir)
	rt := res.Traces["threads:2"]
	if rt == nil || rt.Trace != nil || rt.Drawn == nil || res.Find("threads:2").Trace != nil {
		t.Fatalf("threads:2 RunTrace = %+v, want its trace let go and Drawn set", rt)
	}
	if want := py2.Describe(py2.DefaultWindow()); rt.Drawn.Sentence != want {
		t.Errorf("Drawn.Sentence = %q, want %q", rt.Drawn.Sentence, want)
	}
	picture, page := res.TraceNames(res.Find("threads:2"))
	if rt.Drawn.Picture != picture || rt.Drawn.Page != page {
		t.Errorf("Drawn names %q, %q; want WriteReport's %q, %q", rt.Drawn.Picture, rt.Drawn.Page, picture, page)
	}
	other := t.TempDir()
	for _, to := range []string{dir, other} {
		if err := res.WriteReport(to); err != nil {
			t.Fatalf("WriteReport(%s) error = %v", to, err)
		}
		index, err := os.ReadFile(filepath.Join(to, experiment.ReportPage))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`"` + picture + `"`, `"` + page + `"`, rt.Drawn.Sentence} {
			if !strings.Contains(string(index), want) {
				t.Errorf("%s: report page lacks %q", to, want)
			}
		}
		for _, name := range []string{picture, page} {
			got, err := os.ReadFile(filepath.Join(to, name))
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(keptDir, name))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s: %s differs from the one drawn at the end", to, name)
			}
		}
	}
}

// TestExperimentReportDirBadTrace checks that a trace that cannot be
// drawn as its run ends is reported as such, as WriteReport reports it.
func TestExperimentReportDirBadTrace(t *testing.T) {
	specs := []experiment.Spec{{Workload: experiment.Threads, Workers: 2, Kernel: workload.Native, Unit: 1 << 10}}
	dir := t.TempDir()
	e := experiment.Experiment{Specs: specs, Watcher: *fast(), Tracer: &fakeTracer{trace: &schedtrace.Trace{}}, ReportDir: dir}
	res, err := e.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	rt := res.Traces["threads:2"]
	if rt == nil || rt.Trace != nil || rt.Drawn != nil || !strings.Contains(rt.NotTraced, "the trace could not be drawn: heatmap: bad trace") {
		t.Fatalf("threads:2 RunTrace = %+v, want a reason naming the bad trace", rt)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("the folder holds %d files, want none for a trace that could not be drawn", len(entries))
	}
}

// TestExperimentReportDirStopped checks that an experiment that fails
// after drawing a trace takes its files back, the folder too when it made
// it, and says so: an experiment that stops leaves no partial report.
func TestExperimentReportDirStopped(t *testing.T) {
	specs := []experiment.Spec{
		{Workload: experiment.Threads, Workers: 2, Kernel: workload.Native, Unit: 1 << 10},
		{Workload: experiment.Threads, Workers: -1}, // invalid: the experiment stops here
	}
	dir := filepath.Join(t.TempDir(), "report")
	e := experiment.Experiment{Specs: specs, Watcher: *fast(), ReportDir: dir,
		Tracer: &fakeTracer{trace: tracefake.NewPy2(300 * time.Millisecond).Trace}}
	res, err := e.Run(t.Context())
	if err == nil {
		t.Fatal("Run() error = nil, want the invalid spec's")
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the report folder is left after the experiment stopped: %v", err)
	}
	rt := res.Traces["threads:2"]
	if rt == nil || rt.Drawn != nil || !strings.Contains(rt.NotTraced, "was removed") {
		t.Errorf("threads:2 RunTrace = %+v, want one saying its drawn trace was removed", rt)
	}
}
