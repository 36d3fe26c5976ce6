package cpuwatch_test

import (
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/google/go-cmp/cmp"
)

// withSamples returns rec, whose samples are set in no other way, with
// samples appended.
func withSamples(rec cpuwatch.Recording, samples []cpuwatch.Sample) *cpuwatch.Recording {
	for _, s := range samples {
		rec.Append(s)
	}
	return &rec
}

// samplesOf returns every sample of rec, each owning its slices.
func samplesOf(rec *cpuwatch.Recording) []cpuwatch.Sample {
	var out []cpuwatch.Sample
	for _, s := range rec.All() {
		out = append(out, s.Clone())
	}
	return out
}

// recordingView is a Recording with its samples as a slice, which go-cmp
// can compare field by field.
type recordingView struct {
	Facts            cpuwatch.Header
	RunStart, RunEnd time.Time
	Samples          []cpuwatch.Sample
}

// viewRecordings makes cmp compare Recordings by their fields and samples.
var viewRecordings = cmp.Transformer("recording", func(r *cpuwatch.Recording) *recordingView {
	if r == nil {
		return nil
	}
	return &recordingView{Facts: r.Header(), RunStart: r.RunStart, RunEnd: r.RunEnd, Samples: samplesOf(r)}
})
