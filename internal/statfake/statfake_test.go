package statfake_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/corescope/corescope/internal/statfake"
)

func TestAdvance(t *testing.T) {
	src := t.TempDir()
	orig := "cpu  10 0 5 100\ncpu0 10 0 5 100 7\nintr 1 2\n"
	if err := os.WriteFile(filepath.Join(src, "stat"), []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	a := statfake.NewAdvancing(t, src)
	read := func() string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(a.Root, "stat"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got, want := read(), "cpu  11 0 5 109\ncpu0 11 0 5 109 7\nintr 1 2\n"; got != want {
		t.Errorf("after NewAdvancing: %q, want %q", got, want)
	}
	a.Steps = [10]uint64{4: 1000}
	a.Advance(t)
	if got, want := read(), "cpu  10 0 5 100\ncpu0 10 0 5 100 2007\nintr 1 2\n"; got != want {
		t.Errorf("after a second Advance with other steps: %q, want %q", got, want)
	}
	if n := testing.AllocsPerRun(10, func() { a.Advance(t) }); n != 0 {
		t.Errorf("Advance allocates %v times, want 0", n)
	}
}
