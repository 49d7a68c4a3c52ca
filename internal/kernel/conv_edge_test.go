package kernel

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestIm2colEdges checks im2col and col2im against their definitions on
// geometries whose windows fall partly or wholly into large pads, with
// strides and dilations, where the fast row paths clip their ranges.
func TestIm2colEdges(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, h := range []int{1, 3} {
		for _, w := range []int{1, 2, 5, 13, 28} {
			for _, k := range []int{1, 2, 3} {
				for _, pad := range []int{0, 1, 2, 4} {
					for _, s := range []int{1, 2, 3} {
						for _, d := range []int{1, 2} {
							p := ConvParams{N: 1, C: 2, H: h, W: w, M: 1, KH: 1, KW: k, PadTop: 0, PadLeft: pad, PadBottom: 0, PadRight: pad + 1,
								StrideH: 1, StrideW: s, DilH: 1, DilW: d, Group: 1}
							if p.OutW() <= 0 {
								continue
							}
							checkIm2col(t, r, p)
						}
					}
				}
			}
		}
	}
}

// TestIm2colSamePadding covers the rows im2col copies as one run: stride
// 1 with "same" padding (output rows as long as input rows), the kernel
// overhanging each side by different amounts, with dilation and for
// kernels wider than the image.
func TestIm2colSamePadding(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, h := range []int{1, 3, 14} {
		for _, w := range []int{1, 2, 5, 14} {
			for _, k := range []int{1, 2, 3, 4, 5} {
				for _, d := range []int{1, 2} {
					total := (k - 1) * d // pads that keep the size
					for _, before := range []int{total / 2, total - total/2, 0, total} {
						p := ConvParams{N: 1, C: 3, H: h, W: w, M: 1, KH: k, KW: k,
							PadTop: before, PadLeft: before, PadBottom: total - before, PadRight: total - before,
							StrideH: 1, StrideW: 1, DilH: d, DilW: d, Group: 1}
						if p.OutW() != w || p.OutH() != h {
							t.Fatalf("%+v: output %d×%d, want %d×%d", p, p.OutH(), p.OutW(), h, w)
						}
						checkIm2col(t, r, p)
					}
				}
			}
		}
	}
}

func checkIm2col(t *testing.T, r *rand.Rand, p ConvParams) {
	t.Helper()
	oh, ow := p.OutH(), p.OutW()
	x := make([]float64, p.C*p.H*p.W)
	for i := range x {
		x[i] = r.Float64()
	}
	rows := p.colRows()
	col := make([]float64, rows*oh*ow)
	for i := range col {
		col[i] = 99 // must be overwritten
	}
	im2col(&p, x, 0, col)
	want := make([]float64, len(col))
	for c := 0; c < p.C; c++ {
		for kh := 0; kh < p.KH; kh++ {
			for kw := 0; kw < p.KW; kw++ {
				for y := 0; y < oh; y++ {
					for xo := 0; xo < ow; xo++ {
						ih := y*p.StrideH - p.PadTop + kh*p.DilH
						iw := xo*p.StrideW - p.PadLeft + kw*p.DilW
						if ih >= 0 && ih < p.H && iw >= 0 && iw < p.W {
							want[((c*p.KH+kh)*p.KW+kw)*oh*ow+y*ow+xo] = x[(c*p.H+ih)*p.W+iw]
						}
					}
				}
			}
		}
	}
	for i := range want {
		if col[i] != want[i] {
			t.Fatalf("%+v: im2col[%d] = %v, want %v", p, i, col[i], want[i])
		}
	}
	// The float32 path (vector loops on amd64) copies the same values.
	col32 := make([]float32, len(col))
	im2col(&p, f32(x), 0, col32)
	for i := range want {
		if col32[i] != float32(want[i]) {
			t.Fatalf("%+v: float32 im2col[%d] = %v, want %v", p, i, col32[i], want[i])
		}
	}
	// im2colColumns gives any range of columns of the same matrix.
	n := oh * ow
	for _, jr := range [][2]int{{0, n}, {0, 1}, {n - 1, n}, {1, max(1, n-1)}, {n / 3, 2 * n / 3}, {n / 2, n}} {
		j0, j1 := jr[0], jr[1]
		if j0 >= j1 {
			continue
		}
		part := make([]float32, rows*(j1-j0))
		for i := range part {
			part[i] = 99
		}
		im2colColumns(&p, f32(x), 0, j0, j1, part)
		for rr := 0; rr < rows; rr++ {
			for j := j0; j < j1; j++ {
				if got, w := part[rr*(j1-j0)+j-j0], float32(want[rr*n+j]); got != w {
					t.Fatalf("%+v: im2colColumns(%d, %d) row %d column %d = %v, want %v", p, j0, j1, rr, j, got, w)
				}
			}
		}
	}
	// col2im is the adjoint: <im2col(x), g> = <x, col2im(g)>.
	g := make([]float64, len(col))
	for i := range g {
		g[i] = r.Float64()
	}
	dx := make([]float64, len(x))
	col2im(&p, g, 0, dx)
	var lhs, rhs float64
	for i := range g {
		lhs += want[i] * g[i]
	}
	for i := range x {
		rhs += x[i] * dx[i]
	}
	if d := lhs - rhs; d > 1e-9 || d < -1e-9 {
		t.Fatalf("%+v: col2im is not the adjoint of im2col: %v vs %v", p, lhs, rhs)
	}
	dx32 := make([]float32, len(x))
	for i := range dx32 {
		dx32[i] = 1
	}
	for i := range dx {
		dx[i]++
	}
	col2im(&p, f32(g), 0, dx32)
	for i := range dx {
		if d := float64(dx32[i]) - dx[i]; d > 1e-4 || d < -1e-4 {
			t.Fatalf("%+v: float32 col2im dx[%d] = %v, want %v", p, i, dx32[i], dx[i])
		}
	}
}

// TestGemvTails checks the single-row product on widths that exercise the
// 64-column, 8-column and masked paths, with and without beta.
func TestGemvTails(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 3, 8, 9, 63, 64, 65, 72, 75, 130, 500} {
		for _, k := range []int{1, 2, 3, 17} {
			for _, beta := range []float32{0, 1, -0.5} {
				a := f32(randSlice(r, k))
				ldb := n + 3
				b := f32(randSlice(r, k*ldb))
				c := f32(randSlice(r, n+4))
				want := append([]float32(nil), c...)
				gemmGeneric(false, false, 1, n, k, 1.5, a, k, b, ldb, beta, want, n)
				Gemm(false, false, 1, n, k, 1.5, a, k, b, ldb, beta, c, n)
				for j := range c {
					d := float64(c[j] - want[j])
					if d > 1e-4 || d < -1e-4 {
						t.Fatalf("n=%d k=%d beta=%v: c[%d] = %v, want %v", n, k, beta, j, c[j], want[j])
					}
				}
			}
		}
	}
}

// TestGemvEqualColumns checks that the single-row product gives equal
// columns of B equal results, whichever group of columns (64, 8, masked
// tail) they fall in: each is the same sum in the same order. A model
// whose classifier weights are all equal (IR version 3 exports that make
// them with a ConstantOfShape, with logits near 1e19) otherwise gets a
// softmax that is not uniform.
func TestGemvEqualColumns(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{75, 139, 1000} {
		for _, k := range []int{2, 17, 2048} {
			a := f32(randSlice(r, k))
			for i := range a {
				a[i] *= 1e17
			}
			b := make([]float32, k*n)
			for p := 0; p < k; p++ {
				v := float32(r.Float64())
				for j := 0; j < n; j++ {
					b[p*n+j] = v
				}
			}
			c := make([]float32, n)
			Gemm(false, false, 1, n, k, 1, a, k, b, n, 0, c, n)
			for j := range c {
				if math.Float32bits(c[j]) != math.Float32bits(c[0]) {
					t.Fatalf("n=%d k=%d: c[%d] = %v, c[0] = %v", n, k, j, c[j], c[0])
				}
			}
		}
	}
}

// TestConvPackFromImage checks float32 convolutions that pack their
// products' B panels straight from the image (stride 1) against the
// definition, on random shapes: output rows as long as the input rows and
// narrower, ragged last panels, rows of fewer than 16 pixels, dilations,
// extra rows of padding above and below, groups, one image (split by
// columns) and several.
func TestConvPackFromImage(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for range 300 {
		k := 1 + r.IntN(5)
		d := 1 + r.IntN(2)
		total := (k - 1) * d
		left := r.IntN(total + 1)
		right := total - left // "same": rows as long as the input's
		if r.IntN(2) == 0 {
			right = r.IntN(right + 1) // narrower rows ("valid" on the right)
		}
		group := 1 + r.IntN(2)
		p := ConvParams{N: 1 + r.IntN(3), C: group * (1 + r.IntN(3)), H: 1 + r.IntN(15), W: 1 + r.IntN(30),
			M: group * (1 + r.IntN(9)), KH: k, KW: k,
			PadTop: r.IntN(total + 2), PadLeft: left, PadBottom: r.IntN(total + 2), PadRight: right,
			StrideH: 1, StrideW: 1, DilH: d, DilW: d, Group: group}
		if p.OutH() <= 0 || p.OutW() <= 0 || p.OutW() > p.W {
			continue
		}
		if r.IntN(4) == 0 { // large enough for batch 1 to split by columns
			p.N, p.C, p.M, p.H, p.W = 1, 8*group, 8*group, 20, 24
			p.PadLeft, p.PadRight = left, right
		}
		x := randSlice(r, p.N*p.C*p.H*p.W)
		w := randSlice(r, p.M*p.C/p.Group*p.KH*p.KW)
		b := randSlice(r, p.M)
		want := naiveConv(p, x, w, b)
		got := make([]float32, len(want))
		for i := range got {
			got[i] = float32(math.NaN())
		}
		Conv2D(p, f32(x), f32(w), f32(b), got)
		for i := range want {
			if d := float64(got[i]) - want[i]; math.IsNaN(d) || math.Abs(d) > 1e-4 {
				t.Fatalf("%+v: y[%d] = %v, want %v", p, i, got[i], want[i])
			}
		}
	}
}

// TestConvChannelSplit checks batch-1 convolutions with few columns and
// many channels against the definition: flat and packed from the image
// and pointwise (which conv2DFew splits by output channels), strided
// (im2col, which it splits by columns), a 7×7 plane whose last column
// tile is ragged, channel counts that are not a multiple of the tile
// height, with and without the kernel packed, a bias and a Relu.
func TestConvChannelSplit(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	r := rand.New(rand.NewPCG(21, 22))
	for _, p := range []ConvParams{
		{N: 1, C: 40, H: 7, W: 7, M: 70, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1},
		{N: 1, C: 24, H: 14, W: 14, M: 53, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1},
		{N: 1, C: 32, H: 15, W: 13, M: 64, KH: 3, KW: 3, PadTop: 1, PadLeft: 0, PadBottom: 1, PadRight: 1, StrideH: 2, StrideW: 2},
		{N: 1, C: 96, H: 9, W: 11, M: 49, KH: 1, KW: 1},
		{N: 1, C: 64, H: 14, W: 14, M: 48, KH: 1, KW: 1, StrideH: 2, StrideW: 2},
		{N: 2, C: 50, H: 7, W: 7, M: 60, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1},
		// im2col matrices a quarter of the kernel or less: by channels.
		{N: 1, C: 48, H: 9, W: 9, M: 100, KH: 1, KW: 1, StrideH: 2, StrideW: 2},
		{N: 1, C: 40, H: 7, W: 7, M: 120, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, StrideH: 2, StrideW: 2},
		// Rows narrower than the input's (no padding at a side), packed
		// from the image only for all the channels: split by channels,
		// each worker's part takes im2col (these panicked on a missing
		// im2col buffer).
		{N: 1, C: 64, H: 7, W: 7, M: 128, KH: 3, KW: 3},
		{N: 1, C: 31, H: 6, W: 14, M: 192, KH: 5, KW: 5, PadTop: 1, PadRight: 1},
	} {
		p.Group, p.DilH, p.DilW = 1, 1, 1
		p.StrideH, p.StrideW = max(p.StrideH, 1), max(p.StrideW, 1)
		tiles := (p.OutH()*p.OutW() + convColumnTile - 1) / convColumnTile
		flat, _ := canPackFromImage(&p)
		if want := isPointwise(&p) || flat || 4*p.OutH()*p.OutW() <= p.M; p.N == 1 && splitByChannels(&p, tiles) != want {
			t.Fatalf("%+v: split by channels %v, want %v", p, !want, want)
		}
		x, w, b := randSlice(r, p.N*p.C*p.H*p.W), randSlice(r, p.M*p.colRows()), randSlice(r, p.M)
		want := naiveConv(p, x, w, b)
		pw := PackConvWeights(p, f32(w))
		for _, relu := range []bool{false, true} {
			for _, packed := range []bool{false, true} {
				q := p
				q.Relu = relu
				got := make([]float32, len(want))
				if packed {
					Conv2DPacked(q, f32(x), f32(w), pw, f32(b), got)
				} else {
					Conv2D(q, f32(x), f32(w), f32(b), got)
				}
				got64 := make([]float64, len(want))
				Conv2D(q, x, w, b, got64)
				for i, v := range want {
					if relu {
						v = max(v, 0)
					}
					if math.Abs(float64(got[i])-v) > 1e-4*max(1, math.Abs(v)) || math.Abs(got64[i]-v) > 1e-9*max(1, math.Abs(v)) {
						t.Fatalf("%+v packed %v relu %v: y[%d] = %v (float64 %v), want %v", p, packed, relu, i, got[i], got64[i], v)
					}
				}
			}
		}
	}
}

// TestConvPackFromPhases checks stride-2 convolutions against the
// definition: even images with the output half their size, which pack
// from the image's phase planes (packsFromPhases; 1×1 to 7×7 kernels,
// every padding that keeps the output half the image, batch 1 split by
// columns or channels and larger batches), and odd or differently padded
// ones, which take im2col.
func TestConvPackFromPhases(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	phased := 0
	for i := range 200 {
		k := 1 + r.IntN(7)
		p := ConvParams{N: 1 + r.IntN(3), C: 1 + r.IntN(6), H: 2 * (1 + r.IntN(9)), W: 2 * (1 + r.IntN(12)),
			M: 1 + r.IntN(20), KH: k, KW: k, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, Group: 1}
		// Total padding k-1 or k-2 keeps the output at half the image.
		p.PadTop = r.IntN(k)
		p.PadBottom = max(0, k-1-r.IntN(2)-p.PadTop)
		p.PadLeft = r.IntN(k)
		p.PadRight = max(0, k-1-r.IntN(2)-p.PadLeft)
		if i%5 == 0 { // large enough to run in parallel, by columns or by channels
			p.N, p.C, p.M, p.H, p.W = 1, 16, 64+r.IntN(40), 2*(6+r.IntN(10)), 2*(6+r.IntN(10))
		}
		if i%7 == 0 {
			p.W++ // odd: im2col
		}
		if p.OutH() <= 0 || p.OutW() <= 0 {
			continue
		}
		if packsFromPhases(&p) {
			phased++
		}
		p.Relu = r.IntN(2) == 0
		x := randSlice(r, p.N*p.C*p.H*p.W)
		w := randSlice(r, p.M*p.C*p.KH*p.KW)
		b := randSlice(r, p.M)
		want := naiveConv(p, x, w, b)
		if p.Relu {
			for i := range want {
				want[i] = max(want[i], 0)
			}
		}
		got := make([]float32, len(want))
		for i := range got {
			got[i] = float32(math.NaN())
		}
		x32 := f32(x)
		var pw *ConvWeights
		if r.IntN(2) == 0 {
			pw = PackConvWeights(p, f32(w))
		}
		Conv2DPacked(p, x32, f32(w), pw, f32(b), got)
		for i := range want {
			if d := float64(got[i]) - want[i]; math.IsNaN(d) || math.Abs(d) > 1e-4 {
				t.Fatalf("%+v: y[%d] = %v, want %v", p, i, got[i], want[i])
			}
		}
		for i, v := range f32(x) {
			if x32[i] != v {
				t.Fatalf("%+v: the input changed at %d", p, i)
			}
		}
	}
	if phased < 50 {
		t.Errorf("only %d of the shapes pack from phase planes", phased)
	}
}

// TestConv2DPool checks the convolution fused with a max pooling against
// the two run one after the other, bit for bit: batches of one image to
// more than a chunk, 2×2/2 and 3×3/2 padded pools, a Relu, direct
// convolutions (few input channels) that pool pairs of output rows, 3×3
// convolutions whose pool the Winograd output transform computes (even
// outputs, channels shared out at batch 1) or cannot (odd outputs), and
// GEMM-path convolutions pooled image by image.
func TestConv2DPool(t *testing.T) {
	defer everyWinogradShape()()
	r := rand.New(rand.NewPCG(17, 18))
	fused, perImage := 0, 0
	for _, c := range []struct{ n, c, h, m, k, pk, ps, pad int }{
		{1, 1, 28, 32, 3, 2, 2, 0},
		{3, 4, 14, 20, 5, 2, 2, 0},
		{1, 2, 10, 16, 3, 2, 2, 0},  // row blocks of an odd number of rows, rounded up to pairs
		{2, 1, 27, 8, 3, 2, 2, 0},   // an odd output: pooled after
		{40, 1, 28, 32, 3, 2, 2, 0}, // conv1 of the PyTorch MNIST CNN: 100 KB an image, several chunks
		{9, 8, 11, 24, 3, 3, 2, 1},
		{5, 32, 14, 64, 3, 2, 2, 0}, // conv2 of the PyTorch MNIST CNN
		{1, 64, 14, 256, 3, 2, 2, 0},
		{3, 16, 13, 32, 3, 2, 2, 0},
		{2, 40, 20, 48, 3, 2, 2, 0},
	} {
		p := ConvParams{N: c.n, C: c.c, H: c.h, W: c.h, M: c.m, KH: c.k, KW: c.k, PadTop: c.k / 2, PadLeft: c.k / 2,
			PadBottom: c.k / 2, PadRight: c.k / 2, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1, Relu: true}
		oh, ow := p.OutH(), p.OutW()
		pool := PoolParams{N: c.n, C: c.m, H: oh, W: ow, KH: c.pk, KW: c.pk, PadTop: c.pad, PadLeft: c.pad,
			PadBottom: c.pad, PadRight: c.pad, StrideH: c.ps, StrideW: c.ps, DilH: 1, DilW: 1}
		pool.OutH = (oh+2*c.pad-c.pk)/c.ps + 1
		pool.OutW = (ow+2*c.pad-c.pk)/c.ps + 1
		x := f32(randSlice(r, p.N*p.C*p.H*p.W))
		w := f32(randSlice(r, p.M*p.colRows()))
		b := f32(randSlice(r, p.M))
		pw := PackConvWeights(p, w)
		if pools2x2(&p, &pool) && (canConvDirect(&p) && poolAVX512 || winogradFor(&p, pw) != nil) {
			fused++
		}
		if convImagesPool(&p, pw) {
			perImage++
		}
		conv := make([]float32, p.N*p.M*oh*ow)
		Conv2DPacked(p, x, w, pw, b, conv)
		want := make([]float32, p.N*p.M*pool.OutH*pool.OutW)
		MaxPool2D(pool, conv, want, nil)
		got := make([]float32, len(want))
		for i := range got {
			got[i] = float32(math.NaN())
		}
		Conv2DPool(p, x, w, pw, b, pool, got)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%+v: y[%d] = %v, want %v", c, i, got[i], want[i])
			}
		}
	}
	if winogradAVX512 && sgemmFast && poolAVX512 && fused != 6 {
		t.Errorf("the direct and Winograd paths pooled %d shapes, want 6", fused)
	}
	if workerCount(math.MaxInt) <= 3 && perImage < 2 {
		t.Errorf("%d shapes pooled image by image, want at least 2", perImage)
	}
}

// TestConv2DPackedResidual checks a convolution with a residual added
// before its Relu against the convolution, then the addition, then the
// Relu, bit for bit: 1×1 convolutions at batch 1 (the tile epilogue: ragged
// rows and columns, split by channels or by columns) and the others
// (added after).
func TestConv2DPackedResidual(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for _, p := range []ConvParams{
		{N: 1, C: 64, H: 7, W: 7, M: 100, KH: 1, KW: 1},
		{N: 1, C: 40, H: 14, W: 14, M: 64, KH: 1, KW: 1},
		{N: 1, C: 48, H: 30, W: 33, M: 20, KH: 1, KW: 1},
		{N: 1, C: 64, H: 56, W: 56, M: 64, KH: 1, KW: 1},
		{N: 2, C: 48, H: 9, W: 9, M: 32, KH: 1, KW: 1},
		{N: 1, C: 40, H: 9, W: 9, M: 48, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1},
	} {
		p.Group, p.DilH, p.DilW, p.StrideH, p.StrideW = 1, 1, 1, 1, 1
		x, w, b := f32(randSlice(r, p.N*p.C*p.H*p.W)), f32(randSlice(r, p.M*p.colRows())), f32(randSlice(r, p.M))
		n := p.N * p.M * p.OutH() * p.OutW()
		res := f32(randSlice(r, n))
		res[3], res[4] = float32(math.NaN()), float32(math.Copysign(0, -1))
		pw := PackConvWeights(p, w)
		for _, relu := range []bool{false, true} {
			want := make([]float32, n)
			Conv2DPacked(p, x, w, pw, b, want)
			for i := range want {
				want[i] += res[i]
				if relu && want[i] < 0 {
					want[i] = 0
				}
			}
			got := make([]float32, n+5)
			for i := range got {
				got[i] = -7
			}
			q := p
			q.Relu = relu
			Conv2DPackedResidual(q, x, w, pw, b, res, got[:n])
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
					t.Fatalf("%+v relu %v: y[%d] = %g, want %g", p, relu, i, got[i], want[i])
				}
			}
			if !math.IsNaN(float64(got[3])) {
				t.Fatalf("%+v relu %v: a NaN residual gave %g", p, relu, got[3])
			}
			for i := n; i < n+5; i++ {
				if got[i] != -7 {
					t.Fatalf("%+v: wrote past y", p)
				}
			}
		}
	}
}

// TestConvMatVec checks convolutions of 1×1 images (one: a matrix times a
// vector, matVec; three: one Gemm) against the naive convolution: rows in fours and not,
// depths in eights and not, with and without a bias, Relu and HardSwish.
func TestConvMatVec(t *testing.T) {
	r := rand.New(rand.NewPCG(81, 82))
	for _, c := range []struct{ m, k int }{{576, 144}, {144, 576}, {7, 13}, {4, 8}, {3, 5}, {9, 24}, {1, 1}} {
		for i, bias := range []bool{false, true} {
			p := ConvParams{N: 1 + 2*i, C: c.k, H: 1, W: 1, M: c.m, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1,
				Relu: bias, Act: Activation{Kind: ActHardSwish, A: 1. / 6, B: 0.5}}
			if !bias {
				p.Act = Activation{}
			}
			x, w := randSlice(r, p.N*c.k), randSlice(r, c.m*c.k)
			var b []float64
			if bias {
				b = randSlice(r, c.m)
			}
			want := naiveConv(p, x, w, b)
			for i, v := range want {
				want[i] = refActivation(v, p.Relu, p.Act)
			}
			got := make([]float32, p.N*c.m)
			var b32 []float32
			if bias {
				b32 = f32(b)
			}
			Conv2DPacked(p, f32(x), f32(w), PackConvWeights(p, f32(w)), b32, got)
			for i := range want {
				if d := math.Abs(float64(got[i]) - want[i]); d > 1e-4*(1+math.Abs(want[i])) {
					t.Fatalf("%+v bias %v: y[%d] = %v, want %v", c, bias, i, got[i], want[i])
				}
			}
		}
	}
}
