package prom_test

import (
	"time"

	"github.com/corescope/corescope/cpuwatch"
	"github.com/google/go-cmp/cmp"
)

// viewRecordings makes cmp compare Recordings by their facts and samples,
// which a Recording keeps unexported.
var viewRecordings = cmp.Transformer("recording", func(r *cpuwatch.Recording) any {
	if r == nil {
		return nil
	}
	var samples []cpuwatch.Sample
	for _, s := range r.All() {
		samples = append(samples, s.Clone())
	}
	return struct {
		Facts            cpuwatch.Header
		RunStart, RunEnd time.Time
		Samples          []cpuwatch.Sample
	}{r.Header(), r.RunStart, r.RunEnd, samples}
})
