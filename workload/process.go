package workload

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sync/atomic"
	"time"
)

// workerEnv marks a child started by [Processes]; its value is the child's
// childSpec as JSON.
const workerEnv = "CORESCOPE_WORKLOAD_WORKER"

// errRecursive is the guard against a fork bomb: a program whose main forgot
// HandleWorker runs main again in every child, and main runs Processes again.
var errRecursive = fmt.Errorf("workload: Processes.Run called inside a worker child (%s is set): "+
	"the program's main (or TestMain) must call workload.HandleWorker() as its first statement; "+
	"refusing to spawn workers recursively", workerEnv)

// childSpec is what the parent tells a worker child.
type childSpec struct {
	ID       int
	Kernel   Kernel
	N        uint64
	Units    int
	Duration time.Duration
	CPU      int     // -1: not pinned
	Pad      uint64  `json:",omitempty"` // the parent's measured padding
	Floor    float64 `json:",omitempty"` // and its floor, ns an iteration
}

// childResult is what a worker child answers on stdout.
type childResult struct {
	Result     uint64
	Units      int
	Iterations uint64
	CPU        int
}

// HandleWorker must be the first statement of main (or of TestMain) in any
// program that runs [Processes]: in a worker child it does the work, writes
// the result to stdout and exits; elsewhere it returns at once.
//
//	func main() {
//		workload.HandleWorker()
//		…
//	}
func HandleWorker() {
	spec, ok := lookupWorkerEnv()
	if !ok {
		return
	}
	exit(childMain(spec, stdout(), stderr()))
}

// childMain runs a worker child's work on its locked main thread and
// returns the exit status.
func childMain(specJSON string, out, errOut io.Writer) int {
	var spec childSpec
	if err := json.Unmarshal([]byte(specJSON), &spec); err != nil {
		fmt.Fprintf(errOut, "workload: worker child: bad %s: %v\n", workerEnv, err)
		return 2
	}
	w, err := Work{Kernel: spec.Kernel, N: spec.N, Units: spec.Units, Duration: spec.Duration}.withDefaults()
	if err != nil {
		fmt.Fprintf(errOut, "%v\n", err)
		return 2
	}
	runtime.LockOSThread()
	// Name the process and its worker thread (the same one if the work
	// runs on the main thread) so ps and a thread timeline tell the
	// workers apart. The child exits afterwards, so nothing is restored;
	// a name is cosmetic, so failing to set it fails nothing.
	name := fmt.Sprintf("proc/%d", spec.ID)
	_ = nameProcess(name)
	_, _ = nameThread(name)
	if spec.CPU >= 0 {
		// The child exits afterwards, so the pin need not be undone.
		if _, err := pinThread(spec.CPU); err != nil {
			fmt.Fprintf(errOut, "%v\n", err)
			return 2
		}
	}
	// The parent kills the whole process group to cancel, so the breaker
	// never trips here.
	var breaker atomic.Uint32
	wr := WorkerReport{ID: spec.ID, CPU: spec.CPU}
	m := newFreeMachine(&breaker)
	m.setPace(spec.Pad, spec.Floor)
	if err := doWork(w, m, &wr); err != nil {
		fmt.Fprintf(errOut, "workload: worker child %d: %v\n", spec.ID, err)
		return 2
	}
	res := childResult{Result: wr.Result, Units: wr.Units, Iterations: wr.Iterations, CPU: spec.CPU}
	if err := json.NewEncoder(out).Encode(res); err != nil {
		fmt.Fprintf(errOut, "workload: worker child %d: writing result: %v\n", spec.ID, err)
		return 2
	}
	return 0
}

// checkChild verifies a child's answer against the closed form.
func checkChild(id int, w Work, res childResult) error {
	if want := Expected(w.N); res.Result != want {
		return fmt.Errorf("workload: worker process %d: sum(range(%d)) = %d, want %d", id, w.N, res.Result, want)
	}
	if res.Units < 1 || res.Iterations != uint64(res.Units)*w.N {
		return fmt.Errorf("workload: worker process %d: reported %d units and %d iterations of %d", id, res.Units, res.Iterations, w.N)
	}
	if w.Duration == 0 && res.Units != w.Units {
		return fmt.Errorf("workload: worker process %d: did %d units, want %d", id, res.Units, w.Units)
	}
	return nil
}
