//go:build linux

package workload

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// faultEnv, in a worker child of this test binary, names the failure a
// test injects into that child, as a fault in JSON. The production worker
// knows nothing of it: init below acts on it before TestMain's
// HandleWorker runs.
const faultEnv = "CORESCOPE_WORKLOAD_TEST_FAULT"

// fault is a failure a test injects into one worker child.
type fault struct {
	Code    int    `json:",omitempty"` // exit with this status after writing Msg to stderr
	Msg     string `json:",omitempty"`
	Corrupt bool   `json:",omitempty"` // do the work, then report a wrong result
}

// injectFault returns the hook result that gives a child fault f.
func injectFault(f fault) []string {
	b, err := json.Marshal(f)
	if err != nil {
		panic(err)
	}
	return []string{faultEnv + "=" + string(b)}
}

// init plays a faulty worker child when a test asked for one.
func init() {
	fj, ok := os.LookupEnv(faultEnv)
	spec, isWorker := lookupWorkerEnv()
	if !ok || !isWorker {
		return
	}
	var f fault
	if err := json.Unmarshal([]byte(fj), &f); err != nil {
		fmt.Fprintf(os.Stderr, "bad %s: %v\n", faultEnv, err)
		os.Exit(2)
	}
	if f.Code != 0 {
		fmt.Fprint(os.Stderr, f.Msg)
		os.Exit(f.Code)
	}
	var out bytes.Buffer
	code := childMain(spec, &out, os.Stderr)
	var res childResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		fmt.Fprintf(os.Stderr, "faulty worker: %v\n", err)
		os.Exit(2)
	}
	if f.Corrupt {
		res.Result++
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		os.Exit(2)
	}
	os.Exit(code)
}

func TestProcessesFailingChild(t *testing.T) {
	for _, tc := range []struct {
		name string
		hook func(*childSpec) []string
		want []string
	}{
		{"exit status and stderr", func(s *childSpec) []string {
			if s.ID == 1 {
				return injectFault(fault{Code: 3, Msg: "boom: the child broke"})
			}
			return nil
		}, []string{"worker process 1", "exit status 3", "boom: the child broke"}},
		{"wrong result", func(s *childSpec) []string {
			if s.ID == 0 {
				return injectFault(fault{Corrupt: true})
			}
			return nil
		}, []string{"worker process 0", "want 500500"}},
		{"bad spec", func(s *childSpec) []string { s.N = MaxN + 1; return nil }, []string{"exit status 2", "absurd"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Processes{N: 2, Work: Work{N: 1001, Units: 2}}
			_, err := runProcessesHook(t.Context(), p, tc.hook)
			if err == nil {
				t.Fatal("Run() = nil error, want one")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Run() error = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

// TestProcessesFailureKillsTheOthers: one child fails at once while the
// other would work for a minute; Run must return promptly.
func TestProcessesFailureKillsTheOthers(t *testing.T) {
	start := time.Now()
	_, err := runProcessesHook(t.Context(), Processes{N: 2, Work: Work{N: 1 << 20, Duration: time.Minute}},
		func(s *childSpec) []string {
			if s.ID == 0 {
				return injectFault(fault{Code: 4, Msg: "early failure"})
			}
			return nil
		})
	if err == nil || !strings.Contains(err.Error(), "exit status 4") {
		t.Errorf("Run() error = %v, want the failing child's exit status 4", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Run took %v: the surviving child was not killed", d)
	}
}

func TestProcessesRefusesToRecurse(t *testing.T) {
	t.Setenv(workerEnv, `{"N":1}`)
	_, err := Processes{N: 1}.Run(t.Context())
	if !errors.Is(err, errRecursive) {
		t.Errorf("Run() in a worker child: error = %v, want errRecursive", err)
	}
}

// TestMissingHandleWorker builds a real program whose main forgot
// HandleWorker: its child runs main again, and must fail there with the
// clear error instead of spawning a grandchild.
func TestMissingHandleWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go tool: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "nohandleworker")
	build := exec.CommandContext(t.Context(), goTool, "build", "-o", bin, "./testdata/nohandleworker")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = os.Environ()
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 {
		t.Fatalf("program: %v, want exit status 1; output:\n%s", err, out)
	}
	// The parent's error carries the child's stderr, which names the fix.
	for _, want := range []string{"worker process 0", "exit status 1", "must call workload.HandleWorker()", "refusing to spawn"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(string(out), "refusing to spawn"); n != 1 {
		t.Errorf("%d refusals in the output, want exactly 1 (one child, no grandchild):\n%s", n, out)
	}
}

// TestMissingHandleWorkerInTest builds a test binary without a TestMain:
// its child runs the tests again, and the test that fails there says why
// on stdout. The parent's error must carry that reason.
func TestMissingHandleWorkerInTest(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a test binary")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go tool: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "nohandletest.test")
	build := exec.CommandContext(t.Context(), goTool, "test", "-c", "-o", bin, "./testdata/nohandletest")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go test -c: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-test.run", "TestRunsProcesses")
	cmd.Env = os.Environ()
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("test binary passed, want it to fail; output:\n%s", out)
	}
	// The parent test's failure is the parent's error, which must quote
	// the child's reason.
	for _, want := range []string{"worker process 0", "exit status 1", "must call workload.HandleWorker()"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestLastLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"{}\n", "{}"},
		{"init chatter\n{\"Result\":1}\n", `{"Result":1}`},
		{"a\nb", "b"},
	} {
		if got := string(lastLine([]byte(tc.in))); got != tc.want {
			t.Errorf("lastLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestChildMainBadInput(t *testing.T) {
	var out, errOut strings.Builder
	if code := childMain("{not json", &out, &errOut); code != 2 || !strings.Contains(errOut.String(), workerEnv) {
		t.Errorf("childMain(bad json) = %d, stderr %q; want 2 and a message naming %s", code, errOut.String(), workerEnv)
	}
	if out.Len() != 0 {
		t.Errorf("childMain(bad json) wrote %q to stdout", out.String())
	}
}
