package workload

import "bytes"

// maxStderr bounds how much of a failing child's stderr, and of its
// stdout, an error carries.
const maxStderr = 4 << 10

// clip keeps the last maxStderr bytes, where the cause usually is.
func clip(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > maxStderr {
		return "…" + string(b[len(b)-maxStderr:])
	}
	return string(b)
}
