package kernel

import (
	"os"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

var impl gonum.Implementation

// sgemmFast reports whether float32 Gemm runs the packed, register-blocked
// kernel (gemm_packed.go) rather than gonum's Sgemm. It is true when this
// build has a SIMD micro-kernel the CPU can run, unless the environment
// variable ONNXKIT_GEMM is set to "gonum" at start-up. Tests flip it to
// check both paths.
var sgemmFast = sgemmImpl != nil && os.Getenv("ONNXKIT_GEMM") != "gonum"

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// Gemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, where
// op(X) is X or its transpose. op(A) is m×k, op(B) is k×n and C is m×n; lda,
// ldb and ldc are the row strides of A, B and C as stored.
//
// As in BLAS, when beta is 0 C is only written, never read (so NaNs in it
// do not propagate), and when alpha is 0 or k is 0 A and B are not read.
// For float32 and float64, Gemm panics if a stride is smaller than its row
// or a slice is too short for its matrix.
//
// float32 runs a cache-blocked kernel with an AVX2/FMA micro-kernel on CPUs
// that have it (with AVX-512VL masked edge tiles when the CPU has AVX-512;
// ONNXKIT_GEMM=avx2 in the environment keeps plain AVX2), parallel over
// GOMAXPROCS goroutines for large products; elsewhere, or with
// ONNXKIT_GEMM=gonum in the environment, it runs gonum's Sgemm. float64 always runs gonum's Dgemm.
func Gemm[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scale(beta, c, m, n, ldc)
		return
	}
	switch a := any(a).(type) {
	case []float32:
		sgemm(transA, transB, m, n, k, float32(alpha), a, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		impl.Dgemm(trans(transA), trans(transB), m, n, k, float64(alpha), a, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	default:
		gemmGeneric(transA, transB, m, n, k, alpha, any(a).([]T), lda, b, ldb, beta, c, ldc)
	}
}

// sgemm is Gemm for float32 with m, n, k ≥ 1 and alpha ≠ 0.
func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if !sgemmFast {
		impl.Sgemm(trans(transA), trans(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	ra, ca := m, k
	if transA {
		ra, ca = k, m
	}
	rb, cb := k, n
	if transB {
		rb, cb = n, k
	}
	checkMatrix("A", ra, ca, len(a), lda)
	checkMatrix("B", rb, cb, len(b), ldb)
	checkMatrix("C", m, n, len(c), ldc)
	if m*n*k <= sgemmSmallMACs {
		gemmGeneric(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	sgemmPacked(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmSmallMACs is the size (m·n·k) up to which float32 products skip
// packing and run plain loops, which is faster for tiny ones. Tests change
// it.
var sgemmSmallMACs = 128

// checkMatrix panics unless a rows×cols matrix with row stride ld fits in a
// slice of length size.
func checkMatrix(name string, rows, cols, size, ld int) {
	if ld < max(1, cols) {
		panic("kernel: Gemm: stride of " + name + " is smaller than its row")
	}
	if size < (rows-1)*ld+cols {
		panic("kernel: Gemm: " + name + " is too short")
	}
}

func scale[T Float](beta T, c []T, m, n, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		for j := range row {
			if beta == 0 {
				row[j] = 0
			} else {
				row[j] *= beta
			}
		}
	}
}

// gemmGeneric serves named float types (~float32, ~float64) that the BLAS
// cannot take directly, and tiny float32 products.
func gemmGeneric[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	at := func(i, p int) T {
		if transA {
			return a[p*lda+i]
		}
		return a[i*lda+p]
	}
	bt := func(p, j int) T {
		if transB {
			return b[j*ldb+p]
		}
		return b[p*ldb+j]
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s T
			for p := 0; p < k; p++ {
				s += at(i, p) * bt(p, j)
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}
}

// GemmKernel names the float32 GEMM routine set this process runs:
// "avx512", "avx2" or "gonum" (see doc.go for which CPU gets which).
func GemmKernel() string {
	if !sgemmFast {
		return "gonum"
	}
	return sgemmImpl.name
}
