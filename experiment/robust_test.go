package experiment_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/experiment"
)

// TestNullRunRefused decodes results with a null run, which a hand-edited
// or truncated results.json can hold: decoding fails naming the run, and
// Results built with a nil run make every writer fail, not panic.
func TestNullRunRefused(t *testing.T) {
	for _, in := range []string{`{"runs":[null]}`, `{"runs":[{"data_id":"a","workload":"non-threaded"},null]}`} {
		var r experiment.Results
		err := json.Unmarshal([]byte(in), &r)
		if err == nil || !strings.Contains(err.Error(), "null") || !strings.HasPrefix(err.Error(), "experiment: ") {
			t.Errorf("Unmarshal(%s) = %v, want an experiment error about the null run", in, err)
		}
	}
	r := synthetic()
	r.Runs = append(r.Runs, nil)
	for name, write := range map[string]func() error{
		"WriteTable":  func() error { return r.WriteTable(io.Discard) },
		"WriteHTML":   func() error { return r.WriteHTML(io.Discard) },
		"WriteReport": func() error { return r.WriteReport(filepath.Join(t.TempDir(), "report")) },
	} {
		t.Run(name, func(t *testing.T) {
			if err := write(); err == nil || !strings.Contains(err.Error(), "run 4 is nil") {
				t.Errorf("%s() = %v, want an error naming run 4", name, err)
			}
		})
	}
	// What reads without writing skips the nil run.
	if rows := r.Table(); len(rows) != 4 {
		t.Errorf("Table() has %d rows, want the 4 real runs", len(rows))
	}
	_ = r.Find("nope")
	_ = r.Implausible()
	_ = r.CompareSeed()
}

// TestSameDataIDTwice writes a report of two runs with one DataID but
// different recordings: each keeps its own picture, and the page shows
// both.
func TestSameDataIDTwice(t *testing.T) {
	r := &experiment.Results{Runs: []*corescope.Result{
		{Workload: "threads", DataID: "x", Workers: 1, Recording: recording("x", 8, 0.9, 0)},
		{Workload: "threads", DataID: "x", Workers: 1, Recording: recording("x", 8, 0.1, 0)},
		{Workload: "threads", DataID: "x-2", Workers: 1, Recording: recording("x-2", 8, 0.5, 0)},
	}}
	dir := filepath.Join(t.TempDir(), "report")
	if err := r.WriteReport(dir); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, experiment.ReportPage))
	if err != nil {
		t.Fatal(err)
	}
	srcs := regexp.MustCompile(`<img src="([^"]+)"`).FindAllStringSubmatch(string(page), -1)
	seen := map[string]bool{}
	var pics [][]byte
	for _, m := range srcs {
		if seen[m[1]] {
			t.Errorf("the page shows %s twice", m[1])
		}
		seen[m[1]] = true
		b, err := os.ReadFile(filepath.Join(dir, m[1]))
		if err != nil {
			t.Fatal(err)
		}
		pics = append(pics, b)
	}
	if len(pics) != 3 {
		t.Fatalf("%d pictures on the page, want 3: %q", len(pics), srcs)
	}
	for i := range pics {
		for j := i + 1; j < len(pics); j++ {
			if bytes.Equal(pics[i], pics[j]) {
				t.Errorf("pictures %d and %d are the same file contents: one overwrote the other", i, j)
			}
		}
	}
	for i, run := range r.Runs {
		if got, _ := r.PictureNames(run); got != srcs[i][1] {
			t.Errorf("PictureNames(run %d) = %q, the page shows %q", i, got, srcs[i][1])
		}
	}
}

// TestReportPageTextsArePrintable writes a report of a run whose DataID and
// host name hold an escape sequence, a NUL and invalid UTF-8: the page
// shows them harmlessly, as valid UTF-8 with no control character but its
// layout's white space.
func TestReportPageTextsArePrintable(t *testing.T) {
	hostile := "x\x1b]0;pwned\a\x1b[2J\x00\xff"
	rec := recording(hostile, 8, 0.9, 0)
	rec.Host.Hostname = hostile
	r := &experiment.Results{Runs: []*corescope.Result{{Workload: "threads", DataID: hostile, Workers: 1, Recording: rec}}}
	var page bytes.Buffer
	if err := r.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(page.Bytes()) {
		t.Error("the page is not valid UTF-8")
	}
	for i, c := range page.Bytes() {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			t.Fatalf("the page holds control byte %#x at %d: %q", c, i, page.Bytes()[max(0, i-20):min(page.Len(), i+20)])
		}
	}
	if !strings.Contains(page.String(), "]0;pwned") {
		t.Error("the DataID's printable text is lost from the page")
	}
}
