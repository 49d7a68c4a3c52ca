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

// dwRowAVX2 adds one kernel row of taps to 8·n8 outputs (see
// depthwise_amd64.s).
//
//go:noescape
func dwRowAVX2(dst, src, w *float32, taps, n8 int)

// dwRow32 is dwRow's float32 loop over the whole vectors of dst; it
// returns how many outputs it did (0 without AVX2/FMA).
func dwRow32(dst, src, w []float32) int {
	n8 := len(dst) / 8
	if !axpyFMA || n8 == 0 {
		return 0
	}
	_ = src[8*n8+len(w)-2]
	dwRowAVX2(&dst[0], &src[0], &w[0], len(w), n8)
	return 8 * n8
}

// actAVX2 is ApplyActivation's loop over 8·n8 floats (see
// depthwise_amd64.s).
//
//go:noescape
func actAVX2(kind int, a, b float32, x *float32, n8 int)

// act32 runs ApplyActivation's vector loop on the whole vectors of x and
// returns how many elements it did (0 without AVX2/FMA).
func act32(a Activation, x []float32) int {
	n8 := len(x) / 8
	if !axpyFMA || n8 == 0 || (a.Kind != ActClip && a.Kind != ActHardSwish) {
		return 0
	}
	actAVX2(int(a.Kind), a.A, a.B, &x[0], n8)
	return 8 * n8
}
