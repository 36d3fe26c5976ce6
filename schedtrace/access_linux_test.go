//go:build linux

package schedtrace_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/corescope/corescope/schedtrace"
)

func TestNoTracefs(t *testing.T) {
	root := t.TempDir()
	_, err := (&schedtrace.Tracer{TracefsRoot: root}).Start()
	var ae *schedtrace.AccessError
	if !errors.As(err, &ae) || !errors.Is(err, schedtrace.ErrNoTracefs) {
		t.Fatalf("Start with an empty tracefs root: error = %v, want an *AccessError matching ErrNoTracefs", err)
	}
	if want := "mount -t tracefs nodev " + root; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
}

func TestFollowMissingPID(t *testing.T) {
	canTrace(t)
	_, err := (&schedtrace.Tracer{FollowPIDs: []int{1 << 30}}).Start()
	if err == nil || !strings.Contains(err.Error(), "cannot follow process") {
		t.Fatalf("error = %v, want one naming the missing process", err)
	}
}

// TestUnprivileged runs Start in a copy of this test binary as user nobody
// and checks that the error names what is missing.
func TestUnprivileged(t *testing.T) {
	if os.Getenv("SCHEDTRACE_UNPRIVILEGED") == "1" {
		for _, root := range []string{"", os.Getenv("SCHEDTRACE_TRACEFS")} {
			_, err := (&schedtrace.Tracer{TracefsRoot: root}).Start()
			var ae *schedtrace.AccessError
			if !errors.As(err, &ae) || !errors.Is(err, schedtrace.ErrPermission) {
				t.Fatalf("as nobody, tracefs %q: error = %v, want an *AccessError matching ErrPermission", root, err)
			}
			t.Log(err)
		}
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a copy of itself as nobody")
	}
	canTrace(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "schedtrace-nobody")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	copyExe := filepath.Join(dir, "t")
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copyExe, data, 0o755); err != nil {
		t.Fatal(err)
	}
	// A tracefs copy nobody can read, so that the child gets as far as
	// perf_event_open.
	for _, e := range []string{"sched_switch", "sched_waking", "sched_process_fork"} {
		b, err := os.ReadFile(filepath.Join("/sys/kernel/tracing/events/sched", e, "format"))
		if err != nil {
			t.Skipf("no real tracefs to copy: %v", err)
		}
		d := filepath.Join(dir, "tracefs/events/sched", e)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "format"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chmod(p, 0o755)
	}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), copyExe, "-test.run=^TestUnprivileged$", "-test.v")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SCHEDTRACE_UNPRIVILEGED=1", "SCHEDTRACE_TRACEFS="+filepath.Join(dir, "tracefs"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "perf_event_paranoid") {
		t.Errorf("as nobody, no error was logged:\n%s", out)
	}
	t.Logf("%s", out)
}

func TestBadBufferPages(t *testing.T) {
	for _, n := range []int{-1, 3, 100} {
		_, err := (&schedtrace.Tracer{BufferPages: n}).Start()
		if err == nil || !strings.Contains(err.Error(), "power of two") {
			t.Errorf("BufferPages = %d: error = %v, want one asking for a power of two", n, err)
		}
	}
}
