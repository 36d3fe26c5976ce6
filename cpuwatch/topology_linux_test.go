//go:build linux

package cpuwatch_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corescope/corescope/cpuwatch"
)

func TestTopologyFixtures(t *testing.T) {
	tests := []struct {
		name      string
		want      *cpuwatch.Topology
		wantCores [][]int
		wantSMT   bool
		wantStr   string
	}{
		{
			name: "smt-on",
			want: &cpuwatch.Topology{CPUs: []cpuwatch.LogicalCPU{
				{ID: 0, Package: 0, Core: 0, Siblings: []int{0, 2}},
				{ID: 1, Package: 0, Core: 1, Siblings: []int{1, 3}},
				{ID: 2, Package: 0, Core: 0, Siblings: []int{0, 2}},
				{ID: 3, Package: 0, Core: 1, Siblings: []int{1, 3}},
			}},
			wantCores: [][]int{{0, 2}, {1, 3}},
			wantSMT:   true,
			wantStr:   "4 logical CPUs on 2 physical cores in 1 package (SMT on)",
		},
		{
			name: "smt-off",
			want: &cpuwatch.Topology{CPUs: []cpuwatch.LogicalCPU{
				{ID: 0, Package: 0, Core: 0, Siblings: []int{0}},
				{ID: 1, Package: 0, Core: 1, Siblings: []int{1}},
			}},
			wantCores: [][]int{{0}, {1}},
			wantStr:   "2 logical CPUs on 2 physical cores in 1 package (SMT off)",
		},
		{
			// cpu3 is offline: it drops out, and out of cpu2's siblings.
			name: "two-packages",
			want: &cpuwatch.Topology{CPUs: []cpuwatch.LogicalCPU{
				{ID: 0, Package: 0, Core: 0, Siblings: []int{0, 1}},
				{ID: 1, Package: 0, Core: 0, Siblings: []int{0, 1}},
				{ID: 2, Package: 1, Core: 0, Siblings: []int{2}},
				{ID: 4, Package: 1, Core: 4, Siblings: []int{4, 5}},
				{ID: 5, Package: 1, Core: 4, Siblings: []int{4, 5}},
			}},
			wantCores: [][]int{{0, 1}, {2}, {4, 5}},
			wantSMT:   true,
			wantStr:   "5 logical CPUs on 3 physical cores in 2 packages (SMT on)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := cpuwatch.Watcher{SysRoot: filepath.Join("testdata", "topology", tt.name, "sys")}
			got, err := w.Topology()
			if err != nil {
				t.Fatalf("Topology() error: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Topology() mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCores, got.Cores()); diff != "" {
				t.Errorf("Cores() mismatch (-want +got):\n%s", diff)
			}
			if got.SMT() != tt.wantSMT {
				t.Errorf("SMT() = %v, want %v", got.SMT(), tt.wantSMT)
			}
			if s := got.String(); s != tt.wantStr {
				t.Errorf("String() = %q, want %q", s, tt.wantStr)
			}
			if _, ok := got.CPU(3); ok != (tt.name == "smt-on") {
				t.Errorf("CPU(3) ok = %v, want %v", ok, tt.name == "smt-on")
			}
		})
	}
}

func TestTopologyErrors(t *testing.T) {
	tests := []struct {
		name    string
		root    string
		wantErr string
	}{
		{"invalid core id", filepath.Join("testdata", "topology", "invalid", "sys"), "core_id"},
		{"missing root", filepath.Join("testdata", "no-such-dir"), "sys root"},
		{"no cpus", filepath.Join("testdata", "cgroups", "none", "sys"), "no online CPU"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := cpuwatch.Watcher{SysRoot: tt.root}
			top, err := w.Topology()
			if err == nil {
				t.Fatalf("Topology() = %v, want an error naming %q", top, tt.wantErr)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "cpuwatch: ") || !strings.Contains(msg, tt.wantErr) {
				t.Errorf("Topology() error = %q, want \"cpuwatch: …%s…\"", msg, tt.wantErr)
			}
		})
	}
}

func TestTopologyLive(t *testing.T) {
	top, err := (&cpuwatch.Watcher{}).Topology()
	if err != nil {
		t.Skipf("no sysfs topology here: %v", err)
	}
	for _, c := range top.CPUs {
		found := false
		for _, s := range c.Siblings {
			found = found || s == c.ID
		}
		if !found {
			t.Errorf("cpu%d: Siblings = %v, want to include itself", c.ID, c.Siblings)
		}
	}
	t.Log(top)
}
