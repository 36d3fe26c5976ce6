// Package atomicfile writes a file all or nothing, so that a picture,
// report or trace is never left half-written and a recording is never
// made only to be lost to a failed write.
package atomicfile

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
)

// Write writes name through write: into a temporary file in the same
// folder, buffered, renamed over name only once write, the flush and the
// close have succeeded. A failure leaves no temporary file behind and any
// file already at name as it was. The file gets mode 0644, as os.Create
// makes it under the usual umask. Errors are returned as they come, for
// the caller to prefix with its package's name.
func Write(name string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	bw := bufio.NewWriter(f)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		return errors.Join(err, ignoreMissing(os.Remove(tmp)))
	}
	return nil
}

// ignoreMissing drops the error of removing a file that is already gone.
func ignoreMissing(err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
