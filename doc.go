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
// Which package to import for what:
//
//   - corescope (this package): record your own code or a model and get
//     one summary of both sides — [Run], [Result], [UsableCPUs] to size
//     workers to a container's CPUs.
//   - [github.com/corescope/corescope/cpuwatch]: sample per-core usage and
//     record it while a function runs.
//   - [github.com/corescope/corescope/workload]: the CPU-bound kernels and
//     models — serial, child processes, locked OS threads, goroutines and
//     GIL-emulating threads.
//   - [github.com/corescope/corescope/heatmap]: draw a recording as PNG,
//     SVG, HTML or a terminal picture.
//   - [github.com/corescope/corescope/schedtrace]: record the kernel's
//     scheduler events (as root) — every thread's on-CPU slices, per CPU,
//     to the microsecond — and export them for Perfetto.
//   - [github.com/corescope/corescope/experiment]: the seed's whole
//     experiment, which examples/watchcpu runs — its table of workloads,
//     plan, runner, results table and report page. It sits on top of the
//     others; import it only to run or extend that experiment.
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
// [RunTraced] also records the run's scheduler events with a
// [schedtrace.Tracer] — every on-CPU slice of every thread, and a GIL
// model's own lock events on the same clock — into Result.Trace.
package corescope
