//go:build !(amd64 || arm64 || 386 || ppc64le || riscv64 || loong64 || wasm)

package cpuwatch

import (
	"encoding/binary"
	"unsafe"
)

// load64 loads 8 bytes from p a byte at a time, for architectures that
// fault on, or trap and emulate, unaligned word loads.
func load64(p unsafe.Pointer) uint64 {
	return binary.LittleEndian.Uint64((*[8]byte)(p)[:])
}
