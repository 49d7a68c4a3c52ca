//go:build amd64 && !purego

package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestConvDirectAVX2 runs TestConvDirect's cases on the AVX2 row kernel
// where the CPU would pick the AVX-512 one.
func TestConvDirectAVX2(t *testing.T) {
	if !convDirectZMM {
		t.Skip("the AVX2 row kernel is this CPU's: TestConvDirect ran it")
	}
	convDirectZMM = false
	defer func() { convDirectZMM = true }()
	testConvDirect(t)
}

// TestConvDirectKernelsAgree checks that the AVX-512 and AVX2 row kernels
// give the same bits: the same sums in the same order.
func TestConvDirectKernelsAgree(t *testing.T) {
	if !convDirectZMM {
		t.Skip("no AVX-512 row kernel on this CPU")
	}
	r := rand.New(rand.NewPCG(3, 4))
	p := ConvParams{N: 2, C: 1, H: 28, W: 28, M: 32, KH: 5, KW: 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2,
		StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1, Relu: true}
	x, w, b := randF32(r, p.N*p.C*p.H*p.W), randF32(r, p.M*25), randF32(r, p.M)
	zmm := make([]float32, p.N*p.M*p.OutH()*p.OutW())
	ymm := make([]float32, len(zmm))
	Conv2DPacked(p, x, w, nil, b, zmm)
	convDirectZMM = false
	defer func() { convDirectZMM = true }()
	Conv2DPacked(p, x, w, nil, b, ymm)
	for i := range zmm {
		if math.Float32bits(zmm[i]) != math.Float32bits(ymm[i]) {
			t.Fatalf("y[%d]: AVX-512 %v, AVX2 %v", i, zmm[i], ymm[i])
		}
	}
}
