package kernel

import "math"

// ParallelFor runs body over [0, n) in chunks on the helper goroutines,
// or on the calling goroutine alone when the loop touches fewer than
// 2^15 elements in all (work), where handing chunks over costs more than
// it saves.
func ParallelFor(n, work int, body func(lo, hi int)) {
	parallelRunFor(n, work, loopFunc(func(_, lo, hi int) { body(lo, hi) }))
}

// Requantize8 writes the 8-bit requantization of the int32 sums acc to
// dst: clamp(round_half_even(float32(acc[i])·mult) + zp, lo, hi), the
// product in float32 (as onnxruntime's MlasRequantizeOutput), lo and hi
// being the output type's range (0, 255 for uint8; -128, 127 for int8,
// whose bytes dst then holds). AVX-512 does 16 sums at a time.
func Requantize8(acc []int32, mult float32, zp, lo, hi int32, dst []uint8) {
	dst = dst[:len(acc)]
	// Clamping the product to [lo-zp, hi-zp] before rounding gives the
	// same result (the bounds are integers) and keeps it in int32 range.
	flo, fhi := float32(lo-zp), float32(hi-zp)
	i := 0
	if requantAVX512 && len(acc) >= 16 {
		i = len(acc) &^ 15
		requant8AVX512(&acc[0], i, mult, zp, flo, fhi, &dst[0])
	}
	for ; i < len(acc); i++ {
		f := min(max(float32(acc[i])*mult, flo), fhi)
		dst[i] = uint8(int32(math.RoundToEven(float64(f))) + zp)
	}
}

// MacU8 adds w·(src[i·stride] - zx) to each dst[i], the step of a
// quantized depthwise convolution for one kernel tap and output row.
// AVX-512 does 16 at a time for strides 1 and 2.
func MacU8(dst []int32, src []uint8, stride int, w, zx int32) {
	n := len(dst)
	if n == 0 {
		return
	}
	_ = src[(n-1)*stride]
	i := 0
	if requantAVX512 && (stride == 1 || stride == 2) {
		// Blocks of 16 whose loads (16 or 32 bytes) stay inside src.
		blocks := n / 16
		if stride == 2 && blocks > 0 && 32*blocks > len(src) {
			blocks = len(src) / 32
		}
		if blocks > 0 {
			macU8AVX512(&dst[0], &src[0], blocks, stride, w, zx)
			i = 16 * blocks
		}
	}
	for ; i < n; i++ {
		dst[i] += w * (int32(src[i*stride]) - zx)
	}
}
