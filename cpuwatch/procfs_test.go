package cpuwatch

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/procfs"
)

// procfsUserHZ is the tick rate procfs divides every counter by.
const procfsUserHZ = 100

// asProcfs converts a reading to what procfs.FS.Stat reports for the same
// cpu lines: seconds, not ticks, in a map keyed by CPU id.
func asProcfs(r *reading) (procfs.CPUStat, map[int64]procfs.CPUStat) {
	conv := func(t *ticks) procfs.CPUStat {
		s := func(f int) float64 { return float64(t[f]) / procfsUserHZ }
		return procfs.CPUStat{
			User: s(fUser), Nice: s(fNice), System: s(fSystem), Idle: s(fIdle),
			Iowait: s(fIOWait), IRQ: s(fIRQ), SoftIRQ: s(fSoftIRQ), Steal: s(fSteal),
			Guest: s(fGuest), GuestNice: s(fGuestNice),
		}
	}
	cores := make(map[int64]procfs.CPUStat, len(r.cores))
	for i := range r.cores {
		cores[int64(r.cores[i].id)] = conv(&r.cores[i].t)
	}
	return conv(&r.total), cores
}

// procfsStat reads root/stat with procfs, the oracle.
func procfsStat(t *testing.T, root string) (procfs.Stat, error) {
	t.Helper()
	fs, err := procfs.NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	return fs.Stat()
}

// validFixtures are the proc roots under testdata that hold a well-formed
// /proc/stat.
var validFixtures = []string{
	"normal", "gaps", "hotplug/before", "hotplug/after", "hotplug/later",
	"iowait-backwards/before", "iowait-backwards/after", "guest/before",
	"guest/after", "old-kernel", "cpu256", "cpu1024",
}

// TestParseAgreesWithProcfs is the differential test: on every valid
// fixture our reading of the cpu lines equals procfs's.
func TestParseAgreesWithProcfs(t *testing.T) {
	for _, dir := range validFixtures {
		t.Run(dir, func(t *testing.T) {
			root := filepath.Join("testdata", dir, "proc")
			want, err := procfsStat(t, root)
			if err != nil {
				t.Fatalf("procfs: %v", err)
			}
			sr, err := openStat(root)
			if err != nil {
				t.Fatal(err)
			}
			defer sr.Close()
			var r reading
			if err := sr.read(&r, nil); err != nil {
				t.Fatal(err)
			}
			total, cores := asProcfs(&r)
			if diff := cmp.Diff(want.CPUTotal, total); diff != "" {
				t.Errorf("aggregate line mismatch (-procfs +ours):\n%s", diff)
			}
			if diff := cmp.Diff(want.CPU, cores); diff != "" {
				t.Errorf("per-cpu lines mismatch (-procfs +ours):\n%s", diff)
			}
		})
	}
}

// kernelShaped reports whether every line procfs would read as a cpu line
// sits in the leading block of lines that start with "cpu", and the
// reverse: the files on which procfs and reading.parse are meant to agree.
// reading.parse stops at the end of that block, as the kernel writes no
// cpu lines after it; procfs reads cpu lines anywhere.
func kernelShaped(b []byte) bool {
	block := 0 // 0 before the cpu block, 1 in it, 2 after it
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		procfsCPU := len(f) >= 2 && strings.HasPrefix(f[0], "cpu")
		oursCPU := strings.HasPrefix(line, "cpu")
		switch {
		case oursCPU && block < 2:
			block = 1
			if !procfsCPU {
				return false
			}
		case oursCPU || procfsCPU:
			return false
		case block == 1:
			block = 2
		}
	}
	return true
}

// FuzzParse mutates /proc/stat files. Any input must give a reading or an
// error, never a panic; a reading must be well formed; and where the file
// is shaped as a kernel writes it and procfs reads it too, both must agree
// on every cpu line.
func FuzzParse(f *testing.F) {
	seeds := []string{
		"normal", "gaps", "hotplug/after", "iowait-backwards/after", "guest/after",
		"old-kernel", "empty", "malformed", "no-cpu-lines",
	}
	for _, dir := range seeds {
		b, err := os.ReadFile(filepath.Join("testdata", dir, "proc", "stat"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// Edges the fixtures lack: unsorted ids, CRLF and tabs, the largest
	// counter, a newer kernel's extra field, no final newline.
	f.Add([]byte("cpu  1 1 1 1\ncpu5 5 0 0 0\ncpu0 0 0 0 7\nintr 0\n"))
	f.Add([]byte("cpu  1\t2 3 4\r\ncpu0 1 2 3 4\r\nctxt 1\r\n"))
	f.Add([]byte("cpu  18446744073709551615 0 0 0 0 0 0 0 0 0 7\ncpu0 1 2 3 4"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r reading
		err := r.parse(b)
		if err != nil {
			if errors.Is(err, errNoCPULines) && bytes.Contains(append([]byte("\n"), b...), []byte("\ncpu")) {
				t.Errorf("parse says %q of a file with a cpu line", err)
			}
			return
		}
		for i := range r.cores {
			if r.cores[i].id < 0 || i > 0 && r.cores[i].id <= r.cores[i-1].id {
				t.Fatalf("cpu ids not ascending and unique: %+v", r.cores)
			}
		}
		if !kernelShaped(b) {
			return
		}
		root := t.TempDir()
		if err := os.WriteFile(filepath.Join(root, "stat"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		want, err := procfsStat(t, root)
		if err != nil {
			// procfs also parses the lines after the cpu block, which we
			// skip; it must not fail on a cpu line we accepted.
			if strings.Contains(err.Error(), "(cpu") {
				t.Fatalf("we parsed the cpu lines, procfs failed on one: %v", err)
			}
			return
		}
		total, cores := asProcfs(&r)
		if diff := cmp.Diff(want.CPUTotal, total); diff != "" {
			t.Errorf("aggregate line mismatch (-procfs +ours):\n%s", diff)
		}
		if diff := cmp.Diff(want.CPU, cores); diff != "" {
			t.Errorf("per-cpu lines mismatch (-procfs +ours):\n%s", diff)
		}
	})
}
