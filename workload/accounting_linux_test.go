//go:build linux

package workload_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/workload"
	"golang.org/x/sys/unix"
)

// procTimes maps every other process's pid to its utime+stime+cutime+cstime
// in USER_HZ ticks, from /proc/<pid>/stat.
func procTimes(b *testing.B) map[string]int64 {
	b.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		b.Fatal(err)
	}
	self := strconv.Itoa(os.Getpid())
	m := make(map[string]int64, len(stats))
	for _, p := range stats {
		pid := filepath.Base(filepath.Dir(p))
		data, err := os.ReadFile(p)
		if pid == self || err != nil {
			continue // a process may end between the listing and the read
		}
		// pid (comm) state ppid …: utime, stime, cutime, cstime are
		// fields 14–17, 11–14 after the comm.
		f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
		if len(f) < 15 {
			continue
		}
		var t int64
		for _, v := range f[11:15] {
			n, _ := strconv.ParseInt(v, 10, 64)
			t += n
		}
		m[pid] = t
	}
	return m
}

// othersTicks is the CPU other processes used between two procTimes: what
// live processes gained, plus what new ones used; a process that ended is
// counted through its parent's cutime/cstime once reaped, which then holds
// its whole life, so its time before the window comes off again.
func othersTicks(before, after map[string]int64) int64 {
	var d int64
	for pid, t := range after {
		d += t - before[pid]
	}
	for pid, t := range before {
		if _, ok := after[pid]; !ok {
			d -= t
		}
	}
	return d
}

func processClock(b *testing.B) time.Duration {
	b.Helper()
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ts.Nano())
}

// BenchmarkAccounting splits what /proc/stat calls busy during a run into
// the workload's own CPU (its threads' clocks, as the Report gives it), the
// rest of this process (the Go runtime's other threads, the benchmark),
// steal time the hypervisor took, and other processes — each in cores, that
// is ÷ the run's wall time. It also reports the tail: how much of the wall
// time the earliest-finishing worker was already done.
func BenchmarkAccounting(b *testing.B) {
	w := workload.Work{Kernel: workload.Bytecode, N: 1 << 24}
	for _, m := range []workload.Model{
		workload.Threads{N: 2, Work: w},
		workload.Threads{N: 4, Work: w},
		workload.GIL{N: 4, Work: workload.Work{Kernel: workload.Bytecode, N: 1 << 23}, Version: workload.Python2},
	} {
		b.Run(m.String(), func(b *testing.B) {
			var wall, own, proc, tail time.Duration
			var ticks statTimes
			var others int64
			for b.Loop() {
				o0 := procTimes(b)
				s0, p0 := readStat(b), processClock(b)
				r, err := m.Run(b.Context())
				if err != nil {
					b.Fatal(err)
				}
				p1, s1 := processClock(b), readStat(b)
				others += othersTicks(o0, procTimes(b))
				for i := range ticks {
					ticks[i] += s1[i] - s0[i]
				}
				wall += r.Wall
				own += r.CPU()
				proc += p1 - p0
				first := r.Wall
				for _, wr := range r.Workers {
					first = min(first, wr.Wall)
				}
				tail += r.Wall - first
			}
			cores := func(d time.Duration) float64 { return float64(d) / float64(wall) }
			tick := func(n int64) time.Duration { return time.Duration(n) * 10 * time.Millisecond }
			busyNoSteal := tick(ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6])
			steal := tick(ticks[7])
			b.ReportMetric(cores(own), "own-cores")
			b.ReportMetric(cores(proc-own), "runtime-cores")
			b.ReportMetric(cores(busyNoSteal+steal), "busy-cores")
			b.ReportMetric(cores(steal), "steal-cores")
			b.ReportMetric(cores(busyNoSteal-proc), "others-cores")
			b.ReportMetric(cores(tick(others)), "others-seen-cores")
			b.ReportMetric(cores(tick(ticks[3]+ticks[4])), "idle-cores")
			// All of /proc/stat's time: 2 on this machine if nothing
			// went missing (± a tick of rounding per field).
			var all int64
			for _, t := range ticks {
				all += t
			}
			b.ReportMetric(cores(tick(all)), "stat-cores")
			b.ReportMetric(float64(tail)/float64(wall), "tail/wall")
		})
	}
}
