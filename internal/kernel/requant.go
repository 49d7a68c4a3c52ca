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

// DepthwiseU8 computes one channel of a 2-D depthwise convolution of
// 8-bit data: dst[oy·ow+ox] = off + Σ w[ky·kw+kx]·src[(oy·sh+ky·dh)·pw +
// ox·sw+kx·dw] over the kh×kw taps, for an oh×ow output. src is the
// input plane already padded (pw bytes a row); off is the bias less the
// zero point times Σw. AVX-512 keeps 16 outputs of a row in a register
// across all taps (strides 1 and 2); it may read up to 32 bytes past the
// last byte used, which src must hold.
func DepthwiseU8(dst []int32, oh, ow int, src []uint8, pw int, w []int32, kh, kw, dh, dw, sh, sw int, off int32) {
	if oh <= 0 || ow <= 0 {
		return
	}
	if kh <= 0 || kw <= 0 {
		for i := range dst[:oh*ow] {
			dst[i] = off
		}
		return
	}
	last := ((oh-1)*sh+(kh-1)*dh)*pw + (ow-1)*sw + (kw-1)*dw
	_, _, _ = dst[oh*ow-1], w[kh*kw-1], src[last]
	if requantAVX512 && (sw == 1 || sw == 2) && last+32 < len(src) {
		a := dwArgs{&src[0], pw, &w[0], kh, kw, dh, dw, sh, sw, &dst[0], oh, ow, int64(off)}
		depthwiseU8AVX512(&a)
		return
	}
	for oy := 0; oy < oh; oy++ {
		d := dst[oy*ow : (oy+1)*ow]
		for i := range d {
			d[i] = off
		}
		for ky := 0; ky < kh; ky++ {
			row := src[(oy*sh+ky*dh)*pw:]
			for kx := 0; kx < kw; kx++ {
				wv, s := w[ky*kw+kx], row[kx*dw:]
				for ox := range d {
					d[ox] += wv * int32(s[ox*sw])
				}
			}
		}
	}
}

// dwArgs are DepthwiseU8's arguments for depthwiseU8AVX512, 8 bytes each.
type dwArgs struct {
	src                    *uint8
	pw                     int
	w                      *int32
	kh, kw, dh, dw, sh, sw int
	dst                    *int32
	oh, ow                 int
	off                    int64
}

// QAddU8 writes QLinearAdd of equal-length uint8 operands to dst:
// clamp(round_half_even(fma(b[i], rb, fma(a[i], ra, fixed))), lo, hi),
// fixed holding the zero points (c_zp - ra·a_zp - rb·b_zp), with
// fused multiply-adds as onnxruntime's kernel. AVX-512 does 16 at a time;
// the Go loop's float64 arithmetic gives the same float32 results (the
// products are exact in float64).
func QAddU8(a, b []uint8, ra, rb, fixed float32, lo, hi int32, dst []uint8) {
	n := len(dst)
	a, b = a[:n], b[:n]
	i := 0
	if requantAVX512 && n >= 16 {
		i = n &^ 15
		qaddU8AVX512(&a[0], &b[0], i, ra, rb, fixed, float32(lo), float32(hi), &dst[0])
	}
	for ; i < n; i++ {
		v := float32(float64(a[i])*float64(ra) + float64(fixed))
		v = float32(float64(b[i])*float64(rb) + float64(v))
		v = min(max(v, float32(lo)), float32(hi))
		dst[i] = uint8(int32(math.RoundToEven(float64(v))))
	}
}

// DequantizeU8 writes DequantizeLinear of uint8 x to dst: float32(x[i] -
// zp)·scale, the product in float32. AVX-512 does 16 at a time.
func DequantizeU8(x []uint8, zp int32, scale float32, dst []float32) {
	dst = dst[:len(x)]
	i := 0
	if requantAVX512 && len(x) >= 16 {
		i = len(x) &^ 15
		dequantU8AVX512(&x[0], i, zp, scale, &dst[0])
	}
	for ; i < len(x); i++ {
		dst[i] = float32(int32(x[i])-zp) * scale
	}
}
