//go:build !unix

package coretest

import "errors"

// processCPU needs getrusage, which only Unix has.
func processCPU() (cpuTimes, error) {
	return cpuTimes{}, errors.New("coretest: measuring a function's CPU time needs getrusage (Unix)")
}
