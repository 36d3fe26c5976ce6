package heatmap

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"slices"
	"time"

	"github.com/corescope/corescope/schedtrace"
)

// WriteTraceHTML writes all of tr to w as a self-contained HTML page in
// which the reader zooms and pans: the lanes of [RenderTrace], drawn on a
// canvas by a small inline script from the trace embedded as JSON. It
// loads nothing from elsewhere.
//
// The page opens on opts.Window (zero: the trace's default window). The
// mouse wheel zooms about the pointer, dragging pans, and the buttons show
// the whole trace or the default window again. The URL's fragment names
// the window, as in page.html#from=500ms&to=502ms (units ns, us or µs, ms
// and s; a bare number is µs), and follows every zoom, so a link
// reproduces a view. The thread lanes are those of the opts.MaxThreads
// threads that ran most over the whole trace.
//
// For scripts and tests the page keeps its state in window.corescope:
// from and to (ns from the trace's start), drawn (how many slices the CPU
// lanes show: those overlapping the window), marks (how many failed
// wake-ups, drop requests and forced switches the thread lanes show, as
// fw, dr and fs) and setWindow(from, to).
func WriteTraceHTML(w io.Writer, tr *schedtrace.Trace, opts TraceOptions) error {
	if err := checkTrace(tr, opts); err != nil {
		return err
	}
	page, data, err := tracePageOf(tr, opts)
	if err != nil {
		return err
	}
	// The template fills in all but the data, at dataMark; the data, tens
	// of MB for a GIL storm, goes straight to w rather than through the
	// template's buffers.
	var doc bytes.Buffer
	if err := tracePageTemplate.Execute(&doc, page); err != nil {
		return fmt.Errorf("heatmap: %w", err)
	}
	head, tail, ok := bytes.Cut(doc.Bytes(), []byte(dataMark))
	if !ok || bytes.Contains(tail, []byte(dataMark)) {
		return errors.New("heatmap: trace page: the data's place is not marked once")
	}
	return buffered(w, func(bw *bufio.Writer) error {
		bw.Write(head)
		if err := data.writeJSON(bw); err != nil {
			return err
		}
		_, err := bw.Write(tail)
		return err
	})
}

// dataMark stands for the trace data in the page template's output. The
// data is JSON from encoding/json, which escapes <, >, & and U+2028/2029:
// the text html/template writes for the data value itself.
const dataMark = "/*corescope:trace-data*/"

// tracePage is what the page template fills in.
type tracePage struct {
	Title    string
	Subtitle string
	Lost     string
	Threads  []legendItem
	CPUs     []legendItem
	GIL      bool
	// DropRequests and ForcedSwitches say whether the trace has any, for
	// the legend.
	DropRequests, ForcedSwitches bool
	// Data is dataMark, where WriteTraceHTML puts the traceData's JSON.
	Data template.JS
}

type legendItem struct {
	Label string
	Hue   string
}

// traceData is the trace as the page's script reads it. Times are ns from
// the trace's start; every lane's spans are flattened triples, each start
// the difference from the previous one's start, packed as zig-zag varints
// in base64 (a [packed] string): a third of the size of a JSON array of
// numbers, for the hundreds of thousands of slices a second of a GIL
// storm makes.
type traceData struct {
	Duration int64 `json:"dur"`
	// Win is the window the page opens on; Def the default window.
	Win [2]int64 `json:"win"`
	Def [2]int64 `json:"def"`
	// CPUs are the lanes' labels; CPUHue the colour of each CPU ("" for
	// one that ran nothing).
	CPUs   []string `json:"cpus"`
	CPUHue []string `json:"cpuHue"`
	// ThreadHue is the colour and ThreadName the label of each thread,
	// indexed as Slices index them.
	ThreadHue  []string `json:"threadHue"`
	ThreadName []string `json:"threadName"`
	// Slices holds per CPU lane (start, length, thread) triples.
	Slices []packed `json:"slices"`
	// Lanes are the thread lanes.
	Lanes []laneData `json:"lanes"`
	GIL   bool       `json:"gil"`
	// Height is the CPU lanes' budget in pixels; Width the time axis's.
	Height int `json:"height"`
	Width  int `json:"width"`
}

// writeJSON writes d as json.Marshal would, byte for byte, but a lane at
// a time: the whole of a GIL storm's data marshaled at once would be held
// two or three times over (the encoder's growing buffer, then its copy).
func (d *traceData) writeJSON(w io.Writer) error {
	head, err := json.Marshal(struct {
		Duration   int64    `json:"dur"`
		Win        [2]int64 `json:"win"`
		Def        [2]int64 `json:"def"`
		CPUs       []string `json:"cpus"`
		CPUHue     []string `json:"cpuHue"`
		ThreadHue  []string `json:"threadHue"`
		ThreadName []string `json:"threadName"`
	}{d.Duration, d.Win, d.Def, d.CPUs, d.CPUHue, d.ThreadHue, d.ThreadName})
	if err != nil {
		return err
	}
	tail, err := json.Marshal(struct {
		GIL    bool `json:"gil"`
		Height int  `json:"height"`
		Width  int  `json:"width"`
	}{d.GIL, d.Height, d.Width})
	if err != nil {
		return err
	}
	parts := [][]byte{head[:len(head)-1], []byte(`,"slices":`)}
	if _, err := w.Write(bytes.Join(parts, nil)); err != nil {
		return err
	}
	if err := writeJSONArray(w, d.Slices); err != nil {
		return err
	}
	if _, err := io.WriteString(w, `,"lanes":`); err != nil {
		return err
	}
	if err := writeJSONArray(w, d.Lanes); err != nil {
		return err
	}
	_, err = w.Write(append([]byte{','}, tail[1:]...))
	return err
}

// writeJSONArray writes a as json.Marshal would, an element at a time.
func writeJSONArray[T any](w io.Writer, a []T) error {
	if a == nil {
		_, err := io.WriteString(w, "null")
		return err
	}
	sep := "["
	for _, v := range a {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, sep); err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		sep = ","
	}
	if sep == "[" {
		_, err := io.WriteString(w, "[]")
		return err
	}
	_, err := io.WriteString(w, "]")
	return err
}

// laneData is one thread lane: (start, length, kind) triples of States,
// kind the CPU lane index while running, -1 runnable, -2 asleep; of Lock,
// kind 0 held and 1 wanted; FailedWakes, DropRequests and ForcedSwitches
// as time differences alone.
type laneData struct {
	Label          string `json:"label"`
	States         packed `json:"states"`
	Lock           packed `json:"lock,omitempty"`
	FailedWakes    packed `json:"fw,omitempty"`
	DropRequests   packed `json:"dr,omitempty"`
	ForcedSwitches packed `json:"fs,omitempty"`
}

// tripler appends (start, length, kind) triples with starts as
// differences, straight as varints: a GIL storm's lane has millions, and
// three int64s each before packing would take several times the page.
type tripler struct {
	buf  []byte
	last time.Duration
}

func (t *tripler) add(start, end time.Duration, kind int) {
	t.buf = binary.AppendVarint(t.buf, int64(start-t.last))
	t.buf = binary.AppendVarint(t.buf, int64(end-start))
	t.buf = binary.AppendVarint(t.buf, int64(kind))
	t.last = start
}

// packed returns the triples as a packed string.
func (t *tripler) packed() packed { return packBytes(t.buf) }

// tracePageOf returns what the page template fills in, and the trace
// data.
func tracePageOf(tr *schedtrace.Trace, opts TraceOptions) (*tracePage, *traceData, error) {
	maxThreads := cmp.Or(opts.MaxThreads, DefaultMaxTraceThreads)
	f := newFonts()
	// The static picture's colours and legend, from its layout of the
	// opening window.
	lanes := traceLanes{states: tr.ThreadStates(), gil: tr.GILStatesIn(opts.window(tr))}
	sh, err := layoutTrace(tr, opts, lanes, f)
	if err != nil {
		return nil, nil, err
	}
	def := tr.DefaultWindow()
	d := traceData{
		Duration: int64(tr.Duration),
		Win:      [2]int64{int64(sh.win.From), int64(sh.win.To)},
		Def:      [2]int64{int64(def.From), int64(def.To)},
		GIL:      len(tr.GIL) > 0,
		Height:   cmp.Or(opts.Height, DefaultGridHeight/2),
		Width:    cmp.Or(opts.Width, DefaultGridWidth),
	}
	cpuIdx := map[int]int{}
	p := &tracePage{Title: sh.title, GIL: d.GIL, Lost: tr.LostSentence(), CPUs: sh.cpuLegend,
		DropRequests: hasGIL(tr, schedtrace.GILDropRequest), ForcedSwitches: hasGIL(tr, schedtrace.GILForcedSwitch)}
	for i, c := range tr.CPUs {
		cpuIdx[c] = i
		d.CPUs = append(d.CPUs, fmt.Sprintf("cpu%d", c))
		hue := ""
		if sw, ok := sh.cpuHue[c]; ok {
			hue = hexOf(sh.swatches[sw])
		}
		d.CPUHue = append(d.CPUHue, hue)
	}
	order := threadOrder(tr)
	threadIdx := map[int]int{}
	for i, tid := range order {
		threadIdx[tid] = i
		d.ThreadHue = append(d.ThreadHue, hexOf(sh.swatches[sh.threadHue[tid]]))
		d.ThreadName = append(d.ThreadName, threadLabel(tr, tid))
	}
	perCPU := make([]tripler, len(tr.CPUs))
	ran := map[int]time.Duration{}
	for _, s := range tr.Slices {
		perCPU[cpuIdx[s.CPU]].add(s.Start, s.End, threadIdx[s.TID])
		ran[s.TID] += s.Len()
	}
	for _, t := range perCPU {
		d.Slices = append(d.Slices, t.packed())
	}

	// Lanes for the threads that ran most over the whole trace.
	shown := slices.Clone(order)
	slices.SortStableFunc(shown, func(a, b int) int { return cmp.Compare(ran[b], ran[a]) })
	shown = shown[:min(len(shown), maxThreads)]
	slices.Sort(shown)
	for _, tid := range shown {
		p.Threads = append(p.Threads, legendItem{threadLabel(tr, tid), d.ThreadHue[threadIdx[tid]]})
		ln := laneData{Label: threadLabel(tr, tid)}
		var st tripler
		for _, sp := range lanes.states[tid] {
			kind := -1
			switch sp.State {
			case schedtrace.Running:
				kind = cpuIdx[sp.CPU]
			case schedtrace.Asleep:
				kind = -2
			}
			st.add(sp.Start, sp.End, kind)
		}
		ln.States = st.packed()
		if d.GIL {
			var lk tripler
			// Packed span by span as they are found: a GIL storm's
			// thread has millions.
			for sp := range tr.GILSpans(tid) {
				kind := 0
				if sp.State == schedtrace.GILWanted {
					kind = 1
				}
				lk.add(sp.Start, sp.End, kind)
			}
			ln.Lock = lk.packed()
			ln.FailedWakes = gilTimes(tr, tid, schedtrace.GILFailedWake)
			ln.DropRequests = gilTimes(tr, tid, schedtrace.GILDropRequest)
			ln.ForcedSwitches = gilTimes(tr, tid, schedtrace.GILForcedSwitch)
		}
		d.Lanes = append(d.Lanes, ln)
	}
	if len(order) > len(shown) {
		p.Subtitle = fmt.Sprintf("of the %d threads that ran, the %d that ran most have lanes", len(order), len(shown))
	}
	p.Data = dataMark
	return p, &d, nil
}

// gilTimes packs the times of thread tid's GIL events of kind k, each
// the difference from the one before.
func gilTimes(tr *schedtrace.Trace, tid int, k schedtrace.GILEventKind) packed {
	var last time.Duration
	var buf []byte
	for _, e := range tr.GIL {
		if int(e.TID) == tid && e.Kind == k {
			buf = binary.AppendVarint(buf, int64(e.Time-last))
			last = e.Time
		}
	}
	return packBytes(buf)
}

// packed is a list of integers as zig-zag varints (encoding/binary's
// PutVarint) in standard base64.
type packed string

// packBytes returns varints already appended (binary.AppendVarint) as a
// packed string.
func packBytes(varints []byte) packed {
	return packed(base64.StdEncoding.EncodeToString(varints))
}
