//go:build !unix

package benchclock

func processCPUTime() (int64, bool) { return 0, false }
