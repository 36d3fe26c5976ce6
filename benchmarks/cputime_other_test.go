//go:build !unix

package benchmarks

func processCPUTime() (int64, bool) { return 0, false }
