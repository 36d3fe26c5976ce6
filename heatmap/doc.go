// Package heatmap draws a [cpuwatch.Recording] as a per-core × time
// heatmap: one row per core, labelled with its real CPU id, one column per
// interval (or per group of intervals, for long recordings), colour =
// utilisation.
//
//	err := heatmap.WriteFile("run.png", rec, heatmap.Options{})
//
// The zero [Options] give a good picture: busy time in [Viridis], titled
// with the recording's DataID, a time axis in seconds, a colour bar in
// percent, and dashed markers where the recorded run started and ended.
// [Mode] selects user time, system time, both at once ([Split]: the upper
// half of each cell is user time, the lower half system time, which shows
// the kernel time of contended locks), or a utilisation distribution in
// the style of Brendan Gregg ([Distribution]: x = time, y = busy bucket,
// colour = how many CPUs), chosen automatically above 64 cores.
//
// The same layout comes as an [image.Image] ([Render]), a paletted PNG
// ([WritePNG]), SVG ([WriteSVG]) and a self-contained HTML page whose cells
// show their exact values on hover ([WriteHTML]). [WriteTerminal] draws it
// with coloured half blocks, two rows to a line, in 24-bit or 256 colours,
// or as a plain " ░▒▓█" ramp where colour is unavailable or NO_COLOR is
// set; [Live] redraws such a picture in place as a watch delivers samples.
// A [Format] names each of these; [Write] writes a picture in a format
// chosen at run time (a flag: Format and Mode are text-marshalable), and
// [WriteFile] in the format of a file name's extension, removing the file
// if it fails. [ThreadsFileName] names the thread timeline that goes with
// a picture. Errors wrap [ErrBadRecording] when the recording cannot be
// drawn, [ErrNoThreads] when a thread timeline has nothing to show.
//
// # Columns and rows
//
// Columns are equal slices of time from the start of the first sample to
// the end of the last; each cell is the mean of the samples it overlaps,
// weighted by overlap, so a recording longer than the width budget is
// averaged, not cut, and samples of uneven length (a watcher that skipped
// ticks) land where they belong. Cores absent from a sample (offline,
// hot-plugged) leave that cell grey. Row labels skip rows as needed to stay
// legible, down to one pixel per row.
//
// # Colour
//
// A [Colormap] is a 256-entry table blended in OkLab from evenly spaced
// keypoints. The built-in maps, [Viridis] (the default), [Magma], [Inferno]
// and [Cividis], are perceptually uniform and readable with colour
// blindness; [NewColormap] makes others from hex colours. None is a
// rainbow.
//
// # Threads and physical cores
//
// [RenderThreads] (and [WriteThreadsPNG], [WriteThreadsSVG],
// [WriteThreadsHTML]) draws a recording made by a watcher that follows
// processes as a thread timeline: one row per thread, the hue the CPU it
// ran on ([OkabeIto] palette), the strength how much of the interval it
// ran. Threads taking turns under a lock, such as Python's GIL, show as
// one strong cell per column passing from row to row and from colour to
// colour. [Options].GroupByCore (and [TerminalOptions].GroupByCore, for
// [WriteTerminal]) groups the core rows of every output by physical core
// from the recording's topology, with SMT siblings side by side and joined
// by a bar. When rows are too thin for a label each, each core is named
// on its first row or not at all, never by a sibling's label alone.
//
// # Scheduler traces
//
// [RenderTrace] (and [WriteTracePNG], [WriteTraceSVG]) draws a window of a
// [schedtrace.Trace], a few microseconds to seconds of the kernel's own
// scheduler events, where a heatmap's columns are half a second: lanes of
// CPUs with each slice in its thread's colour ([TolMuted]), lanes of
// threads running in their CPU's colour ([OkabeIto]), runnable or asleep,
// and for an emulated GIL the lock held and wanted, every failed
// wake-up, and Python 3's drop requests and forced switches. The zero [TraceOptions] show the trace's default window, about a
// dozen GIL hand-offs where the run is steady ([schedtrace.Trace.DefaultWindow]).
// [WriteTraceHTML] embeds the whole trace in a page that zooms with the
// wheel and pans by dragging, with no network and no external script.
// Events the trace lost are stated on every picture and page.
//
// # A fleet
//
// [RenderFleet] (and [WriteFleetPNG], [WriteFleetSVG], [WriteFleetHTML])
// draws many recordings, one per host, as one picture: rows grouped by
// host with its name on the group's first row and a gap between hosts,
// cores in numeric order, one UTC time axis across all of them, and the
// Distribution mode across every core of every host above
// [DefaultFleetMaxRows] rows. The prom module reads such recordings from a
// Prometheus server that scrapes node_exporter.
//
// # Bad input
//
// Every writer returns an error prefixed "heatmap: ", never a panic, for a
// recording it cannot draw faithfully: no samples or cores, sample times
// out of order, usage fractions outside [0, 1] or NaN, a core listed twice
// in a sample, or options out of range; for a trace, wrapping
// [ErrBadTrace], one without CPUs or duration, or with a slice on a CPU it
// does not list.
package heatmap
