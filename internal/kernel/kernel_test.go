package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randSlice(r *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = r.Float64()*2 - 1
	}
	return s
}

// naiveConv is the textbook definition, used as the reference.
func naiveConv(p ConvParams, x, w, b []float64) []float64 {
	oh, ow := p.OutH(), p.OutW()
	cg, mg := p.C/p.Group, p.M/p.Group
	y := make([]float64, p.N*p.M*oh*ow)
	for n := 0; n < p.N; n++ {
		for m := 0; m < p.M; m++ {
			g := m / mg
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					s := 0.0
					if b != nil {
						s = b[m]
					}
					for c := 0; c < cg; c++ {
						for kh := 0; kh < p.KH; kh++ {
							for kw := 0; kw < p.KW; kw++ {
								ih := i*p.StrideH - p.PadTop + kh*p.DilH
								iw := j*p.StrideW - p.PadLeft + kw*p.DilW
								if ih < 0 || ih >= p.H || iw < 0 || iw >= p.W {
									continue
								}
								s += x[((n*p.C+g*cg+c)*p.H+ih)*p.W+iw] * w[((m*cg+c)*p.KH+kh)*p.KW+kw]
							}
						}
					}
					y[((n*p.M+m)*oh+i)*ow+j] = s
				}
			}
		}
	}
	return y
}

var convCases = []struct {
	name string
	p    ConvParams
}{
	{"lenet-same", ConvParams{N: 3, C: 2, H: 7, W: 6, M: 4, KH: 5, KW: 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1}},
	{"valid-stride", ConvParams{N: 2, C: 3, H: 9, W: 8, M: 2, KH: 3, KW: 2, StrideH: 2, StrideW: 3, DilH: 1, DilW: 1, Group: 1}},
	{"asym-pads-dilation", ConvParams{N: 1, C: 2, H: 6, W: 7, M: 3, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 2, PadRight: 2, StrideH: 1, StrideW: 2, DilH: 2, DilW: 1, Group: 1}},
	{"grouped", ConvParams{N: 2, C: 4, H: 5, W: 5, M: 6, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 2}},
	{"depthwise", ConvParams{N: 2, C: 3, H: 4, W: 5, M: 3, KH: 2, KW: 2, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 3}},
	// Depthwise convolutions take DepthwiseConv2D: strided and padded,
	// a channel multiplier of 2 with dilation, large enough to split the
	// planes across the workers.
	{"depthwise-s2", ConvParams{N: 2, C: 5, H: 9, W: 11, M: 5, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, Group: 5}},
	{"depthwise-s2-5x5-even", ConvParams{N: 1, C: 3, H: 12, W: 28, M: 3, KH: 5, KW: 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, Group: 3}},
	{"depthwise-s2-unpadded", ConvParams{N: 2, C: 2, H: 9, W: 19, M: 4, KH: 3, KW: 4, StrideH: 1, StrideW: 2, DilH: 1, DilW: 1, Group: 2}},
	{"depthwise-mult2-parallel", ConvParams{N: 1, C: 4, H: 40, W: 41, M: 8, KH: 5, KW: 5, PadTop: 2, PadLeft: 3, PadBottom: 2, PadRight: 1, StrideH: 1, StrideW: 1, DilH: 2, DilW: 1, Group: 4}},
	{"depthwise-batch-stride-w3", ConvParams{N: 3, C: 3, H: 7, W: 20, M: 3, KH: 3, KW: 4, PadTop: 0, PadLeft: 2, PadBottom: 3, PadRight: 2, StrideH: 1, StrideW: 3, DilH: 1, DilW: 2, Group: 3}},
	// Pointwise (1×1, stride 1, no padding): the image is the product's B.
	{"pointwise", ConvParams{N: 3, C: 7, H: 6, W: 5, M: 9, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1}},
	{"pointwise-grouped-batch1", ConvParams{N: 1, C: 16, H: 12, W: 11, M: 12, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 2}},
	// One image large enough to be split by columns across the workers
	// (convFewMinMACs), plain and grouped.
	// No input rows, only padding: the output is the bias (found by FuzzRun).
	{"empty-rows", ConvParams{N: 2, C: 2, H: 0, W: 5, M: 3, KH: 1, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1}},
	{"empty-rows-batch1", ConvParams{N: 1, C: 2, H: 0, W: 5, M: 3, KH: 1, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1}},
	{"batch1-split", ConvParams{N: 1, C: 8, H: 20, W: 19, M: 14, KH: 5, KW: 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1}},
	{"batch1-split-grouped", ConvParams{N: 1, C: 8, H: 22, W: 24, M: 16, KH: 3, KW: 3, PadTop: 1, PadLeft: 0, PadBottom: 1, PadRight: 2, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 2}},
}

// largeConvCases are forward-only cases (too large for the finite
// differences): grouped at batch 1, large enough for conv2DFew to split the
// groups' column tiles across workers (a worker's range may span groups).
var largeConvCases = []struct {
	name string
	p    ConvParams
}{
	{"grouped-batch1-parallel", ConvParams{N: 1, C: 24, H: 20, W: 21, M: 36, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 3}},
	{"grouped-pointwise-batch1-parallel", ConvParams{N: 1, C: 64, H: 16, W: 17, M: 64, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 4}},
}

func TestConv2DMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range append(convCases[:len(convCases):len(convCases)], largeConvCases...) {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			x := randSlice(r, p.N*p.C*p.H*p.W)
			w := randSlice(r, p.M*p.C/p.Group*p.KH*p.KW)
			b := randSlice(r, p.M)
			for _, bias := range [][]float64{nil, b} {
				want := naiveConv(p, x, w, bias)
				got := make([]float64, len(want))
				for i := range got {
					got[i] = math.NaN() // must be overwritten
				}
				Conv2D(p, x, w, bias, got)
				for i := range want {
					if math.Abs(got[i]-want[i]) > 1e-12 {
						t.Fatalf("bias=%v: y[%d] = %g, want %g", bias != nil, i, got[i], want[i])
					}
				}
				// float32 path agrees too.
				got32 := make([]float32, len(want))
				Conv2D(p, f32(x), f32(w), f32(bias), got32)
				for i := range want {
					if math.Abs(float64(got32[i])-want[i]) > 1e-4 {
						t.Fatalf("float32: y[%d] = %g, want %g", i, got32[i], want[i])
					}
				}
			}
		})
	}
}

func f32(s []float64) []float32 {
	if s == nil {
		return nil
	}
	o := make([]float32, len(s))
	for i, v := range s {
		o[i] = float32(v)
	}
	return o
}

// TestConv2DBackwardFiniteDifferences checks every gradient of the loss
// L = Σ y·r (r random) against central differences, in float64.
func TestConv2DBackwardFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range convCases {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			x := randSlice(r, p.N*p.C*p.H*p.W)
			w := randSlice(r, p.M*p.C/p.Group*p.KH*p.KW)
			b := randSlice(r, p.M)
			dy := randSlice(r, p.N*p.M*p.OutH()*p.OutW())
			loss := func() float64 {
				y := make([]float64, len(dy))
				Conv2D(p, x, w, b, y)
				s := 0.0
				for i := range y {
					s += y[i] * dy[i]
				}
				return s
			}
			dx, dw, db := make([]float64, len(x)), make([]float64, len(w)), make([]float64, len(b))
			Conv2DBackward(p, x, w, dy, dx, dw, db)
			for _, v := range []struct {
				name  string
				param []float64
				grad  []float64
			}{{"x", x, dx}, {"w", w, dw}, {"b", b, db}} {
				for i := range v.param {
					old := v.param[i]
					const h = 1e-6
					v.param[i] = old + h
					lp := loss()
					v.param[i] = old - h
					lm := loss()
					v.param[i] = old
					num := (lp - lm) / (2 * h)
					if math.Abs(num-v.grad[i]) > 1e-6*math.Max(1, math.Abs(num)) {
						t.Fatalf("d%s[%d] = %g, finite difference %g", v.name, i, v.grad[i], num)
					}
				}
			}
		})
	}
}

func TestPoolOut(t *testing.T) {
	for _, tc := range []struct {
		in, k, d, s, pb, pe int
		ceil                bool
		want                int
	}{
		{28, 2, 1, 2, 0, 0, false, 14},
		{5, 2, 1, 2, 0, 0, false, 2},
		{5, 2, 1, 2, 0, 0, true, 3},
		{32, 3, 1, 2, 0, 0, true, 16},
		{4, 3, 1, 2, 1, 1, true, 3},
		{5, 1, 1, 2, 0, 1, true, 3}, // a window starting in end padding is dropped
		{2, 5, 1, 1, 0, 0, false, 0},
	} {
		if got := PoolOut(tc.in, tc.k, tc.d, tc.s, tc.pb, tc.pe, tc.ceil); got != tc.want {
			t.Errorf("PoolOut(%+v) = %d, want %d", tc, got, tc.want)
		}
	}
}

func TestMaxPool2DAndBackward(t *testing.T) {
	// One 4×4 plane, 2×2 windows, stride 2.
	x := []float64{
		1, 2, 5, 0,
		3, 4, 1, 1,
		0, 0, -1, -2,
		9, 0, -3, -4,
	}
	p := PoolParams{N: 1, C: 1, H: 4, W: 4, KH: 2, KW: 2, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, OutH: 2, OutW: 2}
	y := make([]float64, 4)
	arg := make([]int, 4)
	MaxPool2D(p, x, y, arg)
	want := []float64{4, 5, 9, -1}
	wantArg := []int{5, 2, 12, 10}
	for i := range want {
		if y[i] != want[i] || arg[i] != wantArg[i] {
			t.Fatalf("out %d: got %g@%d, want %g@%d", i, y[i], arg[i], want[i], wantArg[i])
		}
	}
	dx := make([]float64, 16)
	MaxPool2DBackward(1, []float64{1, 2, 3, 4}, arg, dx)
	for i, v := range dx {
		exp := 0.0
		for j, a := range wantArg {
			if a == i {
				exp = float64(j + 1)
			}
		}
		if v != exp {
			t.Fatalf("dx[%d] = %g, want %g", i, v, exp)
		}
	}
}

func TestAvgPool2DPadding(t *testing.T) {
	x := []float64{1, 2, 3, 4} // 2×2
	base := PoolParams{N: 1, C: 1, H: 2, W: 2, KH: 2, KW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, OutH: 2, OutW: 2}
	for _, tc := range []struct {
		include bool
		want    []float64
	}{
		{false, []float64{1, 2, 3, 4}},
		{true, []float64{0.25, 0.5, 0.75, 1}},
	} {
		p := base
		p.CountIncludePad = tc.include
		y := make([]float64, 4)
		AvgPool2D(p, x, y)
		for i := range y {
			if math.Abs(y[i]-tc.want[i]) > 1e-15 {
				t.Fatalf("include=%v: y = %v, want %v", tc.include, y, tc.want)
			}
		}
	}
}

func TestGemmTransposes(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	m, n, k := 3, 4, 5
	a := randSlice(r, m*k)
	b := randSlice(r, k*n)
	want := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			for p := 0; p < k; p++ {
				want[i*n+j] += a[i*k+p] * b[p*n+j]
			}
		}
	}
	at := make([]float64, k*m)
	for i := 0; i < m; i++ {
		for p := 0; p < k; p++ {
			at[p*m+i] = a[i*k+p]
		}
	}
	bt := make([]float64, n*k)
	for p := 0; p < k; p++ {
		for j := 0; j < n; j++ {
			bt[j*k+p] = b[p*n+j]
		}
	}
	for _, tc := range []struct {
		ta, tb   bool
		a, b     []float64
		lda, ldb int
	}{{false, false, a, b, k, n}, {true, false, at, b, m, n}, {false, true, a, bt, k, k}, {true, true, at, bt, m, k}} {
		c := make([]float64, m*n)
		Gemm(tc.ta, tc.tb, m, n, k, 1, tc.a, tc.lda, tc.b, tc.ldb, 0, c, n)
		for i := range c {
			if math.Abs(c[i]-want[i]) > 1e-12 {
				t.Fatalf("transA=%v transB=%v: c[%d]=%g want %g", tc.ta, tc.tb, i, c[i], want[i])
			}
		}
	}
}

// TestDepthwiseRelu checks the Relu applied by DepthwiseConv2D's planes.
func TestDepthwiseRelu(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	p := ConvParams{N: 2, C: 6, H: 12, W: 13, M: 6, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 6}
	x, w, b := randSlice(r, p.N*p.C*p.H*p.W), randSlice(r, p.M*p.KH*p.KW), randSlice(r, p.M)
	want := naiveConv(p, x, w, b)
	p.Relu = true
	got := make([]float32, len(want))
	Conv2D(p, f32(x), f32(w), f32(b), got)
	for i := range want {
		if math.Abs(float64(got[i])-max(want[i], 0)) > 1e-5 {
			t.Fatalf("y[%d] = %g, want relu(%g)", i, got[i], want[i])
		}
	}
}

// TestConv2DPacked checks Conv2DPacked with prepacked weights against
// Conv2D packing them itself, on every case but depthwise ones (batch 1
// and larger, one group and several, im2col and packing from the image),
// bit for bit: both multiply the same packed panels in the same order.
func TestConv2DPacked(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	cases := append([]struct {
		name string
		p    ConvParams
	}{
		{"flat-batch1", ConvParams{N: 1, C: 16, H: 30, W: 30, M: 32, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1}},
		{"strided-batch1", ConvParams{N: 1, C: 24, H: 28, W: 29, M: 20, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, Group: 1}},
		{"pointwise-batch3", ConvParams{N: 3, C: 40, H: 9, W: 9, M: 13, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1}},
		// Grouped (ShuffleNet's 1×1 group convolutions; a strided 3×3),
		// at batch 1 (columns split across workers) and batch 3 (an
		// image per worker).
		{"grouped-pointwise-batch1", ConvParams{N: 1, C: 32, H: 14, W: 14, M: 48, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 4}},
		{"grouped-pointwise-batch3", ConvParams{N: 3, C: 32, H: 7, W: 9, M: 24, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 4}},
		{"grouped-strided-batch1", ConvParams{N: 1, C: 12, H: 29, W: 27, M: 18, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, Group: 3}},
		{"grouped-flat-batch3", ConvParams{N: 3, C: 8, H: 16, W: 16, M: 16, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 2}},
	}, append(convCases[:len(convCases):len(convCases)], largeConvCases...)...)
	for _, tc := range cases {
		p := tc.p
		if IsDepthwise(p) || p.H == 0 {
			continue
		}
		x := f32(randSlice(r, p.N*p.C*p.H*p.W))
		w := f32(randSlice(r, p.M*p.colRows()))
		b := f32(randSlice(r, p.M))
		pw := PackConvWeights(p, w)
		if pw == nil && sgemmFast {
			t.Fatal("PackConvWeights returned nil with the packed GEMM on")
		}
		if pw != nil {
			pw.wino = winoWeights{} // the GEMM path (TestConvWinograd checks the other)
		}
		for _, relu := range []bool{false, true} {
			p.Relu = relu
			want := make([]float32, p.N*p.M*p.OutH()*p.OutW())
			got := make([]float32, len(want))
			Conv2D(p, x, w, b, want)
			Conv2DPacked(p, x, w, pw, b, got)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s relu %v: y[%d] = %g packed, %g not", tc.name, relu, i, got[i], want[i])
				}
			}
		}
	}
}

// TestDepthwiseConv2D checks DepthwiseConv2D itself (Conv2D takes it at
// batch 1 only) on every depthwise case, at the case's batch.
func TestDepthwiseConv2D(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, tc := range convCases {
		p := tc.p
		if !IsDepthwise(p) || p.H == 0 {
			continue
		}
		x, w, b := randSlice(r, p.N*p.C*p.H*p.W), randSlice(r, p.M*p.KH*p.KW), randSlice(r, p.M)
		want := naiveConv(p, x, w, b)
		got := make([]float32, len(want))
		DepthwiseConv2D(p, f32(x), f32(w), f32(b), got)
		for i := range want {
			if math.Abs(float64(got[i])-want[i]) > 1e-4 {
				t.Fatalf("%s: y[%d] = %g, want %g", tc.name, i, got[i], want[i])
			}
		}
	}
}
