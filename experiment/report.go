package experiment

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/heatmap"
	"github.com/corescope/corescope/internal/atomicfile"
	"github.com/corescope/corescope/internal/textsafe"
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
// Runs of one Results whose names coincide get "-2", "-3" … in a report:
// [Results.PictureNames] gives the names a report really uses.
func PictureName(run *corescope.Result) string { return fileStem(run) + ".png" }

// PictureNames returns the file names of run's heatmap and thread timeline
// (or "" if it has none) in the report folder of r. They are
// PictureName's and ThreadPictureName's, made unique within r: a run
// whose names another run earlier in r already took gets the first free
// suffix "-2", "-3" …, so no run's picture overwrites another's. run must
// be one of r.Runs; for any other it returns "", "".
func (r *Results) PictureNames(run *corescope.Result) (heatmap, threads string) {
	stem, ok := r.stems()[run]
	if !ok {
		return "", ""
	}
	if hasThreads(run) {
		threads = stem + "-threads.png"
	}
	return stem + ".png", threads
}

// stems gives each run of r the stem of its file names, unique in r:
// neither of a stem's two names (stem.png, stem-threads.png) is one that
// another run's stem makes.
func (r *Results) stems() map[*corescope.Result]string {
	stems := make(map[*corescope.Result]string, len(r.Runs))
	used := map[string]bool{}
	free := func(stem string) bool {
		return !used[stem+".png"] && !used[stem+"-threads.png"] && !used[stem+"-trace.png"]
	}
	for _, run := range r.Runs {
		if run == nil {
			continue
		}
		base := fileStem(run)
		stem := base
		for k := 2; !free(stem); k++ {
			stem = base + "-" + strconv.Itoa(k)
		}
		used[stem+".png"], used[stem+"-threads.png"], used[stem+"-trace.png"] = true, true, true
		stems[run] = stem
	}
	return stems
}

// ThreadPictureName returns the file name of a run's thread timeline in a
// report folder, or "" when the recording followed no threads.
func ThreadPictureName(run *corescope.Result) string {
	if !hasThreads(run) {
		return ""
	}
	return fileStem(run) + "-threads.png"
}

// TracePictureName returns the file name of a traced run's zoom picture
// (heatmap.WriteTracePNG of its default window) in a report folder, and
// TracePageName that of its zoomable page (heatmap.WriteTraceHTML): the
// run's PictureName with "-trace" before ".png", or "-trace.html". Like
// PictureName's, they get "-2", "-3" … in a report whose runs' names
// coincide: [Results.TraceNames] gives the names a report really uses.
func TracePictureName(run *corescope.Result) string { return heatmap.TraceFileName(PictureName(run)) }

// TracePageName: see TracePictureName.
func TracePageName(run *corescope.Result) string { return fileStem(run) + "-trace.html" }

// TraceNames returns the file names of run's zoom picture and page in the
// report folder of r, made unique within r as PictureNames are; "", ""
// for a run not in r.
func (r *Results) TraceNames(run *corescope.Result) (picture, page string) {
	stem, ok := r.stems()[run]
	if !ok {
		return "", ""
	}
	return stem + "-trace.png", stem + "-trace.html"
}

func fileStem(run *corescope.Result) string {
	name := run.DataID
	if name == "" {
		name = run.Workload
	}
	if name == "" {
		name = "run" // not ".png", a hidden file
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
	for _, s := range run.Recording.All() {
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
// run's scheduler trace (TracePictureName, TracePageName), results.json
// (the Results as JSON, every recording included) and index.html, one page that shows the pictures, a table per
// workload, the seed's numbers beside these and what they mean. dir is
// created if needed; files already in it are replaced, each only once its
// new content is complete. It returns ErrNoRuns when r holds no run.
//
// Two runs with the same DataID get pictures of different names (see
// PictureNames). A nil run, which no decoded Results holds, is an error.
func (r *Results) WriteReport(dir string) error {
	if err := r.check(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("experiment: report: %w", err)
	}
	r, err := r.drawTraces(dir)
	if err != nil {
		return err
	}
	for _, run := range r.Runs {
		if run.Recording == nil {
			continue
		}
		picture, threads := r.PictureNames(run)
		if err := writeFile(filepath.Join(dir, picture), func(w io.Writer) error {
			// Split shows user and system time apart: the system share
			// is what tells the Python 2 GIL from the others.
			return heatmap.WritePNG(w, run.Recording, heatmap.Options{Mode: heatmap.Split})
		}); err != nil {
			return err
		}
		if threads != "" {
			if err := writeFile(filepath.Join(dir, threads), func(w io.Writer) error {
				return heatmap.WriteThreadsPNG(w, run.Recording, heatmap.ThreadOptions{})
			}); err != nil {
				return err
			}
		}
	}
	if err := writeFile(filepath.Join(dir, ReportResults), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(r)
	}); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, ReportPage), r.writeHTML)
}

// drawTraces writes the zoom picture and page of every traced run into
// dir and returns r with a trace that could not be drawn marked, in a
// copy of its Traces, as not traced, saying why: one bad trace costs its
// pictures, not the report. A trace drawn as its run ended
// (Experiment.ReportDir) is not drawn again; its files are copied into
// dir if they were written elsewhere.
func (r *Results) drawTraces(dir string) (*Results, error) {
	if len(r.Traces) == 0 {
		return r, nil
	}
	out := *r
	out.Traces = make(map[string]*RunTrace, len(r.Traces))
	for _, run := range r.Runs {
		if run == nil {
			continue
		}
		rt := r.Traces[run.DataID]
		if rt == nil {
			continue
		}
		out.Traces[run.DataID] = rt
		if d := rt.Drawn; d != nil {
			if err := d.copyTo(dir); err != nil {
				return nil, err
			}
			continue
		}
		if rt.Trace == nil {
			continue
		}
		picture, page := r.TraceNames(run)
		out.Traces[run.DataID] = drawTrace(dir, run, rt, picture, page)
	}
	return &out, nil
}

// DrawnTrace names the files that hold a trace drawn as its run ended
// (Experiment.ReportDir), and what the report says of it.
type DrawnTrace struct {
	// Dir is the folder the files were written to.
	Dir string
	// Picture and Page are the zoom picture's and the page's file names
	// there (Results.TraceNames).
	Picture, Page string
	// Sentence reads the picture's window (Trace.Describe of its
	// DefaultWindow).
	Sentence string
}

// copyTo copies the files into dir, unless they are there already.
func (d *DrawnTrace) copyTo(dir string) error {
	if filepath.Clean(dir) == filepath.Clean(d.Dir) {
		return nil
	}
	for _, name := range []string{d.Picture, d.Page} {
		src, err := os.Open(filepath.Join(d.Dir, name))
		if err != nil {
			return fmt.Errorf("experiment: report: %w", err)
		}
		err = writeFile(filepath.Join(dir, name), func(w io.Writer) error {
			_, err := io.Copy(w, src)
			return err
		})
		src.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// drawTrace writes the zoom picture and page of run's trace rt into dir
// as picture and page, and returns rt with Drawn set, or, when the trace
// cannot be drawn, a RunTrace that says why with rt's counts. Neither
// returned RunTrace holds the trace: the files do.
func drawTrace(dir string, run *corescope.Result, rt *RunTrace, picture, page string) *RunTrace {
	// 760 pixels of time keep the picture, legend included, about as
	// wide as the heatmap beside it.
	opts := heatmap.TraceOptions{Title: run.DataID + ": scheduler trace", Width: 760}
	// Drawn in memory first, so that a trace that cannot be drawn
	// leaves no file and its reason names no path.
	var png bytes.Buffer
	err := heatmap.WriteTracePNG(&png, rt.Trace, opts)
	if err == nil {
		err = writeFile(filepath.Join(dir, picture), func(w io.Writer) error {
			_, err := w.Write(png.Bytes())
			return err
		})
	}
	if err == nil {
		err = writeFile(filepath.Join(dir, page), func(w io.Writer) error {
			return heatmap.WriteTraceHTML(w, rt.Trace, opts)
		})
	}
	if err != nil {
		return &RunTrace{NotTraced: "the trace could not be drawn: " + err.Error(),
			Switches: rt.Switches, Threads: rt.Threads, Seconds: rt.Seconds, Uncounted: rt.Uncounted}
	}
	drawn := *rt
	drawn.Trace = nil
	drawn.Drawn = &DrawnTrace{Dir: dir, Picture: picture, Page: page, Sentence: rt.Trace.Describe(rt.Trace.DefaultWindow())}
	return &drawn
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
	case rt.Drawn != nil:
		return &traceView{Picture: rt.Drawn.Picture, Page: rt.Drawn.Page, Sentence: rt.Drawn.Sentence}
	case rt.Trace == nil:
		return &traceView{NotTraced: rt.NotTraced}
	}
	picture, page := r.TraceNames(run)
	return &traceView{Picture: picture, Page: page, Sentence: rt.Trace.Describe(rt.Trace.DefaultWindow())}
}

// writeFile writes name through write, all or nothing (see atomicfile),
// so that a failed or interrupted write leaves any old file whole and no
// partial one.
func writeFile(name string, write func(io.Writer) error) error {
	if err := atomicfile.Write(name, write); err != nil {
		return fmt.Errorf("experiment: report: %s: %w", filepath.Base(name), err)
	}
	return nil
}

//go:embed report.html
var reportHTML string

// reportTemplate is parsed once; templates are safe for concurrent use.
var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"f1":  func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"f2":  func(v float64) string { return fmt.Sprintf("%.2f", v) },
	"pct": func(v float64) string { return fmt.Sprintf("%.0f %%", 100*v) },
	// picture and threads name a run's pictures; WriteHTML replaces them
	// with its Results' PictureNames.
	"picture": PictureName,
	"threads": ThreadPictureName,
	"pow2":    pow2,
	"metric":  formatMetric,
	"pctSpan": func(lo, hi float64) string { return fmt.Sprintf("%.0f–%.0f %%", 100*lo, 100*hi) },
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

// group is one workload's runs on the report page.
type group struct {
	Title, About string
	Rows         []groupRow
}

// groupRow is one run in its group's table: the cells of every column,
// and the run for its pictures.
type groupRow struct {
	Row
	Run   *corescope.Result
	Cells []cell
}

// page is what the report template sees. Everything the prose quotes —
// which runs it highlights, when it warns, the seed's figures — is chosen
// here, so the template holds words and layout only.
type page struct {
	*Results
	Generated   time.Time
	CPUs        int
	Kernel      string
	Unit, Units uint64
	SerialWall  float64
	Columns     []column
	Groups      []group
	Seed        []Comparison
	SeedFacts   seedFacts
	Fidelity    []Fidelity
	// PythonSizes says how much work the real interpreters' runs did;
	// PacedNote which emulated runs were paced, and to what speed.
	PythonSizes, PacedNote string
	// Warnings about the machine: the baseline's cores seen busy when it
	// was busy, the serial run's other work when there was some.
	BusyBaseline *corescope.Result
	SerialOther  float64
	// The runs the summary quotes, nil when the experiment lacks them:
	// the serial run, processes one and two per CPU, and the GIL runs
	// with as many threads as the seed's highlighted ones.
	Serial, ProcsPerCPU, ProcsTwicePerCPU, GIL3, GIL2 *corescope.Result
	// Trace returns what to show of a run's trace.
	Trace func(*corescope.Result) *traceView
}

// noteworthy is how many cores of other work make the page warn that the
// machine was busy: more than tick rounding and the watcher explain.
const noteworthy = 0.2

// WriteHTML writes the report page. It refers to each run's pictures by
// PictureNames, so it belongs in the folder WriteReport fills. A nil run
// is an error.
func (r *Results) WriteHTML(w io.Writer) error {
	if err := r.check(); err != nil {
		return err
	}
	if err := r.writeHTML(w); err != nil {
		return fmt.Errorf("experiment: report: %w", err)
	}
	return nil
}

// writeHTML is WriteHTML with the template's own error. The template's
// picture and threads name each run's pictures by r's PictureNames.
func (r *Results) writeHTML(w io.Writer) error {
	stems := r.stems()
	tmpl, err := reportTemplate.Clone()
	if err != nil {
		return err
	}
	tmpl.Funcs(template.FuncMap{
		"picture": func(run *corescope.Result) string { return stems[run] + ".png" },
		"threads": func(run *corescope.Result) string {
			if !hasThreads(run) {
				return ""
			}
			return stems[run] + "-threads.png"
		},
	})
	p := page{Results: r, Generated: time.Now(), CPUs: r.CPUs(), Seed: r.CompareSeed(), Columns: columns, SeedFacts: newSeedFacts(),
		Fidelity: r.Fidelity(), PythonSizes: r.pythonSizes()}
	p.PacedNote = pacedNote(p.Fidelity)
	if s := r.Serial(); s != nil {
		p.Serial = s
		p.SerialWall, p.Kernel, p.Unit = s.WallSeconds, s.Kernel, s.Unit
		if s.Unit > 0 {
			p.Units = s.Size / s.Unit
		}
		if other := s.EffectiveCores - s.CoresUsed; other > noteworthy {
			p.SerialOther = other
		}
	}
	for _, run := range r.Runs {
		if run != nil && Workload(run.Workload).Group() == GroupBaseline && run.EffectiveCores > noteworthy {
			p.BusyBaseline = run
			break
		}
	}
	p.ProcsPerCPU = r.Find(Job{Workload: Multiprocessing, Workers: p.CPUs}.DataID())
	p.ProcsTwicePerCPU = r.Find(Job{Workload: Multiprocessing, Workers: 2 * p.CPUs}.DataID())
	p.GIL3 = r.Find(Job{Workload: Threading, Workers: p.SeedFacts.GIL.Workers}.DataID())
	p.GIL2 = r.Find(Job{Workload: ThreadingPy2, Workers: p.SeedFacts.GIL.Workers}.DataID())

	p.Trace = r.traceView
	rows := r.Table()
	for _, e := range workloads {
		g := group{Title: e.title, About: e.about}
		for i, run := range r.Runs {
			if run.Workload == string(e.name) {
				gr := groupRow{Row: rows[i], Run: run}
				for _, c := range columns {
					gr.Cells = append(gr.Cells, c.html(rows[i], run))
				}
				g.Rows = append(g.Rows, gr)
			}
		}
		if len(g.Rows) > 0 {
			p.Groups = append(p.Groups, g)
		}
	}
	// The template escapes markup but passes controls and invalid UTF-8
	// from data (a DataID, a host name) through: the page is made
	// printable as a whole, as heatmap's pictures are text by text.
	var page bytes.Buffer
	if err := tmpl.Execute(&page, p); err != nil {
		return err
	}
	_, err = w.Write(textsafe.Page(page.Bytes()))
	return err
}

func formatMetric(v float64, unit string) string {
	switch unit {
	case "×":
		return fmt.Sprintf("%.2f×", v)
	case "cores":
		return fmt.Sprintf("%.2f", v)
	case "%":
		return fmt.Sprintf("%.0f %%", v)
	}
	return fmt.Sprintf("%.0f", v)
}

// pythonSizes describes the real interpreters' serial runs against the
// emulation's.
func (r *Results) pythonSizes() string {
	emu := r.Serial()
	var parts []string
	same := true
	for _, run := range r.Runs {
		if run.Interpreter == "" || Workload(run.Workload).Group() != GroupSerial {
			continue
		}
		p := fmt.Sprintf("%s's serial run did %d iterations in %.2f s (%.1f ns an iteration on one core)",
			run.Interpreter, run.Iterations(), run.WallSeconds, run.NsPerIteration)
		if emu != nil && emu.Iterations() > 0 {
			ratio := float64(run.Iterations()) / float64(emu.Iterations())
			same = same && ratio == 1
			p += fmt.Sprintf(", %.2f× the emulation's work", ratio)
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return ""
	}
	if same {
		return strings.Join(parts, "; ") + ": every real run does the work of the matching emulated run."
	}
	return strings.Join(parts, "; ") + ": a real interpreter is slower than the bytecode kernel, so its runs are sized to keep the whole experiment within about three minutes; they keep the emulated runs' proportions (4 threads share the serial work)."
}

// hasPy2 reports whether fs compares a Python 2 GIL run.
func hasPy2(fs []Fidelity) bool {
	for _, f := range fs {
		if f.Workload == ThreadingPy2 && f.Emulated.Pace != nil {
			return true
		}
	}
	return false
}

// pacedNote says, for each interpreter whose comparisons use a paced
// emulation, what was paced and how the pace was met, and which
// comparisons use the emulation at its own speed.
func pacedNote(fs []Fidelity) string {
	var paced, own []string
	seen := map[string]bool{}
	for _, f := range fs {
		if f.Emulated.Pace == nil {
			own = append(own, fmt.Sprintf("%s's %s:%d", f.Interpreter, f.Workload, f.Workers))
			continue
		}
		if seen[f.Interpreter] {
			continue
		}
		seen[f.Interpreter] = true
		pc := f.Emulated.Pace
		how := fmt.Sprintf("the kernel's own %.1f ns here, padded with %.1f spin steps of %.2f ns", pc.KernelNs, pc.Steps, pc.StepNs)
		if pc.Unmet {
			how = fmt.Sprintf("not met: the kernel alone took %.1f ns here, so it ran with no spin steps, held only by the floor", pc.KernelNs)
		}
		paced = append(paced, fmt.Sprintf("to %s's %.1f ns an iteration (%s)", f.Interpreter, pc.NsPerIteration, how))
	}
	var b strings.Builder
	if len(paced) > 0 {
		b.WriteString("The emulated rows compared here were paced (workload.Work.NsPerIteration, as watchcpu --speed-of does), with a serial run paced the same way for their speed-ups and the real runs' work: " +
			strings.Join(paced, "; ") + ". One pace per interpreter, measured just before the first of its paced runs, is shared by all of them, so that their speed-ups compare runs paced alike; a paced kernel also holds a floor on the wall clock, so that no check interval is shorter than the interpreter's (each run's JSON has its \"pace\").")
		if hasPy2(fs) {
			b.WriteString(" With 2 threads on 2 CPUs the Python 2 storm runs in one of two regimes, in CPython as in the emulation: the waiter sleeps at almost every release (about 1.4 cores used, tens of thousands of context switches a second) or stays awake through failed wake-ups (1.8–1.9 cores, a few thousand); which one a run falls into moves with the host, so compare the two sides' context switches before their cores (BENCHMARKS.md, \"The storm's regimes\").")
		}
	}
	if len(own) > 0 {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString("Compared with the emulation at its own speed: " + strings.Join(own, ", ") + ".")
	}
	return b.String()
}
