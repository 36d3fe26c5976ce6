package heatmap

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTraceDataJSON checks that the page's data, written a lane at a
// time, is byte for byte json.Marshal's.
func TestTraceDataJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    traceData
	}{
		{"empty", traceData{}},
		{"empty lists", traceData{CPUs: []string{}, Slices: []packed{}, Lanes: []laneData{}}},
		{"full", traceData{Duration: 5e9, Win: [2]int64{1, 2}, Def: [2]int64{3, 4},
			CPUs: []string{"cpu0", "cpu1"}, CPUHue: []string{"#E69F00", ""},
			ThreadHue: []string{"#332288"}, ThreadName: []string{"gil-py2/0 <b>&\u2028"},
			Slices: []packed{pack(1, -2, 3), ""},
			Lanes: []laneData{{Label: "a</script>", States: pack(7, 8, 9), Lock: pack(1)},
				{Label: "b", States: pack(4), FailedWakes: pack(2), DropRequests: pack(3), ForcedSwitches: pack(5)}},
			GIL: true, Height: 200, Width: 760}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.Marshal(tc.d)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := tc.d.writeJSON(&got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), got.String()); diff != "" {
				t.Errorf("writeJSON mismatch (-json.Marshal +got):\n%s", diff)
			}
		})
	}
}

// pack packs integers as the page does.
func pack(v ...int64) packed {
	var buf []byte
	for _, x := range v {
		buf = binary.AppendVarint(buf, x)
	}
	return packBytes(buf)
}
