//go:build linux

package workload_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// noChildren fails if this process has any child left, running or zombie.
func noChildren(t *testing.T) {
	t.Helper()
	var status unix.WaitStatus
	pid, err := unix.Wait4(-1, &status, unix.WNOHANG, nil)
	if !errors.Is(err, unix.ECHILD) {
		t.Errorf("wait4(-1, WNOHANG) = %d, %v; want ECHILD (no child left)", pid, err)
	}
}

// TestChildrenDieWithParent kills a parent running Processes with SIGKILL,
// which gives it no chance to clean up: Pdeathsig must take its children
// down with it.
func TestChildrenDieWithParent(t *testing.T) {
	cmd := exec.CommandContext(t.Context(), "/proc/self/exe", "-test.run=^$")
	cmd.Env = append(os.Environ(), parentEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("parent said %q, %v; want ready", line, err)
	}
	var kids []int
	deadline := time.Now().Add(10 * time.Second)
	for len(kids) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("parent %d started %d children within 10 s, want 2", cmd.Process.Pid, len(kids))
		}
		time.Sleep(10 * time.Millisecond)
		kids = childrenOf(cmd.Process.Pid)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for _, pid := range kids {
		for alive(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("child %d still running 5 s after its parent was killed", pid)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// childrenOf lists the processes whose parent is ppid.
func childrenOf(ppid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var kids []int
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		s := string(b)
		rest := s[strings.LastIndexByte(s, ')')+1:]
		var state string
		var parent int
		if _, err := fmt.Sscan(rest, &state, &parent); err == nil && parent == ppid {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			kids = append(kids, pid)
		}
	}
	return kids
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	rest := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(rest) > 0 && rest[0] != "Z" && rest[0] != "X"
}
