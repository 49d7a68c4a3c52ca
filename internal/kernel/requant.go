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

// MacU8Rows adds w·(src[r·lds + i·stride] - zx) to each dst[r·ldd + i]
// for rows r < rows and columns i < n: one kernel tap of a quantized
// depthwise convolution over the output rows that read inside the input.
// AVX-512 does 16 columns at a time for strides 1 and 2.
func MacU8Rows(dst []int32, ldd int, src []uint8, lds, rows, n, stride int, w, zx int32) {
	if rows <= 0 || n <= 0 {
		return
	}
	last := (rows-1)*lds + (n-1)*stride // the last byte read
	_, _ = dst[(rows-1)*ldd+n-1], src[last]
	if requantAVX512 && (stride == 1 || stride == 2) {
		// Stride 2 loads byte pairs: the last pair's second byte must be
		// inside src too, else the last row runs below.
		vrows := rows
		if stride == 2 && last+1 >= len(src) {
			vrows--
		}
		if vrows > 0 {
			macU8RowsAVX512(&dst[0], ldd, &src[0], lds, vrows, n, stride, w, zx)
		}
		if vrows == rows {
			return
		}
		dst, src, rows = dst[vrows*ldd:], src[vrows*lds:], rows-vrows
	}
	for r := 0; r < rows; r++ {
		d, s := dst[r*ldd:r*ldd+n], src[r*lds:]
		for i := range d {
			d[i] += w * (int32(s[i*stride]) - zx)
		}
	}
}

// Quantize8 writes QuantizeLinear of x to dst: clamp(round_half_even(x /
// scale) + zp, lo, hi), NaN giving zp, lo and hi being the output type's
// range (int8 results are written as their bytes). AVX-512 does 16 at a
// time.
func Quantize8(x []float32, scale float32, zp, lo, hi int32, dst []uint8) {
	dst = dst[:len(x)]
	flo, fhi := float32(lo-zp), float32(hi-zp)
	i := 0
	if requantAVX512 && len(x) >= 16 {
		i = len(x) &^ 15
		quant8AVX512(&x[0], i, scale, zp, flo, fhi, &dst[0])
	}
	for ; i < len(x); i++ {
		v := x[i] / scale
		if v != v {
			dst[i] = uint8(zp)
			continue
		}
		v = min(max(v, flo), fhi)
		dst[i] = uint8(int32(math.RoundToEven(float64(v))) + zp)
	}
}
