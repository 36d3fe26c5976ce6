package cpuwatch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/corescope/corescope/cpuwatch"
)

// binaryRoundTrip writes rec in the binary format and reads it back.
func binaryRoundTrip(t *testing.T, rec *cpuwatch.Recording) (*cpuwatch.Recording, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := cpuwatch.WriteRecording(&buf, rec); err != nil {
		t.Fatal(err)
	}
	b := bytes.Clone(buf.Bytes())
	got, err := cpuwatch.ReadRecording(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return got, b
}

// oldResults is a results.json written by `go run ./examples/watchcpu`
// before the binary format existed, cut to two runs.
func oldResults(t *testing.T) []*cpuwatch.Recording {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "results-v1", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Runs []struct {
			Recording *cpuwatch.Recording `json:"recording"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatalf("old results.json no longer loads: %v", err)
	}
	var recs []*cpuwatch.Recording
	for _, r := range res.Runs {
		if r.Recording == nil || r.Recording.Len() == 0 {
			t.Fatal("old results.json run has no samples")
		}
		recs = append(recs, r.Recording)
	}
	return recs
}

func TestBinaryRoundTrip(t *testing.T) {
	recs := map[string]*cpuwatch.Recording{
		"hand-built":  testRecording(),
		"empty":       {Interval: time.Second},
		"zero times":  withSamples(cpuwatch.Recording{}, []cpuwatch.Sample{{Elapsed: time.Second, Cores: []cpuwatch.CoreUsage{{ID: 3}}}, {Cores: []cpuwatch.CoreUsage{}}, {}}),
		"threads nil": withSamples(cpuwatch.Recording{Interval: time.Second}, []cpuwatch.Sample{{Time: at(1), Elapsed: time.Second, Threads: []cpuwatch.ThreadUsage{}}}),
	}
	for i, r := range oldResults(t) {
		recs["old results.json "+string(rune('a'+i))] = r
	}
	synctest.Test(t, func(t *testing.T) {
		p := startFakeProc(t, []int{0, 2, 5}, func(cpu, n int) bool { return cpu == 2 && n%3 == 0 })
		rec, err := (&cpuwatch.Watcher{Interval: time.Second, ProcRoot: p.Root, Lead: 1, Trail: 1}).Record(t.Context(), func(context.Context) error {
			time.Sleep(3500 * time.Millisecond)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		recs["Record"] = rec
	})
	for name, want := range recs {
		t.Run(name, func(t *testing.T) {
			got, b := binaryRoundTrip(t, want)
			if d := cmp.Diff(want, got, viewRecordings); d != "" {
				t.Errorf("binary round trip mismatch (-want +got):\n%s", d)
			}
			// JSON → binary → JSON gives the same JSON.
			js, err := json.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			var fromJS cpuwatch.Recording
			if err := json.Unmarshal(js, &fromJS); err != nil {
				t.Fatal(err)
			}
			again, _ := binaryRoundTrip(t, &fromJS)
			js2, err := json.Marshal(again)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(js, js2) {
				t.Errorf("JSON → binary → JSON changed the JSON:\n%s\n%s", js, js2)
			}
			if n := want.Len(); n > 0 && len(want.Sample(0).Cores) > 0 {
				t.Logf("%d bytes, %.1f per core-sample", len(b), float64(len(b))/float64(n*len(want.Sample(0).Cores)))
			}
		})
	}
}

// TestBinaryTruncated cuts a small recording at every byte: the decoder
// returns exactly the samples that lie whole before the cut, then a
// *FormatError naming the offset of the block the cut fell in.
func TestBinaryTruncated(t *testing.T) {
	want := oldResults(t)[1]
	_, full := binaryRoundTrip(t, want)
	// Where each sample's block ends, found by decoding growing prefixes.
	prevSamples := -1
	for n := 0; n <= len(full); n++ {
		got, err := cpuwatch.ReadRecording(bytes.NewReader(full[:n]))
		if n == len(full) {
			if err != nil {
				t.Fatalf("whole file: %v", err)
			}
			if got.Len() != want.Len() {
				t.Fatalf("whole file: %d samples, want %d", got.Len(), want.Len())
			}
			break
		}
		var fe *cpuwatch.FormatError
		if !errors.As(err, &fe) || !errors.Is(err, cpuwatch.ErrTruncated) {
			// A cut exactly between blocks is a shorter, intact file.
			if err == nil && got != nil && got.Len() >= prevSamples {
				if d := cmp.Diff(samplesOf(want)[:got.Len()], samplesOf(got), cmpopts.EquateEmpty()); d != "" {
					t.Fatalf("cut at %d: samples differ (-want +got):\n%s", n, d)
				}
				prevSamples = got.Len()
				continue
			}
			t.Fatalf("cut at %d: error %v, want a truncation FormatError", n, err)
		}
		if fe.Offset > int64(n) {
			t.Fatalf("cut at %d: offset %d past the cut", n, fe.Offset)
		}
		if got == nil {
			// The header is damaged: nothing can be trusted.
			if prevSamples > 0 {
				t.Fatalf("cut at %d: no recording after a shorter cut had %d samples", n, prevSamples)
			}
			continue
		}
		if got.Len() < prevSamples {
			t.Fatalf("cut at %d: %d samples, fewer than a shorter cut's %d", n, got.Len(), prevSamples)
		}
		if got.Len() > prevSamples {
			if d := cmp.Diff(samplesOf(want)[:got.Len()], samplesOf(got), cmpopts.EquateEmpty()); d != "" {
				t.Fatalf("cut at %d: samples differ (-want +got):\n%s", n, d)
			}
		}
		prevSamples = got.Len()
	}
}

// TestBinaryCorrupt flips each byte of a small recording in turn: every
// sample read is right, and the damage is reported, never passed off as a
// value.
func TestBinaryCorrupt(t *testing.T) {
	want := oldResults(t)[0]
	_, full := binaryRoundTrip(t, want)
	for i := range full {
		b := bytes.Clone(full)
		b[i] ^= 0x5a
		got, err := cpuwatch.ReadRecording(bytes.NewReader(b))
		var fe *cpuwatch.FormatError
		if !errors.As(err, &fe) {
			t.Fatalf("byte %d flipped: error %v, want a FormatError", i, err)
		}
		if fe.Offset > int64(i) {
			t.Fatalf("byte %d flipped: damage reported at %d, after it", i, fe.Offset)
		}
		if got != nil {
			if d := cmp.Diff(samplesOf(want)[:got.Len()], samplesOf(got), cmpopts.EquateEmpty()); d != "" {
				t.Fatalf("byte %d flipped: samples differ (-want +got):\n%s", i, d)
			}
		}
	}
}

func TestDecoderStream(t *testing.T) {
	want := testRecording()
	var buf bytes.Buffer
	enc := cpuwatch.NewEncoder(&buf)
	if err := enc.WriteHeader(want.Header()); err != nil {
		t.Fatal(err)
	}
	if err := enc.WriteRun(want.RunStart, time.Time{}); err != nil {
		t.Fatal(err)
	}
	for _, s := range want.All() {
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.WriteRun(want.RunStart, want.RunEnd); err != nil {
		t.Fatal(err)
	}
	if err := enc.WriteHeader(want.Header()); err == nil {
		t.Error("a second WriteHeader succeeded")
	}
	dec := cpuwatch.NewDecoder(&buf)
	h, err := dec.Header()
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want.Header(), h); d != "" {
		t.Errorf("header mismatch (-want +got):\n%s", d)
	}
	var s cpuwatch.Sample
	for i := range want.Len() {
		if err := dec.Decode(&s); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want.Sample(i), s); d != "" {
			t.Errorf("sample %d mismatch (-want +got):\n%s", i, d)
		}
		if start, end := dec.Run(); !start.Equal(want.RunStart) || !end.IsZero() {
			t.Errorf("Run() = %v, %v after sample %d, want %v and zero", start, end, i, want.RunStart)
		}
	}
	if err := dec.Decode(&s); err != io.EOF {
		t.Fatalf("Decode after the last sample = %v, want io.EOF", err)
	}
	if start, end := dec.Run(); !start.Equal(want.RunStart) || !end.Equal(want.RunEnd) {
		t.Errorf("Run() = %v, %v, want %v, %v", start, end, want.RunStart, want.RunEnd)
	}
}

func TestReadRecordingNotBinary(t *testing.T) {
	for _, in := range []string{"", "{\"samples\":[]}", "CSREC\r"} {
		rec, err := cpuwatch.ReadRecording(bytes.NewReader([]byte(in)))
		var fe *cpuwatch.FormatError
		if rec != nil || !errors.As(err, &fe) || fe.Offset != 0 {
			t.Errorf("ReadRecording(%q) = %v, %v; want nil and a FormatError at 0", in, rec, err)
		}
	}
}

// idleRecording is n one-second samples of a machine of cores cores, each
// counting 100 ticks a second of which it spends 0 to 2 busy.
func idleRecording(cores, n int) *cpuwatch.Recording {
	rec := &cpuwatch.Recording{Interval: time.Second, Start: at(0), Host: cpuwatch.Host{UserHZ: 100}}
	x := uint32(1)
	for i := range n {
		s := cpuwatch.Sample{Time: at(float64(i + 1)).Add(time.Duration(x%50000) * time.Nanosecond), Elapsed: time.Second}
		var tu, ts int
		for c := range cores {
			x = x*1664525 + 1013904223
			u, sy := int(x>>30)%2, int(x>>28)%2*int(x>>27&1)
			tu, ts = tu+u, ts+sy
			s.Cores = append(s.Cores, cpuwatch.CoreUsage{ID: c, Usage: cpuwatch.Usage{
				User: float64(u) / 100, System: float64(sy) / 100, Idle: float64(100-u-sy) / 100}})
		}
		all := float64(100 * cores)
		s.Total = cpuwatch.Usage{User: float64(tu) / all, System: float64(ts) / all, Idle: float64(100*cores-tu-ts) / all}
		if i > 0 {
			s.Elapsed = s.Time.Sub(rec.Sample(i - 1).Time)
		}
		rec.Append(s)
	}
	return rec
}

// TestBinarySize checks the format's promise for a mostly idle machine: at
// most 4 bytes per core and sample.
func TestBinarySize(t *testing.T) {
	for _, cores := range []int{64, 1024} {
		rec := idleRecording(cores, 60)
		got, b := binaryRoundTrip(t, rec)
		if d := cmp.Diff(rec, got, viewRecordings); d != "" {
			t.Fatalf("round trip mismatch (-want +got):\n%s", d)
		}
		per := float64(len(b)) / float64(cores*rec.Len())
		t.Logf("%d cores: %.2f bytes per core-sample", cores, per)
		if per > 4 {
			t.Errorf("%d idle cores take %.2f bytes per core-sample, want ≤ 4", cores, per)
		}
	}
}

func FuzzDecoder(f *testing.F) {
	for _, rec := range []*cpuwatch.Recording{testRecording(), idleRecording(3, 4)} {
		var buf bytes.Buffer
		if err := cpuwatch.WriteRecording(&buf, rec); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := cpuwatch.ReadRecording(bytes.NewReader(b))
		if err != nil {
			var fe *cpuwatch.FormatError
			if !errors.As(err, &fe) || fe.Offset < 0 || fe.Offset > int64(len(b)) {
				t.Fatalf("error %v is no FormatError within the input", err)
			}
		}
		if rec == nil {
			return
		}
		// DecodeTo(nil) and LastSample read the same samples.
		d := cpuwatch.NewDecoder(bytes.NewReader(b))
		var s cpuwatch.Sample
		for i := range rec.Len() {
			if err := d.DecodeTo(nil); err != nil {
				t.Fatalf("DecodeTo(nil) of sample %d: %v, which ReadRecording read", i, err)
			}
			d.LastSample(&s)
			if diff := cmp.Diff(rec.Sample(i), s, cmp.Comparer(func(a, b float64) bool { return a == b || a != a && b != b })); diff != "" {
				t.Fatalf("LastSample of sample %d differs (-ReadRecording +LastSample):\n%s", i, diff)
			}
		}
		// Whatever decoded must encode and decode to the same values.
		var buf bytes.Buffer
		if err := cpuwatch.WriteRecording(&buf, rec); err != nil {
			return // times out of range, say
		}
		again, err := cpuwatch.ReadRecording(&buf)
		if err != nil {
			t.Fatalf("re-encoded recording does not decode: %v", err)
		}
		if d := cmp.Diff(rec, again, viewRecordings, cmp.Comparer(func(a, b float64) bool { return a == b || a != a && b != b })); d != "" {
			t.Fatalf("re-encoding changed the recording (-first +second):\n%s", d)
		}
	})
}

// TestRecordTo checks that RecordTo writes what Record returns: the same
// watch of the same fake machine, decoded, is the recording Record makes.
func TestRecordTo(t *testing.T) {
	busy := func(cpu, n int) bool { return cpu == 2 && n%3 == 0 || cpu == 0 && n > 250 }
	run := func(context.Context) error { time.Sleep(2500 * time.Millisecond); return nil }
	var want, head *cpuwatch.Recording
	var file bytes.Buffer
	synctest.Test(t, func(t *testing.T) {
		p := startFakeProc(t, []int{0, 2, 5}, busy)
		w := cpuwatch.Watcher{Interval: 500 * time.Millisecond, ProcRoot: p.Root, MinSamples: 10}
		var err error
		if want, err = w.Record(t.Context(), run); err != nil {
			t.Fatal(err)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		p := startFakeProc(t, []int{0, 2, 5}, busy)
		w := cpuwatch.Watcher{Interval: 500 * time.Millisecond, ProcRoot: p.Root, MinSamples: 10}
		var err error
		if head, err = w.RecordTo(t.Context(), cpuwatch.NewEncoder(&file), run); err != nil {
			t.Fatal(err)
		}
	})
	if head.Len() != 0 {
		t.Errorf("RecordTo kept %d samples", head.Len())
	}
	got, err := cpuwatch.ReadRecording(&file)
	if err != nil {
		t.Fatal(err)
	}
	// The two watches ran at different real times: compare offsets.
	shift := func(r *cpuwatch.Recording) *cpuwatch.Recording {
		c := cpuwatch.Recording{DataID: r.DataID, Interval: r.Interval, Host: r.Host}
		base := r.Start
		c.Start, c.RunStart, c.RunEnd = at(0), at(r.RunStart.Sub(base).Seconds()), at(r.RunEnd.Sub(base).Seconds())
		for _, s := range r.All() {
			s.Time = at(s.Time.Sub(base).Seconds())
			c.Append(s)
		}
		return &c
	}
	if want.Len() < 10 {
		t.Fatalf("Record took %d samples, want 10", want.Len())
	}
	if d := cmp.Diff(shift(want), shift(got), viewRecordings); d != "" {
		t.Errorf("RecordTo's file differs from Record's recording (-want +got):\n%s", d)
	}
	if !head.RunEnd.Equal(got.RunEnd) || !head.Start.Equal(got.Start) {
		t.Errorf("RecordTo returned run end %v and start %v, file says %v and %v", head.RunEnd, head.Start, got.RunEnd, got.Start)
	}
}

// TestRecordToWriteError checks that a failing writer ends the watch with
// its error.
func TestRecordToWriteError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := startFakeProc(t, []int{0}, func(int, int) bool { return false })
		w := cpuwatch.Watcher{Interval: time.Second, ProcRoot: p.Root}
		ran := false
		_, err := w.RecordTo(t.Context(), cpuwatch.NewEncoder(failWriter{}), func(ctx context.Context) error {
			ran = true
			<-ctx.Done() // the failed write cancels the run
			return nil
		})
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("RecordTo to a failing writer = %v, want the write error", err)
		}
		if ran {
			t.Error("run was called although the first write failed")
		}
	})
}

func TestDecoderSkim(t *testing.T) {
	samples := samplesOf(idleRecording(5, 20))
	samples[7].Cores = samples[7].Cores[1:] // ids change, and back
	want := withSamples(cpuwatch.Recording{Interval: time.Second, Start: at(0), Host: cpuwatch.Host{UserHZ: 100}}, samples)
	_, b := binaryRoundTrip(t, want)
	dec := cpuwatch.NewDecoder(bytes.NewReader(b))
	var s cpuwatch.Sample
	for i, w := range want.All() {
		if err := dec.Skim(&s); err != nil {
			t.Fatal(err)
		}
		var ids, wantIDs []int
		for _, c := range s.Cores {
			ids = append(ids, c.ID)
			if c.Usage != (cpuwatch.Usage{}) {
				t.Fatalf("Skim set usage %+v", c.Usage)
			}
		}
		for _, c := range w.Cores {
			wantIDs = append(wantIDs, c.ID)
		}
		if !s.Time.Equal(w.Time) || s.Elapsed != w.Elapsed || !cmp.Equal(ids, wantIDs) {
			t.Fatalf("Skim %d = %v %v %v, want %v %v %v", i, s.Time, s.Elapsed, ids, w.Time, w.Elapsed, wantIDs)
		}
	}
	if err := dec.Skim(&s); err != io.EOF {
		t.Errorf("Skim at the end = %v, want io.EOF", err)
	}
	if err := cpuwatch.NewDecoder(bytes.NewReader(b)).Skim(&s); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(&s); err == nil {
		t.Error("Decode after Skim succeeded")
	}
}
