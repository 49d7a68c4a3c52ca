//go:build !amd64 || purego

package kernel

// sgemmImpl is nil: this build has no SIMD micro-kernel, so float32 Gemm
// uses gonum.
var sgemmImpl *sgemmArch
