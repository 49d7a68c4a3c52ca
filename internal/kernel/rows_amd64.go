//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

// rowsAVX2 reports whether addRows and copyRows may run their AVX2 loops.
var rowsAVX2 = cpu.X86.HasAVX2

// addRowsAVX2 is addRows for float32.
//
//go:noescape
func addRowsAVX2(dst, src *float32, n, rows, ldd, lds int)

// copyRowsAVX2 is copyRows for float32.
//
//go:noescape
func copyRowsAVX2(dst, src *float32, n, rows, ldd, lds int)

func addRows32(dst, src []float32, n, rows, ldd, lds int) bool {
	if !rowsAVX2 {
		return false
	}
	addRowsAVX2(&dst[0], &src[0], n, rows, ldd, lds)
	return true
}

func copyRows32(dst, src []float32, n, rows, ldd, lds int) bool {
	if !rowsAVX2 {
		return false
	}
	copyRowsAVX2(&dst[0], &src[0], n, rows, ldd, lds)
	return true
}

// gatherEvenRows32 is gatherStridedRows for stride 2 in one call for all
// the rows, when it has the vector loop, the rows are at least 8 long
// and src holds each row's 2n floats (the last one odd, read but not
// kept); it reports whether it ran.
func gatherEvenRows32(dst []float32, ldd int, src []float32, lds, n, rows int) bool {
	if !rowsAVX2 || n < 8 || rows <= 0 || len(src) < (rows-1)*lds+2*n {
		return false
	}
	_ = dst[(rows-1)*ldd+n-1]
	deinterleaveRowsAVX2(&dst[0], nil, &src[0], n, rows, ldd, lds)
	return true
}

// deinterleave32 is deinterleave's vector loop over whole blocks of
// 16 source floats; it returns how many even (and odd) elements it wrote.
func deinterleave32(even, odd, src []float32) int {
	n16 := len(even) / 8
	if !rowsAVX2 || n16 == 0 {
		return 0
	}
	_, _, _ = even[8*n16-1], odd[8*n16-1], src[16*n16-1]
	deinterleaveRowsAVX2(&even[0], &odd[0], &src[0], 8*n16, 1, 0, 0)
	return 8 * n16
}

// deinterleaveRowsAVX2 is deinterleaveRows32's and gatherEvenRows32's
// loop (n ≥ 8, rows ≥ 0; a nil odd keeps the even elements only).
//
//go:noescape
func deinterleaveRowsAVX2(even, odd, src *float32, n, rows, lde, lds int)

// deinterleaveRows32 is deinterleaveRows for float32 in one call for all
// the rows, when it has the vector loop and the rows are at least 8
// long; it reports whether it ran.
func deinterleaveRows32(even, odd []float32, lde int, src []float32, lds, n, rows int) bool {
	if !rowsAVX2 || n < 8 || rows <= 0 {
		return false
	}
	_, _, _ = even[(rows-1)*lde+n-1], odd[(rows-1)*lde+n-1], src[(rows-1)*lds+2*n-1]
	deinterleaveRowsAVX2(&even[0], &odd[0], &src[0], n, rows, lde, lds)
	return true
}

// matVec4AVX2 is matVec32's loop: four rows at a time (see rows_amd64.s).
//
//go:noescape
func matVec4AVX2(m4, k8 int, a *float32, lda int, x, y *float32)

// matVec32 computes y[i] = Σ_{p<8·k8} a[i·lda+p]·x[p] for the first
// 4·(m/4) rows with the vector loop and returns how many rows it did.
func matVec32(m, k int, a []float32, lda int, x, y []float32) int {
	m4, k8 := m/4, k/8
	if !rowsAVX2 || !cpu.X86.HasFMA || m4 == 0 || k8 == 0 {
		return 0
	}
	_, _, _ = a[(4*m4-1)*lda+8*k8-1], x[8*k8-1], y[4*m4-1]
	matVec4AVX2(m4, k8, &a[0], lda, &x[0], &y[0])
	return 4 * m4
}

// lerpRowsAVX2 is Lerp's vector loop (see rows_amd64.s).
//
//go:noescape
func lerpRowsAVX2(dst, a, b *float32, n8 int, c0, c1 float32)

// lerp32 runs Lerp's vector loop over the whole vectors of dst and
// returns how many elements it did (0 without AVX2).
func lerp32(dst, a, b []float32, c0, c1 float32) int {
	n8 := len(dst) / 8
	if !rowsAVX2 || n8 == 0 {
		return 0
	}
	_, _ = a[8*n8-1], b[8*n8-1]
	lerpRowsAVX2(&dst[0], &a[0], &b[0], n8, c0, c1)
	return 8 * n8
}

// lerpGatherAVX2 is LerpGather's vector loop (see rows_amd64.s).
//
//go:noescape
func lerpGatherAVX2(dst, src *float32, k0, k1 *int32, w0, w1 *float32, n8 int)

// lerpGather32 runs LerpGather's vector loop over the whole vectors of
// dst and returns how many elements it did (0 without AVX2). The indices
// must lie in src (LerpGather checks them).
func lerpGather32(dst, src []float32, k0, k1 []int32, w0, w1 []float32) int {
	n8 := len(dst) / 8
	if !rowsAVX2 || n8 == 0 {
		return 0
	}
	_, _, _, _ = k0[8*n8-1], k1[8*n8-1], w0[8*n8-1], w1[8*n8-1]
	lerpGatherAVX2(&dst[0], &src[0], &k0[0], &k1[0], &w0[0], &w1[0], n8)
	return 8 * n8
}

// scaleShiftRowsAVX2 is scaleShiftRows32's loop (rows_amd64.s).
//
//go:noescape
func scaleShiftRowsAVX2(x, y *float32, n, rows int, a, b *float32, relu bool)

// scaleShiftRows32 sets, for each of rows rows of n elements (one after
// another in x and y; y may be x), y = x·a[r] + b[r] rounded once, a nil a
// standing for 1 and a nil b for -0, then with relu max(·, 0) keeping NaN
// and -0, in one call for all the rows, every element by the same vector
// operations (the row's ragged end through a lane mask); it reports
// whether it ran (not without AVX2 and FMA).
func scaleShiftRows32(x, y []float32, n, rows int, a, b []float32, relu bool) bool {
	if !vectorFMA || n <= 0 || rows <= 0 {
		return false
	}
	_, _ = x[n*rows-1], y[n*rows-1]
	var ap, bp *float32
	if a != nil {
		_ = a[rows-1]
		ap = &a[0]
	}
	if b != nil {
		_ = b[rows-1]
		bp = &b[0]
	}
	scaleShiftRowsAVX2(&x[0], &y[0], n, rows, ap, bp, relu)
	return true
}
