package heatmap

import (
	"bytes"
	"fmt"
	"hash/adler32"
	"image"
	"image/color"
	"image/png"
	"runtime"
	"testing"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/google/go-cmp/cmp"
)

// TestResampleParallelMatchesSerial checks that the parallel path of
// resample gives bit for bit the sums and weights of the serial path, that
// it really runs where the columns split cleanly, and that it hands over to
// the serial path (same result, same error) where they do not.
func TestResampleParallelMatchesSerial(t *testing.T) {
	const cores, n = 300, 1000 // 300k core usages: above minParallel
	if cores*n < minParallel {
		t.Fatalf("recording of %d core usages is below minParallel %d", cores*n, minParallel)
	}
	ragged := func() *cpuwatch.Recording {
		rec := benchRec(cores, n)
		mutate(rec, func(ss []cpuwatch.Sample) {
			s := &ss[700]
			s.Cores = append(s.Cores[:10:10], s.Cores[11:]...) // cpu 10 missing
		})
		return rec
	}
	bad := func() *cpuwatch.Recording {
		rec := benchRec(cores, n)
		mutate(rec, func(ss []cpuwatch.Sample) { ss[900].Cores[5].Idle = 1.5 })
		return rec
	}
	for _, tc := range []struct {
		name      string
		rec       *cpuwatch.Recording
		maxCols   int
		need      field
		wantSplit bool
	}{
		{"one sample a column", benchRec(cores, n), 4000, fBusy, true},
		{"four samples a column", benchRec(cores, n), 250, fBusy, true},
		{"all fields", benchRec(cores, n), 250, fAll, true},
		{"no clean split", benchRec(cores, n), 333, fBusy, false},
		{"ragged sample", ragged(), 4000, fBusy, false},
		{"bad value", bad(), 4000, fBusy, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids, err := firstIDs(tc.rec)
			if err != nil {
				t.Fatal(err)
			}
			want, _, wantErr := resampleN(tc.rec, ids, tc.maxCols, tc.need, 1)
			for _, workers := range []int{2, 3, 8} {
				got, split, err := resampleN(tc.rec, ids, tc.maxCols, tc.need, workers)
				if split != tc.wantSplit {
					t.Errorf("workers %d: split = %v, want %v", workers, split, tc.wantSplit)
				}
				if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
					t.Fatalf("workers %d: error %v, want %v (serial)", workers, err, wantErr)
				}
				if err != nil {
					continue
				}
				if diff := cmp.Diff(want, got, cmp.AllowUnexported(series{}), cmp.Comparer(sameFloat)); diff != "" {
					t.Errorf("workers %d: mismatch with serial (-want +got):\n%s", workers, diff)
				}
			}
			if tc.name == "bad value" && wantErr == nil {
				t.Error("serial path accepted an idle fraction of 1.5")
			}
		})
	}
}

// sameFloat compares bit for bit, with NaN equal to NaN.
func sameFloat(a, b float64) bool { return a == b || (a != a && b != b) }

// TestQuantizeParallelMatchesSerial checks quantize split by columns
// against one pass, rows permuted and not.
func TestQuantizeParallelMatchesSerial(t *testing.T) {
	rec := benchRec(300, 1000)
	ids, err := firstIDs(rec)
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := resampleN(rec, ids, 1000, fBusy, 1)
	if err != nil {
		t.Fatal(err)
	}
	rev := make([]int, len(ids))
	for r := range rev {
		rev[r] = len(rev) - 1 - r
	}
	for _, tc := range []struct {
		name  string
		rowOf []int
	}{{"rows in order", nil}, {"rows reversed", rev}} {
		t.Run(tc.name, func(t *testing.T) {
			want := quantizeN(s, s.busy, tc.rowOf, 1)
			for _, workers := range []int{2, 3, 7} {
				if got := quantizeN(s, s.busy, tc.rowOf, workers); !bytes.Equal(got, want) {
					t.Errorf("workers %d: cells differ from the serial ones", workers)
				}
			}
		})
	}
}

// TestRenderSameOnAnyProcs renders a recording big enough to split, once
// with GOMAXPROCS 1 (every serial path) and once with 4, and compares the
// pixels.
func TestRenderSameOnAnyProcs(t *testing.T) {
	rec := benchRec(300, 1000)
	opts := Options{MaxRows: -1, GridWidth: 1000, CellWidth: 1, CellHeight: 1}
	prev := runtime.GOMAXPROCS(1)
	t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
	want, err := render(rec, opts)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GOMAXPROCS(4)
	got, err := render(rec, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
		t.Errorf("picture on 4 procs differs from the one on 1 (%v vs %v)", got.Rect, want.Rect)
	}
}

// TestEncodePNGParallel encodes a picture big enough to be cut into bands
// and checks that it decodes to the same pixels and palette, whatever the
// number of bands (png's decoder also checks the combined checksum).
func TestEncodePNGParallel(t *testing.T) {
	img, err := render(benchRec(300, 1000), Options{MaxRows: -1, GridWidth: 1000, CellWidth: 2, CellHeight: 4})
	if err != nil {
		t.Fatal(err)
	}
	if n := img.Rect.Dx() * img.Rect.Dy(); n < minParallelPNG {
		t.Fatalf("picture of %d pixels is below minParallelPNG %d", n, minParallelPNG)
	}
	if n := len(img.Palette); n <= 16 {
		t.Fatalf("palette of %d colours takes png.Encoder's path", n)
	}
	for _, workers := range []int{1, 2, 3, 8} {
		t.Run(fmt.Sprint(workers, " bands"), func(t *testing.T) {
			var buf bytes.Buffer
			if err := encodePNGN(&buf, img, workers); err != nil {
				t.Fatal(err)
			}
			dec, err := png.Decode(&buf)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := dec.(*image.Paletted)
			if !ok {
				t.Fatalf("decoded %T, want *image.Paletted", dec)
			}
			if got.Rect != img.Rect || !bytes.Equal(got.Pix, img.Pix) {
				t.Errorf("decoded pixels differ from the encoded ones (%v vs %v)", got.Rect, img.Rect)
			}
			if diff := cmp.Diff(color.Palette(img.Palette), got.Palette, cmp.Transformer("rgba", func(c color.Color) color.NRGBA {
				return color.NRGBAModel.Convert(c).(color.NRGBA)
			})); diff != "" {
				t.Errorf("palette mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAdler32Combine(t *testing.T) {
	data := make([]byte, 200000)
	for i := range data {
		data[i] = byte(i*7919>>3) ^ byte(i)
	}
	for _, cut := range []int{0, 1, 65521, 100000, len(data)} {
		t.Run(fmt.Sprint("cut ", cut), func(t *testing.T) {
			want := adler32.Checksum(data)
			if got := adler32Combine(adler32.Checksum(data[:cut]), adler32.Checksum(data[cut:]), len(data)-cut); got != want {
				t.Errorf("adler32Combine = %#x, want %#x", got, want)
			}
		})
	}
}
