package spread

import "testing"

func TestOf(t *testing.T) {
	id := func(v float64) float64 { return v }
	for _, tc := range []struct {
		v    []float64
		want string
	}{
		{nil, "—"},
		{[]float64{3}, "3.0 [3.0–3.0]"},
		{[]float64{5, 1, 3}, "3.0 [1.0–5.0]"},
		{[]float64{4, 1, 2, 10}, "3.0 [1.0–10.0]"},
	} {
		if got := Of(tc.v, id, "%.1f"); got != tc.want {
			t.Errorf("Of(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
