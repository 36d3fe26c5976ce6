// Package experiment is the seed's experiment: an idle baseline, the loop
// serially, processes, locked threads and goroutines with 1 … 2×CPUs
// workers, and threads under an emulated Python 3 and Python 2 GIL, each
// recorded by [cpuwatch], summed up by [corescope.Run] and drawn by
// [heatmap], then printed as a table and written as a report folder. The
// examples/watchcpu command is its front end; nothing else imports it.
// To record your own code, import [corescope] instead.
//
// A [Plan] (the matrix of workloads, scaled to the CPUs this process may
// use: [corescope.UsableCPUs]) gives the runs, as a [Spec] each; an
// [Experiment] resolves each spec once into a [Job] and runs them in
// order with [Progress] reports into [Results], which print as a table
// and write a report folder — the heatmaps, results.json and one HTML
// page that explains them:
//
//	plan := experiment.Plan{Kernel: workload.Bytecode, Unit: 1 << 24, Units: 10}
//	e := experiment.Experiment{Specs: plan.Specs()}
//	res, err := e.Run(ctx)
//	err = res.WriteReport("corescope-report")
//
// # Files
//
// workloads.go is the table of workloads; plan.go sizes them to a machine,
// spec.go resolves one run, runner.go runs the list, progress.go reports
// on it, estimate.go guesses how long each run takes, calibrate.go sizes
// the serial run to a time budget. results.go, table.go and columns.go
// turn the runs into numbers and rows; report.go and report.html into the
// report folder; seed.go holds the seed's own measurements ([SeedRuns]).
//
// # Adding a workload
//
// A workload is one entry in the table in workloads.go, plus its model in
// package workload if it needs a new one. The entry gives its name (add a
// [Workload] constant for it), the title and explanation that head its
// section of the report page, its [Group] — which decides how a Plan sizes
// it (one worker, 1 … 2×CPUs workers, or Plan.GILThreads threads on a
// quarter of the work) and which of the seed's runs it is set beside — and
// a func that builds its workload.Model from a resolved Job. Everything
// else follows from the table: ParseWorkload and watchcpu's --workload
// accept the name, Plan runs it in the table's place, the report gives it
// a section with its table and pictures, and the estimator sizes it. For
// example, a workload of GIL threads under a Python 3 GIL that switches
// every millisecond would be, given such a workload.GIL option:
//
//	{
//		name:  ThreadingFast,
//		title: "Python 3 GIL, 1 ms switch interval (threading-fast)",
//		about: "As threading, with sys.setswitchinterval(0.001).",
//		group: GroupGIL,
//		model: func(j Job, w workload.Work) workload.Model {
//			return workload.GIL{N: j.Workers, Work: w, Version: workload.Python3, Switch: time.Millisecond, Pin: j.Pin}
//		},
//	},
//
// A new column of the results table, on the page and in WriteTable's text,
// is one entry in columns.go. What the page's prose quotes — which runs it
// highlights, when it warns, the seed's figures — is chosen in report.go
// and seed.go; report.html holds only words and layout, with no run ids,
// thresholds or figures.
package experiment
