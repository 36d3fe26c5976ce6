package heatmap

import "github.com/corescope/corescope/cpuwatch"

// samplesOf returns every sample of rec, each owning its slices.
func samplesOf(rec *cpuwatch.Recording) []cpuwatch.Sample {
	var out []cpuwatch.Sample
	for _, s := range rec.All() {
		out = append(out, s.Clone())
	}
	return out
}

// setSamples replaces rec's samples with samples.
func setSamples(rec *cpuwatch.Recording, samples []cpuwatch.Sample) {
	*rec = cpuwatch.Recording{DataID: rec.DataID, Interval: rec.Interval, Start: rec.Start,
		RunStart: rec.RunStart, RunEnd: rec.RunEnd, Host: rec.Host}
	for _, s := range samples {
		rec.Append(s)
	}
}

// mutate lets edit change rec's samples in place.
func mutate(rec *cpuwatch.Recording, edit func(samples []cpuwatch.Sample)) {
	ss := samplesOf(rec)
	edit(ss)
	setSamples(rec, ss)
}

// recOf is a Recording of samples and nothing else.
func recOf(samples []cpuwatch.Sample) *cpuwatch.Recording {
	var rec cpuwatch.Recording
	setSamples(&rec, samples)
	return &rec
}
