package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMaxPoolByRows checks maxPoolByRows, and maxPoolBand on bands of
// every size, against MaxPool2D bit for bit (NaNs included, where the
// first tap inside the plane decides): windows inside and over the
// padding, 2×2/2, 3×3/2 (its vector loop), 3×3/1 (the stencil), dilated
// and 5×5 windows, ceil-mode last windows, planes narrower than a vector.
func TestMaxPoolByRows(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	for _, c := range []struct{ c, h, w, k, s, d, pad, padEnd int }{
		{3, 20, 20, 2, 2, 1, 0, 0},
		{5, 21, 19, 3, 2, 1, 0, 0},
		{4, 24, 24, 3, 2, 1, 1, 1},
		{2, 23, 23, 3, 2, 1, 0, 1}, // ceil mode: the last window over the end padding
		{3, 14, 14, 3, 1, 1, 1, 1},
		{2, 7, 7, 3, 1, 1, 1, 1},
		{2, 17, 15, 3, 1, 2, 2, 2},
		{1, 30, 9, 5, 3, 1, 2, 2},
		{2, 3, 40, 3, 2, 1, 1, 1},
	} {
		p := PoolParams{N: 1, C: c.c, H: c.h, W: c.w, KH: c.k, KW: c.k, PadTop: c.pad, PadLeft: c.pad,
			PadBottom: c.padEnd, PadRight: c.padEnd, StrideH: c.s, StrideW: c.s, DilH: c.d, DilW: c.d}
		span := (c.k-1)*c.d + 1
		p.OutH = (c.h+c.pad+c.padEnd-span)/c.s + 1
		p.OutW = (c.w+c.pad+c.padEnd-span)/c.s + 1
		x := f32(randSlice(r, c.c*c.h*c.w))
		for i := 0; i < len(x); i += 37 {
			x[i] = float32(math.NaN())
		}
		want := make([]float32, c.c*p.OutH*p.OutW)
		MaxPool2D(p, x, want, nil)
		check := func(what string, got []float32) {
			t.Helper()
			for i := range want {
				if !sameBits(got[i], want[i]) {
					t.Fatalf("%+v %s: y[%d] = %v, want %v", c, what, i, got[i], want[i])
				}
			}
		}
		got := make([]float32, len(want))
		maxPoolByRows(p, x, got)
		check("maxPoolByRows", got)
		hw, ohw := c.h*c.w, p.OutH*p.OutW
		for rows := 1; rows <= p.OutH; rows++ {
			for i := range got {
				got[i] = 12345
			}
			for a := 0; a < p.OutH; a += rows {
				e := min(a+rows, p.OutH)
				r0, _ := poolInputRows(&p, a, e)
				maxPoolBand(&p, x[r0*c.w:], hw, c.c, got[a*p.OutW:], ohw, a, e)
			}
			check("bands", got)
		}
	}
}

// TestConv2DPoolByRows checks Conv2DPool against Conv2DPacked then
// MaxPool2D, bit for bit, for convolutions of one image that split their
// output by rows: direct stride-2 stems (SqueezeNet's, computed and pooled
// band by band: convDirectPool), 7×7/2 stems (ResNet's: the product band
// by band, convPoolBands) and a 3×3 and a 5×5/2 on odd planes (pooled split
// by rows: maxPoolByRows), with 3×3/2 pools with and without padding.
func TestConv2DPoolByRows(t *testing.T) {
	r := rand.New(rand.NewPCG(73, 74))
	byRows, productBands := 0, 0
	for _, c := range []struct {
		c, h, m, k, s, pad, ppad int
		hswish                   bool
	}{
		{3, 95, 16, 3, 2, 0, 0, false},
		{3, 224, 64, 3, 2, 0, 0, false}, // SqueezeNet's stem: bands of 5 pooled rows, 12 of them
		{3, 150, 32, 3, 2, 1, 1, true},  // padded windows at the first and last bands, an activation
		{3, 96, 32, 7, 2, 3, 1, false},
		{3, 224, 64, 7, 2, 3, 1, false}, // ResNet's stem: the product band by band (convPoolBands)
		{16, 41, 32, 3, 1, 1, 0, false},
		{24, 33, 16, 5, 2, 2, 1, false},
	} {
		p := ConvParams{N: 1, C: c.c, H: c.h, W: c.h, M: c.m, KH: c.k, KW: c.k, PadTop: c.pad, PadLeft: c.pad,
			PadBottom: c.pad, PadRight: c.pad, StrideH: c.s, StrideW: c.s, DilH: 1, DilW: 1, Group: 1, Relu: !c.hswish}
		if c.hswish {
			p.Act = Activation{Kind: ActHardSwish, A: 1. / 6, B: 0.5}
		}
		oh, ow := p.OutH(), p.OutW()
		pool := PoolParams{N: 1, C: c.m, H: oh, W: ow, KH: 3, KW: 3, PadTop: c.ppad, PadLeft: c.ppad,
			PadBottom: c.ppad, PadRight: c.ppad, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1}
		pool.OutH = (oh+2*c.ppad-3)/2 + 1
		pool.OutW = (ow+2*c.ppad-3)/2 + 1
		x := f32(randSlice(r, p.C*p.H*p.W))
		w := f32(randSlice(r, p.M*p.colRows()))
		b := f32(randSlice(r, p.M))
		pw := PackConvWeights(p, w)
		if splitsByRows(&p, pw) && !pools2x2(&p, &pool) {
			byRows++
		}
		if convPoolBandsFor(&p, pw, &pool, true) {
			productBands++
		}
		conv := make([]float32, p.M*oh*ow)
		Conv2DPacked(p, x, w, pw, b, conv)
		want := make([]float32, p.M*pool.OutH*pool.OutW)
		MaxPool2D(pool, conv, want, nil)
		got := make([]float32, len(want))
		Conv2DPool(p, x, w, pw, b, pool, got)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%+v: y[%d] = %v, want %v", c, i, got[i], want[i])
			}
		}
	}
	if workerCount(math.MaxInt) >= 2 && byRows < 3 {
		t.Errorf("%d shapes split by rows, want at least 3", byRows)
	}
	if tileEpilogues && sgemmFast && convPackAVX512 && productBands < 2 {
		t.Errorf("%d shapes through the product band by band, want 2 (the 7×7/2 stems)", productBands)
	}
}

// TestPlaneMeans checks PlaneMeans against the float64 mean of each plane,
// serially and split across the workers (many planes), float32 and
// float64, and a plane of no elements (NaN).
func TestPlaneMeans(t *testing.T) {
	r := rand.New(rand.NewPCG(75, 76))
	for _, c := range []struct{ planes, plane int }{{1, 1}, {3, 7}, {576, 49}, {96, 196}, {5, 1001}, {4, 0}} {
		x := randSlice(r, c.planes*c.plane)
		got := make([]float64, c.planes)
		got32 := make([]float32, c.planes)
		PlaneMeans(x, got)
		PlaneMeans(f32(x), got32)
		for i := range got {
			if c.plane == 0 {
				if !math.IsNaN(got[i]) || !math.IsNaN(float64(got32[i])) {
					t.Fatalf("%+v: mean of nothing %v, %v, want NaN", c, got[i], got32[i])
				}
				continue
			}
			want, want32 := 0.0, 0.0
			for _, v := range x[i*c.plane : (i+1)*c.plane] {
				want += v
				want32 += float64(float32(v))
			}
			want /= float64(c.plane)
			want32 /= float64(c.plane)
			if math.Abs(got[i]-want) > 1e-12 || math.Abs(float64(got32[i])-want32) > 1e-6 {
				t.Fatalf("%+v: plane %d mean %v (float32 %v), want %v (%v)", c, i, got[i], got32[i], want, want32)
			}
		}
	}
}
