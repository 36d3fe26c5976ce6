package cpuwatch

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated fixtures under testdata/")

// syntheticSizes are the CPU counts of the generated fixtures
// testdata/cpuN/proc/stat: large machines that the tests and benchmarks
// need but that no one wants to type.
var syntheticSizes = []int{256, 1024}

// syntheticTicks returns the counters of cpu id in a generated fixture: a
// deterministic spread of magnitudes, so numbers of 1 to 9 digits occur as
// on a machine that has been up for weeks.
func syntheticTicks(id int) ticks {
	var t ticks
	x := uint64(id)*2654435761 + 12345
	for i := range t {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		t[i] = x % 1_000_000_000 >> (3 * (i % 4))
	}
	t[fGuest] = t[fUser] / 4 // guest is counted inside user
	t[fGuestNice] = t[fNice] / 4
	return t
}

// syntheticStat returns a /proc/stat for a machine with cpus CPUs, ids 0 to
// cpus-1, followed by the other lines a kernel writes.
func syntheticStat(cpus int) []byte {
	var b bytes.Buffer
	var total ticks
	for id := range cpus {
		for i, v := range syntheticTicks(id) {
			total[i] += v
		}
	}
	writeLine := func(name string, t ticks) {
		b.WriteString(name)
		for _, v := range t {
			fmt.Fprintf(&b, " %d", v)
		}
		b.WriteByte('\n')
	}
	writeLine("cpu ", total)
	for id := range cpus {
		writeLine(fmt.Sprintf("cpu%d", id), syntheticTicks(id))
	}
	b.WriteString("intr 1234567")
	for i := range 512 {
		fmt.Fprintf(&b, " %d", i%7*1000)
	}
	b.WriteString("\nctxt 98765432\nbtime 1795670880\nprocesses 51234\nprocs_running 3\nprocs_blocked 0\n")
	b.WriteString("softirq 212717 0 52303 3 4238 4188 0 1177 91412 0 59396\n")
	return b.Bytes()
}

func syntheticRoot(cpus int) string {
	return filepath.Join("testdata", fmt.Sprintf("cpu%d", cpus), "proc")
}

// TestSyntheticFixtures checks the committed generated fixtures against the
// generator; go test -run TestSyntheticFixtures -update rewrites them.
func TestSyntheticFixtures(t *testing.T) {
	for _, n := range syntheticSizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			path := filepath.Join(syntheticRoot(n), "stat")
			want := syntheticStat(n)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestSyntheticFixtures -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the generator; run go test -run TestSyntheticFixtures -update", path)
			}
		})
	}
}
