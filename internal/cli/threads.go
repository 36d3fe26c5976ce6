package cli

import (
	"time"

	"github.com/corescope/corescope/cpuwatch"
)

// ThreadUse sums what a recording saw of the threads it followed: how many
// distinct threads appear in any sample, and the CPU time they used. A
// command or process that was idle, or gone before the first sample, is a
// normal result; a tool says so rather than failing to draw its threads.
func ThreadUse(rec *cpuwatch.Recording) (threads int, cpu time.Duration) {
	type key struct{ pid, tid int }
	seen := map[key]bool{}
	var sec float64
	for _, s := range rec.All() {
		for _, th := range s.Threads {
			seen[key{th.PID, th.TID}] = true
			sec += th.Busy() * s.Elapsed.Seconds()
		}
	}
	return len(seen), time.Duration(sec * float64(time.Second))
}
