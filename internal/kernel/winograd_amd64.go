//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

// winogradAVX512 reports whether the Winograd transforms
// (winograd_amd64.s) may run.
var winogradAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasBMI2

// winoInputAVX512 is winoInputRow's loop.
//
//go:noescape
func winoInputAVX512(dst, src *float32, ld, plane, n int)

// winoOutputAVX512 is winoOutputRow's loop.
//
//go:noescape
func winoOutputAVX512(y0, y1, src *float32, plane, n, width int, bias float32, relu, rows, ystride, sstride int)

// winoInputRow transforms a row of n tiles of the 4 padded input rows in
// src (row stride ld) into dst[ξ·plane + j], writing whole steps of 16
// tiles (see winoInputAVX512).
func winoInputRow(dst, src []float32, ld, plane, n int) {
	_, _ = src[3*ld+2*roundUp(n, 16)+1], dst[15*plane+roundUp(n, 16)-1]
	winoInputAVX512(&dst[0], &src[0], ld, plane, n)
}

// winoOutputRows transforms rows rows of n tiles of products src[ξ·plane
// + j] (the next row sstride on) into output rows y0 and, unless nil, y1
// (width outputs each, 2n−1 or 2n; the next row's ystride on), adding
// bias and applying a Relu when relu is set.
func winoOutputRows(y0, y1, src []float32, plane, n, width int, bias float32, relu bool, rows, ystride, sstride int) {
	if rows <= 0 {
		return
	}
	_, _ = src[(rows-1)*sstride+15*plane+roundUp(n, 16)-1], y0[(rows-1)*ystride+width-1]
	var p1 *float32
	if y1 != nil {
		_ = y1[(rows-1)*ystride+width-1]
		p1 = &y1[0]
	}
	r := 0
	if relu {
		r = 1
	}
	winoOutputAVX512(&y0[0], p1, &src[0], plane, n, width, bias, r, rows, ystride, sstride)
}

// winoOutputPoolAVX512 is winoOutputPool's loop.
//
//go:noescape
func winoOutputPoolAVX512(y, src *float32, plane, n int, bias float32, relu int)

// winoOutputPool transforms n tiles of products src[ξ·plane + j] and
// max-pools each tile's four outputs into y[j], adding bias and applying
// a Relu when relu is set (see winoOutputPoolAVX512).
func winoOutputPool(y, src []float32, plane, n int, bias float32, relu bool) {
	if n <= 0 {
		return
	}
	_, _ = src[15*plane+roundUp(n, 16)-1], y[n-1]
	r := 0
	if relu {
		r = 1
	}
	winoOutputPoolAVX512(&y[0], &src[0], plane, n, bias, r)
}
