// Command gilregime shows which regime the Python 2 GIL storm is in, run
// by run, for real CPython 2.7 and for the emulation beside it: with two
// threads on two CPUs the storm either lets the waiter sleep at almost
// every release (about 1.4 cores used and 65 000 context switches a
// second here) or keeps it awake in failed wake-ups (1.8–1.9 cores and a
// few thousand), and it can change between runs. Each line is one run:
// wall, cores used, system share, voluntary context switches a second,
// and for the emulation its futex sleeps and lock switches per take.
//
//	cd benchmarks && go build -o /tmp/gilregime ./gilregime
//	chrt -f 10 /tmp/gilregime -rounds 14                  # real and emulated, alternated
//	chrt -f 10 /tmp/gilregime -rounds 5 -sweep 12,14,16,18,20,24   # emulation at several paces
//	/tmp/gilregime -rounds 20 -calibrate 20                         # the pace's calibration, again and again
//
// The C programs beside it measure the rest (BENCHMARKS.md, "The storm's
// regimes"): c/holdshim.c times the real interpreter's holds from inside it,
// and c/ctwin.c is the emulation's storm with no Go runtime.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/corescope/corescope/workload"
)

func main() {
	rounds := flag.Int("rounds", 14, "alternated rounds")
	total := flag.Uint64("work", 1<<24, "iterations in all, shared by the threads")
	n := flag.Int("threads", 2, "GIL threads")
	sweep := flag.String("sweep", "", "comma-separated ns an iteration: run only the emulation, paced to each in turn")
	calibrate := flag.Float64("calibrate", 0, "ns an iteration: only measure the bytecode kernel's pace to it, -rounds times, and print each")
	flag.Parse()
	ctx := context.Background()
	if *calibrate > 0 {
		for range *rounds {
			p, err := workload.MeasurePace(workload.Bytecode, *calibrate)
			if err != nil {
				fail(err)
			}
			fmt.Printf("kernel %.2f ns, %.2f steps of %.3f ns, unmet %v\n", p.KernelNs, p.Steps, p.StepNs, p.Unmet)
		}
		return
	}
	if *sweep != "" {
		if err := paces(ctx, *sweep, *rounds, *total, *n); err != nil {
			fail(err)
		}
		return
	}
	in, ok := workload.NewestInterpreter(workload.FindInterpreters(ctx), 2)
	if !ok {
		fail(fmt.Errorf("no Python 2 interpreter found"))
	}
	sp, err := workload.MeasureInterpreter(ctx, in, 0)
	if err != nil {
		fail(err)
	}
	p, err := workload.MeasurePace(workload.Bytecode, sp.NsPerIteration)
	if err != nil {
		fail(err)
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("loadavg %s%s: %.2f ns an iteration; the emulation paced by kernel %.2f ns + %.1f steps of %.2f ns\n",
		load, in, sp.NsPerIteration, p.KernelNs, p.Steps, p.StepNs)
	for range *rounds {
		w := workload.Work{N: *total / uint64(*n)}
		rt, err := workload.Python{Interpreter: in.Path, Program: workload.PyThreading, N: *n, Work: w}.Run(ctx)
		if err != nil {
			fail(err)
		}
		w.Kernel, w.Pace = workload.Bytecode, &p
		et, err := workload.GIL{N: *n, Version: workload.Python2, Work: w}.Run(ctx)
		if err != nil {
			fail(err)
		}
		fmt.Printf("real %s | emulated %s\n", line(rt), line(et))
	}
}

// line is one run's figures.
func line(r workload.Report) string {
	s := fmt.Sprintf("wall %.3f s, cores %.2f, system %2.0f %%, %6.0f switches/s", r.Wall.Seconds(), r.CoresUsed(), 100*r.SystemShare(), float64(r.VoluntarySwitches)/r.Wall.Seconds())
	if g := r.GIL; g != nil && g.Acquisitions > 0 {
		s += fmt.Sprintf(", futex sleeps %.2f and lock switches %.3f a take", float64(g.Sleeps)/float64(g.Acquisitions), float64(g.Switches)/float64(g.Acquisitions))
	}
	return s
}

// paces runs the emulation's serial and GIL runs at each pace in list, in
// turn, rounds times.
func paces(ctx context.Context, list string, rounds int, total uint64, n int) error {
	var ps []workload.Pace
	for _, f := range strings.Split(list, ",") {
		ns, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return fmt.Errorf("-sweep: %w", err)
		}
		p, err := workload.MeasurePace(workload.Bytecode, ns)
		if err != nil {
			return err
		}
		ps = append(ps, p)
	}
	for range rounds {
		for i := range ps {
			s, err := workload.Serial{Work: workload.Work{N: total, Kernel: workload.Bytecode, Pace: &ps[i]}}.Run(ctx)
			if err != nil {
				return err
			}
			et, err := workload.GIL{N: n, Version: workload.Python2, Work: workload.Work{N: total / uint64(n), Kernel: workload.Bytecode, Pace: &ps[i]}}.Run(ctx)
			if err != nil {
				return err
			}
			fmt.Printf("pace %5.1f ns: serial %5.2f ns an iteration, speed-up %.2f×, %s\n", ps[i].NsPerIteration,
				float64(s.Wall)/float64(total), float64(s.Wall)/float64(et.Wall), line(et))
		}
	}
	return nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gilregime:", err)
	os.Exit(1)
}
