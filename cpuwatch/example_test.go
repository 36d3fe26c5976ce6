package cpuwatch_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/corescope/corescope/cpuwatch"
)

// A Watcher pointed at a fixture tree reads it as it would /proc. This one
// has CPUs 0, 2 and 5 online: cores keep their kernel ids. The file does
// not change, so every core counted no ticks and reports idle.
func ExampleWatcher_Watch() {
	w := cpuwatch.Watcher{Interval: 10 * time.Millisecond, ProcRoot: "testdata/gaps/proc"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := w.Watch(ctx, func(s cpuwatch.Sample) {
		for _, c := range s.Cores {
			fmt.Printf("cpu%d busy %.0f%% idle %.0f%%\n", c.ID, 100*c.Busy(), 100*c.Idle)
		}
		cancel() // one sample is enough
	})
	fmt.Println(err)
	// Output:
	// cpu0 busy 0% idle 100%
	// cpu2 busy 0% idle 100%
	// cpu5 busy 0% idle 100%
	// context canceled
}

// Errors name the problem.
func ExampleWatcher_Watch_errors() {
	for _, root := range []string{"testdata/missing/proc", "testdata/malformed/proc", "testdata/empty/proc"} {
		w := cpuwatch.Watcher{Interval: time.Second, ProcRoot: root}
		fmt.Println(w.Watch(context.Background(), func(cpuwatch.Sample) {}))
	}
	// Output:
	// cpuwatch: proc root "testdata/missing/proc": could not read "testdata/missing/proc": stat testdata/missing/proc: no such file or directory
	// cpuwatch: testdata/malformed/proc/stat: malformed counter in "cpu1 8015 0 27x3 42375 448 0 98 15 0 0"
	// cpuwatch: testdata/empty/proc/stat: no cpu lines
}

// Watch prints the busy share of each core of this machine, every second,
// until interrupted.
func ExampleWatch() {
	err := cpuwatch.Watch(context.Background(), time.Second, func(s cpuwatch.Sample) {
		fmt.Printf("%s all %5.1f%%", s.Time.Format(time.TimeOnly), 100*s.Total.Busy())
		for _, c := range s.Cores {
			fmt.Printf("  cpu%d %5.1f%%", c.ID, 100*c.Busy())
		}
		fmt.Println()
	})
	log.Fatal(err)
}

// Record runs a function under a watch and says how many cores it kept
// busy; the recording can be saved as CSV for a spreadsheet.
func ExampleRecord() {
	rec, err := cpuwatch.Record(context.Background(), time.Second, func(ctx context.Context) error {
		return work(ctx)
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%.2f cores busy over %v\n", rec.EffectiveCores(), rec.RunEnd.Sub(rec.RunStart))
	if err := rec.WriteCSV(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func work(context.Context) error { return nil }

// exampleRecording is two one-second samples of a two-core machine: one
// core busy, then both, with a run from 0.5 s to 2 s.
func exampleRecording() *cpuwatch.Recording {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	busy := cpuwatch.Usage{User: 0.9, System: 0.1}
	idle := cpuwatch.Usage{Idle: 1}
	rec := &cpuwatch.Recording{
		Interval: time.Second,
		Start:    t0,
		RunStart: t0.Add(500 * time.Millisecond),
		RunEnd:   t0.Add(2 * time.Second),
	}
	rec.Append(cpuwatch.Sample{Time: t0.Add(time.Second), Elapsed: time.Second, Total: cpuwatch.Usage{User: 0.45, System: 0.05, Idle: 0.5},
		Cores: []cpuwatch.CoreUsage{{ID: 0, Usage: busy}, {ID: 1, Usage: idle}}})
	rec.Append(cpuwatch.Sample{Time: t0.Add(2 * time.Second), Elapsed: time.Second, Total: busy,
		Cores: []cpuwatch.CoreUsage{{ID: 0, Usage: busy}, {ID: 1, Usage: busy}}})
	return rec
}

// Summary averages over the run window, weighting each sample by how much
// of it the run covered: here half of the first sample (1 core busy) and
// all of the second (2 cores), so (0.5×1 + 1×2) / 1.5 ≈ 1.67 cores.
func ExampleRecording_Summary() {
	s := exampleRecording().Summary()
	fmt.Printf("window %v: %.2f cores busy, machine %.0f%% busy\n", s.Window, s.EffectiveCores, 100*s.Total.Busy())
	for _, c := range s.Cores {
		fmt.Printf("cpu%d %.0f%% busy\n", c.ID, 100*c.Busy())
	}
	// Output:
	// window 1.5s: 1.67 cores busy, machine 83% busy
	// cpu0 100% busy
	// cpu1 67% busy
}

func ExampleRecording_WriteCSV() {
	var rec cpuwatch.Recording
	rec.Append(exampleRecording().Sample(0))
	if err := rec.WriteCSV(os.Stdout); err != nil {
		log.Fatal(err)
	}
	// Output:
	// time,elapsed_s,cpu,user,nice,system,idle,iowait,irq,softirq,steal,guest,guest_nice,busy
	// 2026-01-01T12:00:01Z,1,all,0.45,0,0.05,0.5,0,0,0,0,0,0,0.5
	// 2026-01-01T12:00:01Z,1,0,0.9,0,0.1,0,0,0,0,0,0,0,1
	// 2026-01-01T12:00:01Z,1,1,0,0,0,1,0,0,0,0,0,0,0
}
