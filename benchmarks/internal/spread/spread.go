// Package spread formats what the benchmark commands report of repeated
// runs: a median with its range, as BENCHMARKS.md quotes them.
package spread

import (
	"fmt"
	"slices"
)

// Of returns f's median over ss and its range, each in format, as
// "median [min–max]"; "—" for no samples. An even count's median is the
// mean of the middle two.
func Of[T any](ss []T, f func(T) float64, format string) string {
	if len(ss) == 0 {
		return "—"
	}
	v := make([]float64, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	slices.Sort(v)
	med := v[len(v)/2]
	if len(v)%2 == 0 {
		med = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return fmt.Sprintf(format+" ["+format+"–"+format+"]", med, v[0], v[len(v)-1])
}
