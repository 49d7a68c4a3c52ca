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

// TestMaxPool3x3s2 compares MaxPool2D without argmax on 3×3 windows at
// stride 2 (the vector loop inside the plane, windows over the padding
// one by one) with MaxPool2D with argmax (the scalar loop), bit for bit,
// NaN included: widths of one to several 16-output steps, pads 0 and 1,
// floor and ceil rounding, several planes.
func TestMaxPool3x3s2(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	vector := 0
	for i := 0; i < 150; i++ {
		pad := r.IntN(2)
		p := PoolParams{N: 1 + r.IntN(2), C: 1 + r.IntN(4), H: 3 + r.IntN(30), W: 3 + r.IntN(80),
			KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, PadTop: pad, PadLeft: pad, PadBottom: pad, PadRight: pad}
		ceil := r.IntN(2) == 0
		p.OutH = PoolOut(p.H, 3, 1, 2, pad, pad, ceil)
		p.OutW = PoolOut(p.W, 3, 1, 2, pad, pad, ceil)
		if p.OutH <= 0 || p.OutW <= 0 {
			continue
		}
		if oy0, oy1 := validRange(-pad, 2, p.OutH, p.H-2); oy0 < oy1 {
			vector++
		}
		x := f32(randSlice(r, p.N*p.C*p.H*p.W))
		for j := range x {
			if r.IntN(15) == 0 {
				x[j] = float32(math.NaN())
			}
		}
		got := make([]float32, p.N*p.C*p.OutH*p.OutW+8)
		for j := range got {
			got[j] = 99
		}
		want := make([]float32, p.N*p.C*p.OutH*p.OutW)
		MaxPool2D(p, x, got[:len(want)], nil)
		MaxPool2D(p, x, want, make([]int, len(want)))
		for j := range want {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Fatalf("%+v ceil %v: y[%d] = %g, want %g", p, ceil, j, got[j], want[j])
			}
		}
		for j := len(want); j < len(got); j++ {
			if got[j] != 99 {
				t.Fatalf("%+v: wrote past the output", p)
			}
		}
	}
	if vector < 100 {
		t.Errorf("only %d cases had windows inside the plane", vector)
	}
}
