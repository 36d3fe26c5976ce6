//go:build linux

package main

import (
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/cpuwatch"
)

// TestTrace runs a command under --trace, with and without --record, and
// reads what it wrote: a Trace Event file with the command's on-CPU
// slices, the zoom picture beside the heatmap or the recording, and the
// recording itself. It skips, with the reason watch gave, where the
// machine cannot trace.
func TestTrace(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	// About a third of a second of shell arithmetic, in a child of the
	// command: what is traced is the command and its children.
	spin := []string{"--", "/bin/sh", "-c", "(i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done)"}
	for _, tc := range []struct {
		name  string
		args  []string
		files []string // beside the Trace Event file, which is always t.json
	}{
		{"heatmap", []string{"--interval", "50ms", "--trace", "t.json"}, []string{"watch.png", "watch-threads.png", "watch-trace.png"}},
		{"record", []string{"--interval", "50ms", "--record", "rec.csrec", "--trace", "t.json"}, []string{"rec.csrec", "rec-trace.png"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := start(t, append(tc.args, spin...)...)
			if code := w.wait(60 * time.Second); code != 0 {
				t.Fatalf("watch exited %d; stderr:\n%s", code, w.stderr.String())
			}
			if msg := w.stderr.String(); strings.Contains(msg, "not tracing:") {
				t.Skipf("cannot trace here: %s", msg)
			}
			b, err := os.ReadFile(filepath.Join(w.dir, "t.json"))
			if err != nil {
				t.Fatalf("no Trace Event file: %v; files %v; stderr:\n%s", err, w.files(), w.stderr.String())
			}
			var doc struct {
				TraceEvents []struct {
					Name, Cat, Ph string
					PID, TID      int
					Dur           float64
					Args          map[string]any
				}
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatalf("t.json is not JSON: %v", err)
			}
			var shBusy float64
			names := map[int]string{}
			for _, e := range doc.TraceEvents {
				if e.Ph == "M" && e.Name == "thread_name" {
					names[e.TID], _ = e.Args["name"].(string)
				}
			}
			for _, e := range doc.TraceEvents {
				if e.Ph == "X" && e.Cat == "sched" && names[e.TID] == "sh" {
					shBusy += e.Dur
				}
			}
			if shBusy < 10e3 {
				t.Errorf("the trace has %.0f µs of the shell on a CPU, want its spinning (≥ 10 ms); threads %v", shBusy, names)
			}
			for _, name := range tc.files {
				if !w.exists(name) {
					t.Errorf("no %s; files %v; stdout:\n%s", name, w.files(), w.stdout.String())
				}
			}
			zoom := tc.files[len(tc.files)-1]
			f, err := os.Open(filepath.Join(w.dir, zoom))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			img, err := png.Decode(f)
			if err != nil {
				t.Fatalf("%s: %v", zoom, err)
			}
			if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 100 {
				t.Errorf("%s is %v, want a zoom picture", zoom, b)
			}
			if tc.name == "record" {
				rec, err := cpuwatch.ReadRecordingFile(filepath.Join(w.dir, "rec.csrec"))
				if err != nil || rec == nil || rec.Len() == 0 {
					t.Errorf("rec.csrec: %v, %v; want the samples", rec, err)
				}
			}
		})
	}
}
