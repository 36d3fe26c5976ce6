//go:build amd64 || arm64 || 386 || ppc64le || riscv64 || loong64 || wasm

package cpuwatch

import "unsafe"

// load64 loads 8 bytes from p, which need not be aligned: these
// architectures load unaligned words in one instruction, and the byte
// order only has to agree between the two sides of a comparison.
func load64(p unsafe.Pointer) uint64 { return *(*uint64)(p) }
