//go:build !amd64 || purego

package kernel

var requantAVX512 = false

func requant8AVX512(acc *int32, n int, mult float32, zp int32, lo, hi float32, dst *uint8) {
	panic("unreachable")
}

func quant8AVX512(x *float32, n int, scale float32, zp int32, lo, hi float32, dst *uint8) {
	panic("unreachable")
}

func depthwiseU8AVX512(a *dwArgs) { panic("unreachable") }

func qaddU8AVX512(a, b *uint8, n int, ra, rb, fixed, lo, hi float32, dst *uint8) {
	panic("unreachable")
}

func dequantU8AVX512(x *uint8, n int, zp int32, scale float32, dst *float32) {
	panic("unreachable")
}
