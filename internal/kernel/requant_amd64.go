//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

var requantAVX512 = cpu.X86.HasAVX512F

// requant8AVX512 is Requantize8's loop over n sums, n a multiple of 16,
// with the bounds lo, hi already less zp (requant_amd64.s).
//
//go:noescape
func requant8AVX512(acc *int32, n int, mult float32, zp int32, lo, hi float32, dst *uint8)

// quant8AVX512 is Quantize8's loop over n values, n a multiple of 16,
// with the bounds lo, hi already less zp (requant_amd64.s).
//
//go:noescape
func quant8AVX512(x *float32, n int, scale float32, zp int32, lo, hi float32, dst *uint8)

// depthwiseU8AVX512 is DepthwiseU8 for strides 1 and 2 (requant_amd64.s).
//
//go:noescape
func depthwiseU8AVX512(a *dwArgs)

// qaddU8AVX512 is QAddU8's loop over n elements, n a multiple of 16
// (requant_amd64.s).
//
//go:noescape
func qaddU8AVX512(a, b *uint8, n int, ra, rb, fixed, lo, hi float32, dst *uint8)

// dequantU8AVX512 is DequantizeU8's loop over n values, n a multiple of
// 16 (requant_amd64.s).
//
//go:noescape
func dequantU8AVX512(x *uint8, n int, zp int32, scale float32, dst *float32)
