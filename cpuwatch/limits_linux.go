package cpuwatch

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// selfAffinity returns the CPUs this process's calling thread may run on.
// Go threads inherit the process's mask, so it stands for the process.
func selfAffinity() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, fmt.Errorf("cpuwatch: sched_getaffinity: %w", err)
	}
	var ids []int
	for id := range len(set) * 64 {
		if set.IsSet(id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}
