package cpuwatch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/prometheus/procfs"
)

// statReader reads the cpu lines of one stat file through a descriptor that
// stays open for the whole watch, with one pread per reading so that all the
// lines come from the same instant.
type statReader struct {
	f    *os.File
	path string
}

// openStat opens procRoot/stat. procfs locates and checks the proc tree, so a
// root that is not there fails here, before any sampling starts.
func openStat(procRoot string) (*statReader, error) {
	if procRoot == "" {
		if err := platformDefault(); err != nil {
			return nil, err
		}
		procRoot = procfs.DefaultMountPoint
	}
	// procfs checks the tree; the hot path then reads stat itself.
	if _, err := procfs.NewFS(procRoot); err != nil {
		return nil, fmt.Errorf("cpuwatch: proc root %q: %w", procRoot, err)
	}
	path := filepath.Join(procRoot, "stat")
	f, err := openRegular(path)
	if err != nil {
		return nil, fmt.Errorf("cpuwatch: %w", err)
	}
	return &statReader{f: f, path: path}, nil
}

// read fills r with a fresh reading, into r's own buffer. prev, if not
// nil, is the previous reading, whose counters that have not changed are
// taken rather than parsed again (see reading.parseAfter). The buffer only
// needs to hold the cpu lines; it doubles until one read ends past them
// (or reaches the end of the file), so steady-state readings never
// allocate.
func (s *statReader) read(r, prev *reading) error {
	if len(r.buf) == 0 {
		r.buf = make([]byte, 4096)
	}
	for {
		n, err := pread(s.f, r.buf)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("cpuwatch: read %s: %w", s.path, err)
		}
		if n == len(r.buf) && !cpuBlockEnds(r.buf[:n]) {
			if len(r.buf) >= maxStatBuf {
				return fmt.Errorf("cpuwatch: %s: cpu lines exceed %d bytes", s.path, maxStatBuf)
			}
			r.buf = make([]byte, 2*len(r.buf))
			continue
		}
		if err := r.parseAfter(r.buf[:n], prev); err != nil {
			return fmt.Errorf("cpuwatch: %s: %w", s.path, err)
		}
		return nil
	}
}

// maxStatBuf bounds the buffer: 64 MiB holds the cpu lines of far more
// CPUs than Linux supports, and stops a runaway file from eating memory.
const maxStatBuf = 64 << 20

// cpuBlockEnds reports whether b holds the start of a line that does not
// begin with "cpu" after at least one complete line that does: the cpu
// block, as reading.parse sees it, is complete. Like parse, it skips any
// lines before the first cpu line.
func cpuBlockEnds(b []byte) bool {
	sawCPU := false
	for {
		if len(b) < len("cpu") {
			return false
		}
		cpu := hasCPUPrefix(b)
		if sawCPU && !cpu {
			return true
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return false
		}
		sawCPU = sawCPU || cpu
		b = b[i+1:]
	}
}

func hasCPUPrefix(b []byte) bool {
	return len(b) >= 3 && b[0] == 'c' && b[1] == 'p' && b[2] == 'u'
}

func (s *statReader) Close() error { return s.f.Close() }
