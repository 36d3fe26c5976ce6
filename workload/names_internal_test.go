//go:build linux

package workload

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// onOwnThread runs fn through runOwnThread from a goroutine of its own,
// which then ends and takes the thread with it.
func onOwnThread(fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runOwnThread(fn)
	}()
	<-done
}

func comm(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/thread-self/comm")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(string(b), "\n")
}

func TestNameThread(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"gil-py2/0", "gil-py2/0"},
		{"a-name-longer-than-fifteen-bytes", "a-name-longer-t"},
		{"", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			var err error
			onOwnThread(func() {
				if err = nameThread(tc.name); err == nil {
					got = comm(t)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("comm after nameThread(%q) = %q, want %q", tc.name, got, tc.want)
			}
		})
	}
}

// ownThreadEnv makes this test binary call runOwnThread from init, which
// runs on the main thread, print what happened and exit: see
// TestRunOwnThreadLeavesTheMainThread.
const ownThreadEnv = "WORKLOAD_TEST_OWN_THREAD_ON_MAIN"

func init() {
	if os.Getenv(ownThreadEnv) == "" {
		return
	}
	before := onMainThread()
	var fnOnMain bool
	var fnTID int
	runOwnThread(func() {
		fnOnMain, fnTID = onMainThread(), unix.Gettid()
		_ = nameThread("own/0")
	})
	after := onMainThread()
	// fn's thread ends after its goroutine; give it ample time.
	gone := false
	for deadline := time.Now().Add(10 * time.Second); !gone && time.Now().Before(deadline); {
		_, err := os.Stat(fmt.Sprintf("/proc/self/task/%d", fnTID))
		gone = errors.Is(err, fs.ErrNotExist)
		time.Sleep(time.Millisecond)
	}
	b, _ := os.ReadFile("/proc/self/comm")
	fmt.Printf("main=%v fn-on-main=%v main-after=%v fn-thread-gone=%v comm=%s",
		before, fnOnMain, after, gone, b)
	os.Exit(0)
}

// TestRunOwnThreadLeavesTheMainThread runs runOwnThread on the main thread,
// where a worker goroutine may happen to land, in a child whose init does it
// (init runs on the main thread): fn must run on another thread, which then
// ends, and the main thread must come back as it was — unlocked, unnamed,
// not parked for good.
func TestRunOwnThreadLeavesTheMainThread(t *testing.T) {
	const self = "/proc/self/exe"
	cmd := exec.CommandContext(t.Context(), self, "-test.run=^$")
	cmd.Env = append(os.Environ(), ownThreadEnv+"=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v; stdout %q", err, out)
	}
	// exec names a process after the file it ran.
	name := filepath.Base(self)
	want := fmt.Sprintf("main=true fn-on-main=false main-after=true fn-thread-gone=true comm=%s\n", name)
	if got := string(out); got != want {
		t.Errorf("child printed %q, want %q", got, want)
	}
}
