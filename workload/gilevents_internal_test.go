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
	// 300 ms of the Python 2 storm fills several chunks a thread.
	work := Work{Kernel: Bytecode, N: 1 << 12, Duration: 300 * time.Millisecond}
	for _, g := range []GIL{
		{N: 2, Version: Python2, Work: work, Events: 1 << 24},
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
				t.Fatalf("lost %d events with room for %d", rep.GILEventsLost, g.Events)
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
	if len(rep.GILEvents) != room {
		t.Errorf("kept %d events, want the cap: %d", len(rep.GILEvents), room)
	}
	if _, err := (GIL{N: 2, Version: Python2, Work: work, Events: -1}).Run(t.Context()); err == nil {
		t.Error("Events = -1: no error")
	}
}

// TestGILLogChunks drives the log by hand: threads fill chunk after chunk,
// each waiting for the helper's spare before the next (or, with no
// helper, mapping chunks of their own), and every event comes back once,
// merged in time order, with none lost; past the cap events are counted
// lost.
func TestGILLogChunks(t *testing.T) {
	const many = 1<<16 + 1<<18 + 1<<19 + 2<<20 + 5 // six chunks
	for _, tc := range []struct {
		name               string
		threads, max       int
		perThread          int
		noHelper           bool
		wantKept, wantLost int
	}{
		{"one thread, many chunks", 1, 1 << 22, many, false, many, 0},
		{"three threads", 3, 1 << 22, 300000, false, 900000, 0},
		{"no helper: the threads map their own", 2, 1 << 22, 300000, true, 600000, 0},
		{"no helper, cap", 2, 400000, 300000, true, 400000, 200000},
		{"cap", 2, 1000, 800, false, 1000, 600},
		{"cap smaller than the threads", 5, 3, 2, false, 3, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newGILLog(tc.threads, tc.max)
			if !tc.noHelper {
				l.startHelper()
			}
			for id := range tc.threads {
				l.threads[id].tid = int32(100 + id)
			}
			// Interleave the threads' events in time, a chunk's worth
			// at most before waiting for the helper.
			for done := 0; done < tc.perThread; {
				step := tc.perThread - done
				for id := range tc.threads {
					th := &l.threads[id]
					room := len(th.cur.ev) - th.n
					if sp := th.spare.Load(); room == 0 && sp != nil {
						room = len(sp.ev)
					}
					if room > 0 {
						step = min(step, room)
					}
				}
				for i := range step {
					for id := range tc.threads {
						l.rec(id, GILEventKind(1+(done+i)%6))
					}
				}
				done += step
				for id := range tc.threads {
					if tc.noHelper {
						break
					}
					th := &l.threads[id]
					deadline := time.Now().Add(5 * time.Second)
					for th.spare.Load() == nil && l.budgetLeft() && time.Now().Before(deadline) {
						time.Sleep(100 * time.Microsecond)
					}
				}
			}
			if !tc.noHelper {
				l.stop()
			}
			late := int64(0)
			for id := range tc.threads {
				late += l.threads[id].late
			}
			if tc.noHelper != (late > 0) && tc.wantKept > 5*tc.threads*firstGILChunk {
				t.Errorf("threads mapped %d chunks of their own; want some only with no helper", late)
			}
			var rep Report
			l.collect(&rep)
			if len(rep.GILEvents) != tc.wantKept || rep.GILEventsLost != int64(tc.wantLost) {
				t.Fatalf("kept %d, lost %d; want %d, %d", len(rep.GILEvents), rep.GILEventsLost, tc.wantKept, tc.wantLost)
			}
			seen := map[int32]int{}
			for i, e := range rep.GILEvents {
				if i > 0 && e.Mono < rep.GILEvents[i-1].Mono {
					t.Fatalf("event %d out of time order", i)
				}
				if e.TID < 100 || e.TID >= int32(100+tc.threads) {
					t.Fatalf("event %d of thread %d", i, e.TID)
				}
				// Each thread's kinds come back in the order recorded.
				if want := GILEventKind(1 + seen[e.TID]%6); e.Kind != want {
					t.Fatalf("event %d of thread %d: kind %v, want %v", i, e.TID, e.Kind, want)
				}
				seen[e.TID]++
			}
		})
	}
}
