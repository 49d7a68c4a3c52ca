//go:build !amd64 || purego

package kernel

// sgemmArchs is empty: there are no SIMD routine sets in this build.
var sgemmArchs []*sgemmArch

// sgemmImpl is nil: this build has no SIMD micro-kernel, so float32 Gemm
// uses gonum.
var sgemmImpl = pickSgemmImpl(sgemmArchs, "")
