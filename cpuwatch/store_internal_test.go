package cpuwatch

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// checkSameSample fails unless got is want, bit for bit in every fraction.
func checkSameSample(t *testing.T, what string, want, got *Sample) {
	t.Helper()
	if !got.Time.Equal(want.Time) || got.Elapsed != want.Elapsed || len(got.Cores) != len(want.Cores) ||
		(got.Cores == nil) != (want.Cores == nil) || len(got.Threads) != len(want.Threads) || (got.Threads == nil) != (want.Threads == nil) {
		t.Fatalf("%s: sample shape %v %v %d cores %d threads, want %v %v %d cores %d threads", what,
			got.Time, got.Elapsed, len(got.Cores), len(got.Threads), want.Time, want.Elapsed, len(want.Cores), len(want.Threads))
	}
	if !sameBits(&got.Total, &want.Total) {
		t.Fatalf("%s: Total = %+v, want %+v", what, got.Total, want.Total)
	}
	for k := range want.Cores {
		w, g := &want.Cores[k], &got.Cores[k]
		if g.ID != w.ID || !sameBits(&g.Usage, &w.Usage) {
			t.Fatalf("%s: core %d = %+v, want %+v", what, k, *g, *w)
		}
	}
	for k := range want.Threads {
		w, g := want.Threads[k], got.Threads[k]
		if g.PID != w.PID || g.TID != w.TID || g.Name != w.Name || g.CPU != w.CPU || g.Migrations != w.Migrations ||
			math.Float64bits(g.User) != math.Float64bits(w.User) || math.Float64bits(g.System) != math.Float64bits(w.System) {
			t.Fatalf("%s: thread %d = %+v, want %+v", what, k, g, w)
		}
	}
}

// checkLoads fails unless CoreLoads of sample i gives what the fields of
// want's cores give.
func checkLoads(t *testing.T, what string, rec *Recording, i int, want *Sample) {
	t.Helper()
	n := len(want.Cores)
	busy, user, sys := make([]float64, n), make([]float64, n), make([]float64, n)
	if !rec.CoreLoads(i, busy, user, sys) {
		// Only usages kept as floats refuse: those of no ratio of ticks.
		return
	}
	for k, c := range want.Cores {
		for _, f := range []struct {
			name      string
			got, want float64
		}{
			{"busy", busy[k], 1 - c.Idle - c.IOWait},
			{"user", user[k], c.User + c.Nice},
			{"system", sys[k], c.System},
		} {
			if math.Float64bits(f.got) != math.Float64bits(f.want) {
				t.Fatalf("%s: CoreLoads %s of core %d = %v, want %v (from %+v)", what, f.name, c.ID, f.got, f.want, c.Usage)
			}
			if f.name != "busy" && !(f.got >= 0 && f.got <= 1+1e-15) {
				t.Fatalf("%s: CoreLoads %s of core %d = %v, out of [0, 1]", what, f.name, c.ID, f.got)
			}
		}
	}
}

// storeSample is the Sample that Watch computes from prev and cur: the
// float path the store must reproduce.
func storeSample(prev, cur *reading, at time.Time) Sample {
	s := Sample{Time: at, Elapsed: time.Second, Cores: diff(nil, prev, cur)}
	if !wentBack(&prev.total, &cur.total) {
		s.Total = usageOf(&prev.total, &cur.total)
	} else {
		s.Total = meanUsage(s.Cores)
	}
	return s
}

// checkStore appends pairs of readings to Recordings by the watcher's path
// (appendWatched) and by Append, and checks that every value read back,
// directly, through CoreLoads, and after JSON and binary round trips, is
// the one usageOf gives.
func checkStore(t *testing.T, pairs [][2]*reading) {
	t.Helper()
	t0 := time.Unix(1e9, 0)
	var watched, appended Recording
	watched.Host.UserHZ, appended.Host.UserHZ = 100, 100
	var want []Sample
	for i, p := range pairs {
		s := storeSample(p[0], p[1], t0.Add(time.Duration(i+1)*time.Second))
		want = append(want, s)
		watched.appendWatched(&s, p[0], p[1])
		appended.Append(s)
	}
	js, err := json.Marshal(&watched)
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON Recording
	if err := json.Unmarshal(js, &fromJSON); err != nil {
		t.Fatal(err)
	}
	var bin Recording
	{
		f := filepath.Join(t.TempDir(), "rec.csrec")
		if err := watched.WriteFile(f); err != nil {
			t.Fatal(err)
		}
		back, err := ReadRecordingFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bin = *back
	}
	// A Decoder's DecodeTo(nil) and its Last methods give the same.
	{
		var buf bytes.Buffer
		if err := WriteRecording(&buf, &watched); err != nil {
			t.Fatal(err)
		}
		d := NewDecoder(&buf)
		var got Sample
		for i := range want {
			if err := d.DecodeTo(nil); err != nil {
				t.Fatalf("DecodeTo(nil) of sample %d: %v", i, err)
			}
			d.LastSample(&got)
			checkSameSample(t, "LastSample", &want[i], &got)
			if ids := d.LastCoreIDs(); len(ids) != len(want[i].Cores) {
				t.Fatalf("LastCoreIDs() has %d ids, want %d", len(ids), len(want[i].Cores))
			}
			n := len(want[i].Cores)
			busy, user, sys := make([]float64, n), make([]float64, n), make([]float64, n)
			if d.LastCoreLoads(busy, user, sys) {
				for k, c := range want[i].Cores {
					if math.Float64bits(busy[k]) != math.Float64bits(1-c.Idle-c.IOWait) ||
						math.Float64bits(user[k]) != math.Float64bits(c.User+c.Nice) ||
						math.Float64bits(sys[k]) != math.Float64bits(c.System) {
						t.Fatalf("LastCoreLoads of sample %d core %d = %v %v %v, want from %+v", i, c.ID, busy[k], user[k], sys[k], c.Usage)
					}
				}
			}
		}
		if err := d.DecodeTo(nil); err != io.EOF {
			t.Fatalf("DecodeTo(nil) after the last sample = %v, want io.EOF", err)
		}
	}
	for name, rec := range map[string]*Recording{"watched": &watched, "Append": &appended, "JSON": &fromJSON, "binary": &bin} {
		if rec.Len() != len(want) {
			t.Fatalf("%s: Len() = %d, want %d", name, rec.Len(), len(want))
		}
		var into Sample
		for i := range want {
			got := rec.Sample(i)
			checkSameSample(t, name, &want[i], &got)
			rec.SampleInto(i, &into)
			checkSameSample(t, name+" SampleInto", &want[i], &into)
			checkLoads(t, name, rec, i, &want[i])
		}
	}
}

// TestStoreFixtures checks the store on every pair of fixture readings:
// the fixtures' own before/after pairs, and all others (hot-plugged cores,
// counters that go backwards, guest time, 1024 cores).
func TestStoreFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/*/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("testdata/*/*/proc/stat")
	files = append(files, more...)
	var rs []*reading
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := new(reading)
		if r.parse(b) != nil {
			continue // malformed on purpose
		}
		rs = append(rs, r)
	}
	if len(rs) < 10 {
		t.Fatalf("only %d fixtures parse", len(rs))
	}
	var pairs [][2]*reading
	for _, a := range rs {
		for _, b := range rs {
			pairs = append(pairs, [2]*reading{a, b})
		}
	}
	checkStore(t, pairs)
	t.Logf("%d fixtures, %d pairs", len(rs), len(pairs))
}

// storeTicks returns counters of every magnitude a machine or a damaged
// file can show.
func storeTicks(r *rand.Rand) ticks {
	var t ticks
	for i := range t {
		switch r.IntN(4) {
		case 0:
			t[i] = r.Uint64()
		case 1:
			t[i] = r.Uint64N(1 << 40)
		case 2:
			t[i] = r.Uint64N(1000)
		}
	}
	return t
}

// storeDelta moves t on as an interval would: mostly a few ticks, now
// and then backwards, by a lot, or by wrapping around.
func storeDelta(r *rand.Rand, t ticks) ticks {
	for i := range t {
		switch k := r.IntN(20); {
		case k < 8: // unchanged
		case k < 15:
			t[i] += r.Uint64N(200)
		case k < 17:
			t[i] -= r.Uint64N(50) // backwards (iowait, or a reset)
		case k < 18:
			t[i] += r.Uint64N(1 << 40)
		case k < 19:
			t[i] += r.Uint64N(1 << 62)
		default:
			t[i] = r.Uint64() // anything, wraps included
		}
	}
	if r.IntN(4) == 0 { // guest time inside user and nice, or more than them
		t[fGuest] = t[fUser] / uint64(1+r.IntN(5))
		t[fGuestNice] = t[fNice] / uint64(1+r.IntN(5))
	}
	return t
}

// TestStoreRandom checks the store on 10^5 random counter pairs: 1000
// samples of 100 cores, with a random total line.
func TestStoreRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 13))
	const samples, cores = 1000, 100
	var pairs [][2]*reading
	for range samples {
		prev, cur := new(reading), new(reading)
		prev.total = storeTicks(r)
		cur.total = storeDelta(r, prev.total)
		for id := range cores {
			t := storeTicks(r)
			prev.cores = append(prev.cores, coreTicks{id: id, t: t})
			cur.cores = append(cur.cores, coreTicks{id: id, t: storeDelta(r, t)})
		}
		pairs = append(pairs, [2]*reading{prev, cur})
	}
	checkStore(t, pairs)
}

// TestStoreSmallDeltas checks the store on the deltas a real kernel gives
// at intervals up to a second, which take CoreLoads' one-word path: the
// seven fields of the mask's first byte only, each moving by 0–127 ticks
// or not at all, in every combination.
func TestStoreSmallDeltas(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	first := []int{fIdle, fUser, fSystem, fNice, fIOWait, fIRQ, fSoftIRQ}
	var pairs [][2]*reading
	for s := range 400 {
		prev, cur := new(reading), new(reading)
		prev.total = storeTicks(r)
		cur.total = prev.total
		for id := range 64 {
			p := storeTicks(r)
			c := p
			for j, f := range first {
				// Core id and sample pick which fields move, so every
				// one of the 128 combinations comes up.
				if (id+s)>>j&1 != 0 {
					c[f] += 1 + r.Uint64N(127)
				}
			}
			prev.cores = append(prev.cores, coreTicks{id: id, t: p})
			cur.cores = append(cur.cores, coreTicks{id: id, t: c})
		}
		pairs = append(pairs, [2]*reading{prev, cur})
	}
	checkStore(t, pairs)
}
