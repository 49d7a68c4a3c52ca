//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

// The AVX-512 loops (avx512_amd64.s): the 2×2 max pool over whole planes
// and the convolution panel packer, both built on masked loads.

// poolAVX512 reports whether maxPool2x2RowsAVX512 may run.
var poolAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasBMI2

// maxPool2x2RowsAVX512 is maxPool2x2Rows32's loop.
//
//go:noescape
func maxPool2x2RowsAVX512(in, out *float32, w, ow, rows, ldi, ldo int)

// maxPool2x2Rows32 computes a 2×2, stride-2 max pool (no argmax) over rows
// consecutive row pairs of width w into rows of ow outputs (2·ow ≤ w), and
// reports whether it could (false without AVX-512). Like
// maxPool2x2Row32, it takes NaN from whichever tap VMAXPS meets it in.
func maxPool2x2Rows32(in, out []float32, w, ow, rows int) bool {
	if !poolAVX512 || rows <= 0 || ow <= 0 {
		return false
	}
	_, _ = in[(2*rows-1)*w+2*ow-1], out[rows*ow-1]
	maxPool2x2RowsAVX512(&in[0], &out[0], w, ow, rows, 2*w, ow)
	return true
}

// maxPool2x2RowsStrided32 is maxPool2x2Rows32 over row pairs ldi floats
// apart (ldi ≥ 2·w) into output rows ldo floats apart (ldo ≥ ow).
func maxPool2x2RowsStrided32(in, out []float32, w, ow, rows, ldi, ldo int) bool {
	if !poolAVX512 || rows <= 0 || ow <= 0 {
		return false
	}
	_, _ = in[(rows-1)*ldi+w+2*ow-1], out[(rows-1)*ldo+ow-1]
	maxPool2x2RowsAVX512(&in[0], &out[0], w, ow, rows, ldi, ldo)
	return true
}

// packConvPanelAVX512 is convB's loop.
//
//go:noescape
func packConvPanelAVX512(dst, src *float32, off int, offs *int32, masks *uint16, taps, tap, kc int)

// convPackAVX512 reports whether convB may pack from images.
var convPackAVX512 = cpu.X86.HasAVX512F

// maxPool3x3s2RowsAVX512 is maxPool3x3s2Rows32's loop.
//
//go:noescape
func maxPool3x3s2RowsAVX512(in, out *float32, w, ow, rows, ldi, ldo int)

// maxPool3x3s2Rows32 computes a 3×3, stride-2 max pool of windows inside
// the image: out[r·ldo+j] = the maximum of in[r·ldi + a·w + 2j + b] over
// a, b < 3 (r < rows, j < ow), folded as maxPoolWindow folds it (see
// maxPool3x3s2RowsAVX512; the taps in another order, so of a +0 and a −0
// tying for the maximum it may return the other), and reports whether it
// could (false without AVX-512).
func maxPool3x3s2Rows32(in, out []float32, w, ow, rows, ldi, ldo int) bool {
	if !poolAVX512 || rows <= 0 || ow <= 0 {
		return false
	}
	_, _ = in[(rows-1)*ldi+2*w+2*ow], out[(rows-1)*ldo+ow-1]
	maxPool3x3s2RowsAVX512(&in[0], &out[0], w, ow, rows, ldi, ldo)
	return true
}

// biasTileAVX512 is tileEpilogue.apply's loop for one tile (cols ≤ 32).
//
//go:noescape
func biasTileAVX512(c *float32, ldc, rows, cols int, bias, res *float32, ldr int, relu bool)

// tileEpilogues reports whether convolution products add their bias and
// Relu tile by tile (tileEpilogue), which pays with biasTileAVX512.
var tileEpilogues = poolAVX512

// biasTile32 applies a GEMM tile's bias, residual (res, row stride ldr;
// nil for none) and Relu in one vector call, or reports false (no
// AVX-512) for the caller's loop.
func biasTile32(c []float32, ldc, rows, cols int, bias, res []float32, ldr int, relu bool) bool {
	if !poolAVX512 || cols > 32 {
		return false
	}
	_ = c[(rows-1)*ldc+cols-1]
	_ = bias[rows-1]
	var rp *float32
	if res != nil {
		_ = res[(rows-1)*ldr+cols-1]
		rp = &res[0]
	}
	biasTileAVX512(&c[0], ldc, rows, cols, &bias[0], rp, ldr, relu)
	return true
}

// dwCLAVX512 reports whether depthwise convolutions may run channels
// last (depthwise_cl.go) and transpose2D its 16×16 blocks in vectors.
var dwCLAVX512 = cpu.X86.HasAVX512F

// transpose16x16AVX512 transposes one 16×16 block: dst[j·ldd+i] =
// src[i·lds+j] (transpose_amd64.s).
//
//go:noescape
func transpose16x16AVX512(dst *float32, ldd int, src *float32, lds int)

// dwChannelsLastAVX512 is dwChannelsLast's kernel for 16·blocks channels
// (blocks 1, 2 or 4; depthwise_cl_amd64.s).
//
//go:noescape
func dwChannelsLastAVX512(x *float32, ldx int, w *float32, ldw int, bias, y *float32, ldy int, rows, cols *int32, oh, ow, width, kw, dh, dw, blocks int, relu, max bool)
