package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestConvDirect checks the direct convolution of few input channels
// against the definition: odd widths (partial vectors), pads on every
// side (asymmetric, wider than the kernel), one to three channels, batch
// 1 (row blocks split across workers) and larger batches, with and
// without bias and Relu, NaN kept by Relu; rows of 15 to 48 pixels (the
// AVX-512 kernel's single vector, pairs, pairs that overlap and a vector
// after a pair).
func TestConvDirect(t *testing.T) { testConvDirect(t) }

func testConvDirect(t *testing.T) {
	if !convDirectAVX2 {
		t.Skip("no direct convolution kernel on this CPU or build")
	}
	r := rand.New(rand.NewPCG(7, 8))
	cases := []ConvParams{
		{N: 3, C: 1, H: 28, W: 28, M: 32, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1},
		{N: 1, C: 1, H: 28, W: 28, M: 32, KH: 5, KW: 5},
		{N: 2, C: 1, H: 28, W: 28, M: 32, KH: 4, KW: 4, PadTop: 1, PadLeft: 1, PadBottom: 2, PadRight: 2},
		{N: 5, C: 3, H: 9, W: 13, M: 16, KH: 3, KW: 3, PadTop: 0, PadLeft: 2, PadBottom: 3, PadRight: 0},
		{N: 1, C: 2, H: 1, W: 1, M: 8, KH: 1, KW: 1},
		{N: 4, C: 1, H: 7, W: 17, M: 24, KH: 2, KW: 5, PadTop: 4, PadLeft: 6, PadBottom: 1, PadRight: 7},
		{N: 1, C: 3, H: 33, W: 8, M: 8, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1},
		{N: 2, C: 1, H: 6, W: 16, M: 16, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1},
		{N: 3, C: 2, H: 5, W: 31, M: 8, KH: 3, KW: 2, PadTop: 1, PadLeft: 0, PadBottom: 1, PadRight: 0},
		{N: 1, C: 1, H: 4, W: 40, M: 8, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1},
		{N: 1, C: 1, H: 4, W: 48, M: 16, KH: 1, KW: 3, PadTop: 0, PadLeft: 1, PadBottom: 0, PadRight: 1},
		{N: 2, C: 1, H: 3, W: 17, M: 8, KH: 3, KW: 3},
		// Stride 2: rows split into their even and odd columns, every
		// parity of padding and width.
		{N: 1, C: 3, H: 33, W: 33, M: 16, KH: 3, KW: 3, StrideH: 2, StrideW: 2},
		{N: 2, C: 3, H: 20, W: 18, M: 8, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, StrideH: 2, StrideW: 2},
		{N: 1, C: 2, H: 15, W: 22, M: 8, KH: 4, KW: 4, PadTop: 2, PadLeft: 2, PadBottom: 1, PadRight: 1, StrideH: 2, StrideW: 2},
		{N: 3, C: 1, H: 9, W: 41, M: 24, KH: 5, KW: 5, PadTop: 0, PadLeft: 3, PadBottom: 2, PadRight: 0, StrideH: 2, StrideW: 2},
		{N: 1, C: 3, H: 36, W: 36, M: 16, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, StrideH: 2, StrideW: 2},
	}
	for ci, p := range cases {
		p.StrideH, p.StrideW = max(p.StrideH, 1), max(p.StrideW, 1)
		p.DilH, p.DilW, p.Group = 1, 1, 1
		if !canConvDirect(&p) {
			t.Fatalf("case %d: %+v does not take the direct path", ci, p)
		}
		x := randSlice(r, p.N*p.C*p.H*p.W)
		w := randSlice(r, p.M*p.C*p.KH*p.KW)
		b := randSlice(r, p.M)
		x[len(x)/2] = math.NaN()
		for _, bias := range [][]float64{nil, b} {
			for _, relu := range []bool{false, true} {
				p.Relu = relu
				want := naiveConv(p, x, w, bias)
				if relu {
					for i, v := range want {
						want[i] = math.Max(v, 0)
						if math.IsNaN(v) {
							want[i] = v
						}
					}
				}
				// Room around y: nothing outside it may be written.
				buf := make([]float32, len(want)+64)
				for i := range buf {
					buf[i] = -7
				}
				got := buf[32 : 32+len(want)]
				for i := range got {
					got[i] = float32(math.NaN())
				}
				Conv2DPacked(p, f32(x), f32(w), nil, f32(bias), got)
				for i := range want {
					g := float64(got[i])
					if math.IsNaN(want[i]) != math.IsNaN(g) || math.Abs(g-want[i]) > 1e-4 {
						t.Fatalf("case %d bias=%v relu=%v: y[%d] = %g, want %g", ci, bias != nil, relu, i, g, want[i])
					}
				}
				for i := 0; i < 32; i++ {
					if buf[i] != -7 || buf[len(buf)-1-i] != -7 {
						t.Fatalf("case %d: wrote outside y", ci)
					}
				}
				if oh, ow := p.OutH(), p.OutW(); oh%2 == 0 && ow%2 == 0 && poolAVX512 {
					// The 2×2 max pool fused (pairs of output rows), as
					// pooling the output after.
					pool := PoolParams{N: p.N, C: p.M, H: oh, W: ow, KH: 2, KW: 2, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, OutH: oh / 2, OutW: ow / 2}
					wantPool := make([]float32, p.N*p.M*oh/2*ow/2)
					MaxPool2D(pool, got, wantPool, nil)
					gotPool := make([]float32, len(wantPool))
					Conv2DPool(p, f32(x), f32(w), nil, f32(bias), pool, gotPool)
					for i, v := range wantPool {
						if g := gotPool[i]; v != g && !(v != v && g != g) {
							t.Fatalf("case %d bias=%v relu=%v: pooled y[%d] = %g fused, %g after", ci, bias != nil, relu, i, g, v)
						}
					}
				}
				if bias != nil && !relu {
					// The fused bias rounds as a separate Add after the
					// convolution does (fusion must not change results).
					plain := make([]float32, len(want))
					Conv2DPacked(p, f32(x), f32(w), nil, nil, plain)
					ohw := p.OutH() * p.OutW()
					bs := f32(bias)
					for i, v := range plain {
						v += bs[i/ohw%p.M]
						if g := got[i]; v != g && !(math.IsNaN(float64(v)) && math.IsNaN(float64(g))) {
							t.Fatalf("case %d: y[%d] = %g with the bias fused, %g added after", ci, i, g, v)
						}
					}
				}
			}
		}
	}
}

// TestConvDirectActivation checks the direct path with an activation
// other than Relu (MobileNetV3's stem: 3×3 stride 2, HardSwish; and
// SiLU, Clip): the convolution, then the activation, as applying it
// after.
func TestConvDirectActivation(t *testing.T) {
	if !convDirectAVX2 {
		t.Skip("no direct convolution kernel on this CPU or build")
	}
	r := rand.New(rand.NewPCG(9, 10))
	p := ConvParams{N: 2, C: 3, H: 30, W: 34, M: 16, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1,
		StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, Group: 1}
	x, w, b := f32(randSlice(r, p.N*p.C*p.H*p.W)), f32(randSlice(r, p.M*p.colRows())), f32(randSlice(r, p.M))
	for _, act := range []Activation{{Kind: ActHardSwish, A: 1.0 / 6, B: 0.5}, {Kind: ActSiLU}, {Kind: ActClip, A: -0.5, B: 0.5}} {
		q := p
		q.Act = act
		if !canConvDirect(&q) {
			t.Fatalf("%+v: not the direct path", q)
		}
		want := make([]float32, p.N*p.M*p.OutH()*p.OutW())
		Conv2DPacked(p, x, w, nil, b, want)
		ApplyActivation(act, want)
		got := make([]float32, len(want))
		Conv2DPacked(q, x, w, nil, b, got)
		// The activation's vector loop rounds once (FMA) where its Go tail
		// rounds twice: other rows put other elements in the tail.
		for i := range want {
			if d := math.Abs(float64(got[i] - want[i])); d > 1e-6*max(1, math.Abs(float64(want[i]))) {
				t.Fatalf("%v: y[%d] = %g, want %g", act, i, got[i], want[i])
			}
		}
	}
}
