package schedtrace

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCPUList(t *testing.T) {
	tests := []struct {
		in      string
		want    []int
		wantErr string
	}{
		{in: "0", want: []int{0}},
		{in: "0-3", want: []int{0, 1, 2, 3}},
		{in: "0,2-3,7", want: []int{0, 2, 3, 7}},
		{in: "", wantErr: "empty"},
		{in: "0-", wantErr: "bad range"},
		{in: "3-1", wantErr: "bad range"},
		{in: "2,1", wantErr: "out of order"},
		{in: "x", wantErr: "bad CPU"},
		{in: "0-99999999", wantErr: "absurd"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseCPUList(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseCPUList(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseCPUList(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestDefaultBufferPages(t *testing.T) {
	for ncpu, want := range map[int]int{1: 1024, 2: 1024, 16: 1024, 64: 256, 256: 64, 4096: 64} {
		if got := defaultBufferPages(ncpu); got != want {
			t.Errorf("defaultBufferPages(%d) = %d, want %d", ncpu, got, want)
		}
	}
}
