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
// The work is split into three packages:
//
//   - [github.com/corescope/corescope/cpuwatch] samples per-core usage and
//     records it while a function runs.
//   - [github.com/corescope/corescope/workload] runs the CPU-bound kernels
//     of the experiment: serial, child processes, locked OS threads,
//     goroutines and GIL-emulating threads.
//   - [github.com/corescope/corescope/heatmap] renders a recording as PNG,
//     SVG, HTML or a terminal picture.
//
// Data flows one way: a workload runs under a watch, the watch yields a
// [cpuwatch.Recording], and the recording becomes a heatmap. cpuwatch and
// workload do not know about each other; heatmap reads recordings.
//
//	rec, err := cpuwatch.Record(ctx, time.Second, func(ctx context.Context) error {
//		return work(ctx)
//	})
//	fmt.Printf("kept %.2f cores busy\n", rec.EffectiveCores())
package corescope
