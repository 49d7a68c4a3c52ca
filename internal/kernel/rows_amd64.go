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

// gatherEvenAVX2 sets dst[j] = src[2j] for j < 8·n8 (n8 ≥ 1).
//
//go:noescape
func gatherEvenAVX2(dst, src *float32, n8 int)

// gatherEven32 is gatherStrided's vector loop for stride 2 over whole
// blocks of 8 outputs whose 16 source floats are all in src; it returns
// how many outputs it wrote.
func gatherEven32(dst, src []float32) int {
	n8 := min(len(dst), len(src)/2) / 8
	if !rowsAVX2 || n8 == 0 {
		return 0
	}
	gatherEvenAVX2(&dst[0], &src[0], n8)
	return 8 * n8
}
