// Package experiment is the seed's experiment: an idle baseline, the loop
// serially, processes, locked threads and goroutines with 1 … 2×CPUs
// workers, and threads under an emulated Python 3 and Python 2 GIL, each
// recorded by [cpuwatch], drawn by [heatmap] and summed up by
// [corescope.Run], then printed as a table and written as a report folder.
// The examples/watchcpu command is its front end.
//
// A [Plan] (the matrix of workloads, scaled to the CPUs this process may
// use: [corescope.UsableCPUs]) gives the runs ([Spec]) an [Experiment] runs, with
// progress reports, into [Results], which print as a table and write a
// report folder — the heatmaps, results.json and one HTML page that
// explains them:
//
//	plan := experiment.Plan{Kernel: workload.Bytecode, Unit: 1 << 24, Units: 10}
//	e := experiment.Experiment{Specs: plan.Specs(), Watcher: cpuwatch.Watcher{Interval: time.Second}}
//	res, err := e.Run(ctx)
//	err = res.WriteReport("corescope-report")
package experiment
