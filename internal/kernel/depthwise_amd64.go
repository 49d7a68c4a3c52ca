//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

// axpyFMA reports whether axpy32 may run its AVX2/FMA loop.
var axpyFMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// axpyAVX2 adds a·x to y, n elements, with fused multiply-adds.
//
//go:noescape
func axpyAVX2(a float32, x, y *float32, n int)

// axpy32 is axpy's float32 loop; it reports false when the CPU lacks it.
func axpy32(a float32, x, y []float32) bool {
	if !axpyFMA {
		return false
	}
	if len(y) > 0 {
		_ = x[len(y)-1]
		axpyAVX2(a, &x[0], &y[0], len(y))
	}
	return true
}
