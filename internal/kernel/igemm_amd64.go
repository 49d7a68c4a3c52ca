//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

// s16AVX2 reports whether the AVX2 integer GEMM kernel may run.
var s16AVX2 = cpu.X86.HasAVX2

// s16Kernel4x16AVX2 computes a 4×16 int32 tile from packed int16 pairs
// (igemm_amd64.s).
//
//go:noescape
func s16Kernel4x16AVX2(ap, bp *int16, kp int, out *int32)

func s16Kernel(ap, bp []int16, kp int, out *[64]int32) {
	_, _ = ap[8*kp-1], bp[32*kp-1]
	s16Kernel4x16AVX2(&ap[0], &bp[0], kp, &out[0])
}
