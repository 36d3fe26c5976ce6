package heatmap

import (
	"os"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/tracefake"
	"github.com/corescope/corescope/schedtrace"
)

func TestLookTrace(t *testing.T) {
	dir := os.Getenv("TRACE_LOOK")
	if dir == "" {
		t.Skip("set TRACE_LOOK=dir to write pictures")
	}
	for name, tr := range map[string]*schedtrace.Trace{
		"py2": tracefake.NewPy2(time.Second).Trace, "py3": tracefake.NewPy3(3 * time.Second),
		"proc": tracefake.NewProcesses(2 * time.Second), "many": tracefake.NewMany(300 * time.Millisecond),
	} {
		f, _ := os.Create(dir + "/" + name + ".png")
		if err := WriteTracePNG(f, tr, TraceOptions{Title: name}); err != nil {
			t.Fatal(err)
		}
		f.Close()
		f, _ = os.Create(dir + "/" + name + ".svg")
		if err := WriteTraceSVG(f, tr, TraceOptions{Title: name}); err != nil {
			t.Fatal(err)
		}
		f.Close()
		f, _ = os.Create(dir + "/" + name + ".html")
		if err := WriteTraceHTML(f, tr, TraceOptions{Title: name}); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
}
