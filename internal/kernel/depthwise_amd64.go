//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

// dwFMA reports whether the float32 depthwise stencil and activations may
// run their AVX2/FMA loops.
var dwFMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// dwStencilAVX2 is the depthwise stencil over 8·n8 outputs rounded up to
// a multiple of 32 (see depthwise_amd64.s): dst[i] = (bias when first ≠ 0,
// else dst[i]) + Σ_{t<taps} w[t]·src[offs[t]+i].
//
//go:noescape
func dwStencilAVX2(dst, src *float32, offs *int, w *float32, taps, n8 int, bias float32, first int)

// dwStencil32 is dwStencil's float32 vector loop; it reports false when
// the CPU lacks it. It computes whole blocks of 32, up to dwSlack
// elements past len(dst), reading as far past the end of every tap.
func dwStencil32(dst, src []float32, offs []int, w []float32, bias float32, first bool) bool {
	if !dwFMA {
		return false
	}
	if len(dst) == 0 || len(offs) == 0 {
		if first {
			fill(dst, bias)
		}
		return true
	}
	n8 := (len(dst) + 7) / 8
	end := (len(dst) + 31) &^ 31
	_ = dst[:end]
	for _, off := range offs {
		_ = src[off : off+end]
	}
	_ = w[len(offs)-1]
	f := 0
	if first {
		f = 1
	}
	dwStencilAVX2(&dst[0], &src[0], &offs[0], &w[0], len(offs), n8, bias, f)
	return true
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
	if !dwFMA || n8 == 0 || (a.Kind != ActClip && a.Kind != ActHardSwish && a.Kind != ActHardSigmoid) {
		return 0
	}
	actAVX2(int(a.Kind), a.A, a.B, &x[0], n8)
	return 8 * n8
}

// dwCopyRowsAVX2 copies rows of n floats between strided rows, writing
// up to 7 zeros past the end of each row but the last exact ones (see
// depthwise_amd64.s).
//
//go:noescape
func dwCopyRowsAVX2(dst, src *float32, n, rows, dstStride, srcStride, exact int)

// dwCopyRows32 is dwCopyRows's vector loop; it reports false when the CPU
// lacks it. Past the end of a row it writes up to 7 zeros, which
// dwCopyRows's callers allow, as long as they stay inside dst.
func dwCopyRows32(dst, src []float32, n, rows, dstStride, srcStride int) bool {
	if !dwFMA {
		return false
	}
	if n <= 0 || rows <= 0 {
		return true
	}
	_, _ = dst[(rows-1)*dstStride+n-1], src[(rows-1)*srcStride+n-1]
	// Rows i with i·dstStride + n rounded up to 8 ≤ len(dst) may end in
	// a whole vector.
	whole := 0
	if end := (n + 7) &^ 7; len(dst) >= end {
		whole = (len(dst)-end)/max(dstStride, 1) + 1
	}
	dwCopyRowsAVX2(&dst[0], &src[0], n, rows, dstStride, srcStride, max(0, rows-whole))
	return true
}

// dwMaxStencilAVX2 is the max stencil over 8·n8 outputs rounded up to a
// multiple of 32 (see depthwise_amd64.s).
//
//go:noescape
func dwMaxStencilAVX2(dst, src *float32, offs *int, taps, n8 int)

// dwMaxStencil32 is dwMaxStencil's float32 vector loop; it reports false
// when the CPU lacks it. It computes whole blocks of 32, up to dwSlack
// elements past len(dst), reading as far past the end of every tap.
func dwMaxStencil32(dst, src []float32, offs []int) bool {
	if !dwFMA {
		return false
	}
	if len(dst) == 0 {
		return true
	}
	end := (len(dst) + 31) &^ 31
	_ = dst[:end]
	for _, off := range offs {
		_ = src[off : off+end]
	}
	dwMaxStencilAVX2(&dst[0], &src[0], &offs[0], len(offs), (len(dst)+7)/8)
	return true
}
