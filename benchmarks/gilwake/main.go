// Command gilwake measures what the Python 2 GIL's hand-offs cost the
// scheduler, in real CPython 2.7 and in workload's emulation paced to it:
// for each round it runs the seed's loop serially and in N threads on
// both sides, alternated, the threaded runs under a whole-machine
// scheduler trace (root, tracefs), and prints per side and variant the
// medians of speed-up over that side's serial run, the GIL threads'
// wake-up latency (woken → running, from the trace), the share of
// wake-ups whose CPU was idle when they came, CPU migrations, and the
// share of each thread's running time on its own most-used CPU.
//
//	cd benchmarks && go build -o /tmp/gilwake ./gilwake
//	chrt -f 10 /tmp/gilwake -rounds 5 -threads 2 -work 8388608 -variants go,pin,procs8
//	chrt -f 10 /tmp/gilwake -rounds 5 -threads 2 -spin   # an idle-priority spinner on every CPU
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/corescope/corescope/benchmarks/internal/spread"
	"github.com/corescope/corescope/schedtrace"
	"github.com/corescope/corescope/workload"
)

var verbose = flag.Bool("v", false, "say what ran on a woken thread's CPU")

type sample struct {
	speedup, cores, system float64
	wakeUs, wakeP90Us      float64 // median and 90th percentile wake-up → running, µs
	idleShare              float64 // wake-ups whose CPU ran nothing at the time
	migrations             float64 // per second
	ownCPU                 float64 // share of the threads' running time on each one's most-used CPU
	ctxs                   float64 // the GIL threads' switches a second, from the trace
	idleUs, busyUs         float64 // median wake-up → running when the wakee's CPU was idle, or ran something
	ownWaker               float64 // share of wake-ups aimed at the CPU the waker itself ran on
}

func main() {
	py2 := flag.String("python2", "", "Python 2.7 interpreter (default: the one found)")
	rounds := flag.Int("rounds", 5, "alternated rounds")
	total := flag.Uint64("work", 1<<23, "iterations in all, shared by the threads")
	n := flag.Int("threads", 2, "GIL threads")
	variants := flag.String("variants", "go", "emulation variants, comma-separated: go (as is), pin (GIL.Pin), procs8 (GOMAXPROCS 8), nogc (no garbage collection)")
	spin := flag.Bool("spin", false, "keep every CPU from idling with a SCHED_IDLE spinner while measuring")
	spinAB := flag.Bool("spinab", false, "every round twice: without spinners, then with")
	notrace := flag.Bool("notrace", false, "do not trace: speed-up, cores and system only")
	once := flag.String("once", "", "real or a variant: run one threaded run untraced and exit (to run under perf)")
	flag.Parse()
	ctx := context.Background()

	var in workload.Interpreter
	if *py2 != "" {
		var err error
		if in, err = workload.InspectInterpreter(ctx, *py2); err != nil {
			fail(err)
		}
	} else {
		var ok bool
		if in, ok = workload.NewestInterpreter(workload.FindInterpreters(ctx), 2); !ok {
			fail(fmt.Errorf("no Python 2 found"))
		}
	}
	sp, err := workload.MeasureInterpreter(ctx, in, 0)
	if err != nil {
		fail(err)
	}
	if *once != "" {
		w := workload.Work{N: *total / uint64(*n)}
		var rep workload.Report
		if *once == "real" {
			rep, err = workload.Python{Interpreter: in.Path, Program: workload.PyThreading, N: *n, Work: w}.Run(ctx)
		} else {
			if *once == "nogc" {
				debug.SetGCPercent(-1)
			}
			rep, err = workload.GIL{N: *n, Version: workload.Python2, Pin: *once == "pin",
				Work: workload.Work{Kernel: workload.Bytecode, N: w.N, NsPerIteration: sp.NsPerIteration}}.Run(ctx)
		}
		if err != nil {
			fail(err)
		}
		fmt.Printf("%s: wall %v, cores %.2f, system %.0f %%", *once, rep.Wall, rep.CoresUsed(), 100*rep.SystemShare())
		if g := rep.GIL; g != nil {
			fmt.Printf(", %d acquisitions (%.1f iterations a release), %d futex wakes, %d sleeps", g.Acquisitions,
				float64(rep.Iterations())/float64(g.Acquisitions), g.Wakes, g.Sleeps)
		}
		fmt.Println()
		return
	}
	conds := []bool{*spin}
	if *spinAB {
		conds = []bool{false, true}
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("loadavg before: %s%s, %.2f ns an iteration; %d threads, %d iterations in all, %d rounds, spinners %v\n",
		load, in, sp.NsPerIteration, *n, *total, *rounds, *spin)
	vs := strings.Split(*variants, ",")
	res := map[string][]sample{}
	tracer := recorder{schedtrace.Tracer{All: true}, *notrace}
	for r := range *rounds {
		rs, err := workload.Python{Interpreter: in.Path, Program: workload.PyNonThreaded, Work: workload.Work{N: *total}}.Run(ctx)
		if err != nil {
			fail(err)
		}
		// One pace a round, shared by its emulated serial and GIL runs.
		pace, err := workload.MeasurePace(workload.Bytecode, sp.NsPerIteration)
		if err != nil {
			fail(err)
		}
		es, err := workload.Serial{Work: workload.Work{Kernel: workload.Bytecode, N: *total, Pace: &pace}}.Run(ctx)
		if err != nil {
			fail(err)
		}
		for _, spun := range conds {
			key := func(side string) string {
				if spun {
					return side + "+spin"
				}
				return side
			}
			var stop func()
			if spun {
				stop = spinners()
			}
			w := workload.Work{N: *total / uint64(*n)}
			var rt workload.Report
			tr, err := tracer.Record(ctx, func(ctx context.Context) error {
				var err error
				rt, err = workload.Python{Interpreter: in.Path, Program: workload.PyThreading, N: *n, Work: w}.Run(ctx)
				return err
			})
			if err != nil {
				fail(err)
			}
			res[key("real")] = append(res[key("real")], measure(rt, rs, tr, "python"))
			for _, v := range vs {
				g := workload.GIL{N: *n, Version: workload.Python2, Work: workload.Work{Kernel: workload.Bytecode, N: w.N, Pace: &pace}}
				prev := runtime.GOMAXPROCS(0)
				gc := -2
				switch v {
				case "go":
				case "pin":
					g.Pin = true
				case "procs8":
					runtime.GOMAXPROCS(8)
				case "nogc":
					gc = debug.SetGCPercent(-1)
				default:
					fail(fmt.Errorf("unknown variant %q", v))
				}
				var et workload.Report
				tr, err := tracer.Record(ctx, func(ctx context.Context) error {
					var err error
					et, err = g.Run(ctx)
					return err
				})
				runtime.GOMAXPROCS(prev)
				if gc != -2 {
					debug.SetGCPercent(gc)
				}
				if err != nil {
					fail(err)
				}
				res[key(v)] = append(res[key(v)], measure(et, es, tr, "gil-py2/"))
			}
			if stop != nil {
				stop()
			}
		}
		fmt.Fprintf(os.Stderr, "round %d done\n", r+1)
	}
	fmt.Println("\n| side | speed-up | cores | system | wake → run µs (median, p90) | wakee's CPU idle | µs when idle, busy | aimed at the waker's CPU | migrations/s | on own CPU | GIL threads' switches/s |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	var sides []string
	for _, spun := range conds {
		for _, side := range append([]string{"real"}, vs...) {
			if spun {
				side += "+spin"
			}
			sides = append(sides, side)
		}
	}
	for _, side := range sides {
		ss := res[side]
		name := side
		if strings.HasPrefix(side, "real") {
			name = in.String() + strings.TrimPrefix(side, "real")
		} else {
			name = "emulated (" + side + ")"
		}
		fmt.Printf("| %s | %s | %s | %s | %s, %s | %s | %s, %s | %s | %s | %s | %s |\n", name,
			spread.Of(ss, func(s sample) float64 { return s.speedup }, "%.2f×"),
			spread.Of(ss, func(s sample) float64 { return s.cores }, "%.2f"),
			spread.Of(ss, func(s sample) float64 { return 100 * s.system }, "%.0f %%"),
			spread.Of(ss, func(s sample) float64 { return s.wakeUs }, "%.1f"),
			spread.Of(ss, func(s sample) float64 { return s.wakeP90Us }, "%.0f"),
			spread.Of(ss, func(s sample) float64 { return 100 * s.idleShare }, "%.0f %%"),
			spread.Of(ss, func(s sample) float64 { return s.idleUs }, "%.1f"),
			spread.Of(ss, func(s sample) float64 { return s.busyUs }, "%.1f"),
			spread.Of(ss, func(s sample) float64 { return 100 * s.ownWaker }, "%.0f %%"),
			spread.Of(ss, func(s sample) float64 { return s.migrations }, "%.0f"),
			spread.Of(ss, func(s sample) float64 { return 100 * s.ownCPU }, "%.0f %%"),
			spread.Of(ss, func(s sample) float64 { return s.ctxs }, "%.0f"))
	}
	load, _ = os.ReadFile("/proc/loadavg")
	fmt.Printf("\nloadavg after: %s", load)
}

type recorder struct {
	t   schedtrace.Tracer
	off bool
}

func (r recorder) Record(ctx context.Context, run func(context.Context) error) (*schedtrace.Trace, error) {
	if r.off {
		return &schedtrace.Trace{Duration: time.Second}, run(ctx)
	}
	return r.t.Record(ctx, run)
}

// spinners starts a SCHED_IDLE busy loop on every CPU, so that no CPU
// idles, and returns what stops them.
func spinners() (stop func()) {
	var cmds []*exec.Cmd
	for range runtime.NumCPU() {
		c := exec.Command("chrt", "-i", "0", "sh", "-c", "while :; do :; done")
		if err := c.Start(); err != nil {
			fail(err)
		}
		cmds = append(cmds, c)
	}
	time.Sleep(50 * time.Millisecond)
	return func() {
		for _, c := range cmds {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	}
}

// measure reads a threaded run against its serial run and its trace. The
// GIL threads are the threads named with prefix that ran for a tenth of
// the trace or more.
func measure(rep, serial workload.Report, tr *schedtrace.Trace, prefix string) sample {
	ideal := serial.Wall.Seconds() * float64(rep.Iterations()) / float64(serial.Iterations())
	s := sample{speedup: ideal / rep.Wall.Seconds(), cores: rep.CoresUsed(), system: rep.SystemShare()}
	workers := map[int]bool{}
	var running, own time.Duration
	for _, th := range tr.Threads {
		if !strings.HasPrefix(th.Name, prefix) || th.Running() < tr.Duration/10 {
			continue
		}
		workers[th.TID] = true
		s.migrations += float64(th.Migrations)
		s.ctxs += float64(th.Switches)
		running += th.Running()
		var most time.Duration
		for _, c := range th.OnCPU {
			most = max(most, c.Time)
		}
		own += most
	}
	secs := tr.Duration.Seconds()
	s.migrations /= secs
	s.ctxs /= secs
	if running > 0 {
		s.ownCPU = float64(own) / float64(running)
	}
	// Each worker's slices by start, and every CPU's.
	byTID := map[int][]schedtrace.Slice{}
	byCPU := map[int][]schedtrace.Slice{}
	for _, sl := range tr.Slices {
		if workers[sl.TID] {
			byTID[sl.TID] = append(byTID[sl.TID], sl)
		}
		byCPU[sl.CPU] = append(byCPU[sl.CPU], sl)
	}
	var lat, idleLat, busyLat []float64
	idle, own, selfWoken := 0, 0, 0
	occupant := map[string]int{}
	for _, w := range tr.Wakeups {
		if !workers[w.Wakee] {
			continue
		}
		ss := byTID[w.Wakee]
		i := sort.Search(len(ss), func(i int) bool { return ss[i].Start >= w.Time })
		if i == len(ss) {
			continue
		}
		lat = append(lat, float64(ss[i].Start-w.Time)/1e3)
		cs := byCPU[w.CPU]
		j := sort.Search(len(cs), func(j int) bool { return cs[j].Start > w.Time })
		busy := false
		// Slices on one CPU do not overlap: the one before is the only candidate.
		if j > 0 && cs[j-1].End > w.Time && cs[j-1].TID == w.Wakee {
			// Woken before it was off its CPU (the futex wait had not
			// reached schedule()): it never stopped running, and its
			// "next slice" is a later one.
			lat = lat[:len(lat)-1]
			selfWoken++
			continue
		}
		if j > 0 && cs[j-1].End > w.Time {
			busy = true
			occupant[tr.Thread(cs[j-1].TID).Name]++
			if cs[j-1].TID == w.Waker {
				own++
			}
		}
		if !busy {
			idle++
			idleLat = append(idleLat, lat[len(lat)-1])
		} else {
			busyLat = append(busyLat, lat[len(lat)-1])
		}
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		s.wakeUs = lat[len(lat)/2]
		s.wakeP90Us = lat[len(lat)*9/10]
		s.idleShare = float64(idle) / float64(len(lat))
		s.ownWaker = float64(own) / float64(len(lat))
		s.idleUs, s.busyUs = median(idleLat), median(busyLat)
	}
	if *verbose {
		type kv struct {
			k string
			v int
		}
		var occ []kv
		for k, v := range occupant {
			occ = append(occ, kv{k, v})
		}
		sort.Slice(occ, func(i, j int) bool { return occ[i].v > occ[j].v })
		fmt.Fprintf(os.Stderr, "  %s: %d wake-ups timed, %d woken while still on CPU; busy CPU held by %v\n", prefix, len(lat), selfWoken, occ[:min(len(occ), 6)])
	}
	return s
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[len(v)/2]
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gilwake:", err)
	os.Exit(1)
}
