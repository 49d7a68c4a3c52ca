//go:build !race

package kernel

import "testing"

// TestStencilsAllocateNothing checks that the depthwise convolution, the
// pooling that runs on its stencil and the Winograd convolution (whose
// transforms run on padded rows like it) allocate nothing once their
// scratch space is recycled (the model-level tests count every run's
// allocations).
func TestStencilsAllocateNothing(t *testing.T) {
	p := PoolParams{N: 1, C: 24, H: 57, W: 57, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1,
		StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, OutH: 29, OutW: 29}
	cp := ConvParams{N: 1, C: 24, H: 57, W: 57, M: 24, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1,
		StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, Group: 24, Act: Activation{Kind: ActHardSwish, A: 1. / 6, B: 0.5}}
	x, w, y := make([]float32, 24*57*57), make([]float32, 24*9), make([]float32, 24*29*29)
	wp := ConvParams{N: 1, C: 64, H: 30, W: 30, M: 64, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1,
		StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1, Relu: true}
	wx, ww, wy := make([]float32, 64*30*30), make([]float32, 64*64*9), make([]float32, 64*30*30)
	wpw := PackConvWeights(wp, ww)
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"MaxPool2D", func() { MaxPool2D(p, x, y, nil) }},
		{"AvgPool2D", func() { AvgPool2D(p, x, y) }},
		{"DepthwiseConv2D", func() { DepthwiseConv2D(cp, x, w, nil, y) }},
		{"Winograd", func() { Conv2DPacked(wp, wx, ww, wpw, nil, wy) }},
	} {
		if tc.name == "Winograd" && winogradFor(&wp, wpw) == nil {
			continue // no AVX-512: TestConvWinograd says so
		}
		tc.f()
		// The fewest of three measurements: a stray allocation of the
		// runtime under load shows in one, an allocation of the call in each.
		best := 1e9
		for range 3 {
			best = min(best, testing.AllocsPerRun(20, tc.f))
		}
		if best != 0 {
			t.Errorf("%s: %v allocations per call, want 0", tc.name, best)
		}
	}
}
