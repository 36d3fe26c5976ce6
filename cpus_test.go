package corescope_test

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/corescope/corescope"
	"github.com/corescope/corescope/cpuwatch"
)

// cgroupFixture is a watcher over one of cpuwatch's committed proc and
// cgroup trees, so that the limits are the fixture's, not this machine's.
func cgroupFixture(name string) *cpuwatch.Watcher {
	dir := filepath.Join("cpuwatch", "testdata", "cgroups", name)
	return &cpuwatch.Watcher{ProcRoot: filepath.Join(dir, "proc"), SysRoot: filepath.Join(dir, "sys")}
}

func TestWorkersFor(t *testing.T) {
	tests := []struct {
		name string
		l    *cpuwatch.Limits
		want int
	}{
		{"nil", nil, 0},
		{"nothing known", &cpuwatch.Limits{}, 0},
		{"whole CPUs", &cpuwatch.Limits{UsableCPUs: 4}, 4},
		{"half quota rounds up", &cpuwatch.Limits{Quota: 1.5, UsableCPUs: 1.5}, 2},
		{"just over a whole CPU rounds up", &cpuwatch.Limits{Quota: 2.01, UsableCPUs: 2.01}, 3},
		{"tiny quota still runs one", &cpuwatch.Limits{Quota: 0.01, UsableCPUs: 0.01}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := corescope.WorkersFor(tt.l); got != tt.want {
				t.Errorf("WorkersFor(%+v) = %d, want %d", tt.l, got, tt.want)
			}
		})
	}
}

// TestWorkersForFixtures reads limits the way UsableCPUs does, from
// cpuwatch's cgroup fixtures: quotas, cpusets and affinity masks together.
func TestWorkersForFixtures(t *testing.T) {
	tests := []struct {
		fixture string
		want    int
	}{
		{"v2-set", 2},         // quota 1.5 on cpuset 1-2: both CPUs, throttled
		{"v2-nested", 1},      // the parent's quota of 1 binds on 4 CPUs
		{"v2-unset", 4},       // no quota: the cpuset's 4 CPUs
		{"v2-cpuset-only", 1}, // cpuset 3 narrower than affinity 0-3
		{"v1-set", 1},         // quota 0.5: one worker, never zero
		{"v1-unset", 2},       // v1 cpuset 0-1, quota -1
		{"none", 2},           // no cgroup: affinity 0,2
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			l, err := cgroupFixture(tt.fixture).Limits()
			if err != nil {
				t.Fatalf("Limits() error: %v", err)
			}
			if got := corescope.WorkersFor(l); got != tt.want {
				t.Errorf("WorkersFor(%v) = %d, want %d", l, got, tt.want)
			}
		})
	}
}

func TestUsableCPUs(t *testing.T) {
	// The live machine's limits are unknown here, so only the bounds hold:
	// at least one worker, and no more than the CPUs the process may run on.
	if got := corescope.UsableCPUs(); got < 1 || got > runtime.NumCPU() {
		t.Errorf("UsableCPUs() = %d, want within [1, %d]", got, runtime.NumCPU())
	}
}
