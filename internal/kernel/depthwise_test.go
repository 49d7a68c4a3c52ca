package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// refActivation applies a Relu (when relu) and then a to v, as the
// separate operators would.
func refActivation(v float64, relu bool, a Activation) float64 {
	if relu {
		v = max(v, 0)
	}
	switch a.Kind {
	case ActClip:
		v = min(max(v, float64(a.A)), float64(a.B))
	case ActHardSwish:
		v *= max(0, min(1, float64(a.A)*v+float64(a.B)))
	case ActSiLU:
		v /= 1 + math.Exp(-v)
	}
	return v
}

// TestDepthwiseStencil compares DepthwiseConv2D, float32 and float64,
// with the naive convolution on random depthwise shapes: odd and tiny
// planes (1×1 up to 23×29), asymmetric pads wider than the kernel,
// strides 1 to 3, dilations, channel multipliers, kernels of more taps
// than one stencil call adds (9×9), and each fused activation.
func TestDepthwiseStencil(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	acts := []struct {
		relu bool
		act  Activation
	}{
		{false, Activation{}},
		{true, Activation{}},
		{false, Activation{Kind: ActClip, A: 0, B: 6}},
		{false, Activation{Kind: ActHardSwish, A: 1. / 6, B: 0.5}},
		{false, Activation{Kind: ActHardSwish, A: 0.2, B: 0.5}},
		{false, Activation{Kind: ActSiLU}},
		{true, Activation{Kind: ActClip, A: -1, B: 0.5}},
	}
	ran := 0
	for i := 0; i < 300; i++ {
		k := []int{1, 2, 3, 3, 3, 5, 5, 7, 9}
		p := ConvParams{N: 1 + r.IntN(2), C: 1 + r.IntN(4), H: 1 + r.IntN(23), W: 1 + r.IntN(29),
			KH: k[r.IntN(len(k))], KW: k[r.IntN(len(k))],
			PadTop: r.IntN(4), PadLeft: r.IntN(4), PadBottom: r.IntN(4), PadRight: r.IntN(4),
			StrideH: 1 + r.IntN(3), StrideW: 1 + r.IntN(3), DilH: 1 + r.IntN(2), DilW: 1 + r.IntN(2)}
		if r.IntN(3) == 0 {
			p.StrideH, p.StrideW, p.DilH, p.DilW = 1, 1, 1, 1
		}
		if i%10 == 0 {
			p.KH, p.KW = 9, 9 // 81 taps: two stencil calls
		}
		if i%7 == 3 {
			// Tiny planes, pads wider than the plane, strides longer.
			p.H, p.W, p.KH, p.KW = 1+r.IntN(3), 1+r.IntN(3), 1+r.IntN(3), 1+r.IntN(3)
			p.PadTop, p.PadLeft, p.PadBottom, p.PadRight = r.IntN(6), r.IntN(6), r.IntN(6), r.IntN(6)
			p.StrideH, p.StrideW = 1+r.IntN(5), 1+r.IntN(5)
		}
		p.Group = p.C
		p.M = p.C * (1 + r.IntN(3))
		if p.C == 1 {
			p.C, p.Group, p.M = 2, 2, 2*(p.M)
		}
		if p.H+p.PadTop+p.PadBottom < (p.KH-1)*p.DilH+1 || p.W+p.PadLeft+p.PadRight < (p.KW-1)*p.DilW+1 {
			continue // no output (the operator rejects these)
		}
		ran++
		x, w := randSlice(r, p.N*p.C*p.H*p.W), randSlice(r, p.M*p.KH*p.KW)
		var b []float64
		if r.IntN(4) != 0 {
			b = randSlice(r, p.M)
		}
		want := naiveConv(p, x, w, b)
		a := acts[r.IntN(len(acts))]
		p.Relu, p.Act = a.relu, a.act
		name := fmt.Sprintf("%+v", p)
		got32 := make([]float32, len(want))
		DepthwiseConv2D(p, f32(x), f32(w), f32(b), got32)
		got64 := make([]float64, len(want))
		DepthwiseConv2D(p, x, w, b, got64)
		for j := range want {
			ref := refActivation(want[j], a.relu, a.act)
			if d := math.Abs(float64(got32[j]) - ref); d > 1e-4*(1+math.Abs(ref)) {
				t.Fatalf("%s float32: y[%d] = %g, want %g", name, j, got32[j], ref)
			}
			if d := math.Abs(got64[j] - ref); d > 1e-6*(1+math.Abs(ref)) {
				t.Fatalf("%s float64: y[%d] = %g, want %g", name, j, got64[j], ref)
			}
		}
	}
	if ran < 150 {
		t.Fatalf("only %d of 300 shapes had an output", ran)
	}
}

// TestDepthwiseNaN checks that the activations applied in the stencil
// keep NaN as the separate operators do.
func TestDepthwiseNaN(t *testing.T) {
	p := ConvParams{N: 1, C: 2, H: 5, W: 9, M: 2, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 2}
	x := make([]float32, p.N*p.C*p.H*p.W)
	x[2*p.W+4] = float32(math.NaN())
	w := make([]float32, p.M*9)
	for i := range w {
		w[i] = 1
	}
	for _, act := range []Activation{{Kind: ActClip, A: 0, B: 6}, {Kind: ActHardSwish, A: 1. / 6, B: 0.5}} {
		for _, relu := range []bool{false, true} {
			p.Relu, p.Act = relu, act
			y := make([]float32, p.M*p.OutH()*p.OutW())
			DepthwiseConv2D(p, x, w, nil, y)
			if v := y[2*p.W+4]; !math.IsNaN(float64(v)) {
				t.Fatalf("relu %v act %+v: y = %g at the NaN, want NaN", relu, act, v)
			}
			if v := y[4*p.W]; v != 0 {
				t.Fatalf("relu %v act %+v: y = %g away from the NaN, want 0", relu, act, v)
			}
		}
	}
}

// BenchmarkDepthwise times DepthwiseConv2D on one image, serially (one
// worker: what the kernel itself costs), on MobileNet v3 and ShuffleNet
// shapes; cpu-ns/op is the figure to compare on a shared machine.
func BenchmarkDepthwise(b *testing.B) {
	for _, tc := range []struct {
		name        string
		c, hw, k, s int
		act         Activation
	}{
		{"56x56-c16-k3-s2", 16, 112, 3, 2, Activation{}},
		{"28x28-c72-k3-s2", 72, 56, 3, 2, Activation{}},
		{"28x28-c88-k3-s1", 88, 28, 3, 1, Activation{}},
		{"14x14-c96-k5-s2-hswish", 96, 28, 5, 2, Activation{Kind: ActHardSwish, A: 1. / 6, B: 0.5}},
		{"14x14-c240-k5-s1-hswish", 240, 14, 5, 1, Activation{Kind: ActHardSwish, A: 1. / 6, B: 0.5}},
		{"7x7-c576-k5-s1-hswish", 576, 7, 5, 1, Activation{Kind: ActHardSwish, A: 1. / 6, B: 0.5}},
		{"shufflenet-14x14-c480-k3-s1", 480, 14, 3, 1, Activation{}},
	} {
		pad := tc.k / 2
		p := ConvParams{N: 1, C: tc.c, H: tc.hw, W: tc.hw, M: tc.c, KH: tc.k, KW: tc.k, PadTop: pad, PadLeft: pad, PadBottom: pad, PadRight: pad,
			StrideH: tc.s, StrideW: tc.s, DilH: 1, DilW: 1, Group: tc.c, Act: tc.act}
		r := rand.New(rand.NewPCG(1, 2))
		x, w, bias := f32(randSlice(r, p.C*p.H*p.W)), f32(randSlice(r, p.M*p.KH*p.KW)), f32(randSlice(r, p.M))
		y := make([]float32, p.M*p.OutH()*p.OutW())
		b.Run(tc.name, func(b *testing.B) {
			l := &depthwiseLoop[float32]{p: p, x: x, w: w, b: bias, y: y}
			loopCPU(b, func() { l.planes(0, p.M) })
		})
	}
}

// TestDwDeinterleave checks the even/odd split on every length to 40.
func TestDwDeinterleave(t *testing.T) {
	for n := 0; n <= 40; n++ {
		src := make([]float32, 2*n+1)
		for i := range src {
			src[i] = float32(i)
		}
		even, odd := make([]float32, n), make([]float32, n)
		deinterleave(even, odd, src)
		for j := range n {
			if even[j] != float32(2*j) || odd[j] != float32(2*j+1) {
				t.Fatalf("n=%d: even[%d], odd[%d] = %g, %g", n, j, j, even[j], odd[j])
			}
		}
	}
}

// TestDeinterleaveRows checks the even/odd split of several rows in one
// call (the vector loop's overlapping last block on ragged lengths) on
// every length to 40: every element where it belongs, nothing written
// between the rows.
func TestDeinterleaveRows(t *testing.T) {
	const rows, lde, lds = 3, 47, 90
	for n := 0; n <= 40; n++ {
		src := make([]float32, (rows-1)*lds+2*n+1)
		for i := range src {
			src[i] = float32(i)
		}
		even, odd := make([]float32, rows*lde), make([]float32, rows*lde)
		for i := range even {
			even[i], odd[i] = -1, -1
		}
		deinterleaveRows(even, odd, lde, src, lds, n, rows)
		for i := 0; i < rows; i++ {
			for j := 0; j < lde; j++ {
				we, wo := float32(-1), float32(-1)
				if j < n {
					we, wo = float32(i*lds+2*j), float32(i*lds+2*j+1)
				}
				if even[i*lde+j] != we || odd[i*lde+j] != wo {
					t.Fatalf("n=%d: row %d column %d: %g, %g, want %g, %g", n, i, j, even[i*lde+j], odd[i*lde+j], we, wo)
				}
			}
		}
	}
}

// TestDwCopyRows checks the strided row copy: every row copied, nothing
// written past dst, and between rows nothing but zeros.
func TestDwCopyRows(t *testing.T) {
	for n := 1; n <= 20; n++ {
		for rows := 1; rows <= 4; rows++ {
			for _, extra := range []int{0, 3, 9} {
				stride := n + extra
				size := (rows-1)*stride + n
				back := make([]float32, size+16)
				for i := range back {
					back[i] = -1
				}
				src := make([]float32, rows*(n+5))
				for i := range src {
					src[i] = float32(i + 1)
				}
				dwCopyRows(back[:size], src, n, rows, stride, n+5)
				for i, v := range back {
					r, c := i/stride, i%stride
					switch {
					case i >= size && v != -1:
						t.Fatalf("n=%d rows=%d stride=%d: wrote %g at %d past the end %d", n, rows, stride, v, i, size)
					case i < size && c < n && v != src[r*(n+5)+c]:
						t.Fatalf("n=%d rows=%d stride=%d: dst[%d] = %g, want %g", n, rows, stride, i, v, src[r*(n+5)+c])
					case i < size && c >= n && v != -1 && v != 0:
						t.Fatalf("n=%d rows=%d stride=%d: dst[%d] = %g between rows", n, rows, stride, i, v)
					}
				}
			}
		}
	}
}

// TestAvgPoolStencil compares AvgPool2D (which takes the stencil for
// windows of up to dwMaxTaps taps) with a direct loop, bit for bit: the
// taps are added in the same order. Floor and ceil rounding, pads counted
// or not, strides and dilations.
func TestAvgPoolStencil(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	ran := 0
	for i := 0; i < 400; i++ {
		p := PoolParams{N: 1 + r.IntN(2), C: 1 + r.IntN(5), H: 1 + r.IntN(20), W: 1 + r.IntN(30),
			KH: 1 + r.IntN(4), KW: 1 + r.IntN(4), StrideH: 1 + r.IntN(3), StrideW: 1 + r.IntN(3),
			DilH: 1 + r.IntN(2), DilW: 1 + r.IntN(2), CountIncludePad: r.IntN(2) == 0}
		p.PadTop, p.PadBottom = r.IntN(p.KH), r.IntN(p.KH)
		p.PadLeft, p.PadRight = r.IntN(p.KW), r.IntN(p.KW)
		ceil := r.IntN(2) == 0
		p.OutH = PoolOut(p.H, p.KH, p.DilH, p.StrideH, p.PadTop, p.PadBottom, ceil)
		p.OutW = PoolOut(p.W, p.KW, p.DilW, p.StrideW, p.PadLeft, p.PadRight, ceil)
		if p.OutH <= 0 || p.OutW <= 0 {
			continue
		}
		if p.OutW >= 4 {
			ran++
		}
		x := f32(randSlice(r, p.N*p.C*p.H*p.W))
		got := make([]float32, p.N*p.C*p.OutH*p.OutW)
		AvgPool2D(p, x, got)
		for pl := 0; pl < p.N*p.C; pl++ {
			for oy := 0; oy < p.OutH; oy++ {
				for ox := 0; ox < p.OutW; ox++ {
					var sum float32
					n := 0
					for kh := 0; kh < p.KH; kh++ {
						ih := oy*p.StrideH - p.PadTop + kh*p.DilH
						for kw := 0; kw < p.KW; kw++ {
							iw := ox*p.StrideW - p.PadLeft + kw*p.DilW
							if ih >= 0 && ih < p.H && iw >= 0 && iw < p.W {
								sum += x[(pl*p.H+ih)*p.W+iw]
								n++
							} else if p.CountIncludePad && ih >= -p.PadTop && ih < p.H+p.PadBottom && iw >= -p.PadLeft && iw < p.W+p.PadRight {
								n++
							}
						}
					}
					want := float32(0)
					if n > 0 {
						want = sum / float32(n)
					}
					if g := got[(pl*p.OutH+oy)*p.OutW+ox]; g != want {
						t.Fatalf("%+v ceil %v: y[%d][%d][%d] = %g, want %g", p, ceil, pl, oy, ox, g, want)
					}
				}
			}
		}
	}
	if ran < 100 {
		t.Fatalf("only %d cases took the stencil", ran)
	}
}

// TestMaxPoolStencil compares MaxPool2D without argmax (which takes the
// stencil for windows of up to dwMaxTaps taps) with MaxPool2D with argmax
// (the scalar loop), bit for bit, NaN included: floor and ceil rounding,
// pads, strides, dilations.
func TestMaxPoolStencil(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	ran := 0
	for i := 0; i < 400; i++ {
		p := PoolParams{N: 1 + r.IntN(2), C: 1 + r.IntN(5), H: 1 + r.IntN(20), W: 1 + r.IntN(30),
			KH: 1 + r.IntN(4), KW: 1 + r.IntN(4), StrideH: 1 + r.IntN(3), StrideW: 1 + r.IntN(3),
			DilH: 1 + r.IntN(2), DilW: 1 + r.IntN(2)}
		p.PadTop, p.PadBottom = r.IntN(p.KH), r.IntN(p.KH)
		p.PadLeft, p.PadRight = r.IntN(p.KW), r.IntN(p.KW)
		ceil := r.IntN(2) == 0
		p.OutH = PoolOut(p.H, p.KH, p.DilH, p.StrideH, p.PadTop, p.PadBottom, ceil)
		p.OutW = PoolOut(p.W, p.KW, p.DilW, p.StrideW, p.PadLeft, p.PadRight, ceil)
		if p.OutH <= 0 || p.OutW <= 0 {
			continue
		}
		if p.OutW >= 4 {
			ran++
		}
		x := f32(randSlice(r, p.N*p.C*p.H*p.W))
		for j := range x {
			if r.IntN(20) == 0 {
				x[j] = float32(math.NaN())
			}
		}
		got := make([]float32, p.N*p.C*p.OutH*p.OutW)
		want := make([]float32, len(got))
		MaxPool2D(p, x, got, nil)
		MaxPool2D(p, x, want, make([]int, len(want)))
		for j := range want {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Fatalf("%+v ceil %v: y[%d] = %g, want %g", p, ceil, j, got[j], want[j])
			}
		}
	}
	if ran < 100 {
		t.Fatalf("only %d cases took the stencil", ran)
	}
}
