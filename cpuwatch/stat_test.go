package cpuwatch

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// readFixture parses testdata/<dir>/proc/stat with reading.parse.
func readFixture(t *testing.T, dir string) reading {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", dir, "proc", "stat"))
	if err != nil {
		t.Fatal(err)
	}
	var r reading
	if err := r.parse(b); err != nil {
		t.Fatalf("parse %s: %v", dir, err)
	}
	return r
}

// cmpReading compares the counters of two readings, not where their text
// was.
var cmpReading = cmp.Options{
	cmp.AllowUnexported(reading{}, coreTicks{}),
	cmpopts.IgnoreFields(reading{}, "src", "totalText", "texts", "buf"),
	cmpopts.EquateEmpty(),
}

func TestParseFixtures(t *testing.T) {
	synthetic := func(n int) reading {
		var r reading
		for id := range n {
			c := syntheticTicks(id)
			for i, v := range c {
				r.total[i] += v
			}
			r.cores = append(r.cores, coreTicks{id, c})
		}
		return r
	}
	tests := []struct {
		dir  string
		want reading
	}{
		{"normal", reading{
			total: ticks{15289, 0, 4647, 86760, 477, 0, 130, 28, 0, 0},
			cores: []coreTicks{
				{0, ticks{7273, 0, 1944, 44385, 29, 0, 31, 13, 0, 0}},
				{1, ticks{8015, 0, 2703, 42375, 448, 0, 98, 15, 0, 0}},
			},
		}},
		{"gaps", reading{
			total: ticks{3000, 30, 900, 12000, 60, 0, 30, 0, 0, 0},
			cores: []coreTicks{
				{0, ticks{1000, 10, 300, 4000, 20, 0, 10, 0, 0, 0}},
				{2, ticks{1000, 10, 300, 4000, 20, 0, 10, 0, 0, 0}},
				{5, ticks{1000, 10, 300, 4000, 20, 0, 10, 0, 0, 0}},
			},
		}},
		{"old-kernel", reading{
			total: ticks{2255, 34, 2290, 22625563, 6290, 127, 456},
			cores: []coreTicks{
				{0, ticks{1132, 34, 1441, 11311718, 3675, 127, 438}},
				{1, ticks{1123, 0, 849, 11313845, 2614, 0, 18}},
			},
		}},
		{"hotplug/after", reading{
			total: ticks{4450, 0, 800, 30200},
			cores: []coreTicks{
				{0, ticks{1150, 0, 200, 10050}},
				{2, ticks{1100, 0, 200, 10100}},
				{3, ticks{1100, 0, 200, 50}},
			},
		}},
		{"cpu256", synthetic(256)},
		{"cpu1024", synthetic(1024)},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			got := readFixture(t, tt.dir)
			if diff := cmp.Diff(tt.want, got, cmpReading); diff != "" {
				t.Errorf("parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	const agg = "cpu  1 2 3 4 5 6 7 8 9 10\n"
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "no cpu lines"},
		{"only other lines", "intr 1 2 3\nctxt 5\n", "no cpu lines"},
		{"blank lines", "\n\n\n", "no cpu lines"},
		{"letter in counter", agg + "cpu0 1 2 3x 4\n", `malformed counter in "cpu0 1 2 3x 4"`},
		{"negative counter", agg + "cpu0 1 -2 3 4\n", "malformed counter"},
		{"decimal counter", agg + "cpu0 1 2.5 3 4\n", "malformed counter"},
		{"bad cpu name", agg + "cpuX 1 2 3 4\n", `malformed cpu name in "cpuX 1 2 3 4"`},
		{"name glued to counter", agg + "cpu0x 1 2 3 4\n", "malformed cpu name"},
		{"tab after name", agg + "cpu0\t1 2 3 4\n", "malformed cpu name"},
		{"huge cpu id", agg + "cpu99999999999999999999 1 2 3 4\n", "cpu id out of range"},
		{"counter overflows", agg + "cpu0 18446744073709551616 0 0 0\n", "counter overflows"},
		{"three counters", agg + "cpu0 1 2 3\n", "cpu line has 3 counters, want at least 4"},
		{"no counters", agg + "cpu0\n", "cpu line has 0 counters"},
		{"no aggregate", "cpu0 1 2 3 4\n", `no aggregate "cpu" line`},
		{"two aggregates", agg + agg, "duplicate aggregate line"},
		{"duplicate core", agg + "cpu1 1 2 3 4\ncpu0 1 2 3 4\ncpu1 1 2 3 4\n", "duplicate line for cpu1"},
		{"duplicate core in order", agg + "cpu1 1 2 3 4\ncpu1 1 2 3 4\n", "duplicate line for cpu1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r reading
			err := r.parse([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parse(%q) error = %v, want one containing %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestParseLenient(t *testing.T) {
	tests := []struct {
		name, in string
		want     reading
	}{
		{"unsorted ids", "cpu  1 1 1 1\ncpu5 5 0 0 0\ncpu0 0 0 0 7\ncpu2 2 0 0 0\n", reading{
			total: ticks{1, 1, 1, 1},
			cores: []coreTicks{{0, ticks{fIdle: 7}}, {2, ticks{2}}, {5, ticks{5}}},
		}},
		{"aggregate last", "cpu0 1 2 3 4\ncpu 1 2 3 4\n", reading{
			total: ticks{1, 2, 3, 4},
			cores: []coreTicks{{0, ticks{1, 2, 3, 4}}},
		}},
		{"newer kernel extra field", "cpu  1 2 3 4 5 6 7 8 9 10 11\n", reading{total: ticks{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}},
		{"crlf and tabs", "cpu  1\t2 3 4\r\ncpu0 1 2 3 4\r\n", reading{
			total: ticks{1, 2, 3, 4},
			cores: []coreTicks{{0, ticks{1, 2, 3, 4}}},
		}},
		{"no final newline", "cpu  1 2 3 4", reading{total: ticks{1, 2, 3, 4}}},
		{"leading lines skipped", "\nversion 1\ncpu  1 2 3 4\n", reading{total: ticks{1, 2, 3, 4}}},
		{"cpu lines after the block ignored", "cpu  1 2 3 4\nintr 9\ncpu0 x\n", reading{total: ticks{1, 2, 3, 4}}},
		{"largest counter", "cpu  18446744073709551615 0 0 0\n", reading{total: ticks{math.MaxUint64}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r reading
			if err := r.parse([]byte(tt.in)); err != nil {
				t.Fatalf("parse(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, r, cmpReading); diff != "" {
				t.Errorf("parse(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestParseReusesMemory checks the steady state of a watch: parsing the same
// machine again allocates nothing.
func TestParseReusesMemory(t *testing.T) {
	b, err := os.ReadFile("testdata/cpu1024/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	var r reading
	if err := r.parse(b); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(10, func() { _ = r.parse(b) }); n != 0 {
		t.Errorf("parse allocates %v times per run in steady state, want 0", n)
	}
}

func TestUsageOf(t *testing.T) {
	tests := []struct {
		name      string
		prev, cur ticks
		want      Usage
	}{
		{"half busy", ticks{100, 0, 100, 100}, ticks{125, 0, 125, 150}, Usage{User: 0.25, System: 0.25, Idle: 0.5}},
		{"every field", ticks{}, ticks{10, 10, 10, 10, 10, 10, 10, 10, 0, 0}, Usage{0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0, 0}},
		{"no ticks", ticks{5, 5, 5, 5}, ticks{5, 5, 5, 5}, Usage{Idle: 1}},
		{"all backwards", ticks{5, 5, 5, 5}, ticks{1, 1, 1, 1}, Usage{Idle: 1}},
		// The 10 ticks iowait lost reappear in idle: the core ran user for
		// all 10 new ticks.
		{"iowait backwards", ticks{0, 0, 0, 0, 50}, ticks{10, 0, 0, 10, 40}, Usage{User: 1}},
		{"iowait backwards into idle and more", ticks{0, 0, 0, 0, 50}, ticks{10, 0, 0, 20, 40}, Usage{User: 0.5, Idle: 0.5}},
		{"iowait backwards beyond idle", ticks{0, 0, 0, 10, 50}, ticks{10, 0, 0, 15, 0}, Usage{User: 1}},
		{"guest inside user", ticks{fUser: 0}, ticks{fUser: 100, fIdle: 100, fGuest: 40}, Usage{User: 0.3, Idle: 0.5, Guest: 0.2}},
		{"guest nice inside nice", ticks{}, ticks{fNice: 50, fIdle: 50, fGuestNice: 50}, Usage{Idle: 0.5, GuestNice: 0.5}},
		{"guest above user", ticks{}, ticks{fUser: 10, fIdle: 50, fGuest: 50}, Usage{Idle: 0.5, Guest: 0.5}},
		{"huge counters", ticks{fIdle: math.MaxUint64 - 100}, ticks{fUser: 100, fIdle: math.MaxUint64}, Usage{User: 0.5, Idle: 0.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := usageOf(&tt.prev, &tt.cur)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
				t.Errorf("usageOf mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// checkUsage fails unless every field of u is a number in [0, 1] and the
// fields sum to 1.
func checkUsage(t *testing.T, what string, u Usage) {
	t.Helper()
	f := []float64{u.User, u.Nice, u.System, u.Idle, u.IOWait, u.IRQ, u.SoftIRQ, u.Steal, u.Guest, u.GuestNice}
	var sum float64
	for i, v := range f {
		if math.IsNaN(v) || v < 0 || v > 1 {
			t.Fatalf("%s: field %d = %v, want in [0, 1]: %+v", what, i, v, u)
		}
		sum += v
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Fatalf("%s: fields sum to %v, want 1: %+v", what, sum, u)
	}
	if b := u.Busy(); math.IsNaN(b) || b < 0 || b > 1 {
		t.Fatalf("%s: Busy() = %v, want in [0, 1]", what, b)
	}
}

// TestUsageOfProperties feeds usageOf random counter pairs, including
// backwards, equal, zero and near-overflow ones.
func TestUsageOfProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	value := func() uint64 {
		switch rng.IntN(6) {
		case 0:
			return 0
		case 1:
			return math.MaxUint64 - rng.Uint64N(1000)
		case 2:
			return rng.Uint64()
		default:
			return rng.Uint64N(1000)
		}
	}
	for i := range 200_000 {
		var prev, cur ticks
		for f := range prev {
			prev[f] = value()
			if rng.IntN(3) == 0 {
				cur[f] = prev[f] // an idle field
			} else {
				cur[f] = value()
			}
		}
		u := usageOf(&prev, &cur)
		checkUsage(t, "usageOf", u)
		if t.Failed() {
			t.Logf("case %d: prev %v cur %v", i, prev, cur)
			return
		}
	}
}

func TestBusy(t *testing.T) {
	tests := []struct {
		name string
		u    Usage
		want float64
	}{
		{"idle", Usage{Idle: 1}, 0},
		{"iowait counts as idle", Usage{User: 0.5, IOWait: 0.25, Idle: 0.25}, 0.5},
		{"everything else is busy", Usage{User: 0.1, Nice: 0.1, System: 0.1, IRQ: 0.1, SoftIRQ: 0.1, Steal: 0.1, Guest: 0.1, GuestNice: 0.1, Idle: 0.2}, 0.8},
		{"zero value", Usage{}, 1},
		{"rounding above 1 clamps", Usage{Idle: -1e-17}, 1},
		{"rounding below 0 clamps", Usage{Idle: 0.7, IOWait: 0.3000000001}, 0},
		{"NaN clamps", Usage{Idle: math.NaN()}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.u.Busy(); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("Busy() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDiffFixtures(t *testing.T) {
	tests := []struct {
		name      string
		prev, cur string
		want      []CoreUsage
	}{
		{"same reading", "normal", "normal", []CoreUsage{{0, Usage{Idle: 1}}, {1, Usage{Idle: 1}}}},
		{"hotplug: cpu1 offline, cpu3 reset", "hotplug/before", "hotplug/after", []CoreUsage{
			{0, Usage{User: 0.5, Idle: 0.5}},
			{2, Usage{Idle: 1}},
		}},
		{"hotplug: cpu1 back, cpu3 fresh", "hotplug/after", "hotplug/later", []CoreUsage{
			{0, Usage{User: 0.5, Idle: 0.5}},
			{2, Usage{User: 0.25, Idle: 0.75}},
			{3, Usage{Idle: 1}},
		}},
		{"iowait backwards", "iowait-backwards/before", "iowait-backwards/after", []CoreUsage{
			{0, Usage{User: 0.5, Idle: 0.5}},
			{1, Usage{Idle: 50.0 / 70, IOWait: 20.0 / 70}},
		}},
		{"guest", "guest/before", "guest/after", []CoreUsage{
			// cpu0: user 80 of which guest 60, nice 10 of which guest 10, idle 10.
			{0, Usage{User: 20.0 / 100, Idle: 10.0 / 100, Guest: 60.0 / 100, GuestNice: 10.0 / 100}},
			// cpu1: user 30 but guest 50, nice 20 but guest_nice 30, idle 50.
			{1, Usage{Idle: 50.0 / 130, Guest: 50.0 / 130, GuestNice: 30.0 / 130}},
		}},
		{"gaps", "gaps", "gaps", []CoreUsage{{0, Usage{Idle: 1}}, {2, Usage{Idle: 1}}, {5, Usage{Idle: 1}}}},
		{"cores appear", "gaps", "normal", []CoreUsage{{0, Usage{
			User: 6273.0 / 48345, System: 1644.0 / 48345, Idle: 40385.0 / 48345, // nice went backwards
			IOWait: 9.0 / 48345, SoftIRQ: 21.0 / 48345, Steal: 13.0 / 48345,
		}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prev, cur := readFixture(t, tt.prev), readFixture(t, tt.cur)
			got := diff(nil, &prev, &cur)
			if d := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-12)); d != "" {
				t.Errorf("diff mismatch (-want +got):\n%s", d)
			}
			for _, c := range got {
				checkUsage(t, tt.name, c.Usage)
			}
		})
	}
}
