//go:build linux

package corescope_test

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/cpuwatch"
	"github.com/corescope/corescope/workload"
)

// TestRunFollowsCommand checks that a watcher following this process's
// children sees a Command's program and the child it forks, as it sees a
// Processes child. (How busy they were depends on the machine's load; the
// 10 ms ticks of /proc may round a short share to nothing.)
func TestRunFollowsCommand(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh on PATH")
	}
	w := &cpuwatch.Watcher{Interval: 20 * time.Millisecond, Lead: 1, Trail: 1, FollowSelf: true, FollowChildren: true}
	ctx, cancel := context.WithTimeout(t.Context(), 400*time.Millisecond)
	defer cancel()
	// The shell forks a subshell that spins, and waits for it.
	c := workload.Command{Path: "sh", Args: []string{"-c", "(while :; do :; done) & wait"}}
	res, err := corescope.Run(ctx, w, c)
	if err == nil || res == nil || res.Recording == nil {
		t.Fatalf("Run = %v, %v; want the cancellation and a recording", res, err)
	}
	pids := map[int]bool{}
	for _, s := range res.Recording.All() {
		for _, th := range s.Threads {
			if th.Name == "sh" {
				pids[th.PID] = true
			}
		}
	}
	if len(pids) < 2 {
		t.Fatalf("saw sh processes %v, want the program and its forked child", pids)
	}
	if res.WallSeconds <= 0 {
		t.Errorf("Result wall = %v s, want the program's", res.WallSeconds)
	}
}
