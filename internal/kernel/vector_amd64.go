//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

// The AVX2 loops of the ReLU and 2×2 max-pool kernels (vector_amd64.s).
// Each Go wrapper returns how many elements its loop did, 0 when the CPU
// lacks AVX2; the caller finishes the rest in Go.

// vectorAVX2 reports whether the loops may run.
var vectorAVX2 = cpu.X86.HasAVX2

// reluAVX2 is relu32 on the first n - n mod 8 elements.
//
//go:noescape
func reluAVX2(x, y *float32, n int)

// reluGradAVX2 is reluGrad32 on the first n - n mod 8 elements.
//
//go:noescape
func reluGradAVX2(y, dy, dx *float32, n int)

// maxPool2x2RowAVX2 is maxPool2x2Row32 on 8·n8 outputs.
//
//go:noescape
func maxPool2x2RowAVX2(r0, r1, out *float32, n8 int)

// maxPool2x2Row32 computes the first outputs of a 2×2 stride-2 max-pool
// row, 8 at a time, and returns how many it did (0 without AVX2). Unlike
// the scalar loop it takes NaN from whichever tap VMAXPS meets it in.
func maxPool2x2Row32(r0, r1, out []float32) int {
	n8 := len(out) / 8
	if !vectorAVX2 || n8 == 0 {
		return 0
	}
	_, _ = r0[16*n8-1], r1[16*n8-1]
	maxPool2x2RowAVX2(&r0[0], &r1[0], &out[0], n8)
	return 8 * n8
}

// maxPool2x2ArgRowAVX2 is maxPool2x2ArgRow32 on 8·n8 outputs.
//
//go:noescape
func maxPool2x2ArgRowAVX2(r0, r1, out *float32, tap *int32, n8 int)

// maxPool2x2ArgRow32 is maxPool2x2Row32 recording in tap which of the
// four taps (0 r0[2i], 1 r0[2i+1], 2 r1[2i], 3 r1[2i+1]) each output took,
// with the scalar loop's choice, NaNs included.
func maxPool2x2ArgRow32(r0, r1, out []float32, tap []int32) int {
	n8 := min(len(out), len(tap)) / 8
	if !vectorAVX2 || n8 == 0 {
		return 0
	}
	_, _ = r0[16*n8-1], r1[16*n8-1]
	maxPool2x2ArgRowAVX2(&r0[0], &r1[0], &out[0], &tap[0], n8)
	return 8 * n8
}

// relu32 runs the AVX2 loop on x's full 8-float vectors and returns how
// many elements it did (0 when the CPU lacks AVX2).
func relu32(x, y []float32) int {
	n := len(x) &^ 7
	if !vectorAVX2 || n == 0 {
		return 0
	}
	_ = y[n-1]
	reluAVX2(&x[0], &y[0], n)
	return n
}

// reluGrad32 is relu32 for the gradient.
func reluGrad32(y, dy, dx []float32) int {
	n := len(y) &^ 7
	if !vectorAVX2 || n == 0 {
		return 0
	}
	_, _ = dy[n-1], dx[n-1]
	reluGradAVX2(&y[0], &dy[0], &dx[0], n)
	return n
}

// addBiasAVX2 is addBias32 on the first 8·n8 elements (n8 ≥ 1).
//
//go:noescape
func addBiasAVX2(x *float32, n8 int, b float32, relu bool)

// addBias32 adds b to x's first elements, 8 at a time, then with relu
// clamps them at 0 (as relu), and returns how many it did (0 without
// AVX2).
func addBias32(x []float32, b float32, relu bool) int {
	n8 := len(x) / 8
	if !vectorAVX2 || n8 == 0 {
		return 0
	}
	addBiasAVX2(&x[0], n8, b, relu)
	return 8 * n8
}

// vectorFMA reports whether scaleShiftRowsAVX2 may run.
var vectorFMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// divAVX2 is div32's loop (n8 ≥ 1).
//
//go:noescape
func divAVX2(dst, x, d *float32, n8 int)

// div32 sets dst[i] = x[i] / d[i] for the whole vectors of dst (x and d
// at least as long) and returns how many it did (0 without AVX2).
func div32(dst, x, d []float32) int {
	n8 := len(dst) / 8
	if !vectorFMA || n8 == 0 {
		return 0
	}
	_, _ = x[8*n8-1], d[8*n8-1]
	divAVX2(&dst[0], &x[0], &d[0], n8)
	return 8 * n8
}
