package cpuwatch

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// selfAffinity returns the CPUs this process's main thread may run on.
// Threads inherit the mask they are created with; the main thread's
// stands for the process, where the calling thread's might have been
// narrowed on purpose (a pinned worker).
func selfAffinity() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(unix.Getpid(), &set); err != nil {
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
