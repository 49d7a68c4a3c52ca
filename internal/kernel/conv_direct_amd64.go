//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

// convDirectAVX2 reports whether the direct convolution runs its AVX2 row
// kernel.
var convDirectAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// convDirectZMM reports whether it runs the AVX-512 one instead: on the
// CPUs that get the zmm GEMM (512-bit FMAs at full rate).
var convDirectZMM = convDirectAVX2 && hasAVX512() && cpu.X86.HasBMI2 && sgemmImpl == sgemmZMM

// convDirect8AVX2 computes eight output channels of one output row of a
// direct convolution (see conv_direct_amd64.s).
//
//go:noescape
func convDirect8AVX2(x *float32, offs *int64, taps int, w, bias, y *float32, ldy, n int, relu bool)

// convDirect8AVX512 is convDirect8AVX2 on 16-pixel vectors.
//
//go:noescape
func convDirect8AVX512(x *float32, offs *int64, taps int, w, bias, y *float32, ldy, n int, relu bool)

// convDirect8 runs the row kernel this CPU has; it reports whether it ran.
func convDirect8(x []float32, offs []int64, w, bias, y []float32, ldy, n int, relu bool) bool {
	switch {
	case convDirectZMM:
		convDirect8AVX512(&x[0], &offs[0], len(offs), &w[0], &bias[0], &y[0], ldy, n, relu)
	case convDirectAVX2:
		convDirect8AVX2(&x[0], &offs[0], len(offs), &w[0], &bias[0], &y[0], ldy, n, relu)
	default:
		return false
	}
	return true
}
