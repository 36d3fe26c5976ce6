//go:build !linux

package workload_test

func helperMain(string) int { return 2 }
