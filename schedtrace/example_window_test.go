package schedtrace_test

import (
	"fmt"
	"time"

	"github.com/corescope/corescope/schedtrace"
)

// A Python 3 GIL shared by two threads on two CPUs: the lock changes
// hands every 5 ms, each time after a drop request.
func ExampleTrace_Describe() {
	const ms = time.Millisecond
	tr := &schedtrace.Trace{
		Duration: 40 * ms,
		CPUs:     []int{0, 1},
		Threads:  []schedtrace.Thread{{TID: 11, Name: "gil-py3/0"}, {TID: 12, Name: "gil-py3/1"}},
	}
	tids := []int{11, 12}
	for i := range 8 {
		at, tid := time.Duration(i)*5*ms, tids[i%2]
		tr.Slices = append(tr.Slices, schedtrace.Slice{CPU: i % 2, TID: tid, Start: at, End: at + 5*ms})
		if i > 0 {
			tr.GIL = append(tr.GIL, schedtrace.GILEvent{Time: at - ms/10, TID: int32(tid), Kind: schedtrace.GILDropRequest})
		}
		tr.GIL = append(tr.GIL, schedtrace.GILEvent{Time: at, TID: int32(tid), Kind: schedtrace.GILTake},
			schedtrace.GILEvent{Time: at + 5*ms - ms/20, TID: int32(tid), Kind: schedtrace.GILDrop})
	}
	w := schedtrace.Window{From: 5 * ms, To: 35 * ms}
	fmt.Println(tr.Describe(w))
	tr.Lost.Kernel = 2
	fmt.Println(tr.LostSentence())
	// Output:
	// In these 30 ms the lock changed hands 6 times, about every 5 ms; no failed wake-ups; 6 drop requests, 0 forced switches (5 switches, 0 migrations).
	// Beware: the kernel lost 2 scheduler events of this trace, so it may miss slices, wake-ups or hand-offs.
}
