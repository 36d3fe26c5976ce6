package experiment

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/heatmap"
)

// Files of a report folder besides the pictures.
const (
	// ReportPage is the page a person opens.
	ReportPage = "index.html"
	// ReportResults holds the Results as JSON, every recording included.
	ReportResults = "results.json"
)

// PictureName returns the file name of a run's heatmap in a report folder:
// its DataID with characters unsafe in file names replaced, plus ".png".
func PictureName(run *corescope.Result) string { return fileStem(run) + ".png" }

// ThreadPictureName returns the file name of a run's thread timeline in a
// report folder, or "" when the recording followed no threads.
func ThreadPictureName(run *corescope.Result) string {
	if !hasThreads(run) {
		return ""
	}
	return fileStem(run) + "-threads.png"
}

// TracePictureName returns the file name of a traced run's zoom picture
// (heatmap.WriteTracePNG of its default window) in a report folder.
func TracePictureName(run *corescope.Result) string { return heatmap.TraceFileName(PictureName(run)) }

// TracePageName returns the file name of a traced run's zoomable page
// (heatmap.WriteTraceHTML) in a report folder.
func TracePageName(run *corescope.Result) string { return fileStem(run) + "-trace.html" }

func fileStem(run *corescope.Result) string {
	name := run.DataID
	if name == "" {
		name = run.Workload
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '-'
	}, name)
}

// hasThreads reports whether the run did work and its recording followed
// threads (cpuwatch.Watcher.FollowSelf and friends) that were seen using
// CPU: child processes that live less than an interval never are.
func hasThreads(run *corescope.Result) bool {
	if run.Recording == nil || run.Workers == 0 {
		return false
	}
	for _, s := range run.Recording.Samples {
		for _, t := range s.Threads {
			if t.User+t.System > 0 {
				return true
			}
		}
	}
	return false
}

// WriteReport writes a report folder: a heatmap PNG per run (PictureName),
// a thread timeline per run whose watcher followed threads
// (ThreadPictureName), a zoom picture and a zoomable page of each traced
// run's scheduler trace (TracePictureName, TracePageName), results.json (the Results as JSON, every recording included) and
// index.html, one page that shows the pictures, a table per model, the
// seed's numbers beside these and what they mean. dir is created if
// needed; files already in it are overwritten.
func (r *Results) WriteReport(dir string) error {
	if len(r.Runs) == 0 {
		return errNoRuns
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("corescope: report: %w", err)
	}
	r = r.drawTraces(dir)
	for _, run := range r.Runs {
		if run.Recording == nil {
			continue
		}
		if err := writePNG(filepath.Join(dir, PictureName(run)), func(w io.Writer) error {
			// Split shows user and system time apart: the system share
			// is what tells the Python 2 GIL from the others.
			return heatmap.WritePNG(w, run.Recording, heatmap.Options{Mode: heatmap.Split})
		}); err != nil {
			return err
		}
		if name := ThreadPictureName(run); name != "" {
			if err := writePNG(filepath.Join(dir, name), func(w io.Writer) error {
				return heatmap.WriteThreadsPNG(w, run.Recording, heatmap.ThreadOptions{})
			}); err != nil {
				return err
			}
		}
	}
	b, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return fmt.Errorf("corescope: report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ReportResults), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("corescope: report: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, ReportPage))
	if err != nil {
		return fmt.Errorf("corescope: report: %w", err)
	}
	err = r.WriteHTML(f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("corescope: report: %w", cerr)
	}
	return err
}

// drawTraces writes the zoom picture and page of every traced run into
// dir and returns r with a trace that could not be drawn marked, in a
// copy of its Traces, as not traced, saying why: one bad trace costs its
// pictures, not the report.
func (r *Results) drawTraces(dir string) *Results {
	if len(r.Traces) == 0 {
		return r
	}
	out := *r
	out.Traces = make(map[string]*RunTrace, len(r.Traces))
	for _, run := range r.Runs {
		rt := r.Traces[run.DataID]
		if rt == nil {
			continue
		}
		out.Traces[run.DataID] = rt
		if rt.Trace == nil {
			continue
		}
		// 760 pixels of time keep the picture, legend included, about as
		// wide as the heatmap beside it.
		opts := heatmap.TraceOptions{Title: run.DataID + ": scheduler trace", Width: 760}
		// WriteTraceFile leaves no file behind when it fails.
		err := heatmap.WriteTraceFile(filepath.Join(dir, TracePictureName(run)), rt.Trace, opts)
		if err == nil {
			err = heatmap.WriteTraceFile(filepath.Join(dir, TracePageName(run)), rt.Trace, opts)
		}
		if err != nil {
			out.Traces[run.DataID] = &RunTrace{NotTraced: "the trace could not be drawn: " + err.Error()}
		}
	}
	return &out
}

// traceView is what the report page shows of a run's trace.
type traceView struct {
	Picture, Page string
	// Sentence reads the picture's window, from the data.
	Sentence string
	// NotTraced says why there is no trace.
	NotTraced string
}

// TraceView returns what the report shows of run's trace, or nil when
// the experiment did not try to trace it.
func (r *Results) traceView(run *corescope.Result) *traceView {
	rt := r.Traces[run.DataID]
	switch {
	case rt == nil:
		return nil
	case rt.Trace == nil:
		return &traceView{NotTraced: rt.NotTraced}
	}
	return &traceView{Picture: TracePictureName(run), Page: TracePageName(run),
		Sentence: rt.Trace.Describe(rt.Trace.DefaultWindow())}
}

// writePNG creates name and fills it with draw.
func writePNG(name string, draw func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("corescope: report: %w", err)
	}
	err = draw(f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("corescope: report: %s: %w", name, err)
	}
	return nil
}

//go:embed report.html
var reportHTML string

// reportTemplate is parsed once; templates are safe for concurrent use.
var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"f1":      func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"f2":      func(v float64) string { return fmt.Sprintf("%.2f", v) },
	"pct":     func(v float64) string { return fmt.Sprintf("%.0f %%", 100*v) },
	"picture": PictureName,
	"threads": ThreadPictureName,
	"pow2":    pow2,
	"twice":   func(n int) int { return 2 * n },
	"sub":     func(a, b float64) float64 { return a - b },
	"perSec": func(n int64, secs float64) string {
		if secs <= 0 {
			return "–"
		}
		return fmt.Sprintf("%.0f", float64(n)/secs)
	},
}).Parse(reportHTML))

// pow2 writes n as 2^k when it is a power of two.
func pow2(n uint64) string {
	if n != 0 && n&(n-1) == 0 {
		k := 0
		for m := n; m > 1; m >>= 1 {
			k++
		}
		return fmt.Sprintf("2^%d", k)
	}
	return fmt.Sprint(n)
}

// group is one model's runs on the report page.
type group struct {
	Title, About string
	Rows         []groupRow
}

type groupRow struct {
	Row
	Run *corescope.Result
}

// page is what the report template sees.
type page struct {
	*Results
	Generated   time.Time
	Kernel      string
	Unit, Units uint64
	SerialWall  float64
	Groups      []group
	Seed        []Comparison
	// Trace returns what to show of a run's trace.
	Trace func(*corescope.Result) *traceView
}

// title and about name and describe each model on the report page.
func (w Workload) title() string {
	switch w {
	case DoNothing:
		return "Baseline (do-nothing)"
	case NonThreaded:
		return "Serial (non-threaded)"
	case Multiprocessing:
		return "Processes (multiprocessing)"
	case Threads:
		return "Locked OS threads, no GIL (threads)"
	case Goroutines:
		return "Goroutines (goroutines)"
	case Threading:
		return "Python 3 GIL (threading)"
	case ThreadingPy2:
		return "Python 2 GIL (threading-py2)"
	}
	return string(w)
}

func (w Workload) about() string {
	switch w {
	case DoNothing:
		return "The machine with nothing of ours running: the background every other picture sits on."
	case NonThreaded:
		return "The loop on one thread: the yardstick every speed-up is measured against."
	case Multiprocessing:
		return "One child process per worker, each doing the serial run's work, as Python's multiprocessing does."
	case Threads:
		return "One goroutine locked to its own OS thread per worker, each doing the serial run's work, with no lock between them."
	case Goroutines:
		return "Plain goroutines, each doing the serial run's work, which Go schedules onto GOMAXPROCS threads."
	case Threading:
		return "OS threads that must hold an emulated Python 3 GIL to run a bytecode; each does a quarter of the serial run's work, as the seed's threads did."
	case ThreadingPy2:
		return "OS threads under an emulated Python 2 GIL, the seed's Python 2.7; each does a quarter of the serial run's work."
	}
	return ""
}

// Find returns the run named id, or nil.
func (r *Results) Find(id string) *corescope.Result {
	for _, run := range r.Runs {
		if run.DataID == id {
			return run
		}
	}
	return nil
}

// WriteHTML writes the report page. It refers to each run's picture by
// PictureName, so it belongs in the folder WriteReport fills.
func (r *Results) WriteHTML(w io.Writer) error {
	p := page{Results: r, Generated: time.Now(), Seed: r.CompareSeed()}
	if s := r.Serial(); s != nil {
		p.SerialWall, p.Kernel, p.Unit = s.WallSeconds, s.Kernel, s.Unit
		if s.Unit > 0 {
			p.Units = s.Size / s.Unit
		}
	}
	p.Trace = r.traceView
	rows := r.Table()
	for _, wl := range Workloads() {
		g := group{Title: wl.title(), About: wl.about()}
		for i, run := range r.Runs {
			if run.Workload == string(wl) {
				g.Rows = append(g.Rows, groupRow{Row: rows[i], Run: run})
			}
		}
		if len(g.Rows) > 0 {
			p.Groups = append(p.Groups, g)
		}
	}
	if err := reportTemplate.Execute(w, p); err != nil {
		return fmt.Errorf("corescope: report: %w", err)
	}
	return nil
}
