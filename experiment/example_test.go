package experiment_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/experiment"
	"github.com/corescope/corescope/workload"
)

// Build the seed's experiment for this machine and print its runs.
func ExamplePlan() {
	plan := experiment.Plan{CPUs: 2, Kernel: workload.Bytecode, Unit: 1 << 24, Units: 10}
	for _, s := range plan.Specs() {
		fmt.Printf("%s ", s.Resolve(nil).DataID())
	}
	fmt.Println()
	// Output:
	// do-nothing non-threaded:1 multiprocessing:1 multiprocessing:2 multiprocessing:3 multiprocessing:4 threads:1 threads:2 threads:3 threads:4 goroutines:1 goroutines:2 goroutines:3 goroutines:4 threading:2 threading:4 threading-py2:2 threading-py2:4
}

// The whole experiment, as go run ./examples/watchcpu runs it: size the
// runs by the serial run's time, show progress, write the report.
func ExampleExperiment() {
	plan := experiment.Plan{Kernel: workload.Bytecode, Unit: 1 << 24}
	nsPerIt, err := plan.Calibrate(context.Background(), 3*time.Second)
	if err != nil {
		panic(err)
	}
	e := experiment.Experiment{
		Specs:          plan.Specs(),
		Watcher:        cpuwatch.Watcher{Interval: 500 * time.Millisecond},
		NsPerIteration: nsPerIt,
		Progress: func(p experiment.Progress) {
			fmt.Printf("\r[%d/%d] %-18s %3.0f%%  %v left", p.Run+1, p.Runs, p.Job.DataID(), 100*p.Fraction(), p.Left.Round(time.Second))
		},
	}
	res, err := e.Run(context.Background())
	if err != nil {
		panic(err)
	}
	if err := res.WriteReport("corescope-report"); err != nil {
		panic(err)
	}
	_ = res.WriteTable(os.Stdout)
}

// A Spec with only its workload set is sized as watchcpu --workload sizes
// a run by default; Resolve shows how before it runs.
func ExampleSpec_Resolve() {
	gil := experiment.Spec{Workload: experiment.Threading}.Resolve(nil)
	fmt.Printf("%s, each sum(range(%d)) ×%d\n", gil.DataID(), gil.Unit, gil.Units)

	// Under watchcpu's watcher for one run, the idle baseline fills the 12
	// samples but for the lead, the trail and the sample in progress.
	w := cpuwatch.Watcher{Interval: time.Second, MinSamples: 12}
	idle := experiment.Spec{Workload: experiment.DoNothing}.Resolve(&w)
	fmt.Println(idle.DataID(), "for", idle.Idle)
	// Output:
	// threading:2, each sum(range(67108864)) ×1
	// do-nothing for 7s
}
