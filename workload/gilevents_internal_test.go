//go:build linux

package workload

import (
	"os"
	"testing"
	"time"
)

// checkGILEvents checks what any GIL run's events must satisfy: each
// thread's own events alternate want, take, drop (with failed wake-ups and
// drop requests only while it waits), the take-to-drop intervals of
// different threads never overlap, and the counts agree with GILStats.
func checkGILEvents(t *testing.T, rep Report, before, after int64) map[GILEventKind]int64 {
	t.Helper()
	counts := map[GILEventKind]int64{}
	type thread struct {
		last GILEventKind
	}
	threads := map[int32]*thread{}
	var holder int32
	for i, e := range rep.GILEvents {
		if e.Mono < before || e.Mono > after {
			t.Fatalf("event %d at %d outside the run [%d, %d]", i, e.Mono, before, after)
		}
		if i > 0 && e.Mono < rep.GILEvents[i-1].Mono {
			t.Fatalf("event %d out of time order", i)
		}
		if e.TID <= 0 || int(e.TID) == os.Getpid() {
			t.Fatalf("event %d: TID %d is not a worker thread's", i, e.TID)
		}
		th := threads[e.TID]
		if th == nil {
			th = &thread{last: GILDrop}
			threads[e.TID] = th
		}
		counts[e.Kind]++
		ok := true
		switch e.Kind {
		case GILWant:
			ok = th.last == GILDrop || th.last == GILForcedSwitch
		case GILFailedWake, GILDropRequest:
			ok = th.last == GILWant || th.last == GILFailedWake || th.last == GILDropRequest
		case GILTake:
			ok = th.last == GILWant || th.last == GILFailedWake || th.last == GILDropRequest
			if holder != 0 {
				t.Fatalf("event %d: thread %d took the lock that %d holds", i, e.TID, holder)
			}
			holder = e.TID
		case GILDrop:
			ok = th.last == GILTake
			holder = 0
		case GILForcedSwitch:
			ok = th.last == GILDrop
		}
		if !ok {
			t.Fatalf("event %d: thread %d did %v after %v", i, e.TID, e.Kind, th.last)
		}
		if e.Kind != GILFailedWake && e.Kind != GILDropRequest {
			th.last = e.Kind
		} else if th.last == GILWant {
			th.last = e.Kind
		}
	}
	if len(threads) != len(rep.Workers) {
		t.Errorf("events from %d threads, want %d", len(threads), len(rep.Workers))
	}
	if counts[GILTake] != rep.GIL.Acquisitions || counts[GILDrop] != counts[GILTake] || counts[GILWant] != counts[GILTake] {
		t.Errorf("want/take/drop = %d/%d/%d, want all = Acquisitions %d",
			counts[GILWant], counts[GILTake], counts[GILDrop], rep.GIL.Acquisitions)
	}
	if counts[GILDropRequest] != rep.GIL.DropRequests {
		t.Errorf("%d drop-request events, want DropRequests = %d", counts[GILDropRequest], rep.GIL.DropRequests)
	}
	if counts[GILFailedWake] > rep.GIL.Sleeps {
		t.Errorf("%d failed wake-ups > %d sleeps", counts[GILFailedWake], rep.GIL.Sleeps)
	}
	return counts
}

func TestGILEvents(t *testing.T) {
	work := Work{Kernel: Bytecode, N: 1 << 12, Duration: 50 * time.Millisecond}
	for _, g := range []GIL{
		{N: 2, Version: Python2, Work: work, Events: 1 << 20},
		{N: 3, Version: Python3, Work: work, SwitchInterval: time.Millisecond, Events: 1 << 20},
	} {
		t.Run(g.String(), func(t *testing.T) {
			before := monoNow()
			rep, err := g.Run(t.Context())
			after := monoNow()
			if err != nil {
				t.Fatal(err)
			}
			if rep.GILEventsLost != 0 {
				t.Fatalf("lost %d events with room for 2^20 per thread", rep.GILEventsLost)
			}
			counts := checkGILEvents(t, rep, before, after)
			t.Logf("%d events: %v; stats %+v", len(rep.GILEvents), counts, *rep.GIL)
		})
	}
}

func TestGILEventsOffAndFull(t *testing.T) {
	work := Work{Kernel: Bytecode, N: 1 << 12, Units: 20}
	rep, err := GIL{N: 2, Version: Python2, Work: work}.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if rep.GILEvents != nil || rep.GILEventsLost != 0 {
		t.Errorf("Events = 0 recorded %d events, lost %d; want none", len(rep.GILEvents), rep.GILEventsLost)
	}
	const room = 10
	rep, err = GIL{N: 2, Version: Python2, Work: work, Events: room}.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// Each acquisition makes three events (want, take, drop).
	if got, want := int64(len(rep.GILEvents))+rep.GILEventsLost, 3*rep.GIL.Acquisitions; got < want {
		t.Errorf("kept %d + lost %d = %d events, want at least %d", len(rep.GILEvents), rep.GILEventsLost, got, want)
	}
	if len(rep.GILEvents) != 2*room {
		t.Errorf("kept %d events, want both buffers full: %d", len(rep.GILEvents), 2*room)
	}
	if _, err := (GIL{N: 2, Version: Python2, Work: work, Events: -1}).Run(t.Context()); err == nil {
		t.Error("Events = -1: no error")
	}
}
