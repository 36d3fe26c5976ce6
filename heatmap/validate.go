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
	for i := range rec.Len() {
		cs := rec.CoreIDs(i)
		if len(cs) == 0 {
			continue
		}
		if len(cs) > maxRows {
			return nil, badRecording("more than %d cores", maxRows)
		}
		for k, id := range cs {
			if id < 0 || (k > 0 && id <= cs[k-1]) {
				return coreIDs(rec)
			}
		}
		return slices.Clone(cs), nil
	}
	return coreIDs(rec)
}

// coreIDs returns the ids of every core in any sample, ascending. A sample
// that names a core twice, or a negative id, is an error.
func coreIDs(rec *cpuwatch.Recording) ([]int, error) {
	if rec == nil {
		return nil, badRecording("nil recording")
	}
	if rec.Len() == 0 {
		return nil, badRecording("no samples")
	}
	var ids []int
	var prev []int
	seen := map[int]bool{}
	for i := range rec.Len() {
		cs := rec.CoreIDs(i)
		if sameIDList(prev, cs) {
			continue
		}
		prev = cs
		here := make(map[int]bool, len(cs))
		for _, id := range cs {
			if id < 0 {
				return nil, badRecording("sample %d has negative cpu id %d", i, id)
			}
			if here[id] {
				return nil, badRecording("sample %d names cpu %d twice", i, id)
			}
			here[id] = true
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
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

// sameIDList is sameIDs for the id lists of a Recording.
func sameIDList(a, b []int) bool {
	return a != nil && slices.Equal(a, b)
}
