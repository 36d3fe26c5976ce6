package cpuwatch

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// fakeThread is one thread's stat line in a writable proc tree.
type fakeThread struct {
	tid          int
	name         string
	utime, stime uint64
	start        uint64
	cpu          int
}

// writeProc replaces root/<pid>/task with the given threads, so that a test
// can play a sequence of readings.
func writeProc(t *testing.T, root string, pid int, threads ...fakeThread) {
	t.Helper()
	task := filepath.Join(root, strconv.Itoa(pid), "task")
	if err := os.RemoveAll(task); err != nil {
		t.Fatal(err)
	}
	for _, th := range threads {
		dir := filepath.Join(task, strconv.Itoa(th.tid))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		line := fmt.Sprintf("%d (%s) R 1 %d %d 0 -1 0 0 0 0 0 %d %d 0 0 20 0 1 0 %d 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 17 %d 0 0 0 0 0\n",
			th.tid, th.name, pid, pid, th.utime, th.stime, th.start, th.cpu)
		if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestThreadReaderSequence(t *testing.T) {
	root := t.TempDir()
	const pid = 10
	writeProc(t, root, pid,
		fakeThread{tid: 10, name: "main", utime: 100, start: 1, cpu: 0},
		fakeThread{tid: 11, name: "spin", utime: 500, stime: 10, start: 2, cpu: 0},
		fakeThread{tid: 12, name: "exits", utime: 5, start: 3, cpu: 1},
		fakeThread{tid: 13, name: "reused", utime: 40, start: 4, cpu: 1},
	)
	w := Watcher{ProcRoot: root, FollowPIDs: []int{pid}}
	r, err := w.openThreads()
	if err != nil {
		t.Fatalf("openThreads: %v", err)
	}
	if got, err := r.read(nil, 0); err != nil || len(got) != 0 {
		t.Fatalf("first read = %v, %v; want the baseline only: no threads, no error", got, err)
	}

	type step struct {
		threads []fakeThread
		want    []ThreadUsage
	}
	steps := []step{
		{
			// 11 ran half the second and moved to cpu1; 12 exited; 13
			// exited and its tid went to a new thread (later start);
			// 14 started and ran 0.2 s.
			threads: []fakeThread{
				{tid: 10, name: "main", utime: 100, start: 1, cpu: 0},
				{tid: 11, name: "spin", utime: 540, stime: 20, start: 2, cpu: 1},
				{tid: 13, name: "reused", utime: 3, start: 90, cpu: 0},
				{tid: 14, name: "new", utime: 15, stime: 5, start: 95, cpu: 0},
			},
			want: []ThreadUsage{
				{PID: pid, TID: 10, Name: "main", CPU: 0},
				{PID: pid, TID: 11, Name: "spin", User: 0.4, System: 0.1, CPU: 1, Migrations: 1},
				{PID: pid, TID: 13, Name: "reused", User: 0.03, CPU: 0},
				{PID: pid, TID: 14, Name: "new", User: 0.15, System: 0.05, CPU: 0},
			},
		},
		{
			// 11 went back to cpu0: a second migration. 10's counter
			// went backwards (a broken fixture): no negative usage.
			threads: []fakeThread{
				{tid: 10, name: "main", utime: 90, start: 1, cpu: 0},
				{tid: 11, name: "spin", utime: 640, stime: 20, start: 2, cpu: 0},
			},
			want: []ThreadUsage{
				{PID: pid, TID: 10, Name: "main", CPU: 0},
				{PID: pid, TID: 11, Name: "spin", User: 1, CPU: 0, Migrations: 2},
			},
		},
	}
	for i, st := range steps {
		writeProc(t, root, pid, st.threads...)
		got, err := r.read(nil, time.Second)
		if err != nil {
			t.Fatalf("step %d: read: %v", i, err)
		}
		if diff := cmp.Diff(st.want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
			t.Errorf("step %d: mismatch (-want +got):\n%s", i, diff)
		}
	}
	if len(r.state) != 2 {
		t.Errorf("reader keeps state for %d threads, want 2: exited threads must be forgotten", len(r.state))
	}

	// The whole process exits: it vanishes without an error.
	if err := os.RemoveAll(filepath.Join(root, strconv.Itoa(pid))); err != nil {
		t.Fatal(err)
	}
	got, err := r.read(nil, time.Second)
	if err != nil || len(got) != 0 {
		t.Errorf("read after exit = %v, %v; want no threads, no error", got, err)
	}
}

func TestThreadReaderShortInterval(t *testing.T) {
	root := t.TempDir()
	writeProc(t, root, 5, fakeThread{tid: 5, name: "a", utime: 10, cpu: 0})
	r, err := (&Watcher{ProcRoot: root, FollowPIDs: []int{5}}).openThreads()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.read(nil, 0); err != nil {
		t.Fatal(err)
	}
	// Two ticks in 10 ms: tick sampling overshoots, and the fraction
	// clamps at 1 instead of claiming two cores' worth for one thread.
	writeProc(t, root, 5, fakeThread{tid: 5, name: "a", utime: 12, cpu: 1})
	got, err := r.read(nil, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].User != 1 || got[0].Migrations != 1 {
		t.Errorf("read = %+v, want one thread with User 1 and 1 migration", got)
	}
}

func TestDescendantsByParentMatchesChildFiles(t *testing.T) {
	root := filepath.Join("testdata", "threads", "follow", "proc")
	w := Watcher{ProcRoot: root, FollowSelf: true, FollowChildren: true}
	r, err := w.openThreads()
	if err != nil {
		t.Fatal(err)
	}
	if !r.childFiles {
		t.Fatal("fixture has children files, but the reader did not notice")
	}
	viaFiles, err := r.processes()
	if err != nil {
		t.Fatal(err)
	}
	viaFiles = append([]int(nil), viaFiles...)
	r.childFiles = false
	viaParents, err := r.processes()
	if err != nil {
		t.Fatal(err)
	}
	want := []int{100, 200, 400}
	if diff := cmp.Diff(want, viaFiles); diff != "" {
		t.Errorf("processes via children files mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, viaParents); diff != "" {
		t.Errorf("processes via parent pids mismatch (-want +got):\n%s", diff)
	}
}
