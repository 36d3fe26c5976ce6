package cpuwatch

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// A Watcher reads files under roots its caller chooses (ProcRoot, SysRoot),
// and opening a named pipe for reading blocks until a writer comes, past
// any context: a tree with a FIFO for stat would hang Watch forever. Real
// proc, sys and cgroup trees hold only directories, regular files and
// symbolic links, so every file the package opens goes through
// openRegular, which opens without blocking and refuses anything else, and
// every path a library (procfs) opens for it is checked with
// refuseSpecial first.

// errNotRegular is wrapped by the error for a path that is a named pipe,
// socket or device where a proc or sys tree has a regular file.
var errNotRegular = errors.New("not a regular file (a proc or sys tree holds only regular files and directories)")

// openRegular opens path for reading. It never blocks in the open (on
// Linux, O_NONBLOCK; elsewhere, after refuseSpecial's check) and returns
// an error wrapping errNotRegular, naming path and its type, unless path
// is a regular file. Errors of the open itself are os's, so
// errors.Is(err, fs.ErrNotExist) still tells a missing file.
func openRegular(path string) (*os.File, error) {
	if err := refuseSpecial(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = notRegular(path, fi.Mode())
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// readRegular reads the whole of the regular file path, as os.ReadFile
// does, through openRegular.
func readRegular(path string) ([]byte, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// refuseSpecial returns an error wrapping errNotRegular if path exists and
// is neither a regular file nor a directory (following symbolic links,
// as /proc/self is one). A path that cannot be stat'ed passes: the open
// that follows reports why. It guards the opens procfs makes for us, which
// cannot be made non-blocking; the tree would have to change between the
// check and the open to get past it.
func refuseSpecial(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return nil
	}
	if m := fi.Mode(); !m.IsRegular() && !m.IsDir() {
		return notRegular(path, m)
	}
	return nil
}

func notRegular(path string, m fs.FileMode) error {
	kind := "special file"
	switch {
	case m&fs.ModeNamedPipe != 0:
		kind = "named pipe"
	case m&fs.ModeSocket != 0:
		kind = "socket"
	case m&fs.ModeCharDevice != 0:
		kind = "character device"
	case m&fs.ModeDevice != 0:
		kind = "device"
	case m.IsDir():
		kind = "directory"
	}
	return fmt.Errorf("%s is a %s: %w", path, kind, errNotRegular)
}
