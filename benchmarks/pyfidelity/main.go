// Command pyfidelity holds the emulated GILs against real CPython: it runs
// the seed's loop serially and in 2 and 4 threads, in a real interpreter
// and in workload's emulation paced to that interpreter's measured speed,
// alternating the two, and prints the medians (with their spread) of
// speed-up over serial, cores used, system share and context switches a
// second. Speed-up and the wall lost per check interval (2.7) or per 5 ms
// switch interval (3.x) leave out a real run's interpreter start-up: each
// real run is followed by an empty run of the same program (one
// iteration), whose wall is taken off; the last column takes its CPU off
// the system share. -repace paces each round's emulation to that round's
// real serial loop; per-round figures go to stderr. Each round's emulated
// serial and GIL runs share one padding (workload.MeasurePace, as the
// experiment's paced rows do), so that their speed-up does not carry two
// calibrations' noise; -pace-each-run measures one before every run
// instead, as a lone run does.
//
//	cd benchmarks && go run ./pyfidelity -rounds 5
//	go run ./pyfidelity -python3 ~/.pyenv/versions/3.9.18/bin/python -only py3 -threads 2
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/corescope/corescope/benchmarks/internal/spread"
	"github.com/corescope/corescope/workload"
)

type sample struct {
	speedup, cores, system, ctxs float64
	sleeps, wakes                float64 // emulated GIL's futex calls a second
	lossUs                       float64 // wall lost to the threads, µs per check interval (2.7) or per 5 ms switch interval (3.x)
	startup                      float64 // share of a real run's wall outside the workers' loops
	loopSystem                   float64 // system share with an empty run's start-up CPU taken off
	loopCores                    float64 // cores used with an empty run's CPU and wall taken off
}

func main() {
	py2 := flag.String("python2", "", "Python 2.7 interpreter (default: the one found)")
	py3 := flag.String("python3", "", "Python 3 interpreter (default: the newest found)")
	only := flag.String("only", "", "py2 or py3: compare one version only")
	rounds := flag.Int("rounds", 5, "alternated rounds")
	total := flag.Uint64("work", 1<<26, "iterations in all, shared by the threads")
	threadList := flag.String("threads", "2,4", "thread counts")
	unpaced := flag.Bool("unpaced", false, "run the emulation at the bytecode kernel's own speed")
	ci := flag.Int("check-interval", 0, "Python 2 check interval for the emulation (0: 100)")
	eachRun := flag.Bool("pace-each-run", false, "measure the emulation's padding before every run, not once a round")
	repace := flag.Bool("repace", false, "pace each round's emulation to that round's real serial loop (wall ns an iteration) instead of MeasureInterpreter's CPU figure")
	flag.Parse()
	ctx := context.Background()

	var threads []int
	for _, f := range strings.Split(*threadList, ",") {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			fail(fmt.Errorf("-threads %q", *threadList))
		}
		threads = append(threads, n)
	}
	found := workload.FindInterpreters(ctx)
	pick := func(path string, major int) (workload.Interpreter, bool) {
		if path != "" {
			in, err := workload.InspectInterpreter(ctx, path)
			if err != nil {
				fail(err)
			}
			return in, true
		}
		return workload.NewestInterpreter(found, major)
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("loadavg before: %s", load)
	for _, v := range []struct {
		name  string
		path  string
		major int
		gil   workload.GILVersion
	}{{"py2", *py2, 2, workload.Python2}, {"py3", *py3, 3, workload.Python3}} {
		if *only != "" && *only != v.name {
			continue
		}
		in, ok := pick(v.path, v.major)
		if !ok {
			fmt.Printf("no Python %d interpreter found\n", v.major)
			continue
		}
		sp, err := workload.MeasureInterpreter(ctx, in, 0)
		if err != nil {
			fail(err)
		}
		ns := sp.NsPerIteration
		if *unpaced {
			ns = 0
		}
		fmt.Printf("\n## %s (%s) vs emulated %s GIL, %d iterations in all, %d rounds; %.2f ns an iteration (CPU)\n",
			in, in.Path, v.gil, *total, *rounds, sp.NsPerIteration)
		real := map[int][]sample{}
		emu := map[int][]sample{}
		var pace *workload.Pace
		for r := range *rounds {
			rs, err := workload.Python{Interpreter: in.Path, Program: workload.PyNonThreaded, Work: workload.Work{N: *total}}.Run(ctx)
			if err != nil {
				fail(err)
			}
			empty, err := workload.Python{Interpreter: in.Path, Program: workload.PyNonThreaded, Work: workload.Work{N: 1}}.Run(ctx)
			if err != nil {
				fail(err)
			}
			rsEmpty := empty
			if *repace && !*unpaced {
				ns = float64(loopWall(rs, &rsEmpty)) / float64(*total)
			}
			// One pace a round for the emulation's serial and GIL runs
			// (or, with -pace-each-run, runs that measure their own).
			var shared *workload.Pace
			runNs := ns
			if ns > 0 && !*eachRun {
				p, err := workload.MeasurePace(workload.Bytecode, ns)
				if err != nil {
					fail(err)
				}
				shared, runNs = &p, 0
			}
			es, err := workload.Serial{Work: workload.Work{Kernel: workload.Bytecode, N: *total, NsPerIteration: runNs, Pace: shared}}.Run(ctx)
			if err != nil {
				fail(err)
			}
			pace = es.Pace
			real[1] = append(real[1], measure(rs, &rsEmpty, rs, &rsEmpty, 0))
			real[1][len(real[1])-1].loopSystem, real[1][len(real[1])-1].loopCores = loopSystem(rs, empty), loopCores(rs, empty)
			emu[1] = append(emu[1], measure(es, nil, es, nil, 0))
			for _, n := range threads {
				w := workload.Work{N: *total / uint64(n)}
				rt, err := workload.Python{Interpreter: in.Path, Program: workload.PyThreading, N: n, Work: w}.Run(ctx)
				if err != nil {
					fail(err)
				}
				empty, err := workload.Python{Interpreter: in.Path, Program: workload.PyThreading, N: n, Work: workload.Work{N: 1}}.Run(ctx)
				if err != nil {
					fail(err)
				}
				w.Kernel, w.NsPerIteration, w.Pace = workload.Bytecode, runNs, shared
				et, err := workload.GIL{N: n, Version: v.gil, Work: w, CheckInterval: *ci}.Run(ctx)
				if err != nil {
					fail(err)
				}
				per := float64(*total) * 3 / 101 // 2.7: three ticks an iteration, a release every 101
				if v.gil == workload.Python3 {
					per = 0 // per switch interval, from the wall
				}
				real[n] = append(real[n], measure(rt, &empty, rs, &rsEmpty, per))
				real[n][len(real[n])-1].loopSystem, real[n][len(real[n])-1].loopCores = loopSystem(rt, empty), loopCores(rt, empty)
				emu[n] = append(emu[n], measure(et, nil, es, nil, per))
				rm, em := real[n][len(real[n])-1], emu[n][len(emu[n])-1]
				fmt.Fprintf(os.Stderr, "round %d, %d threads: serial loop ns an iteration real %.2f, emulated %.2f; speed-up %.3f× vs %.3f×; µs lost per interval %.2f vs %.2f\n",
					r+1, n, float64(loopWall(rs, &rsEmpty))/float64(*total), float64(loopWall(es, nil))/float64(*total), rm.speedup, em.speedup, rm.lossUs, em.lossUs)
			}
			fmt.Fprintf(os.Stderr, "round %d done\n", r+1)
		}
		if pace != nil {
			fmt.Printf("emulation paced: kernel %.2f ns + %.1f steps of %.2f ns = %.2f ns an iteration\n",
				pace.KernelNs, pace.Steps, pace.StepNs, pace.NsPerIteration)
		}
		fmt.Println("\nspeed-up and loss use the loops' own wall (a real run's interpreter start-up excluded); cores, system and switches are the whole process's")
		fmt.Println("\n| threads | run | speed-up | cores used | system % | ctx switches/s | GIL futex sleeps/s, wakes/s | µs lost per interval | start-up share | system % of the loop | cores of the loop |")
		fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
		for _, n := range append([]int{1}, threads...) {
			for _, side := range []struct {
				name string
				s    []sample
			}{{in.String(), real[n]}, {"emulated " + v.gil.String(), emu[n]}} {
				fmt.Printf("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", n, side.name,
					spread.Of(side.s, func(s sample) float64 { return s.speedup }, "%.2f×"),
					spread.Of(side.s, func(s sample) float64 { return s.cores }, "%.2f"),
					spread.Of(side.s, func(s sample) float64 { return 100 * s.system }, "%.0f"),
					spread.Of(side.s, func(s sample) float64 { return s.ctxs }, "%.0f"),
					spread.Of(side.s, func(s sample) float64 { return s.sleeps }, "%.0f")+", "+spread.Of(side.s, func(s sample) float64 { return s.wakes }, "%.0f"),
					spread.Of(side.s, func(s sample) float64 { return s.lossUs }, "%.2f"),
					spread.Of(side.s, func(s sample) float64 { return 100 * s.startup }, "%.0f %%"),
					spread.Of(side.s, func(s sample) float64 { return 100 * s.loopSystem }, "%.0f"),
					spread.Of(side.s, func(s sample) float64 { return s.loopCores }, "%.2f"))
			}
		}
	}
	load, _ = os.ReadFile("/proc/loadavg")
	fmt.Printf("\nloadavg after: %s", load)
}

// measure compares rep with the serial run of its side. empty and
// serialEmpty are a real run's empty runs (see loopWall), nil for the
// emulation. intervals is how many check intervals the work spans (2.7),
// or 0 to count 5 ms switch intervals of the loop's wall (3.x).
func measure(rep workload.Report, empty *workload.Report, serial workload.Report, serialEmpty *workload.Report, intervals float64) sample {
	w := rep.Wall.Seconds()
	lw, sw := loopWall(rep, empty).Seconds(), loopWall(serial, serialEmpty).Seconds()
	ideal := sw * float64(rep.Iterations()) / float64(serial.Iterations())
	s := sample{
		speedup:    ideal / lw,
		cores:      rep.CoresUsed(),
		system:     rep.SystemShare(),
		loopSystem: rep.SystemShare(),
		loopCores:  rep.CoresUsed(),
		ctxs:       float64(rep.ContextSwitches()) / w,
		startup:    1 - lw/w,
	}
	if intervals == 0 {
		intervals = lw / 0.005
	}
	s.lossUs = (lw - ideal) / intervals * 1e6
	if g := rep.GIL; g != nil {
		s.sleeps, s.wakes = float64(g.Sleeps)/w, float64(g.Wakes)/w
	}
	return s
}

// loopSystem is rep's system share once the CPU of empty (the same program
// doing one iteration: start-up, imports, exit) is taken off both sides.
func loopSystem(rep, empty workload.Report) float64 {
	cpu := rep.CPU() - empty.CPU()
	if cpu <= 0 {
		return rep.SystemShare()
	}
	return max(float64(rep.System-empty.System), 0) / float64(cpu)
}

// loopCores is rep's cores used once empty's CPU and wall are taken off.
func loopCores(rep, empty workload.Report) float64 {
	cpu, wall := rep.CPU()-empty.CPU(), rep.Wall-empty.Wall
	if cpu <= 0 || wall <= 0 {
		return rep.CoresUsed()
	}
	return float64(cpu) / float64(wall)
}

// loopWall is the wall time of a run's loops: a real run's Wall less that
// of empty, the same program doing one iteration (interpreter start-up,
// imports, starting the threads, exit), which the emulation has no
// counterpart of; an emulated run's (nil empty) whole Wall.
func loopWall(rep workload.Report, empty *workload.Report) time.Duration {
	if empty != nil && empty.Wall < rep.Wall {
		return rep.Wall - empty.Wall
	}
	return rep.Wall
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "pyfidelity:", err)
	os.Exit(1)
}
