//go:build linux

package workload

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestNameThread(t *testing.T) {
	comm := func() string {
		b, _ := os.ReadFile("/proc/thread-self/comm")
		return strings.TrimSuffix(string(b), "\n")
	}
	for _, tc := range []struct{ name, want string }{
		{"gil-py2/0", "gil-py2/0"},
		{"a-name-longer-than-fifteen-bytes", "a-name-longer-t"},
		{"", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var old, named, restored string
			var err error
			done := make(chan struct{})
			go func() {
				defer close(done)
				runtime.LockOSThread()
				old = comm()
				var restore func() error
				if restore, err = nameThread(tc.name); err != nil {
					return
				}
				named = comm()
				if err = restore(); err != nil {
					return // exiting locked ends the misnamed thread
				}
				restored = comm()
				runtime.UnlockOSThread()
			}()
			<-done
			if err != nil {
				t.Fatal(err)
			}
			if named != tc.want {
				t.Errorf("comm after nameThread(%q) = %q, want %q", tc.name, named, tc.want)
			}
			if restored != old || old == "" {
				t.Errorf("comm after restore = %q, want the old %q", restored, old)
			}
		})
	}
}

// mainWorkerEnv makes this test binary run a worker from init, which runs on
// the main thread, print where the worker's named thread was and exit: see
// TestWorkerLeavesTheMainThread.
const mainWorkerEnv = "WORKLOAD_TEST_WORKER_ON_MAIN"

func init() {
	if os.Getenv(mainWorkerEnv) == "" {
		return
	}
	before := onMainThread()
	w, err := Work{N: 1 << 12, Duration: time.Minute}.withDefaults()
	if err != nil {
		panic(err)
	}
	var breaker atomic.Uint32
	where := make(chan string, 1)
	go func() {
		defer breaker.Or(breakStop)
		pid := strconv.Itoa(os.Getpid())
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			paths, _ := filepath.Glob("/proc/self/task/*/comm")
			for _, p := range paths {
				if b, _ := os.ReadFile(p); string(b) == "own/0\n" {
					if filepath.Base(filepath.Dir(p)) == pid {
						where <- "main"
					} else {
						where <- "other"
					}
					return
				}
			}
		}
		where <- "nowhere"
	}()
	_, err = runWorker(threadsSpec{name: "test", n: 1, work: w, lock: true, label: "own"}, w, 0, -1, padding{}, &breaker)
	b, _ := os.ReadFile("/proc/self/comm")
	fmt.Printf("main=%v worker-thread=%s stopped=%v main-after=%v comm=%s",
		before, <-where, errors.Is(err, errStopped), onMainThread(), b)
	os.Exit(0)
}

// TestWorkerLeavesTheMainThread runs a locked worker on the main thread,
// where a worker goroutine may happen to land, in a child whose init does it
// (init runs on the main thread): the worker must name and use another
// thread, and the process must keep its name.
func TestWorkerLeavesTheMainThread(t *testing.T) {
	const self = "/proc/self/exe"
	cmd := exec.CommandContext(t.Context(), self, "-test.run=^$")
	cmd.Env = append(os.Environ(), mainWorkerEnv+"=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v; stdout %q", err, out)
	}
	// exec names a process after the file it ran.
	want := fmt.Sprintf("main=true worker-thread=other stopped=true main-after=true comm=%s\n", filepath.Base(self))
	if got := string(out); got != want {
		t.Errorf("child printed %q, want %q", got, want)
	}
}
