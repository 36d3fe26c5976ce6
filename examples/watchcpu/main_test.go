package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/workload"
)

// The tests run the command as a user does: built once into a temporary
// folder, then started with flags, its exit code, output and files checked.

var binary string // the built command, set by TestMain

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "watchcpu-test")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		binary = filepath.Join(dir, "watchcpu")
		// go test puts its own go command first on PATH.
		if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}())
}

// watchcpu runs the command in dir and returns its exit code and output.
func watchcpu(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), binary, args...)
	cmd.Dir = dir
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("watchcpu %s: %v", strings.Join(args, " "), err)
	}
	return code, o.String(), e.String()
}

// summary is the part of --json this test checks.
type summary struct {
	Workload      string   `json:"workload"`
	Workers       int      `json:"workers"`
	Kernel        string   `json:"kernel"`
	Size          uint64   `json:"size"`
	WallSeconds   float64  `json:"wall_seconds"`
	UserSeconds   *float64 `json:"user_seconds"`
	SystemSeconds *float64 `json:"system_seconds"`
	CoresUsed     float64  `json:"cores_used"`
	Effective     *float64 `json:"effective_cores"`
	Results       []uint64 `json:"results"`
	GIL           *struct {
		Switches     int64    `json:"switches"`
		Acquisitions int64    `json:"acquisitions"`
		DropRequests *int64   `json:"drop_requests"`
		WaitSeconds  *float64 `json:"wait_seconds"`
	} `json:"gil"`
	Recording struct {
		DataID  string            `json:"data_id"`
		Samples []json.RawMessage `json:"samples"`
	} `json:"recording"`
}

func TestOneRun(t *testing.T) {
	const (
		seed28 = "36028796884746240" // sum(range(2^28)), as the seed printed it
		seed26 = "2251799780130816"  // sum(range(2^26)), per thread
	)
	tests := []struct {
		name     string
		args     []string
		workload string
		workers  int
		size     uint64 // iterations per worker
		unit     uint64 // iterations per printed sum
		printed  string
		gil      bool
	}{
		{"non-threaded", []string{"--workload", "non-threaded"}, "non-threaded", 1, 1 << 28, 1 << 28, seed28 + "\n", false},
		{"multiprocessing", []string{"--workload", "multiprocessing", "--num-procs", "2"}, "multiprocessing", 2, 1 << 28, 1 << 28,
			"[" + seed28 + ", " + seed28 + "]\n", false},
		{"threading", []string{"--workload", "threading", "--num-threads", "2"}, "threading", 2, 1 << 26, 1 << 26, seed26 + "\n" + seed26 + "\n", true},
		{"threading-py2", []string{"--workload", "threading-py2", "--num-threads", "2", "--size", "4096", "--units", "2"}, "threading-py2", 2, 8192, 4096,
			"8386560\n8386560\n", true},
		{"goroutines", []string{"--workload", "goroutines", "--num-threads", "3", "--size", "1000"}, "goroutines", 3, 1000, 1000, "499500\n499500\n499500\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"--kernel", "native", "--interval", "100ms", "--total-intervals", "3",
				"--filename", "out.png", "--json", "out.json"}, tt.args...)
			code, stdout, stderr := watchcpu(t, dir, args...)
			if code != 0 {
				t.Fatalf("exit code %d, want 0; stderr:\n%s", code, stderr)
			}
			if !strings.HasPrefix(stdout, tt.printed) {
				t.Errorf("stdout starts %q, want the seed's results %q", stdout, tt.printed)
			}
			if !strings.Contains(stdout, "Saved out.png\n") || !strings.Contains(stdout, "Saved out.json\n") {
				t.Errorf("stdout = %q, want Saved lines for both files", stdout)
			}
			checkPNG(t, filepath.Join(dir, "out.png"))
			// A run long enough to be seen on the CPU comes with its thread
			// timeline; the native kernel's short runs may not.
			if strings.Contains(stdout, "Saved out-threads.png\n") {
				checkPNG(t, filepath.Join(dir, "out-threads.png"))
			}

			var s summary
			b, err := os.ReadFile(filepath.Join(dir, "out.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &s); err != nil {
				t.Fatalf("out.json: %v", err)
			}
			if s.Workload != tt.workload || s.Workers != tt.workers || s.Kernel != "native" || s.Size != tt.size {
				t.Errorf("workload, workers, kernel, size = %q, %d, %q, %d; want %q, %d, native, %d",
					s.Workload, s.Workers, s.Kernel, s.Size, tt.workload, tt.workers, tt.size)
			}
			if len(s.Results) != tt.workers {
				t.Errorf("results = %v, want %d of them", s.Results, tt.workers)
			}
			for _, r := range s.Results {
				if want := workload.Expected(tt.unit); r != want {
					t.Errorf("result %d, want %d", r, want)
				}
			}
			if s.WallSeconds <= 0 || s.UserSeconds == nil || s.SystemSeconds == nil || s.Effective == nil || s.CoresUsed < 0 {
				t.Errorf("wall %v, user %v, system %v, effective %v: want all present, wall positive", s.WallSeconds, s.UserSeconds, s.SystemSeconds, s.Effective)
			}
			if got := len(s.Recording.Samples); got < 3 {
				t.Errorf("recording has %d samples, want at least --total-intervals 3", got)
			}
			if s.Recording.DataID != fmt.Sprintf("%s:%d", tt.workload, tt.workers) {
				t.Errorf("recording data_id = %q, want %s:%d", s.Recording.DataID, tt.workload, tt.workers)
			}
			if tt.gil != (s.GIL != nil) {
				t.Fatalf("gil = %+v, want present only for GIL runs", s.GIL)
			}
			if s.GIL != nil && (s.GIL.Acquisitions <= 0 || s.GIL.DropRequests == nil || s.GIL.WaitSeconds == nil) {
				t.Errorf("gil = %+v, want acquisitions and all four keys", s.GIL)
			}
		})
	}
}

func checkPNG(t *testing.T, name string) {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s does not decode: %v", name, err)
	}
	if b := img.Bounds(); b.Dx() < 200 || b.Dy() < 80 {
		t.Errorf("%s is %v, want a readable picture", name, b)
	}
}

func TestDoNothing(t *testing.T) {
	code, stdout, stderr := watchcpu(t, t.TempDir(), "--workload", "do-nothing", "--interval", "50ms", "--total-intervals", "2")
	if code != 0 {
		t.Fatalf("exit code %d, want 0; stderr:\n%s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "Did nothing\n") || !strings.Contains(stdout, "Saved profile-do-nothing.png") {
		t.Errorf("stdout = %q, want the seed's \"Did nothing\" and the default file name", stdout)
	}
}

func TestBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"--bogus"}, "not defined: -bogus"},
		{"unknown workload", []string{"--workload", "multiprocess"}, `unknown workload "multiprocess"`},
		{"unknown kernel", []string{"--kernel", "jit"}, `--kernel "jit"`},
		{"negative size", []string{"--workload", "non-threaded", "--size", "-5"}, "invalid value"},
		{"zero procs", []string{"--workload", "multiprocessing", "--num-procs", "0"}, "--num-procs 0 is not positive"},
		{"procs for threads", []string{"--workload", "threading", "--num-procs", "2"}, "--num-procs is for --workload multiprocessing"},
		{"threads for processes", []string{"--workload", "multiprocessing", "--num-threads", "2"}, "--num-threads does not apply"},
		{"one-run flag without workload", []string{"--num-procs", "2"}, "give --workload too"},
		{"experiment flag with workload", []string{"--workload", "non-threaded", "--out", "x"}, "--out applies to the whole experiment"},
		{"format against filename", []string{"--workload", "non-threaded", "--format", "svg", "--filename", "a.png"}, "does not end in .svg"},
		{"bad format", []string{"--workload", "non-threaded", "--format", "gif"}, `unknown format "gif"`},
		{"unknown picture type", []string{"--workload", "non-threaded", "--filename", "a.gif"}, `"a.gif": want a .png`},
		{"pin goroutines", []string{"--workload", "goroutines", "--pin-cpu"}, "--pin-cpu does not apply"},
		{"size for nothing", []string{"--workload", "do-nothing", "--units", "3"}, "do not apply to --workload do-nothing"},
		{"bad mode", []string{"--workload", "non-threaded", "--mode", "rainbow"}, `unknown mode "rainbow"`},
		{"mode without workload", []string{"--mode", "split"}, "--mode applies to one run"},
		{"term with filename", []string{"--workload", "non-threaded", "--format", "term", "--filename", "a.png"}, "writes no --filename"},
		{"zero interval", []string{"--interval", "0s"}, "--interval 0s is not positive"},
		{"stray argument", []string{"now"}, `unexpected argument "now"`},
		{"python without workload", []string{"--python", "python3"}, "--python applies to one run"},
		{"python2 with workload", []string{"--workload", "non-threaded", "--python2", "python2"}, "--python2 applies to the whole experiment"},
		{"python and speed-of", []string{"--workload", "threading", "--python", "a", "--speed-of", "b"}, "give one"},
		{"python not a python", []string{"--workload", "threading", "--python", "/bin/false"}, "--python: /bin/false is not a working python"},
		{"python and pin", []string{"--workload", "threading", "--python", "python3", "--pin-cpu"}, "--pin-cpu does not apply to a real interpreter"},
		{"no-python and python3", []string{"--no-python", "--python3", "x"}, "--no-python contradicts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := watchcpu(t, t.TempDir(), tt.args...)
			if code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
			if !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, "Usage:") {
				t.Errorf("stderr = %q, want %q and the usage", stderr, tt.want)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
}

// children returns the processes whose parent is pid and whose executable
// is the command under test.
func children(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", p)); exe != binary {
			continue
		}
		if ppid, _ := procStat(p); ppid == pid {
			out = append(out, p)
		}
	}
	return out
}

// procStat returns a process's parent and state from /proc/PID/stat, or
// state 0 if it is gone.
func procStat(pid int) (ppid int, state byte) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0
	}
	// The command name is in parentheses and may hold spaces.
	rest := b[bytes.LastIndexByte(b, ')')+2:]
	f := strings.Fields(string(rest))
	if len(f) < 2 {
		return 0, 0
	}
	ppid, _ = strconv.Atoi(f[1])
	return ppid, f[0][0]
}

func TestInterrupt(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	const procs = 3
	cmd := exec.Command(binary, "--workload", "multiprocessing", "--num-procs", strconv.Itoa(procs),
		"--kernel", "bytecode", "--interval", "100ms", "--filename", "never.png")
	cmd.Dir = t.TempDir()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a process group of its own, as a shell job
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })

	var kids []int
	for deadline := time.Now().Add(20 * time.Second); len(kids) < procs; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("found children %v after 20s, want %d", kids, procs)
		}
		kids = children(cmd.Process.Pid)
	}

	// Ctrl-C in a shell sends SIGINT to the whole foreground group.
	sent := time.Now()
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("still running 10s after SIGINT; stderr:\n%s", stderr.String())
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Errorf("exit after SIGINT: %v, want a non-zero exit code", err)
	}
	t.Logf("exited %v after SIGINT: %v; stderr: %s", time.Since(sent).Round(time.Millisecond), err, stderr.String())
	for _, k := range kids {
		if _, state := procStat(k); state != 0 {
			t.Errorf("child %d is still there in state %c after its parent exited", k, state)
		}
	}
	if _, err := os.Stat(filepath.Join(cmd.Dir, "never.png")); err == nil {
		t.Error("an interrupted run saved its picture")
	}
}

func TestExperiment(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := watchcpu(t, dir, "--kernel", "native", "--size", "65536", "--units", "2",
		"--interval", "50ms", "--serial-time", "100ms", "--out", "report", "--no-python")
	if code != 0 {
		t.Fatalf("exit code %d, want 0; stderr:\n%s", code, stderr)
	}
	var results struct {
		Runs []struct {
			summary
			DataID string `json:"data_id"`
		} `json:"runs"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "report", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &results); err != nil {
		t.Fatalf("results.json: %v", err)
	}
	cpus := corescope.UsableCPUs() // the plan's default, quota included
	if want := 2 + 3*2*cpus + 4; len(results.Runs) != want {
		t.Errorf("results.json has %d runs, want %d for %d CPUs", len(results.Runs), want, cpus)
	}
	page, err := os.ReadFile(filepath.Join(dir, "report", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range results.Runs {
		unit := uint64(65536)
		if strings.HasPrefix(run.Workload, "threading") {
			unit /= 4
		}
		for _, r := range run.Results {
			if r != workload.Expected(unit) {
				t.Errorf("%s: result %d, want %d", run.DataID, r, workload.Expected(unit))
			}
		}
		pic := strings.ReplaceAll(run.DataID, ":", "-") + ".png"
		checkPNG(t, filepath.Join(dir, "report", pic))
		if !bytes.Contains(page, []byte(`src="`+pic+`"`)) {
			t.Errorf("index.html does not show %s", pic)
		}
		if !strings.Contains(stdout, run.DataID) {
			t.Errorf("the printed table lacks %s", run.DataID)
		}
	}
	if !strings.Contains(stdout, "Saved "+filepath.Join("report", "index.html")) {
		t.Errorf("stdout = %q, want it to name the report", stdout)
	}
	if !strings.Contains(stderr, fmt.Sprintf("[%d/%d]", len(results.Runs), len(results.Runs))) {
		t.Errorf("stderr shows no progress for the last run:\n%s", stderr)
	}
}

func TestFormats(t *testing.T) {
	base := []string{"--workload", "non-threaded", "--kernel", "native", "--size", "1024", "--interval", "50ms", "--total-intervals", "2"}
	t.Run("svg", func(t *testing.T) {
		dir := t.TempDir()
		code, stdout, stderr := watchcpu(t, dir, append(base, "--filename", "p.svg")...)
		if code != 0 {
			t.Fatalf("exit code %d; stderr:\n%s", code, stderr)
		}
		b, err := os.ReadFile(filepath.Join(dir, "p.svg"))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			XMLName xml.Name
		}
		if err := xml.Unmarshal(b, &doc); err != nil || doc.XMLName.Local != "svg" {
			t.Errorf("p.svg: root %q, error %v; want an svg document", doc.XMLName.Local, err)
		}
		if !strings.Contains(stdout, "Saved p.svg") {
			t.Errorf("stdout = %q, want Saved p.svg", stdout)
		}
	})
	t.Run("html", func(t *testing.T) {
		dir := t.TempDir()
		code, stdout, stderr := watchcpu(t, dir, append(base, "--format", "html")...)
		if code != 0 {
			t.Fatalf("exit code %d; stderr:\n%s", code, stderr)
		}
		b, err := os.ReadFile(filepath.Join(dir, "profile-non-threaded-1.html"))
		if err != nil {
			t.Fatalf("%v; stdout:\n%s", err, stdout)
		}
		if !bytes.Contains(b, []byte("non-threaded:1")) || !bytes.Contains(bytes.ToLower(b), []byte("<html")) {
			t.Errorf("the HTML page lacks <html> or its title")
		}
	})
	t.Run("term", func(t *testing.T) {
		cmd := exec.CommandContext(t.Context(), binary, append(base, "--format", "term")...)
		cmd.Dir = t.TempDir()
		cmd.Env = append(os.Environ(), "NO_COLOR=1", "TERM=dumb")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v; stdout:\n%s", err, out)
		}
		if !bytes.Contains(out, []byte("cpu0")) || !bytes.Contains(out, []byte("523776\n")) {
			t.Errorf("stdout lacks the live picture's cpu0 row or the result:\n%s", out)
		}
		if bytes.Contains(out, []byte("Saved")) {
			t.Errorf("--format term saved a file:\n%s", out)
		}
	})
}

func TestInterruptExperiment(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	dir := t.TempDir()
	// Sized so that each run lasts seconds: the signal lands mid-matrix.
	cmd := exec.Command(binary, "--kernel", "bytecode", "--size", "16777216", "--units", "2", "--interval", "100ms", "--serial-time", "200ms")
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })

	// Wait until the multiprocessing runs have started, then interrupt.
	var seen bytes.Buffer
	buf := make([]byte, 4096)
	var kids []int
	for deadline := time.Now().Add(60 * time.Second); len(kids) == 0; {
		if time.Now().After(deadline) {
			t.Fatalf("no multiprocessing children after 60s; stderr:\n%s", seen.String())
		}
		n, err := stderr.Read(buf)
		seen.Write(buf[:n])
		if err != nil {
			t.Fatalf("stderr ended before the processes ran: %v\n%s", err, seen.String())
		}
		if bytes.Contains(seen.Bytes(), []byte("multiprocessing:2")) {
			for end := time.Now().Add(5 * time.Second); len(kids) == 0 && time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
				kids = children(cmd.Process.Pid)
			}
		}
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stderr)
	seen.Write(rest)
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Errorf("exit after SIGINT: %v, want exit status 130; stderr:\n%s", err, seen.String())
	}
	for _, k := range kids {
		if _, state := procStat(k); state != 0 {
			t.Errorf("child %d is still there in state %c after its parent exited", k, state)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "corescope-report")); err == nil {
		t.Error("an interrupted experiment wrote a report")
	}
}

func TestThreadTimeline(t *testing.T) {
	dir := t.TempDir()
	// Two bytecode workers of ~0.3 s each: every 100 ms sample sees them run.
	code, stdout, stderr := watchcpu(t, dir, "--workload", "threads", "--num-threads", "2", "--kernel", "bytecode",
		"--size", "16777216", "--interval", "100ms", "--total-intervals", "3")
	if code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "Saved profile-threads-2-threads.png\n") {
		t.Fatalf("stdout = %q, want the thread timeline saved", stdout)
	}
	checkPNG(t, filepath.Join(dir, "profile-threads-2-threads.png"))
}

// TestSignalStatus stops one recording with SIGINT and with SIGTERM: the
// exit status is 128 plus the signal, as a shell reports a death by it.
func TestSignalStatus(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	for _, tc := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			cmd := exec.Command(binary, "--workload", "threads", "--kernel", "bytecode", "--size", "16777216", "--units", "64",
				"--interval", "100ms", "--filename", filepath.Join(t.TempDir(), "x.png"))
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			// The threads run once the lead has been recorded; by then the
			// signal handler is long installed.
			for deadline := time.Now().Add(30 * time.Second); len(threadsOf(cmd.Process.Pid)) < 2; time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("no worker threads after 30 s")
				}
			}
			time.Sleep(300 * time.Millisecond)
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			rest, _ := io.ReadAll(stderr)
			err = cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != tc.want {
				t.Errorf("exit after %v: %v, want exit status %d; stderr:\n%s", tc.sig, err, tc.want, rest)
			}
		})
	}
}

// threadsOf lists the threads of pid named after a worker ("thread/…").
func threadsOf(pid int) []string {
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	var names []string
	for _, e := range ents {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/comm", pid, e.Name()))
		if strings.HasPrefix(string(b), "thread") || strings.HasPrefix(string(b), "threads") {
			names = append(names, string(b))
		}
	}
	return names
}

var (
	foundOnce sync.Once
	found     []workload.Interpreter
)

// testPython returns the newest interpreter of major version major found
// here, or skips the test.
func testPython(t *testing.T, major int) workload.Interpreter {
	t.Helper()
	foundOnce.Do(func() { found = workload.FindInterpreters(context.Background()) })
	in, ok := workload.NewestInterpreter(found, major)
	if !ok {
		t.Skipf("no Python %d found (python2.7, python2, python3 on PATH, or $(pyenv root)/versions)", major)
	}
	return in
}

func TestPythonWrongVersion(t *testing.T) {
	for _, tc := range []struct {
		major    int
		workload string
		want     string
	}{{3, "threading-py2", "is the Python 2 GIL"}, {2, "threading", "is the Python 3 GIL"}, {3, "goroutines", "has no Python program"}} {
		in := testPython(t, tc.major)
		code, _, stderr := watchcpu(t, t.TempDir(), "--workload", tc.workload, "--python", in.Path)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("--workload %s --python %s: exit %d, stderr %q; want 2 and %q", tc.workload, in, code, stderr, tc.want)
		}
	}
}

func TestPythonRun(t *testing.T) {
	for _, major := range []int{2, 3} {
		in := testPython(t, major)
		wl := "threading"
		if major == 2 {
			wl = "threading-py2"
		}
		dir := t.TempDir()
		code, stdout, stderr := watchcpu(t, dir, "--workload", wl, "--python", in.Path, "--num-threads", "2",
			"--size", "100000", "--interval", "50ms", "--total-intervals", "3", "--json", "run.json")
		if code != 0 {
			t.Fatalf("%s: exit %d; stderr:\n%s", in, code, stderr)
		}
		var sum struct {
			summary
			Interpreter     string  `json:"interpreter"`
			NsPerIteration  float64 `json:"ns_per_iteration"`
			ContextSwitches int64   `json:"context_switches"`
		}
		b, err := os.ReadFile(filepath.Join(dir, "run.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &sum); err != nil {
			t.Fatal(err)
		}
		if sum.Interpreter != in.String() || sum.NsPerIteration <= 0 || sum.Workers != 2 || sum.Workload != wl {
			t.Errorf("%s: summary says interpreter %q, %.2f ns an iteration, %d workers of %s", in, sum.Interpreter, sum.NsPerIteration, sum.Workers, sum.Workload)
		}
		for _, r := range sum.Results {
			if r != workload.Expected(100000) {
				t.Errorf("%s: result %d, want %d", in, r, workload.Expected(100000))
			}
		}
		if !strings.Contains(stdout, "interpreter "+in.String()) {
			t.Errorf("stdout %q does not name the interpreter", stdout)
		}
	}
}

func TestSpeedOf(t *testing.T) {
	in := testPython(t, 2)
	dir := t.TempDir()
	code, stdout, stderr := watchcpu(t, dir, "--workload", "threading-py2", "--speed-of", in.Path, "--num-threads", "2",
		"--size", "100000", "--interval", "50ms", "--total-intervals", "3", "--json", "run.json")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	var sum struct {
		SpeedOf string         `json:"speed_of"`
		Pace    *workload.Pace `json:"pace"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "run.json"))
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.SpeedOf != in.String() || sum.Pace == nil || sum.Pace.NsPerIteration <= 0 {
		t.Errorf("summary speed_of %q, pace %+v; want %s and its calibration", sum.SpeedOf, sum.Pace, in)
	}
	// A busy host can slow the kernel's own measurement past the target.
	if !strings.Contains(stdout, "paced to "+in.String()) && !strings.Contains(stdout, "no spin steps: ") {
		t.Errorf("stdout %q does not say the pace", stdout)
	}
}
