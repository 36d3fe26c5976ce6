package cpuwatch_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corescope/corescope/cpuwatch"
)

func cgroupFixture(name string) cpuwatch.Watcher {
	dir := filepath.Join("testdata", "cgroups", name)
	return cpuwatch.Watcher{ProcRoot: filepath.Join(dir, "proc"), SysRoot: filepath.Join(dir, "sys")}
}

func TestLimitsFixtures(t *testing.T) {
	tests := []struct {
		name    string
		want    *cpuwatch.Limits
		wantStr string
	}{
		{
			name: "v2-set",
			want: &cpuwatch.Limits{Cgroup: "v2", CgroupPath: "/box", Quota: 1.5, QuotaPeriod: 100 * time.Millisecond,
				CPUSet: []int{1, 2}, Affinity: []int{0, 1, 2, 3}, UsableCPUs: 1.5},
			wantStr: "1.5 usable CPUs (affinity 0-3, cpuset 1-2, quota 1.5 CPUs per 100ms, cgroup v2)",
		},
		{
			// The parent's quota binds although the child has none.
			name: "v2-nested",
			want: &cpuwatch.Limits{Cgroup: "v2", CgroupPath: "/outer/inner", Quota: 1, QuotaPeriod: 100 * time.Millisecond,
				CPUSet: []int{0, 1, 2, 3}, Affinity: []int{0, 1, 2, 3}, UsableCPUs: 1},
		},
		{
			name:    "v2-unset",
			want:    &cpuwatch.Limits{Cgroup: "v2", CgroupPath: "/", CPUSet: []int{0, 1, 2, 3}, Affinity: []int{0, 1, 2, 3}, UsableCPUs: 4},
			wantStr: "4 usable CPUs (affinity 0-3, cpuset 0-3, no quota, cgroup v2)",
		},
		{
			// Affinity read before the cpuset narrowed: the cpuset binds.
			name: "v2-cpuset-only",
			want: &cpuwatch.Limits{Cgroup: "v2", CgroupPath: "/pinned", CPUSet: []int{3}, Affinity: []int{0, 1, 2, 3}, UsableCPUs: 1},
		},
		{
			name: "v1-set",
			want: &cpuwatch.Limits{Cgroup: "v1", CgroupPath: "/docker/abc", Quota: 0.5, QuotaPeriod: 100 * time.Millisecond,
				CPUSet: []int{0, 1}, Affinity: []int{0, 1}, UsableCPUs: 0.5},
		},
		{
			// A cgroup namespace: the controller's mount root is the
			// container's own cgroup, so /docker/abc is not below it.
			name: "v1-unset",
			want: &cpuwatch.Limits{Cgroup: "v1", CgroupPath: "/docker/abc", CPUSet: []int{0, 1}, Affinity: []int{0, 1}, UsableCPUs: 2},
		},
		{
			name:    "none",
			want:    &cpuwatch.Limits{Affinity: []int{0, 2}, UsableCPUs: 2},
			wantStr: "2 usable CPUs (affinity 0,2, no quota)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := cgroupFixture(tt.name)
			got, err := w.Limits()
			if err != nil {
				t.Fatalf("Limits() error: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Limits() mismatch (-want +got):\n%s", diff)
			}
			if tt.wantStr != "" && got.String() != tt.wantStr {
				t.Errorf("String() = %q, want %q", got.String(), tt.wantStr)
			}
		})
	}
}

func TestLimitsInvalid(t *testing.T) {
	tests := []struct {
		name     string
		wantFile string
	}{
		{"v2-invalid", "cpu.max"},
		{"v2-invalid-cpuset", "cpuset.cpus.effective"},
		{"v1-invalid", "cpu.cfs_period_us"},
		{"affinity-invalid", "status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := cgroupFixture(tt.name)
			got, err := w.Limits()
			if err == nil {
				t.Fatalf("Limits() = %v, want an error naming %s", got, tt.wantFile)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "cpuwatch: ") || !strings.Contains(msg, tt.wantFile) {
				t.Errorf("Limits() error = %q, want \"cpuwatch: …%s…\"", msg, tt.wantFile)
			}
		})
	}
}
