package schedtrace

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fixtureDecoder builds a decoder from a testdata/formats scenario.
func fixtureDecoder(t testing.TB, scenario string) (*decoder, error) {
	t.Helper()
	var fs []*format
	for _, e := range []string{"sched_switch", "sched_waking", "sched_process_fork"} {
		data, err := os.ReadFile(filepath.Join("testdata/formats", scenario, e))
		if err != nil {
			t.Fatal(err)
		}
		f, err := parseFormat(data)
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	return newDecoder(fs[0], fs[1], fs[2])
}

// enc writes raw tracepoint records the way the kernel lays them out for
// a decoder's formats.
type enc struct{ d *decoder }

func put(raw []byte, fl field, v int64) {
	switch fl.size {
	case 1:
		raw[fl.offset] = byte(v)
	case 2:
		binary.NativeEndian.PutUint16(raw[fl.offset:], uint16(v))
	case 4:
		binary.NativeEndian.PutUint32(raw[fl.offset:], uint32(v))
	case 8:
		binary.NativeEndian.PutUint64(raw[fl.offset:], uint64(v))
	}
}

func putStr(raw []byte, fl field, s string) { copy(raw[fl.offset:fl.offset+fl.size-1], s) }

func (e enc) raw(id uint64, n int) []byte {
	raw := make([]byte, n)
	put(raw, e.d.commonType, int64(id))
	return raw
}

func (e enc) sample(ev event, raw []byte) []byte {
	body := make([]byte, 28, 28+len(raw)+8)
	ne := binary.NativeEndian
	ne.PutUint32(body[0:], uint32(ev.pid))
	ne.PutUint32(body[4:], uint32(ev.tid))
	ne.PutUint64(body[8:], ev.time)
	ne.PutUint32(body[16:], uint32(ev.cpu))
	ne.PutUint32(body[24:], uint32(len(raw)))
	body = append(body, raw...)
	for (len(body)+8)%8 != 0 {
		body = append(body, 0)
	}
	return record(recordSample, body)
}

func record(typ uint32, body []byte) []byte {
	rec := make([]byte, 8, 8+len(body))
	binary.NativeEndian.PutUint32(rec[0:], typ)
	binary.NativeEndian.PutUint16(rec[6:], uint16(8+len(body)))
	return append(rec, body...)
}

func (e enc) switchRec(ev event, prevComm, nextComm string) []byte {
	d := e.d
	raw := e.raw(d.switchID, d.nextPID.offset+8)
	put(raw, d.prevPID, int64(ev.a))
	put(raw, d.nextPID, int64(ev.b))
	put(raw, d.prevState, ev.state)
	putStr(raw, d.prevComm, prevComm)
	putStr(raw, d.nextComm, nextComm)
	return e.sample(ev, raw)
}

func (e enc) wakingRec(ev event, comm string) []byte {
	d := e.d
	raw := e.raw(d.wakingID, d.wakeCPU.offset+4)
	put(raw, d.wakePID, int64(ev.a))
	put(raw, d.wakeCPU, int64(ev.b))
	putStr(raw, d.wakeComm, comm)
	if ev.irq {
		put(raw, d.commonFlags, traceFlagHardIRQ)
	}
	return e.sample(ev, raw)
}

func (e enc) forkRec(ev event, comm string) []byte {
	d := e.d
	// __data_loc strings: parent_comm, then child_comm, after the fixed part.
	raw := e.raw(d.forkID, 24)
	put(raw, d.parentPID, int64(ev.a))
	put(raw, d.childPID, int64(ev.b))
	s := []byte(comm + "\x00")
	put(raw, d.childComm, int64(len(raw))|int64(len(s))<<16)
	raw = append(raw, s...)
	return e.sample(ev, raw)
}

// switchCPUWide writes a PERF_RECORD_SWITCH_CPU_WIDE for the switch
// ev.a → ev.b: the leaving task's (out) or the arriving one's, stamped
// with ev's time and cpu; ev.pid is the writer's process.
func switchCPUWide(out, preempt bool, ev event) []byte {
	body := make([]byte, 32)
	ne := binary.NativeEndian
	self, other := ev.b, ev.a
	if out {
		self, other = ev.a, ev.b
	}
	ne.PutUint32(body[0:], uint32(other)) // next_prev_pid: taken as the tid's own
	ne.PutUint32(body[4:], uint32(other))
	ne.PutUint32(body[8:], uint32(ev.pid))
	ne.PutUint32(body[12:], uint32(self))
	ne.PutUint64(body[16:], ev.time)
	ne.PutUint32(body[24:], uint32(ev.cpu))
	rec := record(recordSwitchCPUWide, body)
	var misc uint16
	if out {
		misc |= miscSwitchOut
	}
	if preempt {
		misc |= miscSwitchOutPreempt
	}
	ne.PutUint16(rec[4:], misc)
	return rec
}

func lostRec(n uint64) []byte {
	body := make([]byte, 16)
	binary.NativeEndian.PutUint64(body[8:], n)
	return record(recordLost, body)
}

func TestFormats(t *testing.T) {
	tests := []struct {
		scenario string
		wantErr  string // substring; "" means it parses
		state    field
	}{
		{"linux-6.18", "", field{offset: 32, size: 8, signed: true}},
		{"int-prev-state", "", field{offset: 32, size: 4}},
		{"no-id", "no ID line", field{}},
		{"bad-offset", `bad offset "x4"`, field{}},
		{"no-prev-state", "has no field prev_state", field{}},
		{"truncated", "offset or size missing", field{}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			d, err := fixtureDecoder(t, tt.scenario)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "schedtrace: ") {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.prevState != tt.state {
				t.Errorf("prev_state = %+v, want %+v", d.prevState, tt.state)
			}
		})
	}
}

// TestDecodeRoundTrip encodes events for two kernels' layouts and decodes
// them back.
func TestDecodeRoundTrip(t *testing.T) {
	for _, scenario := range []string{"linux-6.18", "int-prev-state"} {
		t.Run(scenario, func(t *testing.T) {
			d, err := fixtureDecoder(t, scenario)
			if err != nil {
				t.Fatal(err)
			}
			e := enc{d}
			var buf []byte
			buf = append(buf, e.switchRec(event{time: 10, cpu: 1, pid: 7, tid: 8, a: 8, b: 9, state: 0x100}, "worker/0", "worker/1")...)
			buf = append(buf, lostRec(5)...)
			buf = append(buf, e.wakingRec(event{time: 11, cpu: 0, pid: 7, tid: 9, a: 8, b: 1}, "worker/0")...)
			buf = append(buf, e.wakingRec(event{time: 12, cpu: 0, a: 8, b: 1, irq: true}, "worker/0")...)
			buf = append(buf, e.forkRec(event{time: 13, cpu: 1, pid: 7, tid: 8, a: 8, b: 20}, "child")...)
			var lost uint64
			got, err := d.decodeRecords(nil, buf, &lost, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := []event{
				{time: 10, kind: evSwitch, cpu: 1, pid: 7, tid: 8, a: 8, b: 9, state: 0x100, commA: 0, commB: 1},
				{time: 11, kind: evWaking, cpu: 0, pid: 7, tid: 9, a: 8, b: 1, commA: 0},
				{time: 12, kind: evWaking, irq: true, a: 8, b: 1, commA: 0},
				{time: 13, kind: evFork, cpu: 1, pid: 7, tid: 8, a: 8, b: 20, commA: 2},
			}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(event{})); diff != "" {
				t.Errorf("events mismatch (-want +got):\n%s", diff)
			}
			if lost != 5 {
				t.Errorf("lost = %d, want 5", lost)
			}
			if diff := cmp.Diff([]string{"worker/0", "worker/1", "child"}, d.comms); diff != "" {
				t.Errorf("comms mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecodeSwitchRecords checks how the kernel's context switch records
// fill in the switches the sched_switch tracepoint left out, and are
// dropped where they repeat it.
func TestDecodeSwitchRecords(t *testing.T) {
	d, err := fixtureDecoder(t, "linux-6.18")
	if err != nil {
		t.Fatal(err)
	}
	e := enc{d}
	tp := func(time uint64, a, b int32) []byte {
		return e.switchRec(event{time: time, cpu: 1, pid: 7, tid: a, a: a, b: b, state: 1}, "x", "y")
	}
	out := func(time uint64, a, b int32, preempt bool) []byte {
		return switchCPUWide(true, preempt, event{time: time, cpu: 1, pid: 7, a: a, b: b})
	}
	in := func(time uint64, a, b int32) []byte {
		return switchCPUWide(false, false, event{time: time, cpu: 1, pid: 7, a: a, b: b})
	}
	synth := func(time uint64, a, b int32, state int64) event {
		tid := a
		if time%10 != 0 { // written by the arriving task
			tid = b
		}
		return event{time: time, kind: evSwitch, cpu: 1, pid: 7, tid: tid, a: a, b: b, state: state, commA: noComm, commB: noComm}
	}
	tests := []struct {
		name string
		recs [][]byte
		keep func(prev, next int32) bool
		want []int // indices into recs of the events wanted, -1 for none
		synt []event
	}{{
		name: "tracepoint, then both records of the same switch",
		recs: [][]byte{tp(100, 8, 9), out(110, 8, 9, false), in(121, 8, 9)},
		want: []int{0},
	}, {
		name: "the switch away from idle has no tracepoint",
		recs: [][]byte{tp(100, 8, 0), out(110, 8, 0, false), in(121, 8, 0), in(301, 0, 8), tp(400, 8, 9)},
		want: []int{0, -1, 4},
		synt: []event{synth(301, 0, 8, 1)},
	}, {
		name: "an out record alone keeps its preemption",
		recs: [][]byte{out(200, 8, 9, true), in(211, 8, 9), out(300, 9, 8, false)},
		want: []int{-1, -1},
		synt: []event{synth(200, 8, 9, 0), synth(300, 9, 8, 1)},
	}, {
		name: "a dying task's records name no tid",
		recs: [][]byte{tp(100, 8, 9), out(110, -1, 9, false), in(121, -1, 9)},
		want: []int{0},
	}, {
		name: "held to the kernel filter",
		recs: [][]byte{in(101, 0, 5), in(201, 5, 8), in(301, 8, 5)},
		keep: func(prev, next int32) bool { return prev == 8 || next == 8 },
		want: []int{-1, -1},
		synt: []event{synth(201, 5, 8, 1), synth(301, 8, 5, 1)},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf []byte
			for _, r := range tt.recs {
				buf = append(buf, r...)
			}
			var lost uint64
			st := &ringState{keep: tt.keep}
			got, err := d.decodeRecords(nil, buf, &lost, st)
			if err != nil {
				t.Fatal(err)
			}
			var want []event
			synt := tt.synt
			for _, i := range tt.want {
				if i < 0 {
					want = append(want, synt[0])
					synt = synt[1:]
					continue
				}
				evs, err := d.decodeRecords(nil, tt.recs[i], &lost, nil)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, evs...)
			}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(event{})); diff != "" {
				t.Errorf("events mismatch (-want +got):\n%s", diff)
			}
		})
	}
	// Split across drains, the ring's state carries the last switch over.
	st := &ringState{}
	var lost uint64
	first, err := d.decodeRecords(nil, tp(100, 8, 9), &lost, st)
	if err != nil {
		t.Fatal(err)
	}
	second, err := d.decodeRecords(nil, append(out(110, 8, 9, false), in(121, 8, 9)...), &lost, st)
	if err != nil || len(first) != 1 || len(second) != 0 {
		t.Errorf("across drains: %d then %d events (%v), want 1 then 0", len(first), len(second), err)
	}
}

func TestDecodeMalformed(t *testing.T) {
	d, err := fixtureDecoder(t, "linux-6.18")
	if err != nil {
		t.Fatal(err)
	}
	good := enc{d}.switchRec(event{a: 1, b: 2}, "a", "b")
	tests := map[string][]byte{
		"stray bytes":    good[:5],
		"size too big":   good[:len(good)-8],
		"size too small": record(recordSample, nil)[:4],
		"short sample":   record(recordSample, make([]byte, 8)),
		"raw overrun": func() []byte {
			b := append([]byte(nil), good...)
			binary.NativeEndian.PutUint32(b[8+24:], 4096)
			return b
		}(),
		"short switch": enc{d}.sample(event{}, enc{d}.raw(d.switchID, 30)),
		"short lost":   record(recordLost, make([]byte, 8)),
		"short switch record": func() []byte {
			b := switchCPUWide(true, false, event{a: 1, b: 2})
			return record(recordSwitchCPUWide, b[8:len(b)-8])
		}(),
	}
	for name, buf := range tests {
		t.Run(name, func(t *testing.T) {
			var lost uint64
			_, err := d.decodeRecords(nil, buf, &lost, nil)
			if err == nil || !strings.HasPrefix(err.Error(), "schedtrace: malformed perf record") {
				t.Fatalf("error = %v, want a malformed-record error", err)
			}
		})
	}
}

func FuzzParseFormat(f *testing.F) {
	for _, s := range []string{"linux-6.18", "int-prev-state", "truncated"} {
		data, err := os.ReadFile(filepath.Join("testdata/formats", s, "sched_switch"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fm, err := parseFormat(data)
		if err != nil {
			return
		}
		// Whatever parsed must read any raw record without panicking.
		raw := make([]byte, 64)
		for _, fl := range fm.fields {
			fl.int(raw)
		}
	})
}

func FuzzDecodeRecords(f *testing.F) {
	d, err := fixtureDecoder(f, "linux-6.18")
	if err != nil {
		f.Fatal(err)
	}
	e := enc{d}
	f.Add(e.switchRec(event{a: 1, b: 2, state: 1}, "a", "b"))
	f.Add(append(e.forkRec(event{a: 1, b: 2}, "c"), lostRec(3)...))
	f.Add(e.wakingRec(event{a: 1, b: 2}, "w"))
	f.Add(append(switchCPUWide(true, true, event{a: 1, b: 2}), switchCPUWide(false, false, event{a: 2, b: 1})...))
	f.Fuzz(func(t *testing.T, buf []byte) {
		var lost uint64
		evs, err := d.decodeRecords(nil, buf, &lost, nil)
		if err != nil && len(evs) > len(buf)/8 {
			t.Fatalf("%d events from %d bytes", len(evs), len(buf))
		}
		for _, ev := range evs {
			if (ev.commA != noComm && int(ev.commA) >= len(d.comms)) || (ev.commB != noComm && int(ev.commB) >= len(d.comms)) {
				t.Fatalf("comm id out of range: %+v", ev)
			}
		}
	})
}
