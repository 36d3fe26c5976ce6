// Package heatmap draws a [cpuwatch.Recording] as a per-core × time
// heatmap: one row per core, labelled with its real CPU id, one column per
// interval (or per group of intervals, for long recordings), colour =
// utilisation.
//
//	err := heatmap.WritePNG(f, rec, heatmap.Options{})
//
// The zero [Options] give a good picture: busy time in [Viridis], titled
// with the recording's DataID, a time axis in seconds, a colour bar, and
// dashed markers where the recorded run started and ended. [Mode] selects
// user time, system time, both at once ([Split]), or a Brendan-Gregg-style
// utilisation distribution ([Distribution]), which is chosen automatically
// for machines with more than 64 cores.
//
// The same picture comes as an [image.Image] ([Render]), a paletted PNG
// ([WritePNG]), SVG ([WriteSVG]) and a self-contained HTML page whose cells
// show their exact values on hover ([WriteHTML]). [WriteTerminal] and [Live]
// draw it with coloured half blocks in a terminal.
//
// Colour maps are 256-entry tables built from published keypoints blended
// in OkLab; every built-in one is perceptually uniform and readable with
// colour blindness. None is a rainbow.
package heatmap
