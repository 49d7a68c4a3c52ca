//go:build !amd64 || purego

package kernel

// poolAVX512 is false: no vector loop.
const poolAVX512 = false

// maxPool2x2Rows32 has no vector loop here: the caller pools in Go.
func maxPool2x2Rows32(in, out []float32, w, ow, rows int) bool { return false }

// convPackAVX512 is false: convolutions run im2col.
const convPackAVX512 = false

// packConvPanelAVX512 is never called without AVX-512 (convPackAVX512).
func packConvPanelAVX512(dst, src *float32, off int, offs *int32, masks *uint16, taps, tap, kc int) {
	panic("kernel: packConvPanelAVX512 without AVX-512")
}

// maxPool2x2RowsStrided32 has no vector loop here either.
func maxPool2x2RowsStrided32(in, out []float32, w, ow, rows, ldi, ldo int) bool { return false }

// maxPool3x3s2Rows32 has no vector loop here either.
func maxPool3x3s2Rows32(in, out []float32, w, ow, rows, ldi, ldo int) bool { return false }

// tileEpilogues is false: convolutions add their bias after the product.
const tileEpilogues = false

// biasTile32 has no vector loop here: the caller adds the bias in Go.
func biasTile32(c []float32, ldc, rows, cols int, bias, res []float32, ldr int, relu bool) bool {
	return false
}

// dwCLAVX512 is false: depthwise convolutions run the stencil.
const dwCLAVX512 = false

func transpose16x16AVX512(dst *float32, ldd int, src *float32, lds int) {
	panic("kernel: transpose16x16AVX512 without AVX-512")
}

func dwChannelsLastAVX512(x *float32, ldx int, w *float32, ldw int, bias, y *float32, ldy int, rows, cols *int32, oh, ow, width, kw, dh, dw, blocks int, relu, max bool) {
	panic("kernel: dwChannelsLastAVX512 without AVX-512")
}
