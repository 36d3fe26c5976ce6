package schedtrace

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Kinds of perf ring-buffer record this package reads (linux/perf_event.h).
const (
	recordLost           = 2  // PERF_RECORD_LOST
	recordSample         = 9  // PERF_RECORD_SAMPLE
	recordSwitchCPUWide  = 15 // PERF_RECORD_SWITCH_CPU_WIDE
	miscSwitchOut        = 1 << 13
	miscSwitchOutPreempt = 1 << 14
)

// noComm stands for a comm the event did not carry: the kernel's context
// switch records name no command.
const noComm = ^uint32(0)

// Trace flags of a raw record's common_flags (kernel/trace/trace.h): a
// wake-up made in interrupt context has no waker thread.
const (
	traceFlagHardIRQ = 0x08
	traceFlagSoftIRQ = 0x10
)

type eventKind uint8

const (
	evSwitch eventKind = iota + 1
	evWaking
	evFork
)

// event is one decoded scheduler event. pid and tid are the sample's: the
// task that was current when the event fired (the switch's prev, the
// waker, the forking parent), which is how a thread's process is learnt.
type event struct {
	time     uint64 // CLOCK_MONOTONIC, ns
	kind     eventKind
	irq      bool // waking: fired in interrupt context
	cpu      int32
	pid, tid int32
	// switch: a = prev, b = next; waking: a = wakee, b = target CPU;
	// fork: a = parent, b = child.
	a, b  int32
	state int64 // switch: prev_state
	// Interned comm ids (decoder.comms): switch prev and next, waking
	// wakee, fork child.
	commA, commB uint32
}

// decoder turns raw perf records into events, using field offsets read
// from the tracepoints' format files.
type decoder struct {
	switchID, wakingID, forkID uint64

	prevComm, prevPID, prevState, nextComm, nextPID field
	wakeComm, wakePID, wakeCPU                      field
	childComm, parentPID, childPID                  field
	commonType, commonFlags                         field

	comms  []string
	commID map[string]uint32
}

func newDecoder(sw, wk, fk *format) (*decoder, error) {
	d := &decoder{switchID: sw.id, wakingID: wk.id, forkID: fk.id, commID: make(map[string]uint32)}
	var errs []error
	get := func(f *format, name string, str bool) field {
		var fl field
		var err error
		if str {
			fl, err = f.strField(name)
		} else {
			fl, err = f.intField(name)
		}
		if err != nil {
			errs = append(errs, err)
		}
		return fl
	}
	d.commonType = get(sw, "common_type", false)
	d.commonFlags = get(sw, "common_flags", false)
	d.prevComm = get(sw, "prev_comm", true)
	d.prevPID = get(sw, "prev_pid", false)
	d.prevState = get(sw, "prev_state", false)
	d.nextComm = get(sw, "next_comm", true)
	d.nextPID = get(sw, "next_pid", false)
	d.wakeComm = get(wk, "comm", true)
	d.wakePID = get(wk, "pid", false)
	d.wakeCPU = get(wk, "target_cpu", false)
	d.childComm = get(fk, "child_comm", true)
	d.parentPID = get(fk, "parent_pid", false)
	d.childPID = get(fk, "child_pid", false)
	for _, f := range []*format{wk, fk} {
		if ct, ok := f.fields["common_type"]; !ok || ct != d.commonType {
			errs = append(errs, fmt.Errorf("schedtrace: format %q: common_type differs from sched_switch's", f.name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return d, nil
}

// intern returns the id of comm, adding it if new.
func (d *decoder) intern(comm string) uint32 {
	if id, ok := d.commID[comm]; ok {
		return id
	}
	id := uint32(len(d.comms))
	d.comms = append(d.comms, comm)
	d.commID[comm] = id
	return id
}

func (d *decoder) comm(fl field, raw []byte) (uint32, bool) {
	off, size := fl.offset, fl.size
	if fl.dataLoc {
		v, ok := fl.int(raw)
		if !ok {
			return 0, false
		}
		off, size = int(uint32(v)&0xffff), int(uint32(v)>>16)
	}
	if off+size > len(raw) {
		return 0, false
	}
	b := raw[off : off+size]
	for i, c := range b {
		if c == 0 {
			b = b[:i]
			break
		}
	}
	// The map lookup with string(b) does not allocate.
	if id, ok := d.commID[string(b)]; ok {
		return id, true
	}
	return d.intern(string(b)), true
}

// errRecord is wrapped by every error about a malformed ring-buffer record.
var errRecord = errors.New("schedtrace: malformed perf record")

// decodeSample decodes the body of a PERF_RECORD_SAMPLE written with
// PERF_SAMPLE_TID|TIME|CPU|RAW (in that order, as the ABI lays them out).
// ok is false, with no error, for a tracepoint this decoder does not know.
func (d *decoder) decodeSample(body []byte) (ev event, ok bool, err error) {
	const fixed = 4 + 4 + 8 + 4 + 4 + 4
	if len(body) < fixed {
		return ev, false, fmt.Errorf("%w: sample of %d bytes, want at least %d", errRecord, len(body), fixed)
	}
	ne := binary.NativeEndian
	ev.pid = int32(ne.Uint32(body[0:]))
	ev.tid = int32(ne.Uint32(body[4:]))
	ev.time = ne.Uint64(body[8:])
	ev.cpu = int32(ne.Uint32(body[16:]))
	n := int(ne.Uint32(body[24:]))
	if n > len(body)-fixed {
		return ev, false, fmt.Errorf("%w: raw size %d overruns a %d-byte sample", errRecord, n, len(body))
	}
	raw := body[fixed : fixed+n]
	typ, okT := d.commonType.int(raw)
	if !okT {
		return ev, false, fmt.Errorf("%w: raw data of %d bytes has no common_type", errRecord, n)
	}
	short := func(name string) error {
		return fmt.Errorf("%w: %s raw data of %d bytes is too short", errRecord, name, n)
	}
	switch uint64(uint16(typ)) {
	case d.switchID & 0xffff:
		ev.kind = evSwitch
		prev, ok1 := d.prevPID.int(raw)
		next, ok2 := d.nextPID.int(raw)
		st, ok3 := d.prevState.int(raw)
		ca, ok4 := d.comm(d.prevComm, raw)
		cb, ok5 := d.comm(d.nextComm, raw)
		if !(ok1 && ok2 && ok3 && ok4 && ok5) {
			return ev, false, short("sched_switch")
		}
		ev.a, ev.b, ev.state, ev.commA, ev.commB = int32(prev), int32(next), st, ca, cb
	case d.wakingID & 0xffff:
		ev.kind = evWaking
		pid, ok1 := d.wakePID.int(raw)
		cpu, ok2 := d.wakeCPU.int(raw)
		c, ok3 := d.comm(d.wakeComm, raw)
		fl, ok4 := d.commonFlags.int(raw)
		if !(ok1 && ok2 && ok3 && ok4) {
			return ev, false, short("sched_waking")
		}
		ev.a, ev.b, ev.commA = int32(pid), int32(cpu), c
		ev.irq = fl&(traceFlagHardIRQ|traceFlagSoftIRQ) != 0
	case d.forkID & 0xffff:
		ev.kind = evFork
		parent, ok1 := d.parentPID.int(raw)
		child, ok2 := d.childPID.int(raw)
		c, ok3 := d.comm(d.childComm, raw)
		if !(ok1 && ok2 && ok3) {
			return ev, false, short("sched_process_fork")
		}
		ev.a, ev.b, ev.commA = int32(parent), int32(child), c
	default:
		return ev, false, nil
	}
	return ev, true, nil
}

// ringState is what decoding one CPU's ring buffer carries from record to
// record, across drains.
type ringState struct {
	// The last switch decoded from either source, prev → next: a context
	// switch record naming the same switch is a duplicate.
	prev, next int32
	seen       bool
	// keep, if set, says whether a switch between these tids passes the
	// kernel filter the tracepoint events had; switch records, which the
	// kernel cannot filter, are held to it here.
	keep func(prev, next int32) bool
}

// switchRecord decodes a PERF_RECORD_SWITCH_CPU_WIDE body (next_prev
// pid/tid, then the sample_id of PERF_SAMPLE_TID|TIME|CPU). It is the
// kernel's other report of a context switch, made by the perf core around
// the switch itself rather than by the sched_switch tracepoint; some
// kernels leave the tracepoint out of a switch (this kind of VM's leaves
// out every switch away from the idle task on some CPUs) while still
// making these records. ok is false when the switch was already reported.
func (st *ringState) switchRecord(misc uint16, body []byte) (ev event, ok bool, err error) {
	const size = 4 + 4 + 4 + 4 + 8 + 4 + 4
	if len(body) < size {
		return ev, false, fmt.Errorf("%w: switch record of %d bytes, want at least %d", errRecord, len(body), size)
	}
	ne := binary.NativeEndian
	other := int32(ne.Uint32(body[4:]))
	ev.pid = int32(ne.Uint32(body[8:]))
	ev.tid = int32(ne.Uint32(body[12:]))
	ev.time = ne.Uint64(body[16:])
	ev.cpu = int32(ne.Uint32(body[24:]))
	ev.kind = evSwitch
	ev.commA, ev.commB = noComm, noComm
	if misc&miscSwitchOut != 0 {
		// Written by the task leaving, naming the next one.
		ev.a, ev.b = ev.tid, other
		if misc&miscSwitchOutPreempt == 0 {
			ev.state = 1 // not preempted: it blocked (TASK_INTERRUPTIBLE, say)
		}
	} else {
		// Written by the task arriving, naming the previous one, whose
		// state it does not know: taken for asleep.
		ev.a, ev.b, ev.state = other, ev.tid, 1
	}
	if ev.a < 0 || ev.b < 0 {
		// A task past its death (pid_alive false) has no tid to give:
		// its last switch is the tracepoint's to report.
		return ev, false, nil
	}
	if st.seen && st.prev == ev.a && st.next == ev.b {
		return ev, false, nil
	}
	st.prev, st.next, st.seen = ev.a, ev.b, true
	if st.keep != nil && !st.keep(ev.a, ev.b) {
		return ev, false, nil
	}
	return ev, true, nil
}

// decodeRecords decodes the whole records in buf (perf_event_header +
// body each), appending events to dst and adding PERF_RECORD_LOST counts
// to *lost. st carries one ring's state between calls; nil treats buf
// alone. A record that does not fit or makes no sense is an error: the
// rest of the buffer cannot be trusted.
func (d *decoder) decodeRecords(dst []event, buf []byte, lost *uint64, st *ringState) ([]event, error) {
	if st == nil {
		st = &ringState{}
	}
	ne := binary.NativeEndian
	for len(buf) > 0 {
		if len(buf) < 8 {
			return dst, fmt.Errorf("%w: %d stray bytes", errRecord, len(buf))
		}
		typ := ne.Uint32(buf[0:])
		size := int(ne.Uint16(buf[6:]))
		if size < 8 || size > len(buf) {
			return dst, fmt.Errorf("%w: record size %d with %d bytes left", errRecord, size, len(buf))
		}
		body := buf[8:size]
		switch typ {
		case recordSample:
			ev, ok, err := d.decodeSample(body)
			if err != nil {
				return dst, err
			}
			if ok {
				if ev.kind == evSwitch {
					st.prev, st.next, st.seen = ev.a, ev.b, true
				}
				dst = append(dst, ev)
			}
		case recordSwitchCPUWide:
			ev, ok, err := st.switchRecord(ne.Uint16(buf[4:]), body)
			if err != nil {
				return dst, err
			}
			if ok {
				dst = append(dst, ev)
			}
		case recordLost:
			if len(body) < 16 {
				return dst, fmt.Errorf("%w: lost record of %d bytes", errRecord, len(body))
			}
			*lost += ne.Uint64(body[8:])
		}
		buf = buf[size:]
	}
	return dst, nil
}
