//go:build !amd64 || purego

package kernel

var requantAVX512 = false

func requant8AVX512(acc *int32, n int, mult float32, zp int32, lo, hi float32, dst *uint8) {
	panic("unreachable")
}

func macU8AVX512(dst *int32, src *uint8, blocks, stride int, w, zx int32) {
	panic("unreachable")
}
