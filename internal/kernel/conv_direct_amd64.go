//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

// convDirectAVX2 reports whether the direct convolution runs its AVX2 row
// kernel.
var convDirectAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// convDirect8AVX2 computes eight output channels of one output row of a
// direct convolution (see conv_direct_amd64.s).
//
//go:noescape
func convDirect8AVX2(x *float32, offs *int64, taps int, w, bias, y *float32, ldy, n int, relu bool)

// convDirect8 is convDirect8AVX2 when the CPU has it; it reports whether
// it ran.
func convDirect8(x []float32, offs []int64, w, bias, y []float32, ldy, n int, relu bool) bool {
	if !convDirectAVX2 {
		return false
	}
	convDirect8AVX2(&x[0], &offs[0], len(offs), &w[0], &bias[0], &y[0], ldy, n, relu)
	return true
}
