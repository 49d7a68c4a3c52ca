package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMaxPool2x2ArgPlanes compares float32 2×2 max pooling with argmax
// (the vector loop over whole planes, maxPool2x2ArgPlane32, where it
// applies) with the float64 scalar loop: planes of 2·OW columns with fewer
// than 8, exactly 8, a ragged number and more than maxPoolPlaneMax
// outputs, an odd row left over, and inputs with ties and NaNs.
func TestMaxPool2x2ArgPlanes(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, s := range []struct{ n, c, h, w int }{
		{2, 3, 4, 6}, {1, 2, 4, 8}, {3, 5, 14, 14}, {2, 4, 28, 28}, {2, 3, 9, 10}, {1, 2, 36, 30}, {2, 2, 6, 7},
	} {
		p := PoolParams{N: s.n, C: s.c, H: s.h, W: s.w, KH: 2, KW: 2, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, OutH: s.h / 2, OutW: s.w / 2}
		x := make([]float32, s.n*s.c*s.h*s.w)
		for i := range x {
			x[i] = float32(r.IntN(5)) - 2 // many ties
			if r.IntN(50) == 0 {
				x[i] = float32(math.NaN())
			}
		}
		x64 := make([]float64, len(x))
		for i, v := range x {
			x64[i] = float64(v)
		}
		outs := s.n * s.c * p.OutH * p.OutW
		y, y64 := make([]float32, outs), make([]float64, outs)
		arg, arg64 := make([]int, outs), make([]int, outs)
		MaxPool2D(p, x, y, arg)
		MaxPool2D(p, x64, y64, arg64)
		for i := range y {
			same := float64(y[i]) == y64[i] || math.IsNaN(float64(y[i])) && math.IsNaN(y64[i])
			if !same || arg[i] != arg64[i] {
				t.Fatalf("%+v: out %d = %g@%d, want %g@%d", s, i, y[i], arg[i], y64[i], arg64[i])
			}
		}
	}
}
