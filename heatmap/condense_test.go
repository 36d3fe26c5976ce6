package heatmap

import (
	"bytes"
	"errors"
	"image"
	"iter"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/corescope/corescope/cpuwatch"
)

// seqOf returns rec's samples as Condense takes them.
func seqOf(rec *cpuwatch.Recording) func() iter.Seq[cpuwatch.Sample] {
	return func() iter.Seq[cpuwatch.Sample] { return slices.Values(rec.Samples) }
}

// checkCondensed fails unless the condensed recording resamples to the
// same cells as the whole one, within float32 rounding.
func checkCondensed(t *testing.T, whole *cpuwatch.Recording, opts Options) {
	t.Helper()
	small, err := Condense(whole, seqOf(whole), opts)
	if err != nil {
		t.Fatal(err)
	}
	o, err := opts.resolve()
	if err != nil {
		t.Fatal(err)
	}
	ids, err := coreIDs(whole)
	if err != nil {
		t.Fatal(err)
	}
	want, err := resampleFor(whole, ids, o, fAll)
	if err != nil {
		t.Fatal(err)
	}
	got, err := resampleFor(small, ids, o, fAll)
	if err != nil {
		t.Fatal(err)
	}
	if got.cols != want.cols || math.Abs(got.t1-want.t1) > 1e-6 || math.Abs(got.t0-want.t0) > 1e-6 {
		t.Fatalf("grid %d cols [%v, %v], want %d [%v, %v]", got.cols, got.t0, got.t1, want.cols, want.t0, want.t1)
	}
	if len(small.Samples) > want.cols {
		t.Errorf("condensed to %d samples, more than the %d columns", len(small.Samples), want.cols)
	}
	for _, f := range []struct {
		name      string
		got, want []float32
	}{{"busy", got.busy, want.busy}, {"user", got.user, want.user}, {"sys", got.sys, want.sys}} {
		for c := range want.cols {
			for r := range ids {
				g, w := got.mean(f.got, r, c), want.mean(f.want, r, c)
				if math.IsNaN(float64(w)) != math.IsNaN(float64(g)) || math.Abs(float64(g-w)) > 1e-5 {
					t.Fatalf("%s of cpu%d column %d = %v, want %v", f.name, ids[r], c, g, w)
				}
			}
		}
	}
}

func TestCondenseMatchesWhole(t *testing.T) {
	ragged := benchRec(8, 3000)
	// A core that goes offline for a while, a gap, and a long sample.
	for i := 500; i < 900; i++ {
		ragged.Samples[i].Cores = ragged.Samples[i].Cores[1:]
	}
	ragged.Samples = append(ragged.Samples[:1200], ragged.Samples[1300:]...)
	ragged.Samples[2000].Elapsed = 7 * time.Second
	tests := []struct {
		name string
		rec  *cpuwatch.Recording
		opts Options
	}{
		{"256 cores × 2000", benchRec(256, 2000), Options{}},
		{"fewer samples than columns", benchRec(4, 500), Options{}},
		{"cell width", benchRec(16, 2000), Options{CellWidth: 3, GridWidth: 900}},
		{"ragged", ragged, Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkCondensed(t, tt.rec, tt.opts) })
	}
}

// TestCondenseRenders draws a condensed recording: the same picture as
// the whole but for the axis note and a few cells at a colour's edge.
func TestCondenseRenders(t *testing.T) {
	whole := benchRec(64, 4000)
	small, err := Condense(whole, seqOf(whole), Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := Render(whole, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Render(small, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Bounds() != b.Bounds() {
		t.Fatalf("condensed picture is %v, whole %v", b.Bounds(), a.Bounds())
	}
	pa, pb := a.(*image.Paletted), b.(*image.Paletted)
	diff := 0
	for i := range pa.Pix {
		if pa.Pix[i] != pb.Pix[i] {
			diff++
		}
	}
	// The "(averaged)" note is some hundreds of pixels.
	if diff > len(pa.Pix)/100 {
		t.Errorf("%d of %d pixels differ", diff, len(pa.Pix))
	}
	t.Logf("%d of %d pixels differ", diff, len(pa.Pix))
}

func TestCondenseFile(t *testing.T) {
	whole := benchRec(6, 2500)
	name := filepath.Join(t.TempDir(), "r.csrec")
	if err := whole.WriteFile(name); err != nil {
		t.Fatal(err)
	}
	got, err := CondenseFile(name, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := Condense(whole, seqOf(whole), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !got.RunStart.Equal(whole.RunStart) || !got.RunEnd.Equal(whole.RunEnd) || len(got.Samples) != len(want.Samples) {
		t.Fatalf("CondenseFile: run %v–%v, %d samples; want %v–%v, %d", got.RunStart, got.RunEnd, len(got.Samples), whole.RunStart, whole.RunEnd, len(want.Samples))
	}
	// Cut the file inside its last sample.
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, b[:len(b)-5], 0o644); err != nil {
		t.Fatal(err)
	}
	got, err = CondenseFile(name, Options{})
	var fe *cpuwatch.FormatError
	if !errors.As(err, &fe) || got == nil {
		t.Fatalf("CondenseFile of a cut file = %v, %v; want a recording and a FormatError", got, err)
	}
	short := *whole
	short.Samples = whole.Samples[:len(whole.Samples)-1]
	want, _ = Condense(&short, seqOf(&short), Options{})
	if len(got.Samples) != len(want.Samples) || !got.Samples[len(got.Samples)-1].Time.Equal(want.Samples[len(want.Samples)-1].Time) {
		t.Errorf("cut file condensed to %d samples ending %v, want %d ending %v", len(got.Samples), got.Samples[len(got.Samples)-1].Time, len(want.Samples), want.Samples[len(want.Samples)-1].Time)
	}
	var buf bytes.Buffer
	if err := WritePNG(&buf, got, Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestCondenseErrors(t *testing.T) {
	for name, rec := range map[string]*cpuwatch.Recording{
		"empty":    {},
		"no cores": {Samples: []cpuwatch.Sample{{Time: t0, Elapsed: time.Second}}},
		"bad fraction": {Samples: []cpuwatch.Sample{{Time: t0, Elapsed: time.Second,
			Cores: []cpuwatch.CoreUsage{{ID: 0, Usage: cpuwatch.Usage{User: 2}}}}}},
		"negative id": {Samples: []cpuwatch.Sample{{Time: t0, Elapsed: time.Second, Cores: []cpuwatch.CoreUsage{{ID: -1}}}}},
		"backwards": {Samples: []cpuwatch.Sample{
			{Time: t0.Add(time.Second), Elapsed: time.Second, Cores: []cpuwatch.CoreUsage{{Usage: cpuwatch.Usage{Idle: 1}}}},
			{Time: t0, Elapsed: time.Second, Cores: []cpuwatch.CoreUsage{{Usage: cpuwatch.Usage{Idle: 1}}}}}},
	} {
		if _, err := Condense(rec, seqOf(rec), Options{}); !errors.Is(err, ErrBadRecording) {
			t.Errorf("%s: Condense = %v, want ErrBadRecording", name, err)
		}
	}
}
