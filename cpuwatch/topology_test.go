package cpuwatch_test

import (
	"strings"
	"testing"

	"github.com/corescope/corescope/cpuwatch"
)

func TestTopologyValidate(t *testing.T) {
	cpu := func(id int, sib ...int) cpuwatch.LogicalCPU { return cpuwatch.LogicalCPU{ID: id, Siblings: sib} }
	tests := []struct {
		name string
		cpus []cpuwatch.LogicalCPU
		want string // "" for valid
	}{
		{"empty", nil, ""},
		{"smt", []cpuwatch.LogicalCPU{cpu(0, 0, 2), cpu(1, 1, 3), cpu(2, 0, 2), cpu(3, 1, 3)}, ""},
		{"no siblings recorded", []cpuwatch.LogicalCPU{cpu(0), cpu(5)}, ""},
		{"listed twice", []cpuwatch.LogicalCPU{cpu(0, 0), cpu(0, 0)}, "cpu0 listed twice"},
		{"descending", []cpuwatch.LogicalCPU{cpu(1, 1), cpu(0, 0)}, "not in ascending order"},
		{"negative id", []cpuwatch.LogicalCPU{cpu(-1)}, "out of"},
		{"huge id", []cpuwatch.LogicalCPU{cpu(1 << 30)}, "out of"},
		{"sibling twice", []cpuwatch.LogicalCPU{cpu(0, 0, 0)}, "not ascending and distinct"},
		{"lacks itself", []cpuwatch.LogicalCPU{cpu(0, 1)}, "lack the CPU itself"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := (&cpuwatch.Topology{CPUs: tc.cpus}).Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "cpuwatch: ")):
				t.Errorf("Validate() = %v, want a cpuwatch error with %q", err, tc.want)
			}
		})
	}
}
