//go:build !amd64 || purego

package kernel

// Without assembly the packed integer GEMM runs its tile kernel in Go.

var s16AVX2 = false

func s16Kernel(ap, bp []int16, kp int, out *[64]int32) { s16KernelGo(ap, bp, kp, out) }
