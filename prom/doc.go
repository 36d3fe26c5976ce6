// Package prom reads per-core CPU recordings of a whole fleet from the
// Prometheus server it already runs: node_exporter exports every core's
// /proc/stat counters as node_cpu_seconds_total{instance, cpu, mode}, and
// a range query over them gives, per host, what [cpuwatch.Watcher] would
// have recorded there, at the scrape interval's resolution.
//
//	src := prom.Source{Address: "http://prom:9090", Selector: `{job="node"}`}
//	recs, err := src.Recordings(ctx, time.Now().Add(-time.Hour), time.Now())
//	…
//	err = heatmap.WriteFleetPNG(f, recs, heatmap.Options{})
//
// Each host's recording keys cores by the cpu label as a number, and turns
// the counters' increase over each step into [cpuwatch.Usage] fractions with
// [cpuwatch.UsageBetween], the watcher's own arithmetic: guest time (which
// node_exporter exports apart, as node_cpu_guest_seconds_total, and also
// counts inside user and nice) is split out, a counter that went backwards
// is clamped, and a reset leaves the core out of that sample. A core the
// server has no value for in a step is left out of that sample too, never
// shown as idle. DataID and Host.Hostname are the instance label.
//
// The package lives in a module of its own so that the Prometheus client
// never enters the dependencies of corescope's core packages.
package prom
