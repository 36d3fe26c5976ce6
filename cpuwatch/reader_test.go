package cpuwatch

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReaderMatchesParse(t *testing.T) {
	for _, dir := range []string{"normal", "gaps", "old-kernel", "hotplug/later", "cpu256", "cpu1024"} {
		for _, bufSize := range []int{16, 4096} {
			t.Run(fmt.Sprintf("%s/buffer %d", dir, bufSize), func(t *testing.T) {
				sr, err := openStat(filepath.Join("testdata", dir, "proc"))
				if err != nil {
					t.Fatal(err)
				}
				defer sr.Close()
				want := readFixture(t, dir)
				// The first read parses everything; the second takes every
				// counter from the first; the third reuses the first's
				// buffer and slices.
				var a, b reading
				a.buf = make([]byte, bufSize)
				for i, rs := range [][2]*reading{{&a, nil}, {&b, &a}, {&a, &b}} {
					if err := sr.read(rs[0], rs[1]); err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(want, *rs[0], cmpReading); diff != "" {
						t.Errorf("read %d mismatch (-want +got):\n%s", i+1, diff)
					}
				}
			})
		}
	}
}

// TestReaderSeesRewrites checks that the kept-open descriptor sees a file
// rewritten in place, as /proc/stat is on every read.
func TestReaderSeesRewrites(t *testing.T) {
	root := t.TempDir()
	path := filepath.Join(root, "stat")
	if err := os.WriteFile(path, []byte("cpu  1 2 3 4\ncpu0 1 2 3 4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sr, err := openStat(root)
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Close()
	var prev, r reading
	if err := sr.read(&prev, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("cpu  5 6 7 8\ncpu3 5 6 7 8\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := sr.read(&r, &prev); err != nil {
		t.Fatal(err)
	}
	want := reading{total: ticks{5, 6, 7, 8}, cores: []coreTicks{{3, ticks{5, 6, 7, 8}}}}
	if diff := cmp.Diff(want, r, cmpReading); diff != "" {
		t.Errorf("second read mismatch (-want +got):\n%s", diff)
	}
}

func TestReaderSteadyStateAllocs(t *testing.T) {
	sr, err := openStat("testdata/cpu1024/proc")
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Close()
	var prev, cur reading
	var cores []CoreUsage
	step := func() {
		if err := sr.read(&cur, &prev); err != nil {
			t.Fatal(err)
		}
		cores = diff(cores[:0], &prev, &cur)
		prev, cur = cur, prev
	}
	step()
	step()
	if n := testing.AllocsPerRun(20, step); n != 0 {
		t.Errorf("read+diff allocates %v times per sample in steady state, want 0", n)
	}
	if len(cores) != 1024 {
		t.Errorf("diff gave %d cores, want 1024", len(cores))
	}
}

func TestCPUBlockEnds(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"", false},
		{"cpu  1 2 3 4", false},
		{"cpu  1 2 3 4\n", false},
		{"cpu  1 2 3 4\ncp", false},
		{"cpu  1 2 3 4\ncpu0 1", false},
		{"cpu  1 2 3 4\nintr", true},
		{"cpu  1 2 3 4\n\n\n\n", true},
		{"intr 1\nctxt 2\ncpu  1 2", false},
		{"intr 1\ncpu  1 2 3 4\nctxt", true},
	}
	for _, tt := range tests {
		if got := cpuBlockEnds([]byte(tt.in)); got != tt.want {
			t.Errorf("cpuBlockEnds(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestReaderErrors(t *testing.T) {
	statIsDir := t.TempDir()
	if err := os.Mkdir(filepath.Join(statIsDir, "stat"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, root string
		wants      []string
	}{
		{"missing proc root", "testdata/does-not-exist/proc", []string{"cpuwatch: ", "proc root", "does-not-exist"}},
		{"proc root is a file", "testdata/normal/proc/stat", []string{"cpuwatch: ", "not a directory"}},
		{"no stat file", "testdata", []string{"cpuwatch: ", "testdata/stat", "no such file"}},
		{"stat is a directory", statIsDir, []string{"cpuwatch: ", "stat is a directory"}},
		{"empty", "testdata/empty/proc", []string{"cpuwatch: ", "empty/proc/stat", "no cpu lines"}},
		{"no cpu lines", "testdata/no-cpu-lines/proc", []string{"cpuwatch: ", "no cpu lines"}},
		{"malformed", "testdata/malformed/proc", []string{"cpuwatch: ", "malformed/proc/stat", `malformed counter in "cpu1 8015 0 27x3`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := func() error {
				sr, err := openStat(tt.root)
				if err != nil {
					return err
				}
				defer sr.Close()
				var r reading
				return sr.read(&r, nil)
			}()
			if err == nil {
				t.Fatal("got no error")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "cpuwatch: ") {
				t.Errorf("error %q does not start with %q", err, "cpuwatch: ")
			}
		})
	}
}
