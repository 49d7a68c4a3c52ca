//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

// sgemmImpl holds the routines of the packed float32 Gemm, or is nil when
// the CPU cannot run them (then Gemm falls back to gonum).
var sgemmImpl = pickSgemmImpl()

func pickSgemmImpl() *sgemmArch {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		return &sgemmArch{
			kernel:   sgemmKernelAVX2,
			transB16: packPanel16AVX2, transA6: packPanel6AVX2,
			copyB16: copyPanel16AVX2, copyA6: copyPanel6AVX2,
			gemv: sgemvKernelAVX2,
		}
	}
	return nil
}

// sgemmKernelAVX2 is the AVX2/FMA microKernel for a 6×16 tile.
//
//go:noescape
func sgemmKernelAVX2(k int, a, b, c *float32, ldc int, alpha, beta float32)

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
