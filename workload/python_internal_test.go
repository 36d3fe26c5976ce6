package workload

import (
	"strings"
	"testing"
)

func TestParseWorkers(t *testing.T) {
	w := Work{N: 1 << 10, Units: 2}
	good := "worker 0 523776 2 0.5\nnoise\nworker 1 523776 2 0.25\n"
	ws, err := parseWorkers([]byte(good), w)
	if err != nil || len(ws) != 2 || ws[1].Iterations != 2<<10 || ws[1].Wall.Seconds() != 0.25 {
		t.Fatalf("parseWorkers(good) = %+v, %v", ws, err)
	}
	for _, tc := range []struct{ name, out, want string }{
		{"wrong result", "worker 0 523777 2 0.5\n", "= 523777, want 523776"},
		{"wrong units", "worker 0 523776 1 0.5\n", "did 1 units, want 2"},
		{"out of order", "worker 1 523776 2 0.5\n", "want worker 0"},
		{"bad number", "worker 0 x 2 0.5\n", "bad worker line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := parseWorkers([]byte(tc.out), w); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("parseWorkers(%q) error = %v, want %q", tc.out, err, tc.want)
			}
		})
	}
}
