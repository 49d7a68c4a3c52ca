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
