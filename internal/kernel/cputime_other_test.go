//go:build !linux

package kernel

import "testing"

// loopCPU runs f b.N times (the CPU time is only measured on Linux).
func loopCPU(b *testing.B, f func()) {
	for b.Loop() {
		f()
	}
}
