//go:build amd64 && !purego

package kernel

import (
	"os"

	"golang.org/x/sys/cpu"
)

// sgemmArchs lists the packed-Gemm routine sets this CPU can run, the
// fastest first; tests run each of them.
var sgemmArchs = supportedSgemmArchs()

// sgemmImpl holds the routines of the packed float32 Gemm, or is nil when
// the CPU cannot run them (then Gemm falls back to gonum). It is the first
// of sgemmArchs, unless the environment variable ONNXKIT_GEMM names another
// at start-up ("zmm12x32", "avx512" or "avx2").
var sgemmImpl = pickSgemmImpl(sgemmArchs, os.Getenv("ONNXKIT_GEMM"))

// sgemmAVX2 is the AVX2/FMA routine set: a 6×16 micro-kernel (twelve
// 8-float accumulators), packers and a gemv kernel.
var sgemmAVX2 = &sgemmArch{
	name: "avx2",
	mr:   gemmMR, nr: gemmNR, kc: gemmKC, mc: gemmMC, nc: gemmNC,
	kernel: sgemmKernelAVX2,
	transB: packPanel16AVX2, transA: packPanel6AVX2,
	copyB: copyPanel16AVX2, copyA: copyPanel6AVX2,
	gemv: sgemvKernelAVX2,
}

// sgemmAVX512 is the AVX2 routine set with the micro-kernel swapped for
// sgemmKernel6x16AVX512, which computes the edge tiles in place with
// AVX-512VL mask registers instead of through a scratch tile and the
// Go merge loop, and only the left half of a tile of at most 8 columns.
//
// A 12×32 zmm micro-kernel (24 accumulators) was tried and measured no
// faster on Zen 4, whose 512-bit FMAs issue as two 256-bit halves: the
// FMA peak is the same as with ymm, the larger tile wastes more at the
// ragged edges of the small LeNet products, and its inner loop ran at
// ~100 GFLOP/s in L1 against ~111 for the 6×16 one.
var sgemmAVX512 = &sgemmArch{
	name: "avx512",
	mr:   gemmMR, nr: gemmNR, kc: gemmKC, mc: gemmMC, nc: gemmNC,
	edge:   sgemmKernel6x16AVX512,
	transB: packPanel16AVX2, transA: packPanel6AVX2,
	copyB: copyPanel16AVX2, copyA: copyPanel6AVX2,
	gemv: sgemvKernelAVX2,
}

// supportedSgemmArchs lists the routine sets this CPU runs, the one it
// should run by default first (see doc.go): the zmm set where 512-bit
// FMAs are native, else the 6×16 AVX-512 set (ymm FMAs, masked edges),
// else AVX2.
func supportedSgemmArchs() []*sgemmArch {
	var archs []*sgemmArch
	if hasAVX512() {
		if prefersZMM() {
			archs = append(archs, sgemmZMM, sgemmAVX512)
		} else {
			archs = append(archs, sgemmAVX512, sgemmZMM)
		}
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		archs = append(archs, sgemmAVX2)
	}
	return archs
}

// sgemmKernelAVX2 is the AVX2/FMA microKernel for a 6×16 tile.
//
//go:noescape
func sgemmKernelAVX2(k int, a, b, c *float32, ldc int, alpha, beta float32)

// sgemmKernel6x16AVX512 is the AVX-512VL edgeKernel for a 6×16 tile.
//
//go:noescape
func sgemmKernel6x16AVX512(k int, a, b, c *float32, ldc int, alpha, beta float32, rows, cols int)

// packPanel16AVX2 is the AVX2 panelTransposer for B panels.
//
//go:noescape
func packPanel16AVX2(dst, src *float32, ld, n8 int)

// packPanel6AVX2 is the AVX2 panelTransposer for A panels.
//
//go:noescape
func packPanel6AVX2(dst, src *float32, ld, n8 int)

// copyPanel16AVX2 is the AVX2 panelCopier for B panels.
//
//go:noescape
func copyPanel16AVX2(dst, src *float32, ld, k, n int)

// copyPanel6AVX2 is the AVX2 panelCopier for A panels.
//
//go:noescape
func copyPanel6AVX2(dst, src *float32, ld, k, n int)

// sgemvKernelAVX2 is the AVX2/FMA rowTimesMatrix kernel.
//
//go:noescape
func sgemvKernelAVX2(k int, a, b *float32, ldb int, c *float32, n int, alpha, beta float32)
