package schedtrace_test

import (
	"fmt"
	"time"

	"github.com/corescope/corescope/schedtrace"
)

// Two threads of process 7 overlap for 60 ms of a 100 ms window; a thread
// of process 8 is left out by the filter.
func ExampleConcurrencyOf() {
	ms := time.Millisecond
	ss := []schedtrace.Slice{
		{CPU: 0, PID: 7, TID: 7, Start: 0, End: 80 * ms},
		{CPU: 1, PID: 7, TID: 9, Start: 20 * ms, End: 100 * ms},
		{CPU: 1, PID: 8, TID: 8, Start: 0, End: 20 * ms},
	}
	c := schedtrace.ConcurrencyOf(ss, 0, 100*ms, schedtrace.KeepPIDs(7))
	fmt.Println(c)
	fmt.Printf("2 at once for %.0f %%, mean %.1f threads\n", 100*c.ShareAtLeast(2), c.Mean())
	// Output:
	// 2 at once 60.0 %, 1 at once 40.0 % of 100ms
	// 2 at once for 60 %, mean 1.6 threads
}
