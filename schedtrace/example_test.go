package schedtrace_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/corescope/corescope/schedtrace"
)

// Trace this process while a function runs, and save the timeline for
// Perfetto. It needs root (or CAP_PERFMON) and a mounted tracefs; without
// them the error says what to do.
func ExampleTracer_Record() {
	tr, err := (&schedtrace.Tracer{}).Record(context.Background(), func(ctx context.Context) error {
		time.Sleep(100 * time.Millisecond) // the code under study
		return nil
	})
	var ae *schedtrace.AccessError
	if errors.As(err, &ae) {
		fmt.Println("not traced:", err)
		return
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, th := range tr.Threads {
		fmt.Printf("%-16s on CPU %v, %d switches, %d migrations\n", th.Name, th.Running(), th.Switches, th.Migrations)
	}
	fmt.Println(tr.Lost)
	f, err := os.Create("trace.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	if err := tr.WriteTraceEvents(f); err != nil {
		fmt.Println(err)
	}
}

func ExampleLost_String() {
	fmt.Println(schedtrace.Lost{})
	fmt.Println(schedtrace.Lost{Kernel: 12, Unmatched: 1})
	// Output:
	// nothing lost
	// lost 12 kernel events, 1 unreported switch
}
