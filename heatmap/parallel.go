// This file splits resampling among goroutines, on runs of samples that
// share no column, so that the result is bit for bit the serial one.

package heatmap

import (
	"errors"
	"sync"
)

// minParallel is the number of core usages (samples × cores) from which
// resample splits the work: below it, starting goroutines costs more than
// it saves, and small renders stay on one goroutine.
const minParallel = 1 << 18

// errSplit means a worker of the parallel path met something only the
// serial path handles; resample then redoes the work serially.
var errSplit = errors.New("heatmap: needs the serial path")

// parallel accumulates the samples on up to workers goroutines, each over
// a run of samples that shares no column with another run. It reports
// false, leaving partial sums, if the serial path must do the work.
func (a *accumulation) parallel(workers int) bool {
	n, cols := len(a.start), a.sr.cols
	// The columns each sample touches, as [lo, hi); lo = cols, hi = 0 if none.
	lo, hi := make([]int, n), make([]int, n)
	var buf []span
	for i := range n {
		var ok bool
		buf, ok = a.spans(i, cols, buf)
		if !ok {
			return false
		}
		lo[i], hi[i] = cols, 0
		if len(buf) > 0 {
			lo[i], hi[i] = buf[0].col, buf[len(buf)-1].col+1
		}
	}
	// A split before sample i is clean if every earlier sample ends
	// before a column where any later one starts.
	sufLo := make([]int, n+1)
	sufLo[n] = cols
	for i := n - 1; i >= 0; i-- {
		sufLo[i] = min(sufLo[i+1], lo[i])
	}
	type part struct{ i0, i1, c0, c1 int }
	parts := make([]part, 0, workers)
	prevI, prevC, preHi := 0, 0, 0
	for i := 0; i < n && len(parts) < workers-1; i++ {
		if i >= prevI+n/workers && i > prevI && preHi <= sufLo[i] {
			parts = append(parts, part{prevI, i, prevC, preHi})
			prevI, prevC = i, preHi
		}
		preHi = max(preHi, hi[i])
	}
	parts = append(parts, part{prevI, n, prevC, cols})
	if len(parts) < 2 {
		return false
	}
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for k, p := range parts {
		wg.Go(func() { errs[k] = a.run(p.i0, p.i1, p.c0, p.c1, false) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return false
		}
	}
	return true
}
