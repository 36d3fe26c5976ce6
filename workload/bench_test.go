package workload_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/workload"
)

// cpython27NsPerIter is the seed's measurement: CPython 2.7 ran 2^28
// iterations of the loop in 5.866 s.
const cpython27NsPerIter = 5.866e9 / (1 << 28)

// bareLoop is the reference for the native kernel: the loop and nothing
// else, in a function of its own like the kernel's. Inlined into the
// benchmark, the compiler's loop alignment puts a NOP inside the loop body,
// which halves its speed on this CPU: that measures code placement, not
// the harness.
//
//go:noinline
func bareLoop(n uint64) uint64 {
	var r uint64
	for v := uint64(0); v < n; v++ {
		r += v
	}
	return r
}

func reportNsPerIter(b *testing.B, iters uint64) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(iters), "ns/iter")
}

// BenchmarkNative compares the Serial model's native kernel, with all its
// harness (thread locking, CPU clocks, cancellation polls, result checks),
// against the bare loop.
func BenchmarkNative(b *testing.B) {
	const n = 1 << 24
	b.Run("bare-loop", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if r := bareLoop(n); r != workload.Expected(n) {
				b.Fatalf("bare loop = %d", r)
			}
		}
		reportNsPerIter(b, n)
	})
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		m := workload.Serial{Work: workload.Work{N: n}}
		for b.Loop() {
			if _, err := m.Run(b.Context()); err != nil {
				b.Fatal(err)
			}
		}
		reportNsPerIter(b, n)
	})
}

// BenchmarkBytecode measures the interpreter against CPython 2.7: the seed's
// 22 ns per iteration, and, if WORKLOAD_PYTHON2 names a python2.7 binary,
// CPython 2.7 running the same function on this machine.
func BenchmarkBytecode(b *testing.B) {
	const n = 1 << 22
	b.Run("interpreter", func(b *testing.B) {
		b.ReportAllocs()
		m := workload.Serial{Work: workload.Work{Kernel: workload.Bytecode, N: n}}
		for b.Loop() {
			if _, err := m.Run(b.Context()); err != nil {
				b.Fatal(err)
			}
		}
		ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / n
		b.ReportMetric(ns, "ns/iter")
		b.ReportMetric(ns/7, "ns/bytecode")
		b.ReportMetric(ns/cpython27NsPerIter, "x-seed-cpython")
	})
	b.Run("cpython2.7", func(b *testing.B) {
		py := python(b, "WORKLOAD_PYTHON2")
		var wall time.Duration
		for b.Loop() {
			wall += runPython(b, py, "serial", 1, n).wall
		}
		ns := float64(wall.Nanoseconds()) / float64(b.N) / n
		b.ReportMetric(ns, "ns/iter")
		b.ReportMetric(ns/cpython27NsPerIter, "x-seed-cpython")
	})
}

// BenchmarkVsSerial runs each model on the bytecode kernel with the same
// total work as a serial run (2^26 iterations, the seed's per-thread size),
// pairing every model run with a serial run just before it, and reports
// wall/serial (the paired ratio of wall times), the cores used, the system
// share of CPU, and for GILs the switches per switch interval and the mean
// hand-off latency.
func BenchmarkVsSerial(b *testing.B) {
	const total = 1 << 26
	half := workload.Work{Kernel: workload.Bytecode, N: total / 2}
	for _, m := range []workload.Model{
		workload.Processes{N: 2, Work: half},
		workload.Threads{N: 2, Work: half},
		workload.Goroutines{N: 2, Work: half},
		workload.GIL{N: 2, Work: half, Version: workload.Python3},
		workload.GIL{N: 2, Work: half, Version: workload.Python2},
		workload.GIL{N: 2, Work: half, Version: workload.Python2, Pin: true},
	} {
		b.Run(m.String(), func(b *testing.B) {
			serial := workload.Serial{Work: workload.Work{Kernel: workload.Bytecode, N: total}}
			var serialWall, busy time.Duration
			var sum workload.Report
			sum.GIL = new(workload.GILStats)
			for b.Loop() {
				b.StopTimer()
				s, err := serial.Run(b.Context())
				if err != nil {
					b.Fatal(err)
				}
				serialWall += s.Wall
				b.StartTimer()
				busy0 := machineBusy(b)
				r, err := m.Run(b.Context())
				if err != nil {
					b.Fatal(err)
				}
				busy += machineBusy(b) - busy0
				sum.Wall += r.Wall
				sum.User += r.User
				sum.System += r.System
				if r.GIL != nil {
					sum.GIL.Switches += r.GIL.Switches
					sum.GIL.Handoff += r.GIL.Handoff
					sum.GIL.Acquisitions += r.GIL.Acquisitions
					sum.GIL.Wakes += r.GIL.Wakes
					sum.GIL.Sleeps += r.GIL.Sleeps
				}
			}
			reportVsSerial(b, sum, serialWall, busy)
			if g, ok := m.(workload.GIL); ok {
				if g.Version == workload.Python3 {
					b.ReportMetric(float64(sum.GIL.Switches)/(float64(sum.Wall)/float64(workload.DefaultSwitchInterval)), "switches/interval")
					b.ReportMetric(float64(sum.GIL.Handoff.Nanoseconds())/float64(max(sum.GIL.Switches, 1))/1e3, "handoff-µs")
				} else {
					b.ReportMetric(float64(sum.GIL.Switches)/sum.Wall.Seconds(), "switches/s")
					b.ReportMetric(float64(sum.GIL.Acquisitions)/sum.Wall.Seconds(), "acquisitions/s")
					b.ReportMetric(float64(sum.GIL.Wakes)/sum.Wall.Seconds(), "futex-wakes/s")
					b.ReportMetric(float64(sum.GIL.Sleeps)/sum.Wall.Seconds(), "futex-waits/s")
				}
			}
		})
	}
}

func reportVsSerial(b *testing.B, sum workload.Report, serialWall, busy time.Duration) {
	b.ReportMetric(float64(sum.Wall)/float64(serialWall), "wall/serial")
	b.ReportMetric(sum.CoresUsed(), "cores")
	b.ReportMetric(100*sum.SystemShare(), "sys-%")
	// What the rest of the machine burned meanwhile: other processes
	// competing for the two cores make parallel models look worse.
	b.ReportMetric(max(float64(busy-sum.CPU())/float64(sum.Wall), 0), "others-cores")
	// The whole machine as /proc/stat saw it, for comparison with cores.
	b.ReportMetric(float64(busy)/float64(sum.Wall), "machine-cores")
}

// statTimes is the aggregate "cpu" line of /proc/stat in USER_HZ ticks:
// user nice system idle iowait irq softirq steal.
type statTimes [8]int64

func readStat(b *testing.B) statTimes {
	b.Helper()
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		b.Fatal(err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		b.Fatalf("/proc/stat starts with %q", line)
	}
	var s statTimes
	for i := range s {
		if _, err := fmt.Sscan(f[i+1], &s[i]); err != nil {
			b.Fatalf("/proc/stat field %d: %v", i+1, err)
		}
	}
	return s
}

// machineBusy returns the non-idle CPU time of all cores so far, from the
// aggregate line of /proc/stat (USER_HZ = 100 ticks a second): everything
// but idle and iowait; guest time is already in user.
func machineBusy(b *testing.B) time.Duration {
	b.Helper()
	s := readStat(b)
	var busy int64
	for i, n := range s {
		if i != 3 && i != 4 {
			busy += n
		}
	}
	return time.Duration(busy) * 10 * time.Millisecond
}

// BenchmarkCPythonVsSerial is the real thing for reference: CPython's own
// threads (2 × 2^23 iterations) against its serial run (2^24), paired the
// same way. WORKLOAD_PYTHON2 and WORKLOAD_PYTHON3 name the interpreters.
func BenchmarkCPythonVsSerial(b *testing.B) {
	const total = 1 << 24
	for _, v := range []struct{ name, env string }{
		{"cpython2.7/threads:2", "WORKLOAD_PYTHON2"},
		{"cpython3/threads:2", "WORKLOAD_PYTHON3"},
	} {
		b.Run(v.name, func(b *testing.B) {
			py := python(b, v.env)
			var serialWall, busy time.Duration
			var sum workload.Report
			for b.Loop() {
				b.StopTimer()
				serialWall += runPython(b, py, "serial", 1, total).wall
				b.StartTimer()
				busy0 := machineBusy(b)
				r := runPython(b, py, "threads", 2, total/2)
				busy += machineBusy(b) - busy0
				sum.Wall += r.wall
				sum.User += r.user
				sum.System += r.system
			}
			reportVsSerial(b, sum, serialWall, busy)
		})
	}
}

// BenchmarkGILHandoff measures the Python 3 GIL's hand-off latency: the time
// from a forced drop to the waiting thread holding the lock, averaged over
// the switches of 2 threads with a 1 ms switch interval.
func BenchmarkGILHandoff(b *testing.B) {
	m := workload.GIL{N: 2, Version: workload.Python3, SwitchInterval: time.Millisecond,
		Work: workload.Work{Kernel: workload.Bytecode, N: 1 << 16, Duration: 200 * time.Millisecond}}
	var handoff time.Duration
	var switches int64
	for b.Loop() {
		r, err := m.Run(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		handoff += r.GIL.Handoff
		switches += r.GIL.Switches
	}
	b.ReportMetric(float64(handoff.Nanoseconds())/float64(max(switches, 1))/1e3, "handoff-µs")
	b.ReportMetric(float64(switches)/float64(b.N), "switches/op")
}

// BenchmarkStart is the cost of starting one worker and having it do one
// iteration: a child process (fork, exec, Go runtime start, wait4) against a
// locked thread as the reference.
func BenchmarkStart(b *testing.B) {
	w := workload.Work{N: 1}
	for _, m := range []workload.Model{workload.Threads{N: 1, Work: w}, workload.Processes{N: 1, Work: w}} {
		b.Run(m.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Run(b.Context()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCancel measures how long Run takes to return after its context
// is cancelled 20 ms into a minute of work.
func BenchmarkCancel(b *testing.B) {
	w := workload.Work{Kernel: workload.Bytecode, N: 1 << 24, Duration: time.Minute}
	for _, m := range []workload.Model{
		workload.Processes{N: 2, Work: w},
		workload.Threads{N: 2, Work: w},
		workload.GIL{N: 2, Work: w, Version: workload.Python2},
		workload.GIL{N: 2, Work: w, Version: workload.Python3},
	} {
		b.Run(m.String(), func(b *testing.B) {
			var latency, worst time.Duration
			for b.Loop() {
				ctx, cancel := context.WithCancel(b.Context())
				done := make(chan time.Time, 1)
				go func() {
					m.Run(ctx)
					done <- time.Now()
				}()
				time.Sleep(20 * time.Millisecond)
				t0 := time.Now()
				cancel()
				d := (<-done).Sub(t0)
				latency += d
				worst = max(worst, d)
			}
			b.ReportMetric(float64(latency.Microseconds())/float64(b.N), "cancel-µs")
			b.ReportMetric(float64(worst.Microseconds()), "worst-µs")
		})
	}
}

// The seed's loop, for CPython 2 and 3 alike; it prints wall, user and
// system seconds of the work measured inside the interpreter.
const pyScript = `
import os, sys, threading, time
def f(n):
    result = 0
    for v in range(n):
        result += v
    assert result == n * (n - 1) // 2
mode, workers, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t0, c0 = time.time(), os.times()
if mode == "serial":
    f(n)
else:
    ts = [threading.Thread(target=f, args=(n,)) for _ in range(workers)]
    for t in ts: t.start()
    for t in ts: t.join()
c1, t1 = os.times(), time.time()
print("%f %f %f" % (t1 - t0, c1[0] - c0[0], c1[1] - c0[1]))
`

type pyResult struct{ wall, user, system time.Duration }

// python returns the interpreter named by env, or skips the benchmark.
func python(b *testing.B, env string) string {
	b.Helper()
	py := os.Getenv(env)
	if py == "" {
		b.Skipf("set %s to a python binary to measure CPython itself", env)
	}
	return py
}

func runPython(b *testing.B, py, mode string, workers int, n uint64) pyResult {
	b.Helper()
	out, err := exec.CommandContext(b.Context(), py, "-c", pyScript, mode, fmt.Sprint(workers), fmt.Sprint(n)).Output()
	if err != nil {
		b.Fatalf("%s: %v", py, err)
	}
	var wall, user, sys float64
	if _, err := fmt.Sscan(strings.TrimSpace(string(out)), &wall, &user, &sys); err != nil {
		b.Fatalf("%s printed %q: %v", py, out, err)
	}
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	return pyResult{sec(wall), sec(user), sec(sys)}
}
