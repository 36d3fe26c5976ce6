//go:build linux

package cpuwatch_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corescope/corescope/cpuwatch"
)

func TestRecordDescribesHost(t *testing.T) {
	proc := filepath.Join("testdata", "threads", "follow", "proc")
	tests := []struct {
		name      string
		sysRoot   string
		wantCores int // physical cores in Host.Topology; 0 = no topology
		wantNote  string
	}{
		{"smt-on", filepath.Join("testdata", "topology", "smt-on", "sys"), 2, ""},
		{"smt-off", filepath.Join("testdata", "topology", "smt-off", "sys"), 2, ""},
		{"no sysfs", filepath.Join("testdata", "no-such-sys"), 0, "topology unknown: cpuwatch: sys root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := cpuwatch.Watcher{Interval: 10 * time.Millisecond, ProcRoot: proc, SysRoot: tt.sysRoot,
				FollowSelf: true, Lead: -1, Trail: -1, MinSamples: 1}
			rec, err := w.Record(t.Context(), nil)
			if err != nil {
				t.Fatalf("Record: %v", err)
			}
			h := rec.Host
			switch {
			case tt.wantCores == 0 && h.Topology != nil:
				t.Errorf("Host.Topology = %v, want nil", h.Topology)
			case tt.wantCores > 0 && h.Topology == nil:
				t.Errorf("Host.Topology = nil, want %d cores (notes: %q)", tt.wantCores, h.Notes)
			case tt.wantCores > 0 && len(h.Topology.Cores()) != tt.wantCores:
				t.Errorf("Host.Topology has %d cores, want %d", len(h.Topology.Cores()), tt.wantCores)
			}
			noted := strings.Join(h.Notes, "\n")
			if tt.wantNote != "" && !strings.Contains(noted, tt.wantNote) {
				t.Errorf("Host.Notes = %q, want one containing %q", h.Notes, tt.wantNote)
			}
			if tt.wantNote == "" && len(h.Notes) > 0 {
				t.Errorf("Host.Notes = %q, want none", h.Notes)
			}
			// The fixture's own process has no cgroup or status file:
			// limits are read, and simply unknown.
			if h.Limits == nil || h.Limits.UsableCPUs != 0 {
				t.Errorf("Host.Limits = %v, want empty limits", h.Limits)
			}
			if rec.Len() == 0 || len(rec.Sample(0).Threads) != 2 {
				t.Fatalf("Samples = %+v, want at least one with the fixture's 2 threads", samplesOf(rec))
			}

			// Everything new round-trips through JSON.
			b, err := json.Marshal(rec)
			if err != nil {
				t.Fatal(err)
			}
			var back cpuwatch.Recording
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(rec.Host, back.Host); diff != "" {
				t.Errorf("Host after JSON round trip mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(rec.Sample(0).Threads, back.Sample(0).Threads); diff != "" {
				t.Errorf("Threads after JSON round trip mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
