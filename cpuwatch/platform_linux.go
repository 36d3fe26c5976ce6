package cpuwatch

import (
	"os"

	"golang.org/x/sys/unix"
)

func platformDefault() error { return nil }

// pread reads from offset 0 with exactly one system call. os.File.ReadAt
// would loop until the buffer is full, and every further pread of a proc
// file makes the kernel format the whole file again.
func pread(f *os.File, b []byte) (int, error) {
	for {
		n, err := unix.Pread(int(f.Fd()), b, 0)
		if err == unix.EINTR {
			continue
		}
		return n, err
	}
}

// openNonblock makes opening a named pipe return at once rather than wait
// for a writer (see openRegular).
const openNonblock = unix.O_NONBLOCK
