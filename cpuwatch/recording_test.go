package cpuwatch_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/corescope/corescope/cpuwatch"
)

// recordShape is what a Record test checks: the sample times and the run
// window, as offsets from the start of the test.
type recordShape struct {
	Samples          []time.Duration
	RunStart, RunEnd time.Duration // -1 when zero
	Returned         time.Duration
}

func shapeOf(start, returned time.Time, rec *cpuwatch.Recording) recordShape {
	off := func(t time.Time) time.Duration {
		if t.IsZero() {
			return -1
		}
		return t.Sub(start)
	}
	sh := recordShape{RunStart: off(rec.RunStart), RunEnd: off(rec.RunEnd), Returned: returned.Sub(start)}
	for _, s := range rec.All() {
		sh.Samples = append(sh.Samples, s.Time.Sub(start))
	}
	return sh
}

func seconds(s ...float64) []time.Duration {
	var d []time.Duration
	for _, v := range s {
		d = append(d, time.Duration(v*float64(time.Second)))
	}
	return d
}

func TestRecord(t *testing.T) {
	sleepRun := func(d time.Duration, err error) func(context.Context) error {
		return func(context.Context) error { time.Sleep(d); return err }
	}
	boom := errors.New("boom")
	tests := []struct {
		name    string
		w       cpuwatch.Watcher
		run     func(context.Context) error
		want    recordShape
		wantErr error
	}{
		{
			// Lead 2 samples, then run from 2 s to 5.5 s; the sample at 6 s
			// covers the end of the run, then the trail of 2.
			name: "defaults",
			w:    cpuwatch.Watcher{Interval: time.Second},
			run:  sleepRun(3500*time.Millisecond, nil),
			want: recordShape{Samples: seconds(1, 2, 3, 4, 5, 6, 7, 8), RunStart: 2 * time.Second, RunEnd: 5500 * time.Millisecond, Returned: 8 * time.Second},
		},
		{
			name: "lead and trail",
			w:    cpuwatch.Watcher{Interval: time.Second, Lead: 1, Trail: 3},
			run:  sleepRun(time.Second, nil),
			want: recordShape{Samples: seconds(1, 2, 3, 4, 5), RunStart: time.Second, RunEnd: 2 * time.Second, Returned: 5 * time.Second},
		},
		{
			name: "no lead, no trail",
			w:    cpuwatch.Watcher{Interval: time.Second, Lead: -1, Trail: -1},
			run:  sleepRun(1500*time.Millisecond, nil),
			want: recordShape{Samples: seconds(1, 2), RunStart: 0, RunEnd: 1500 * time.Millisecond, Returned: 2 * time.Second},
		},
		{
			name: "min samples",
			w:    cpuwatch.Watcher{Interval: 500 * time.Millisecond, Lead: 1, Trail: 1, MinSamples: 6},
			run:  sleepRun(100*time.Millisecond, nil),
			want: recordShape{Samples: seconds(0.5, 1, 1.5, 2, 2.5, 3), RunStart: 500 * time.Millisecond, RunEnd: 600 * time.Millisecond, Returned: 3 * time.Second},
		},
		{
			name:    "run error returned with the recording",
			w:       cpuwatch.Watcher{Interval: time.Second, Lead: 1, Trail: 1},
			run:     sleepRun(time.Second, boom),
			want:    recordShape{Samples: seconds(1, 2, 3), RunStart: time.Second, RunEnd: 2 * time.Second, Returned: 3 * time.Second},
			wantErr: boom,
		},
		{
			name: "nil run",
			w:    cpuwatch.Watcher{Interval: time.Second, Lead: 2, Trail: 1},
			want: recordShape{Samples: seconds(1, 2, 3), RunStart: -1, RunEnd: -1, Returned: 3 * time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := startFakeProc(t, []int{0, 1}, func(int, int) bool { return false })
				tt.w.ProcRoot = p.Root
				start := time.Now()
				rec, err := tt.w.Record(t.Context(), tt.run)
				if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
					t.Errorf("Record error = %v, want %v", err, tt.wantErr)
				}
				if diff := cmp.Diff(tt.want, shapeOf(start, time.Now(), rec)); diff != "" {
					t.Errorf("recording mismatch (-want +got):\n%s", diff)
				}
				if rec.Interval != tt.w.Interval || !rec.Start.Equal(start) {
					t.Errorf("Interval, Start = %v, %v; want %v, %v", rec.Interval, rec.Start, tt.w.Interval, start)
				}
				if h := rec.Host; h.NumCPU < 1 || h.GOMAXPROCS < 1 || h.UserHZ != 100 {
					t.Errorf("Host = %+v, want NumCPU, GOMAXPROCS >= 1 and UserHZ 100", h)
				}
			})
		})
	}
}

// TestRecordZeroWatcher records with a Watcher whose every field but
// ProcRoot is zero: it samples every DefaultInterval, keeps DefaultLead
// intervals before run and DefaultTrail after, and says so in the
// recording.
func TestRecordZeroWatcher(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := startFakeProc(t, []int{0}, func(int, int) bool { return false })
		start := time.Now()
		var runAt time.Duration
		rec, err := (&cpuwatch.Watcher{ProcRoot: p.Root}).Record(t.Context(), func(context.Context) error {
			runAt = time.Since(start)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if rec.Interval != cpuwatch.DefaultInterval {
			t.Errorf("Recording.Interval = %v, want %v", rec.Interval, cpuwatch.DefaultInterval)
		}
		if want := cpuwatch.DefaultLead * cpuwatch.DefaultInterval; runAt != want {
			t.Errorf("run called after %v, want DefaultLead intervals = %v", runAt, want)
		}
		// run returns at once, at the end of the lead's last sample, which
		// therefore covers that moment; DefaultTrail more follow it.
		if got, want := rec.Len(), cpuwatch.DefaultLead+cpuwatch.DefaultTrail; got != want {
			t.Errorf("got %d samples, want %d", got, want)
		}
		for i, s := range rec.All() {
			if s.Elapsed != cpuwatch.DefaultInterval {
				t.Errorf("sample %d: Elapsed = %v, want %v", i, s.Elapsed, cpuwatch.DefaultInterval)
			}
		}
	})
}

// TestRecordSeesRun keeps cpu0 busy exactly while run runs and checks what
// EffectiveCores makes of it.
func TestRecordSeesRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := startFakeProc(t, []int{0, 1}, func(cpu, n int) bool {
			return cpu == 0 && between(n, 2*time.Second, 5500*time.Millisecond)
		})
		rec, err := (&cpuwatch.Watcher{Interval: time.Second, ProcRoot: p.Root}).Record(t.Context(), func(context.Context) error {
			time.Sleep(3500 * time.Millisecond)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Samples ending at 3, 4, 5 s lie inside the run window [2 s, 5.5 s]
		// and are one core busy; the one ending at 6 s overlaps it by half
		// and is half busy: (3×1 + 0.5×0.5) / 3.5.
		if got, want := rec.EffectiveCores(), 3.25/3.5; math.Abs(got-want) > 1e-12 {
			t.Errorf("EffectiveCores() = %v, want %v", got, want)
		}
		// The lead and trail show the machine idle.
		for _, i := range []int{0, 1, 6, 7} {
			if b := rec.Sample(i).BusyCores(); b != 0 {
				t.Errorf("sample %d: BusyCores() = %v, want 0", i, b)
			}
		}
	})
}

func TestRecordOnSample(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := startFakeProc(t, []int{0, 1}, func(cpu, n int) bool { return cpu == 1 })
		var (
			hooked  []cpuwatch.Sample
			during  = make(chan cpuwatch.Sample, 1)
			running atomic.Bool // set by run, read by the hook on the watch goroutine
		)
		w := &cpuwatch.Watcher{Interval: time.Second, ProcRoot: p.Root}
		w.OnSample = func(s cpuwatch.Sample) {
			hooked = append(hooked, s.Clone())
			if running.Load() {
				select {
				case during <- s.Clone():
				default:
				}
			}
		}
		rec, err := w.Record(t.Context(), func(context.Context) error {
			running.Store(true)
			// The hook must hand over a sample while run is still going
			// (the next one is due within a second of fake time).
			select {
			case s := <-during:
				if b := s.BusyCores(); b != 1 {
					t.Errorf("sample seen during run: BusyCores() = %v, want 1", b)
				}
			case <-time.After(10 * time.Second):
				t.Error("OnSample was not called while run was running")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(samplesOf(rec), hooked); diff != "" {
			t.Errorf("OnSample saw other samples than the recording holds (-recorded +hooked):\n%s", diff)
		}
	})
}

func TestRecordWatchFailureCancelsRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := startFakeProc(t, []int{0}, func(int, int) bool { return false })
		start := time.Now()
		time.AfterFunc(3500*time.Millisecond, func() { p.Corrupt("garbage\n") })
		rec, err := (&cpuwatch.Watcher{Interval: time.Second, ProcRoot: p.Root, Lead: 1}).Record(t.Context(), func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		})
		if err == nil || !strings.Contains(err.Error(), "cpuwatch: ") || !strings.Contains(err.Error(), "no cpu lines") {
			t.Errorf("Record error = %v, want the watch's error", err)
		}
		want := recordShape{Samples: seconds(1, 2, 3), RunStart: time.Second, RunEnd: 4 * time.Second, Returned: 4 * time.Second}
		if diff := cmp.Diff(want, shapeOf(start, time.Now(), rec)); diff != "" {
			t.Errorf("recording mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestRecordCancel(t *testing.T) {
	tests := []struct {
		name     string
		cancelAt time.Duration
		want     recordShape
	}{
		{"during run", 3500 * time.Millisecond, recordShape{Samples: seconds(1, 2, 3), RunStart: 2 * time.Second, RunEnd: 3500 * time.Millisecond, Returned: 3500 * time.Millisecond}},
		{"during lead", 1500 * time.Millisecond, recordShape{Samples: seconds(1), RunStart: -1, RunEnd: -1, Returned: 1500 * time.Millisecond}},
		{"during trail", 6500 * time.Millisecond, recordShape{Samples: seconds(1, 2, 3, 4, 5, 6), RunStart: 2 * time.Second, RunEnd: 5 * time.Second, Returned: 6500 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := startFakeProc(t, []int{0}, func(int, int) bool { return false })
				start := time.Now()
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				time.AfterFunc(tt.cancelAt, cancel)
				ran := false
				rec, err := (&cpuwatch.Watcher{Interval: time.Second, ProcRoot: p.Root}).Record(ctx, func(ctx context.Context) error {
					ran = true
					select {
					case <-ctx.Done():
						return ctx.Err()
					case <-time.After(3 * time.Second):
						return nil
					}
				})
				if !errors.Is(err, context.Canceled) || strings.Count(err.Error(), "context canceled") != 1 {
					t.Errorf("Record error = %q, want context.Canceled, once", err)
				}
				if ran != (tt.want.RunStart >= 0) {
					t.Errorf("run called: %v, want %v", ran, !ran)
				}
				if diff := cmp.Diff(tt.want, shapeOf(start, time.Now(), rec)); diff != "" {
					t.Errorf("recording mismatch (-want +got):\n%s", diff)
				}
			})
		})
	}
}

func TestRecordErrors(t *testing.T) {
	tests := []struct {
		name     string
		w        cpuwatch.Watcher
		contains string
	}{
		{"negative interval", cpuwatch.Watcher{Interval: -time.Second, ProcRoot: "testdata/normal/proc"}, "interval -1s is negative"},
		{"missing proc root", cpuwatch.Watcher{Interval: time.Second, ProcRoot: "testdata/missing/proc"}, "proc root"},
		{"malformed", cpuwatch.Watcher{Interval: time.Second, ProcRoot: "testdata/malformed/proc"}, "malformed counter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ran := false
				rec, err := tt.w.Record(t.Context(), func(context.Context) error { ran = true; return nil })
				if err == nil || !strings.HasPrefix(err.Error(), "cpuwatch: ") || !strings.Contains(err.Error(), tt.contains) {
					t.Errorf("Record error = %v, want one containing %q", err, tt.contains)
				}
				if ran || rec == nil || rec.Len() != 0 {
					t.Errorf("run called %v, recording %+v; want run not called and an empty recording", ran, rec)
				}
			})
		})
	}
}

// at returns the fixed instant 2026-01-01 00:00 plus sec seconds.
func at(sec float64) time.Time {
	return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(sec * float64(time.Second)))
}

// sample builds a one-second sample ending at end, with each core's busy
// fraction spent in user time.
func sample(end float64, busy ...float64) cpuwatch.Sample {
	s := cpuwatch.Sample{Time: at(end), Elapsed: time.Second}
	var sum float64
	for id, b := range busy {
		s.Cores = append(s.Cores, cpuwatch.CoreUsage{ID: 2 * id, Usage: cpuwatch.Usage{User: b, Idle: 1 - b}})
		sum += b
	}
	s.Total = cpuwatch.Usage{User: sum / float64(len(busy)), Idle: 1 - sum/float64(len(busy))}
	return s
}

func TestSummary(t *testing.T) {
	samples := []cpuwatch.Sample{
		sample(1, 0, 0), sample(2, 1, 0.5), sample(3, 1, 1), sample(4, 0.5, 0), sample(5, 0, 0),
	}
	core := func(id int, busy float64) cpuwatch.CoreUsage {
		return cpuwatch.CoreUsage{ID: id, Usage: cpuwatch.Usage{User: busy, Idle: 1 - busy}}
	}
	tests := []struct {
		name string
		rec  *cpuwatch.Recording
		want cpuwatch.Summary
	}{
		{
			name: "no run: every sample",
			rec:  withSamples(cpuwatch.Recording{}, samples),
			want: cpuwatch.Summary{
				Window: 5 * time.Second, EffectiveCores: 4.0 / 5,
				Total: cpuwatch.Usage{User: 0.4, Idle: 0.6},
				Cores: []cpuwatch.CoreUsage{core(0, 0.5), core(2, 0.3)},
			},
		},
		{
			name: "run on sample boundaries",
			rec:  withSamples(cpuwatch.Recording{RunStart: at(1), RunEnd: at(3)}, samples),
			want: cpuwatch.Summary{
				Window: 2 * time.Second, EffectiveCores: 3.5 / 2,
				Total: cpuwatch.Usage{User: 3.5 / 4, Idle: 0.5 / 4},
				Cores: []cpuwatch.CoreUsage{core(0, 1), core(2, 0.75)},
			},
		},
		{
			// Half of the sample ending at 2 s and a quarter of the one
			// ending at 4 s lie in the window: weights 0.5, 1, 0.25.
			name: "run across partial samples",
			rec:  withSamples(cpuwatch.Recording{RunStart: at(1.5), RunEnd: at(3.25)}, samples),
			want: cpuwatch.Summary{
				Window: 1750 * time.Millisecond, EffectiveCores: (0.5*1.5 + 1*2 + 0.25*0.5) / 1.75,
				Total: cpuwatch.Usage{User: (0.5*0.75 + 1 + 0.25*0.25) / 1.75, Idle: (0.5*0.25 + 0.25*0.75) / 1.75},
				Cores: []cpuwatch.CoreUsage{core(0, (0.5+1+0.125)/1.75), core(2, (0.25+1)/1.75)},
			},
		},
		{
			name: "run inside one sample",
			rec:  withSamples(cpuwatch.Recording{RunStart: at(2.2), RunEnd: at(2.4)}, samples),
			want: cpuwatch.Summary{
				Window: 200 * time.Millisecond, EffectiveCores: 2,
				Total: cpuwatch.Usage{User: 1}, Cores: []cpuwatch.CoreUsage{core(0, 1), core(2, 1)},
			},
		},
		{
			// A core missing from a sample is averaged over the others.
			name: "core missing from a sample",
			rec: withSamples(cpuwatch.Recording{}, []cpuwatch.Sample{
				sample(1, 1, 1), {Time: at(2), Elapsed: time.Second, Total: cpuwatch.Usage{Idle: 1}, Cores: []cpuwatch.CoreUsage{core(2, 0)}},
			}),
			want: cpuwatch.Summary{
				Window: 2 * time.Second, EffectiveCores: 1,
				Total: cpuwatch.Usage{User: 0.5, Idle: 0.5}, Cores: []cpuwatch.CoreUsage{core(0, 1), core(2, 0.5)},
			},
		},
		{
			// A coalesced sample weighs by the span it covers.
			name: "long sample weighs more",
			rec: withSamples(cpuwatch.Recording{}, []cpuwatch.Sample{
				sample(1, 1), {Time: at(4), Elapsed: 3 * time.Second, Total: cpuwatch.Usage{Idle: 1}, Cores: []cpuwatch.CoreUsage{core(0, 0)}},
			}),
			want: cpuwatch.Summary{
				Window: 4 * time.Second, EffectiveCores: 0.25,
				Total: cpuwatch.Usage{User: 0.25, Idle: 0.75}, Cores: []cpuwatch.CoreUsage{core(0, 0.25)},
			},
		},
		{"run outside the samples", withSamples(cpuwatch.Recording{RunStart: at(10), RunEnd: at(11)}, samples), cpuwatch.Summary{}},
		{"empty run", withSamples(cpuwatch.Recording{RunStart: at(2), RunEnd: at(2)}, samples), cpuwatch.Summary{}},
		{"no samples", &cpuwatch.Recording{}, cpuwatch.Summary{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.rec.Summary()
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
				t.Errorf("Summary() mismatch (-want +got):\n%s", diff)
			}
			if ec := tt.rec.EffectiveCores(); ec != got.EffectiveCores {
				t.Errorf("EffectiveCores() = %v, want Summary().EffectiveCores = %v", ec, got.EffectiveCores)
			}
		})
	}
}

// testRecording is a hand-built recording with every field set, including
// awkward floats, gaps in the ids and a coalesced sample.
func testRecording() *cpuwatch.Recording {
	s := []cpuwatch.Sample{sample(1, 0.1, 1.0/3), sample(2, 0.7, 0), sample(5, 2.0/3, 0.123456789)}
	s[2].Elapsed = 3 * time.Second
	s[1].Cores[0].Usage = cpuwatch.Usage{User: 0.1, Nice: 0.05, System: 0.2, Idle: 0.3, IOWait: 0.05, IRQ: 0.01, SoftIRQ: 0.04, Steal: 0.05, Guest: 0.15, GuestNice: 0.05}
	return withSamples(cpuwatch.Recording{
		DataID:   "multiprocessing:2",
		Interval: time.Second,
		Start:    at(0),
		RunStart: at(1.25),
		RunEnd:   at(4.5),
		Host:     cpuwatch.Host{Hostname: "box", NumCPU: 6, GOMAXPROCS: 4, UserHZ: 100},
	}, s)
}

func TestRecordingJSONRoundTrip(t *testing.T) {
	checkJSONRoundTrip(t, testRecording())
}

// checkJSONRoundTrip fails unless want comes back from encoding/json
// unchanged.
func checkJSONRoundTrip(t *testing.T, want *cpuwatch.Recording) {
	t.Helper()
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var got cpuwatch.Recording
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, &got, viewRecordings); diff != "" {
		t.Errorf("JSON round trip mismatch (-want +got):\n%s", diff)
	}
}

// TestRecordingJSONRoundTripLive round-trips a recording made by Record,
// whose times carry monotonic readings and a location.
func TestRecordingJSONRoundTripLive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := startFakeProc(t, []int{0, 2, 5}, func(cpu, n int) bool { return cpu == 2 && n%3 == 0 })
		want, err := (&cpuwatch.Watcher{Interval: time.Second, ProcRoot: p.Root, Lead: 1, Trail: 1}).Record(t.Context(), func(context.Context) error {
			time.Sleep(1500 * time.Millisecond)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		checkJSONRoundTrip(t, want)
	})
}

func TestRecordingWriteCSV(t *testing.T) {
	rec := testRecording()
	var buf bytes.Buffer
	if err := rec.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("reading the CSV back: %v", err)
	}
	wantHeader := []string{"time", "elapsed_s", "cpu", "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice", "busy"}
	if diff := cmp.Diff(wantHeader, rows[0]); diff != "" {
		t.Fatalf("header mismatch (-want +got):\n%s", diff)
	}
	// Rebuild the samples from the rows and compare.
	var got []cpuwatch.Sample
	for i, row := range rows[1:] {
		num := func(col int) float64 {
			v, err := strconv.ParseFloat(row[col], 64)
			if err != nil {
				t.Fatalf("row %d column %s: %v", i+1, wantHeader[col], err)
			}
			return v
		}
		tm, err := time.Parse(time.RFC3339Nano, row[0])
		if err != nil {
			t.Fatalf("row %d: %v", i+1, err)
		}
		u := cpuwatch.Usage{User: num(3), Nice: num(4), System: num(5), Idle: num(6), IOWait: num(7), IRQ: num(8), SoftIRQ: num(9), Steal: num(10), Guest: num(11), GuestNice: num(12)}
		if b := num(13); b != u.Busy() {
			t.Errorf("row %d: busy = %v, want Busy() = %v", i+1, b, u.Busy())
		}
		if row[2] == "all" {
			got = append(got, cpuwatch.Sample{Time: tm, Elapsed: time.Duration(num(1) * float64(time.Second)), Total: u})
			continue
		}
		id, err := strconv.Atoi(row[2])
		if err != nil {
			t.Fatalf("row %d: cpu %q: %v", i+1, row[2], err)
		}
		last := &got[len(got)-1]
		if !last.Time.Equal(tm) {
			t.Fatalf("row %d: core row at %v follows the \"all\" row of %v", i+1, tm, last.Time)
		}
		last.Cores = append(last.Cores, cpuwatch.CoreUsage{ID: id, Usage: u})
	}
	if diff := cmp.Diff(samplesOf(rec), got); diff != "" {
		t.Errorf("samples read back from CSV mismatch (-want +got):\n%s", diff)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRecordingWriteCSVError(t *testing.T) {
	err := testRecording().WriteCSV(failWriter{})
	if err == nil || !strings.HasPrefix(err.Error(), "cpuwatch: write CSV: ") || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("WriteCSV = %v, want a cpuwatch error wrapping the writer's", err)
	}
}

// oldShape is Recording as it was declared when its samples were an
// exported slice: the JSON of a Recording must stay byte for byte the
// JSON of this.
type oldShape struct {
	DataID   string            `json:"data_id,omitempty"`
	Interval time.Duration     `json:"interval"`
	Start    time.Time         `json:"start"`
	RunStart time.Time         `json:"run_start"`
	RunEnd   time.Time         `json:"run_end"`
	Samples  []cpuwatch.Sample `json:"samples"`
	Host     cpuwatch.Host     `json:"host"`
}

func oldShapeOf(r *cpuwatch.Recording) oldShape {
	return oldShape{r.DataID, r.Interval, r.Start, r.RunStart, r.RunEnd, samplesOf(r), r.Host}
}

func TestRecordingJSONShape(t *testing.T) {
	empty := withSamples(cpuwatch.Recording{Interval: time.Second}, nil)
	var emptyList cpuwatch.Recording
	if err := json.Unmarshal([]byte(`{"samples":[]}`), &emptyList); err != nil {
		t.Fatal(err)
	}
	for name, rec := range map[string]*cpuwatch.Recording{
		"hand-built":       testRecording(),
		"idle":             idleRecording(4, 5),
		"zero":             {},
		"no samples":       empty,
		"empty list":       &emptyList,
		"old results.json": oldResults(t)[0],
	} {
		t.Run(name, func(t *testing.T) {
			old := oldShapeOf(rec)
			if name == "empty list" {
				old.Samples = []cpuwatch.Sample{}
			}
			for _, indent := range []bool{false, true} {
				marshal := json.Marshal
				if indent {
					marshal = func(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") }
				}
				want, err := marshal(old)
				if err != nil {
					t.Fatal(err)
				}
				got, err := marshal(rec)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("JSON (indent %v) differs from the old shape's:\n got %s\nwant %s", indent, got, want)
				}
				// A Recording held by value encodes whole too.
				byValue, err := marshal(struct{ R cpuwatch.Recording }{*rec})
				if err != nil {
					t.Fatal(err)
				}
				wantValue, _ := marshal(struct{ R oldShape }{old})
				if !bytes.Equal(byValue, wantValue) {
					t.Errorf("JSON of a Recording value (indent %v) differs from the old shape's", indent)
				}
			}
		})
	}
}

func TestZeroRecording(t *testing.T) {
	var rec cpuwatch.Recording
	if rec.Len() != 0 {
		t.Errorf("Len() = %d, want 0", rec.Len())
	}
	for i := range rec.All() {
		t.Errorf("All() yielded sample %d", i)
	}
	if from, to := rec.Window(); !from.IsZero() || !to.IsZero() {
		t.Errorf("Window() = %v, %v, want zero", from, to)
	}
	if d := cmp.Diff(cpuwatch.Summary{}, rec.Summary()); d != "" {
		t.Errorf("Summary() mismatch (-want +got):\n%s", d)
	}
	s := sample(1, 0.25, 0.5)
	rec.Append(s)
	if d := cmp.Diff([]cpuwatch.Sample{s}, samplesOf(&rec)); d != "" {
		t.Errorf("after Append (-want +got):\n%s", d)
	}
	rec.DropSamples()
	if rec.Len() != 0 {
		t.Errorf("Len() after DropSamples = %d, want 0", rec.Len())
	}
}
