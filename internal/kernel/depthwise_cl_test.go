package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestDepthwiseChannelsLast checks the channels-last path against the
// per-plane stencil on random small planes: kernel sizes 1 to 7, strides
// 1 to 3, dilations, asymmetric padding (including padding wider than
// the kernel reaches), channel counts that leave ragged 16- and
// 64-channel groups, a bias or none, the Relu and HardSwish. Both add the
// bias and then the taps inside the image in tap order, so the sums must
// be equal (== also takes -0 for +0: the stencil adds the padding's
// zeros too).
func TestDepthwiseChannelsLast(t *testing.T) {
	if !dwCLAVX512 {
		t.Skip("no AVX-512: depthwise convolutions run the stencil")
	}
	r := rand.New(rand.NewPCG(7, 8))
	for iter := 0; iter < 300; iter++ {
		k := 1 + r.IntN(7)
		p := ConvParams{N: 1 + r.IntN(2), C: 1 + r.IntN(150), H: 1 + r.IntN(16), W: 1 + r.IntN(16),
			KH: k, KW: 1 + r.IntN(7), StrideH: 1 + r.IntN(3), StrideW: 1 + r.IntN(3), DilH: 1 + r.IntN(2), DilW: 1 + r.IntN(2),
			PadTop: r.IntN(4), PadLeft: r.IntN(4), PadBottom: r.IntN(4), PadRight: r.IntN(4), Relu: r.IntN(2) == 0}
		p.M, p.Group = p.C, p.C
		if r.IntN(4) == 0 {
			p.Act = Activation{Kind: ActHardSwish, A: 1.0 / 6, B: 0.5}
		}
		oh, ow := p.OutH(), p.OutW()
		if p.H+p.PadTop+p.PadBottom < (p.KH-1)*p.DilH+1 || p.W+p.PadLeft+p.PadRight < (p.KW-1)*p.DilW+1 || oh*ow > dwChannelsLastMaxPixels {
			continue
		}
		x := f32(randSlice(r, p.N*p.C*p.H*p.W))
		w := f32(randSlice(r, p.M*p.KH*p.KW))
		var b []float32
		if r.IntN(3) > 0 {
			b = f32(randSlice(r, p.M))
		}
		got := make([]float32, p.N*p.M*oh*ow+1)
		want := make([]float32, len(got))
		got[len(got)-1], want[len(want)-1] = 42, 42
		if !dwChannelsLast(&p, x, w, b, got[:len(got)-1]) {
			t.Fatalf("%+v: not run channels last", p)
		}
		old := dwChannelsLastMaxPixels
		dwChannelsLastMaxPixels = 0
		DepthwiseConv2D(p, x, w, b, want[:len(want)-1])
		dwChannelsLastMaxPixels = old
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%+v: y[%d] = %v, the stencil gives %v", p, i, got[i], want[i])
			}
		}
	}
}

// TestDepthwiseChannelsLastBounds checks that a large input plane with
// a small output (a huge stride) keeps the stencil: channels last, a
// work item would hold its 64 channels' whole planes.
func TestDepthwiseChannelsLastBounds(t *testing.T) {
	p := ConvParams{N: 1, C: 8, M: 8, Group: 8, H: 2000, W: 2000, KH: 3, KW: 3, StrideH: 500, StrideW: 500, DilH: 1, DilW: 1}
	if p.OutH()*p.OutW() > dwChannelsLastMaxPixels {
		t.Fatalf("%+v: output %d×%d, want a small one", p, p.OutH(), p.OutW())
	}
	if canDWChannelsLast(&p) {
		t.Fatalf("%+v: a 2000×2000 input would run channels last", p)
	}
	p.H, p.W, p.StrideH, p.StrideW = 28, 28, 2, 2
	if dwCLAVX512 && !canDWChannelsLast(&p) {
		t.Fatalf("%+v: a 28×28 input to 14×14 should run channels last", p)
	}
}

// BenchmarkDepthwiseChannelsLast times MobileNetV3's small-plane
// depthwise layers at batch 1 channels last and with the stencil.
func BenchmarkDepthwiseChannelsLast(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	dw := func(c, h, k, s int) ConvParams {
		return ConvParams{N: 1, C: c, M: c, Group: c, H: h, W: h, KH: k, KW: k, StrideH: s, StrideW: s, DilH: 1, DilW: 1,
			PadTop: k / 2, PadLeft: k / 2, PadBottom: k / 2, PadRight: k / 2, Relu: true}
	}
	for _, p := range []ConvParams{dw(576, 7, 5, 1), dw(288, 14, 5, 2), dw(240, 14, 5, 1), dw(96, 28, 5, 2), dw(88, 28, 3, 1)} {
		x := f32(randSlice(r, p.N*p.C*p.H*p.W))
		w := f32(randSlice(r, p.M*p.KH*p.KW))
		bias := f32(randSlice(r, p.M))
		y := make([]float32, p.N*p.M*p.OutH()*p.OutW())
		for _, cl := range []bool{true, false} {
			b.Run(fmt.Sprintf("%dch-%dx%d-k%d-s%d-cl%v", p.C, p.H, p.W, p.KH, p.StrideH, cl), func(b *testing.B) {
				old := dwChannelsLastMaxPixels
				if cl {
					dwChannelsLastMaxPixels = 1 << 30
				} else {
					dwChannelsLastMaxPixels = 0
				}
				defer func() { dwChannelsLastMaxPixels = old }()
				for b.Loop() {
					DepthwiseConv2D(p, x, w, bias, y)
				}
			})
		}
	}
}

// TestTranspose2D checks transpose2D against the definition for sizes
// around the 16×16 blocks, with row strides wider than the rows, and
// that it writes nothing outside the transposed matrix.
func TestTranspose2D(t *testing.T) {
	for _, rows := range []int{1, 15, 16, 17, 33, 49} {
		for _, cols := range []int{1, 7, 16, 31, 48, 65} {
			lds, ldd := cols+3, rows+5
			src := make([]float32, (rows-1)*lds+cols)
			for i := range src {
				src[i] = float32(i) + 0.25
			}
			dst := make([]float32, (cols-1)*ldd+rows+1)
			for i := range dst {
				dst[i] = -1
			}
			transpose2D(dst, ldd, src, lds, rows, cols)
			for j := 0; j < cols; j++ {
				for i := 0; i < ldd && j*ldd+i < len(dst); i++ {
					want := float32(-1)
					if i < rows {
						want = src[i*lds+j]
					}
					if dst[j*ldd+i] != want {
						t.Fatalf("%d×%d: dst[%d][%d] = %v, want %v", rows, cols, j, i, dst[j*ldd+i], want)
					}
				}
			}
		}
	}
}

// TestAvgPoolChannelsLast checks AvgPool2D's channels-last path against
// the stencil path on random small planes: window sizes, strides,
// dilations, pads past the window's reach (ceil mode) and short of it,
// with and without CountIncludePad. Sums and quotients are the same, so
// the means must be equal.
func TestAvgPoolChannelsLast(t *testing.T) {
	if !dwCLAVX512 {
		t.Skip("no AVX-512: average pools run the stencil")
	}
	r := rand.New(rand.NewPCG(9, 10))
	ran := 0
	for iter := 0; iter < 300; iter++ {
		p, ok := randomSmallPool(r)
		if !ok {
			continue
		}
		p.CountIncludePad = r.IntN(2) == 0
		x := f32(randSlice(r, p.N*p.C*p.H*p.W))
		got := make([]float32, p.N*p.C*p.OutH*p.OutW)
		want := make([]float32, len(got))
		if !avgPoolChannelsLast(&p, x, got) {
			continue
		}
		ran++
		old := dwChannelsLastMaxPixels
		dwChannelsLastMaxPixels = 0
		AvgPool2D(p, x, want)
		dwChannelsLastMaxPixels = old
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%+v: y[%d] = %v, the stencil gives %v", p, i, got[i], want[i])
			}
		}
	}
	if ran < 150 {
		t.Fatalf("only %d of 300 pools ran channels last", ran)
	}
}

// TestMaxPoolChannelsLast checks MaxPool2D's channels-last path against
// the scalar fold (maxPoolWindow, window by window) on random small
// planes with NaNs, ±0 and ties: the same fold, so the same values, bit
// for bit.
func TestMaxPoolChannelsLast(t *testing.T) {
	if !dwCLAVX512 {
		t.Skip("no AVX-512: max pools run the stencil")
	}
	r := rand.New(rand.NewPCG(11, 12))
	ran := 0
	for iter := 0; iter < 300; iter++ {
		p, ok := randomSmallPool(r)
		if !ok {
			continue
		}
		x := make([]float32, p.N*p.C*p.H*p.W)
		for i := range x {
			switch r.IntN(10) {
			case 0:
				x[i] = float32(math.NaN())
			case 1:
				x[i] = float32(math.Copysign(0, -1))
			case 2:
				x[i] = 0
			case 3:
				x[i] = 1
			default:
				x[i] = float32(r.NormFloat64())
			}
		}
		got := make([]float32, p.N*p.C*p.OutH*p.OutW)
		if !maxPoolChannelsLast(&p, x, got) {
			continue
		}
		ran++
		hw, ohw := p.H*p.W, p.OutH*p.OutW
		for pl := 0; pl < p.N*p.C; pl++ {
			for oy := 0; oy < p.OutH; oy++ {
				for ox := 0; ox < p.OutW; ox++ {
					want, _ := maxPoolWindow(&p, x[pl*hw:][:hw], oy, ox)
					g := got[pl*ohw+oy*p.OutW+ox]
					if math.Float32bits(g) != math.Float32bits(want) && !(g != g && want != want) {
						t.Fatalf("%+v: plane %d (%d, %d) = %v, want %v", p, pl, oy, ox, g, want)
					}
				}
			}
		}
	}
	if ran < 150 {
		t.Fatalf("only %d of 300 pools ran channels last", ran)
	}
}

// randomSmallPool returns a random pool of small planes (1-2 images, up
// to 100 channels, 16×16): windows to 4×4, strides to 3, dilations to
// 2, pads to 1 at each side, floor or ceil mode; false when it has no
// output.
func randomSmallPool(r *rand.Rand) (PoolParams, bool) {
	p := PoolParams{N: 1 + r.IntN(2), C: 1 + r.IntN(100), H: 1 + r.IntN(16), W: 1 + r.IntN(16),
		KH: 1 + r.IntN(4), KW: 1 + r.IntN(4), StrideH: 1 + r.IntN(3), StrideW: 1 + r.IntN(3), DilH: 1 + r.IntN(2), DilW: 1 + r.IntN(2),
		PadTop: r.IntN(2), PadLeft: r.IntN(2), PadBottom: r.IntN(2), PadRight: r.IntN(2)}
	ceil := r.IntN(2) == 0
	p.OutH = PoolOut(p.H, p.KH, p.DilH, p.StrideH, p.PadTop, p.PadBottom, ceil)
	p.OutW = PoolOut(p.W, p.KW, p.DilW, p.StrideW, p.PadLeft, p.PadRight, ceil)
	return p, p.OutH > 0 && p.OutW > 0
}
