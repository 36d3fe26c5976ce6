package cpuwatch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// statFixtures returns every fixture directory under testdata whose
// proc/stat parses, relative to testdata.
func statFixtures(t *testing.T) map[string]reading {
	t.Helper()
	out := map[string]reading{}
	err := filepath.WalkDir("testdata", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "stat" || filepath.Base(filepath.Dir(path)) != "proc" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var r reading
		if r.parse(b) == nil {
			rel, _ := filepath.Rel("testdata", filepath.Dir(filepath.Dir(path)))
			out[rel] = r
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 10 {
		t.Fatalf("found %d stat fixtures, want at least 10", len(out))
	}
	return out
}

// watchSample is the sample Watch makes of two readings elapsed apart.
func watchSample(prev, cur *reading, at time.Time, elapsed time.Duration) Sample {
	s := Sample{Time: at, Elapsed: elapsed, Cores: diff(nil, prev, cur)}
	if !wentBack(&prev.total, &cur.total) {
		s.Total = usageOf(&prev.total, &cur.total)
	} else {
		s.Total = meanUsage(s.Cores)
	}
	return s
}

// sameSample fails unless a and b hold bit-identical values.
func sameSample(t *testing.T, what string, want, got *Sample) {
	t.Helper()
	if !want.Time.Equal(got.Time) || want.Elapsed != got.Elapsed {
		t.Fatalf("%s: time %v/%v, want %v/%v", what, got.Time, got.Elapsed, want.Time, want.Elapsed)
	}
	if !sameBits(&want.Total, &got.Total) {
		t.Fatalf("%s: Total = %+v, want %+v", what, got.Total, want.Total)
	}
	if len(want.Cores) != len(got.Cores) || (want.Cores == nil) != (got.Cores == nil) {
		t.Fatalf("%s: %d cores, want %d", what, len(got.Cores), len(want.Cores))
	}
	for i := range want.Cores {
		w, g := &want.Cores[i], &got.Cores[i]
		if w.ID != g.ID || !sameBits(&w.Usage, &g.Usage) {
			t.Fatalf("%s: core %d = %d %+v, want %d %+v", what, i, g.ID, g.Usage, w.ID, w.Usage)
		}
	}
}

// roundTrip encodes samples and decodes them again, and returns the
// decoded samples and the encoding's size.
func roundTrip(t *testing.T, h Header, samples []Sample) ([]Sample, int) {
	t.Helper()
	var buf bytes.Buffer
	enc := NewEncoder(&buf)
	if err := enc.WriteHeader(h); err != nil {
		t.Fatal(err)
	}
	for _, s := range samples {
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
	}
	size := buf.Len()
	dec := NewDecoder(&buf)
	var out []Sample
	for {
		var s Sample
		err := dec.Decode(&s)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if len(out) != len(samples) {
		t.Fatalf("decoded %d samples, want %d", len(out), len(samples))
	}
	return out, size
}

// TestFormatFixturesDifferential checks that every sample a watch makes of
// any two fixture readings comes back from the binary format bit for bit,
// and as tick deltas, not as floats: what a caller reads of a stored
// sample is what Watch gave.
func TestFormatFixturesDifferential(t *testing.T) {
	fx := statFixtures(t)
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var samples []Sample
	for _, prev := range fx {
		for _, cur := range fx {
			at = at.Add(time.Second)
			samples = append(samples, watchSample(&prev, &cur, at, time.Second))
		}
	}
	got, _ := roundTrip(t, Header{Interval: time.Second, Start: samples[0].Start()}, samples)
	for i := range samples {
		sameSample(t, "fixture pair", &samples[i], &got[i])
	}
	// Every watch-made usage of a core that counted no more than 2^26
	// ticks (a week at USER_HZ) is kept as ticks; pairs of unrelated
	// fixtures differ by more, and are kept as floats.
	for _, prev := range fx {
		for _, cur := range fx {
			for _, c := range diff(nil, &prev, &cur) {
				i := slices.IndexFunc(prev.cores, func(p coreTicks) bool { return p.id == c.ID })
				k := slices.IndexFunc(cur.cores, func(p coreTicks) bool { return p.id == c.ID })
				ch, cl := cur.cores[k].t.sum()
				ph, pl := prev.cores[i].t.sum()
				if ch != ph || cl-pl > 1<<26 {
					continue
				}
				if _, ok := recoverDeltas(&c.Usage, 100); !ok {
					t.Errorf("no tick deltas found for %+v", c.Usage)
				}
			}
		}
	}
}

// randomTicks returns counters drawn from ranges a kernel gives and, with
// wild set, from the whole uint64 range.
func randomTicks(r *rand.Rand, base *ticks, wild bool) (prev, cur ticks) {
	for i := range prev {
		switch {
		case wild && r.IntN(4) == 0:
			prev[i], cur[i] = r.Uint64(), r.Uint64()
		case wild && r.IntN(3) == 0:
			prev[i] = r.Uint64N(1 << 62)
			cur[i] = prev[i] + r.Uint64N(1<<62)
		default:
			prev[i] = base[i] + r.Uint64N(1<<30)
			d := uint64(0)
			switch r.IntN(4) {
			case 1:
				d = r.Uint64N(3)
			case 2:
				d = r.Uint64N(200)
			case 3:
				d = r.Uint64N(100_000)
			}
			cur[i] = prev[i] + d
			if r.IntN(20) == 0 && cur[i] > 50 {
				cur[i] -= r.Uint64N(50) // backwards, as iowait goes
			}
		}
	}
	return prev, cur
}

// TestFormatRandomDifferential compares, for 10^5 random counter pairs,
// the usage computed from the counters with the usage computed from their
// stored deltas and with the usage read back from the binary format.
func TestFormatRandomDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const cores, n = 100, 1000 // 10^5 pairs
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var samples []Sample
	recovered, escaped := 0, 0
	for k := range n {
		wild := k%10 == 9
		s := Sample{Time: at.Add(time.Duration(k+1) * time.Second), Elapsed: time.Second}
		for id := range cores {
			var base ticks
			for i := range base {
				base[i] = uint64(id) << 32
			}
			prev, cur := randomTicks(r, &base, wild)
			u := usageOf(&prev, &cur)
			if d, ok := deltasOf(&prev, &cur); ok {
				if got := d.usage(); !sameBits(&got, &u) {
					t.Fatalf("deltas %v: usage %+v, want %+v", d, got, u)
				}
			}
			if _, ok := recoverDeltas(&u, 100); ok {
				recovered++
			} else {
				escaped++
			}
			s.Cores = append(s.Cores, CoreUsage{ID: id, Usage: u})
		}
		s.Total = meanUsage(s.Cores)
		samples = append(samples, s)
	}
	got, _ := roundTrip(t, Header{Interval: time.Second, Start: at}, samples)
	for i := range samples {
		sameSample(t, "random pairs", &samples[i], &got[i])
	}
	t.Logf("%d core usages stored as ticks, %d as floats", recovered, escaped)
	if recovered < cores*n*8/10 {
		t.Errorf("only %d of %d usages stored as ticks", recovered, cores*n)
	}
}

// TestRecoverDeltasRealistic checks that any usage a watch can make of a
// core that counted up to 2^20 ticks is found as ticks.
func TestRecoverDeltasRealistic(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		var prev, cur ticks
		for i := range prev {
			prev[i] = r.Uint64N(1 << 40)
			if r.IntN(2) == 0 {
				cur[i] = prev[i] + r.Uint64N(1<<16)
			} else {
				cur[i] = prev[i]
			}
		}
		u := usageOf(&prev, &cur)
		d, ok := recoverDeltas(&u, 100)
		if !ok {
			t.Fatalf("no deltas found for %v → %v (%+v)", prev, cur, u)
		}
		if got := d.usage(); !sameBits(&got, &u) {
			t.Fatalf("deltas %v give %+v, want %+v", d, got, u)
		}
	}
}

func TestThreadTicks(t *testing.T) {
	for _, elapsed := range []time.Duration{10 * time.Millisecond, time.Second, 1234567 * time.Microsecond} {
		for n := uint64(0); n < 300; n++ {
			v := tickFraction(n, elapsed)
			got, ok := threadTicks(v, elapsed)
			if !ok || math.Float64bits(tickFraction(got, elapsed)) != math.Float64bits(v) {
				t.Fatalf("threadTicks(%v, %v) = %d, %v", v, elapsed, got, ok)
			}
		}
	}
	if _, ok := threadTicks(0.123456789, time.Second); ok {
		t.Error("threadTicks found ticks for a fraction no count gives")
	}
}

// FuzzSamplePayload feeds arbitrary payloads, framed with valid checksums,
// to the decoder: the checksum keeps FuzzDecoder's mutations away from the
// payload parser, which must still never panic on what a checksum passes.
func FuzzSamplePayload(f *testing.F) {
	var buf bytes.Buffer
	enc := NewEncoder(&buf)
	if err := enc.WriteHeader(Header{Interval: time.Second}); err != nil {
		f.Fatal(err)
	}
	hdr := bytes.Clone(buf.Bytes())
	for _, s := range []Sample{
		{Time: time.Unix(5, 0), Elapsed: time.Second, Cores: []CoreUsage{{ID: 1, Usage: Usage{User: 0.25, Idle: 0.75}}}},
		{Threads: []ThreadUsage{{PID: 3, TID: 4, Name: "x", User: 0.5}}, Total: Usage{User: 0.1234}},
	} {
		buf.Reset()
		if err := enc.Encode(s); err != nil {
			f.Fatal(err)
		}
		b := buf.Bytes()
		_, n := binary.Uvarint(b[1:])
		f.Add(bytes.Clone(b[1+n : len(b)-4])) // buf is reused
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		if len(p) > maxBlock {
			return
		}
		file := appendBlock(bytes.Clone(hdr), blockSample, p)
		second := len(file)
		file = appendBlock(file, blockSample, p)
		rec, err := ReadRecording(bytes.NewReader(file))
		if rec == nil {
			t.Fatalf("header lost: %v", err)
		}
		// Skimming stops where decoding does, with the same times.
		d := NewDecoder(bytes.NewReader(file))
		for i := 0; ; i++ {
			var s Sample
			serr := d.Skim(&s)
			if serr != nil {
				if i < rec.Len() {
					t.Fatalf("Skim failed at sample %d of %d: %v", i, rec.Len(), serr)
				}
				break
			}
			if i >= rec.Len() {
				// Skim reads no usage, so it may pass a block whose
				// usage Decode rejects.
				continue
			}
			if !s.Time.Equal(rec.Sample(i).Time) || s.Elapsed != rec.Sample(i).Elapsed || len(s.Cores) != len(rec.Sample(i).Cores) {
				t.Fatalf("Skim sample %d differs from Decode's", i)
			}
		}
		var fe *FormatError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("error %v is no FormatError", err)
		}
		if err != nil && fe.Offset != int64(len(hdr)) && fe.Offset != int64(second) {
			t.Fatalf("damage at %d is at no block's start", fe.Offset)
		}
	})
}
