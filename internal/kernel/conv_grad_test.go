package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naiveConvBackward is the direct definition of the input and kernel
// gradients of a convolution (one group per output channel's slice).
func naiveConvBackward(p ConvParams, x, w, dy []float64) (dx, dw []float64) {
	oh, ow := p.OutH(), p.OutW()
	cg, mg := p.C/p.Group, p.M/p.Group
	dx, dw = make([]float64, len(x)), make([]float64, len(w))
	for n := 0; n < p.N; n++ {
		for m := 0; m < p.M; m++ {
			g := m / mg
			for c := 0; c < cg; c++ {
				ci := g*cg + c
				for kh := 0; kh < p.KH; kh++ {
					for kw := 0; kw < p.KW; kw++ {
						wi := ((m*cg+c)*p.KH+kh)*p.KW + kw
						for i := 0; i < oh; i++ {
							ih := i*p.StrideH - p.PadTop + kh*p.DilH
							if ih < 0 || ih >= p.H {
								continue
							}
							for j := 0; j < ow; j++ {
								iw := j*p.StrideW - p.PadLeft + kw*p.DilW
								if iw < 0 || iw >= p.W {
									continue
								}
								xi := ((n*p.C+ci)*p.H+ih)*p.W + iw
								d := dy[((n*p.M+m)*oh+i)*ow+j]
								dx[xi] += w[wi] * d
								dw[wi] += x[xi] * d
							}
						}
					}
				}
			}
		}
	}
	return dx, dw
}

// TestConv2DBackwardShapes compares Conv2DBackward (float64 and float32;
// all three gradients) with the direct definition on shapes that take the
// input gradient as a forward convolution (convDataAsConv: the LeNet's,
// asymmetric pads, pads of KH-1, no pads, batches below and above the
// worker count and above convFilterBlock) and on some that do not (fewer
// than convDataMinC input channels, a pad as large as the kernel, strides,
// groups).
func TestConv2DBackwardShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	cases := []ConvParams{
		{N: 3, C: 20, H: 14, W: 14, M: 50, KH: 5, KW: 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2},
		{N: 5, C: 1, H: 28, W: 28, M: 20, KH: 5, KW: 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2},
		// More images than convFilterBlock: the kernel gradient in parts.
		{N: 19, C: 9, H: 5, W: 6, M: 5, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1},
		{N: 17, C: 2, H: 7, W: 7, M: 3, KH: 2, KW: 2, PadTop: 1, PadLeft: 0, PadBottom: 0, PadRight: 1, StrideH: 2, StrideW: 1},
		{N: 1, C: 3, H: 9, W: 17, M: 7, KH: 3, KW: 4, PadTop: 0, PadLeft: 3, PadBottom: 2, PadRight: 1},
		{N: 2, C: 5, H: 6, W: 5, M: 3, KH: 2, KW: 3},
		{N: 3, C: 2, H: 5, W: 7, M: 4, KH: 3, KW: 1, PadTop: 2, PadBottom: 2},
		{N: 2, C: 3, H: 4, W: 4, M: 2, KH: 2, KW: 2, PadTop: 2, PadLeft: 1, PadBottom: 1, PadRight: 2},
		{N: 2, C: 3, H: 9, W: 8, M: 4, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, StrideH: 2, StrideW: 2},
		{N: 2, C: 4, H: 6, W: 6, M: 6, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, Group: 2},
	}
	for _, p := range cases {
		p.StrideH, p.StrideW = max(p.StrideH, 1), max(p.StrideW, 1)
		p.DilH, p.DilW, p.Group = 1, 1, max(p.Group, 1)
		t.Run(fmt.Sprintf("%+v", p), func(t *testing.T) {
			x := randSlice(r, p.N*p.C*p.H*p.W)
			w := randSlice(r, p.M*p.C/p.Group*p.KH*p.KW)
			dy := randSlice(r, p.N*p.M*p.OutH()*p.OutW())
			wantX, wantW := naiveConvBackward(p, x, w, dy)
			wantB := make([]float64, p.M)
			for i, v := range dy {
				wantB[i/(p.OutH()*p.OutW())%p.M] += v
			}
			dx, dw, db := make([]float64, len(x)), make([]float64, len(w)), make([]float64, p.M)
			for i := range dx {
				dx[i] = math.NaN() // must be overwritten
			}
			Conv2DBackward(p, x, w, dy, dx, dw, db)
			dx32, dw32, db32 := make([]float32, len(x)), make([]float32, len(w)), make([]float32, p.M)
			for i := range dx32 {
				dx32[i] = float32(math.NaN())
			}
			Conv2DBackward(p, f32(x), f32(w), f32(dy), dx32, dw32, db32)
			for _, c := range []struct {
				name      string
				want, got []float64
				got32     []float32
			}{{"dx", wantX, dx, dx32}, {"dw", wantW, dw, dw32}, {"db", wantB, db, db32}} {
				for i, v := range c.want {
					if math.Abs(c.got[i]-v) > 1e-9*math.Max(1, math.Abs(v)) {
						t.Fatalf("float64 %s[%d] = %g, want %g", c.name, i, c.got[i], v)
					}
					if g := float64(c.got32[i]); !(math.Abs(g-v) <= 1e-3*math.Max(1, math.Abs(v))) {
						t.Fatalf("float32 %s[%d] = %g, want %g", c.name, i, g, v)
					}
				}
			}
		})
	}
}

// BenchmarkConv2DBackward times the LeNet's convolutions at batch 128:
// forward, the input gradient and the kernel gradient, in GFLOP/s.
func BenchmarkConv2DBackward(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, s := range []struct {
		name string
		p    ConvParams
	}{
		{"lenet-conv1", ConvParams{C: 1, H: 28, W: 28, M: 20, KH: 5, KW: 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2}},
		{"lenet-conv2", ConvParams{C: 20, H: 14, W: 14, M: 50, KH: 5, KW: 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2}},
	} {
		p := s.p
		p.N, p.StrideH, p.StrideW, p.DilH, p.DilW, p.Group = 128, 1, 1, 1, 1, 1
		x := f32(randSlice(r, p.N*p.C*p.H*p.W))
		w := f32(randSlice(r, p.M*p.C*p.KH*p.KW))
		y := make([]float32, p.N*p.M*p.OutH()*p.OutW())
		dy := f32(randSlice(r, len(y)))
		dx, dw := make([]float32, len(x)), make([]float32, len(w))
		macs := float64(p.N * p.M * p.OutH() * p.OutW() * p.C * p.KH * p.KW)
		for _, part := range []string{"forward", "dx", "dw"} {
			b.Run(s.name+"/"+part, func(b *testing.B) {
				for b.Loop() {
					switch part {
					case "forward":
						Conv2D(p, x, w, nil, y)
					case "dx":
						Conv2DBackward(p, x, w, dy, dx, nil, nil)
					default:
						Conv2DBackward(p, x, w, dy, nil, dw, nil)
					}
				}
				b.ReportMetric(2*macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
