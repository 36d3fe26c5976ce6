//go:build linux

package corescope_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/schedtrace"
	"github.com/corescope/corescope/workload"
)

const peerChildEnv = "CORESCOPE_PEER_CHILD"

// TestTracePeerChild is the traced child of TestTracePeer: it prints its
// pid, waits for a line on stdin, and runs the Python 2 GIL with 2 threads
// for a second.
func TestTracePeerChild(t *testing.T) {
	if os.Getenv(peerChildEnv) == "" {
		t.Skip("only the child of TestTracePeer")
	}
	fmt.Printf("pid %d\n", os.Getpid())
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	_, err := workload.GIL{N: 2, Version: workload.Python2,
		Work: workload.Work{Kernel: workload.Bytecode, N: 1 << 16, Duration: time.Second}}.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
}

// perfThread is one line of perf sched timehist's runtime summary.
type perfThread struct {
	comm    string
	schedIn int
	run     time.Duration
}

var timehistLine = regexp.MustCompile(`^\s*(.*)\[(\d+)(?:/\d+)?\]\s+-?\d+\s+(\d+)\s+([\d.]+)\s`)

func parseTimehist(out string) map[int]perfThread {
	threads := map[int]perfThread{}
	for line := range strings.Lines(out) {
		m := timehistLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		tid, _ := strconv.Atoi(m[2])
		n, _ := strconv.Atoi(m[3])
		ms, _ := strconv.ParseFloat(m[4], 64)
		threads[tid] = perfThread{comm: m[1], schedIn: n, run: time.Duration(ms * float64(time.Millisecond))}
	}
	return threads
}

// TestTracePeer records one run of the Python 2 GIL with schedtrace and
// with perf sched record at once, and checks that both saw the same
// per-thread on-CPU time (within 2 % or 2 ms) and switch counts (within
// 2 %) for the workload's threads.
func TestTracePeer(t *testing.T) {
	if os.Getenv(peerChildEnv) != "" {
		t.Skip("in the child")
	}
	if testing.Short() {
		t.Skip("records 1 s of a GIL storm twice over")
	}
	perf, err := exec.LookPath("perf")
	if err != nil {
		t.Skip("perf is not installed (Debian: apt-get install linux-perf)")
	}
	probe, err := (&schedtrace.Tracer{}).Start()
	if err != nil {
		var ae *schedtrace.AccessError
		if errors.As(err, &ae) {
			t.Skipf("cannot trace here: %v", err)
		}
		t.Fatal(err)
	}
	if _, err := probe.Stop(); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(t.TempDir(), "perf.data")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, perf, "sched", "record", "-k", "CLOCK_MONOTONIC", "-o", data, "--", exe, "-test.run=^TestTracePeerChild$")
	cmd.Env = append(os.Environ(), peerChildEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait() //nolint:errcheck // only on the failure paths below; waited for properly there
	out := bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	if err != nil {
		t.Fatalf("child: %v\n%s", err, stderr.String())
	}
	var child int
	if _, err := fmt.Sscanf(line, "pid %d", &child); err != nil {
		t.Fatalf("child said %q", line)
	}
	// The whole machine, as perf sees it, and the child alone, filtered
	// in the kernel: both at once, on the same run.
	recAll, err := (&schedtrace.Tracer{All: true}).Start()
	if err != nil {
		t.Fatal(err)
	}
	rec, err := (&schedtrace.Tracer{FollowPIDs: []int{child}}).Start()
	if err != nil {
		recAll.Stop()
		t.Fatal(err)
	}
	if _, err := stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	rest, _ := bufio.NewReader(out).ReadString(0)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("perf sched record: %v\n%s\n%s", err, rest, stderr.String())
	}
	followed, err := rec.Stop()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := recAll.Stop()
	if err != nil {
		t.Fatal(err)
	}
	// Both recorders use CLOCK_MONOTONIC: perf's summary covers exactly
	// schedtrace's span.
	span := fmt.Sprintf("%.6f,%.6f", tr.Monotonic.Seconds(), (tr.Monotonic + tr.Duration).Seconds())
	hist, err := exec.CommandContext(ctx, perf, "sched", "timehist", "-i", data, "-s", "--time", span).Output()
	if err != nil {
		t.Fatalf("perf sched timehist: %v", err)
	}
	peer := parseTimehist(string(hist))
	if len(peer) == 0 {
		t.Fatalf("no threads in perf sched timehist -s:\n%s", hist)
	}
	if tr.Lost.Kernel > 0 || followed.Lost.Kernel > 0 {
		t.Fatalf("schedtrace lost events: %+v, following the child %+v", tr.Lost, followed.Lost)
	}
	// Switches the kernel reports to no recorder (this kind of VM's own
	// service threads never report leaving a CPU) are bounded by the
	// CPU's neighbouring switches: by all of them with All, as perf does,
	// but only by the followed threads' with a kernel filter, so the
	// filtered trace is compared only when it has none.
	t.Logf("unmatched switches: %d, following the child %d", tr.Lost.Unmatched, followed.Lost.Unmatched)
	compare(t, "whole machine", tr, child, peer)
	if followed.Lost.Unmatched == 0 {
		compare(t, "following the child", followed, child, peer)
	}
}

// compare checks tr's busy threads of process pid against perf's summary.
func compare(t *testing.T, what string, tr *schedtrace.Trace, pid int, peer map[int]perfThread) {
	t.Helper()
	workers := 0
	for _, th := range tr.Threads {
		if th.PID != pid || th.Running() < 50*time.Millisecond {
			continue // the Go runtime's threads, idle but for a few µs
		}
		workers++
		p, ok := peer[th.TID]
		if !ok {
			t.Errorf("%s: thread %d (%s) ran %v but perf did not see it", what, th.TID, th.Name, th.Running())
			continue
		}
		if d := (th.Running() - p.run).Abs(); d > max(2*time.Millisecond, p.run/50) {
			t.Errorf("%s: thread %d (%s): on CPU %v, perf says %v", what, th.TID, th.Name, th.Running(), p.run)
		}
		if d := math.Abs(float64(th.Switches - p.schedIn)); d > max(1, float64(p.schedIn)/50) {
			t.Errorf("%s: thread %d (%s): %d switches, perf says %d sched-ins", what, th.TID, th.Name, th.Switches, p.schedIn)
		}
		t.Logf("%s: thread %d %-10s schedtrace %v %d switches, perf %v %d sched-ins", what, th.TID, th.Name,
			th.Running(), th.Switches, p.run, p.schedIn)
	}
	if workers != 2 {
		t.Errorf("%s: %d busy threads in the child, want the GIL's 2", what, workers)
	}
}
