package heatmap

import (
	"bytes"
	"errors"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/corescope/corescope/cpuwatch"
)

// seqOf returns rec's samples as WriteFrom takes them, each yielded in
// the same reused slices, as a Decoder yields them.
func seqOf(rec *cpuwatch.Recording) func() iter.Seq[cpuwatch.Sample] {
	return func() iter.Seq[cpuwatch.Sample] {
		return func(yield func(cpuwatch.Sample) bool) {
			var buf []cpuwatch.CoreUsage
			for _, s := range rec.All() {
				buf = append(buf[:0], s.Cores...)
				if s.Cores == nil {
					buf = nil
				}
				s.Cores = buf
				if !yield(s) {
					return
				}
			}
		}
	}
}

// factsOf is rec without its samples.
func factsOf(rec *cpuwatch.Recording) *cpuwatch.Recording {
	return &cpuwatch.Recording{DataID: rec.DataID, Interval: rec.Interval, Start: rec.Start,
		RunStart: rec.RunStart, RunEnd: rec.RunEnd, Host: rec.Host}
}

// TestWriteFromMatchesWrite checks that drawing from a sequence of samples
// gives the very bytes that drawing the whole recording does.
func TestWriteFromMatchesWrite(t *testing.T) {
	ragged := benchRec(8, 3000)
	// A core that goes offline for a while, a gap, and a long sample.
	ss := samplesOf(ragged)
	for i := 500; i < 900; i++ {
		ss[i].Cores = ss[i].Cores[1:]
	}
	ss = append(ss[:1200], ss[1300:]...)
	ss[2000].Elapsed = 7 * time.Second
	setSamples(ragged, ss)
	zero := benchRec(3, 50)
	mutate(zero, func(ss []cpuwatch.Sample) {
		for i := range ss {
			ss[i].Time = time.Time{}
		}
	})
	zero.RunStart, zero.RunEnd = time.Time{}, time.Time{}
	tests := []struct {
		name string
		rec  *cpuwatch.Recording
		opts Options
	}{
		{"256 cores × 2000, distribution", benchRec(256, 2000), Options{}},
		{"fewer samples than columns", benchRec(4, 500), Options{}},
		{"cell width, split", benchRec(16, 2000), Options{CellWidth: 3, GridWidth: 900, Mode: Split}},
		{"ragged", ragged, Options{}},
		{"no times", zero, Options{}},
	}
	for _, tt := range tests {
		for _, f := range []Format{PNG, SVG, HTML} {
			t.Run(tt.name+"/"+f.String(), func(t *testing.T) {
				var want, got bytes.Buffer
				if err := Write(&want, f, tt.rec, tt.opts); err != nil {
					t.Fatal(err)
				}
				if err := WriteFrom(&got, f, factsOf(tt.rec), seqOf(tt.rec), tt.opts); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(want.Bytes(), got.Bytes()) {
					t.Errorf("WriteFrom wrote %d bytes that differ from Write's %d", got.Len(), want.Len())
				}
			})
		}
	}
}

func TestWriteFileFrom(t *testing.T) {
	whole := benchRec(6, 2500)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "r.csrec"), filepath.Join(dir, "r.png")
	if err := whole.WriteFile(in); err != nil {
		t.Fatal(err)
	}
	check := func(rec *cpuwatch.Recording) {
		t.Helper()
		var want bytes.Buffer
		if err := WritePNG(&want, rec, Options{}); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(want.Bytes(), got) {
			t.Errorf("WriteFileFrom's picture differs from WritePNG's")
		}
	}
	if err := WriteFileFrom(out, in, Options{}); err != nil {
		t.Fatal(err)
	}
	check(whole)
	// SVG reads user and system time too, for its hover texts.
	svg := filepath.Join(dir, "r.svg")
	if err := WriteFileFrom(svg, in, Options{Mode: Split}); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := WriteSVG(&want, whole, Options{Mode: Split}); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(svg); err != nil || !bytes.Equal(got, want.Bytes()) {
		t.Errorf("WriteFileFrom's SVG differs from WriteSVG's (%v)", err)
	}
	// Cut the file inside its last sample: the rest is drawn, and the
	// damage reported.
	b, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, b[:len(b)-5], 0o644); err != nil {
		t.Fatal(err)
	}
	err = WriteFileFrom(out, in, Options{})
	var fe *cpuwatch.FormatError
	if !errors.As(err, &fe) || !errors.Is(err, cpuwatch.ErrTruncated) {
		t.Fatalf("WriteFileFrom of a cut file = %v, want a truncation FormatError", err)
	}
	short := *factsOf(whole)
	setSamples(&short, samplesOf(whole)[:whole.Len()-1])
	check(&short)
	// Not a binary recording: no picture.
	if err := os.WriteFile(in, []byte(`{"samples":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(out)
	if err := WriteFileFrom(out, in, Options{}); !errors.Is(err, cpuwatch.ErrNotBinary) {
		t.Errorf("WriteFileFrom of JSON = %v, want ErrNotBinary", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed WriteFileFrom left a picture")
	}
}

func TestWriteFromErrors(t *testing.T) {
	for name, rec := range map[string]*cpuwatch.Recording{
		"empty":    {},
		"no cores": recOf([]cpuwatch.Sample{{Time: t0, Elapsed: time.Second}}),
		"bad fraction": recOf([]cpuwatch.Sample{{Time: t0, Elapsed: time.Second,
			Cores: []cpuwatch.CoreUsage{{ID: 0, Usage: cpuwatch.Usage{Idle: 2}}}}}),
		"negative id": recOf([]cpuwatch.Sample{{Time: t0, Elapsed: time.Second, Cores: []cpuwatch.CoreUsage{{ID: -1}}}}),
		"backwards": recOf([]cpuwatch.Sample{
			{Time: t0.Add(time.Second), Elapsed: time.Second, Cores: []cpuwatch.CoreUsage{{Usage: cpuwatch.Usage{Idle: 1}}}},
			{Time: t0, Elapsed: time.Second, Cores: []cpuwatch.CoreUsage{{Usage: cpuwatch.Usage{Idle: 1}}}}}),
	} {
		var buf bytes.Buffer
		if err := WriteFrom(&buf, PNG, factsOf(rec), seqOf(rec), Options{}); !errors.Is(err, ErrBadRecording) {
			t.Errorf("%s: WriteFrom = %v, want ErrBadRecording", name, err)
		}
	}
	// A sequence that changes between its two readings.
	rec := benchRec(4, 10)
	calls := 0
	grow := func() iter.Seq[cpuwatch.Sample] {
		calls++
		return slices.Values(samplesOf(rec)[:9+calls%2])
	}
	if err := WriteFrom(&bytes.Buffer{}, PNG, factsOf(rec), grow, Options{}); err == nil {
		t.Error("WriteFrom of a sequence that changed succeeded")
	}
}
