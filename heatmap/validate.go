// This file checks a recording before it is drawn: core ids and usage
// fractions.

package heatmap

import (
	"slices"

	"github.com/corescope/corescope/cpuwatch"
)

// usageTolerance admits the rounding of fractions that should sum to 1.
const usageTolerance = 1e-6

// clampFrac converts a checked fraction, which may stray from [0, 1] by
// usageTolerance, to float32 in [0, 1]. Plain comparisons: the built-in
// min and max handle NaN and signed zeros, which costs in the hot loop.
func clampFrac(v float64) float32 {
	if v < 0 {
		return 0
	}
	if v > 1 {
		return 1
	}
	return float32(v)
}

func isFrac(v float64) bool { return v >= -usageTolerance && v <= 1+usageTolerance }

// usageErr reports whichever of a and b is not a fraction.
func usageErr(i, id int, a, b float64) error {
	v := a
	if isFrac(a) {
		v = b
	}
	return badRecording("sample %d cpu %d: usage fraction %v out of [0, 1]", i, id, v)
}

// firstIDs returns the core ids of the first sample that has cores, if
// they are ascending and non-negative, so that a uniform recording is read
// only once; otherwise, or if resample meets a core outside them, coreIDs
// reads every sample.
func firstIDs(rec *cpuwatch.Recording) ([]int, error) {
	if rec == nil {
		return nil, badRecording("nil recording")
	}
	for i := range rec.Samples {
		cs := rec.Samples[i].Cores
		if len(cs) == 0 {
			continue
		}
		if len(cs) > maxRows {
			return nil, badRecording("more than %d cores", maxRows)
		}
		ids := make([]int, len(cs))
		for k := range cs {
			ids[k] = cs[k].ID
			if ids[k] < 0 || (k > 0 && ids[k] <= ids[k-1]) {
				return coreIDs(rec)
			}
		}
		return ids, nil
	}
	return coreIDs(rec)
}

// coreIDs returns the ids of every core in any sample, ascending. A sample
// that names a core twice, or a negative id, is an error.
func coreIDs(rec *cpuwatch.Recording) ([]int, error) {
	if rec == nil {
		return nil, badRecording("nil recording")
	}
	samples := rec.Samples
	if len(samples) == 0 {
		return nil, badRecording("no samples")
	}
	var ids []int
	var prev []cpuwatch.CoreUsage
	seen := map[int]bool{}
	for i, s := range samples {
		if sameIDs(prev, s.Cores) {
			continue
		}
		prev = s.Cores
		here := make(map[int]bool, len(s.Cores))
		for _, c := range s.Cores {
			if c.ID < 0 {
				return nil, badRecording("sample %d has negative cpu id %d", i, c.ID)
			}
			if here[c.ID] {
				return nil, badRecording("sample %d names cpu %d twice", i, c.ID)
			}
			here[c.ID] = true
			if !seen[c.ID] {
				seen[c.ID] = true
				ids = append(ids, c.ID)
			}
		}
		if len(seen) > maxRows {
			return nil, badRecording("more than %d cores", maxRows)
		}
	}
	if len(ids) == 0 {
		return nil, badRecording("no cores")
	}
	slices.Sort(ids)
	return ids, nil
}

func sameIDs(a, b []cpuwatch.CoreUsage) bool {
	if len(a) != len(b) || a == nil {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID {
			return false
		}
	}
	return true
}
