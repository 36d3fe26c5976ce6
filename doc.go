// Package corescope shows how concurrent code really uses a machine's
// cores.
//
// A CPU-bound workload runs — separate processes, goroutines locked to OS
// threads, or threads serialised by an emulated Python GIL — while every
// core's utilisation is sampled from /proc/stat; the recording is then drawn
// as a per-core × time heatmap. Together they answer questions such as "why
// do 4 Python threads take 2.5× longer than 1 while keeping 2.3 cores
// busy?" and "does my code scale past 2 cores?".
//
// The work is split into four packages besides this one:
//
//   - [github.com/corescope/corescope/cpuwatch] samples per-core usage and
//     records it while a function runs.
//   - [github.com/corescope/corescope/workload] runs the CPU-bound kernels
//     of the experiment: serial, child processes, locked OS threads,
//     goroutines and GIL-emulating threads.
//   - [github.com/corescope/corescope/heatmap] renders a recording as PNG,
//     SVG, HTML or a terminal picture.
//   - [github.com/corescope/corescope/experiment] is the seed's experiment
//     built from the others: see below.
//
// Data flows one way: a workload runs under a watch, the watch yields a
// [cpuwatch.Recording], and the recording becomes a heatmap. cpuwatch and
// workload do not know about each other; heatmap reads recordings.
//
// This package is the glue. [Run] runs a [workload.Model] under a
// [cpuwatch.Watcher] and returns a [Result]: the workload's own report
// (wall, user and system time, every worker's sum, the GIL's counters) next
// to what the watcher saw, in one JSON-ready summary:
//
//	res, err := corescope.Run(ctx, &cpuwatch.Watcher{Interval: time.Second},
//		workload.Processes{N: 4, Work: workload.Work{Kernel: workload.Bytecode}})
//	fmt.Printf("%.2f cores used, %.2f seen busy\n", res.CoresUsed, res.EffectiveCores)
//
// [workload.Func] turns any function into a model, so a test can record the code
// under test and assert on how many cores it kept busy.
//
// The seed's experiment itself — its workload table, plan, runner, results
// table and report page, which examples/watchcpu runs — is package
// [github.com/corescope/corescope/experiment], which sits on top of this one.
// Import corescope to record your own code; import experiment only to run or
// extend that experiment.
package corescope
