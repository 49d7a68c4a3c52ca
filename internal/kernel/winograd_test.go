package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestConvWinograd checks the Winograd path against the GEMM path (the
// same convolution with its kernel unpacked, which never takes it) over
// ragged tile rows and columns, odd and even outputs, symmetric,
// asymmetric and no padding, batches, the bias, Relu and a fused
// activation, and a NaN in the input.
func TestConvWinograd(t *testing.T) {
	if !winogradAVX512 || !sgemmFast {
		t.Skip("no Winograd path on this CPU (it needs AVX-512): convolutions take the GEMM path")
	}
	defer everyWinogradShape()()
	r := rand.New(rand.NewPCG(7, 11))
	type pads struct{ t, l, b, r int }
	cases := 0
	for _, c := range []struct{ n, c, m, h, w int }{
		{1, 40, 130, 12, 12}, {2, 48, 72, 9, 31}, {1, 64, 64, 28, 28}, {1, 16, 32, 26, 26}, {2, 20, 33, 13, 11}, {4, 32, 64, 7, 7}, {2, 48, 130, 7, 7},
		{3, 64, 48, 14, 14}, {2, 37, 100, 33, 7}, {1, 128, 96, 36, 18},
	} {
		for _, pd := range []pads{{1, 1, 1, 1}, {0, 0, 0, 0}, {1, 0, 2, 1}, {2, 2, 0, 1}} {
			p := ConvParams{N: c.n, C: c.c, H: c.h, W: c.w, M: c.m, KH: 3, KW: 3,
				PadTop: pd.t, PadLeft: pd.l, PadBottom: pd.b, PadRight: pd.r,
				StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1}
			for variant := 0; variant < 3; variant++ {
				q := p
				var b []float32
				switch variant {
				case 1:
					q.Relu = true
					b = randF32(r, q.M)
				case 2:
					q.Act = Activation{Kind: ActClip, A: -0.5, B: 0.7}
					b = randF32(r, q.M)
				}
				name := fmt.Sprintf("%dx%dx%dx%d->%d pads %v variant %d", q.N, q.C, q.H, q.W, q.M, pd, variant)
				x, w := randF32(r, q.N*q.C*q.H*q.W), randF32(r, q.M*q.C*9)
				pw := PackConvWeights(q, w)
				if winogradFor(&q, pw) == nil {
					if pd == (pads{1, 1, 1, 1}) {
						t.Fatalf("%s: no Winograd path", name)
					}
					continue // too few tiles, or channels per worker
				}
				cases++
				want := make([]float32, q.N*q.M*q.OutH()*q.OutW())
				got := make([]float32, len(want))
				for i := range got {
					got[i] = float32(math.NaN())
				}
				Conv2D(q, x, w, b, want)
				Conv2DPacked(q, x, w, pw, b, got)
				for i := range want {
					// |error| grows with the 9·C terms summed.
					if d := math.Abs(float64(got[i] - want[i])); !(d <= 2e-6*float64(9*q.C)) {
						t.Fatalf("%s: y[%d] = %v, want %v", name, i, got[i], want[i])
					}
				}
				if variant == 0 {
					// A NaN reaches the outputs over it (and only those).
					x[q.C*q.H*q.W/2] = float32(math.NaN())
					Conv2D(q, x, w, b, want)
					Conv2DPacked(q, x, w, pw, b, got)
					for i := range want {
						if math.IsNaN(float64(want[i])) != math.IsNaN(float64(got[i])) {
							t.Fatalf("%s with a NaN: y[%d] = %v, want %v", name, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
	if cases < 40 {
		t.Fatalf("only %d cases took the Winograd path", cases)
	}
}

func randF32(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 2*r.Float32() - 1
	}
	return s
}

// BenchmarkConvWinograd times ResNet's 3×3 stride-1 layers at batch 1 on
// the Winograd path and on the GEMM path (the same kernel packed without
// its transforms).
func BenchmarkConvWinograd(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct{ c, m, hw int }{{64, 64, 56}, {128, 128, 28}, {256, 256, 14}, {512, 512, 7},
		{16, 16, 80}, {16, 32, 80}, {32, 32, 56}, {32, 64, 40}, {128, 32, 28}, {128, 32, 14}, {64, 192, 28}, {48, 64, 56}} {
		p := ConvParams{N: 1, C: c.c, H: c.hw, W: c.hw, M: c.m, KH: 3, KW: 3,
			PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1, Relu: true}
		x, w, bias := randF32(r, p.C*p.H*p.W), randF32(r, p.M*p.C*9), randF32(r, p.M)
		y := make([]float32, p.M*p.OutH()*p.OutW())
		pw := PackConvWeights(p, w)
		gemm := &ConvWeights{groups: pw.groups}
		for _, v := range []struct {
			name string
			pw   *ConvWeights
		}{{"winograd", pw}, {"gemm", gemm}} {
			b.Run(fmt.Sprintf("%dx%dx%d-%d/%s", c.c, c.hw, c.hw, c.m, v.name), func(b *testing.B) {
				if v.name == "winograd" && winogradFor(&p, pw) == nil {
					b.Skip("no Winograd path for this shape here")
				}
				for b.Loop() {
					Conv2DPacked(p, x, w, v.pw, bias, y)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/op")
			})
		}
	}
}

// TestConvWinogradRandomShapes compares the Winograd path with the GEMM
// path on random shapes (sizes down to a 3×3 image, pads up to 2 on any
// side, batches up to 3), each with a bias and a Relu.
func TestConvWinogradRandomShapes(t *testing.T) {
	if !winogradAVX512 || !sgemmFast {
		t.Skip("no Winograd path on this CPU (it needs AVX-512): convolutions take the GEMM path")
	}
	defer everyWinogradShape()()
	r := rand.New(rand.NewPCG(21, 22))
	taken := 0
	for range 60 {
		p := ConvParams{N: 1 + r.IntN(3), C: 16 + r.IntN(25), H: 3 + r.IntN(38), W: 3 + r.IntN(38),
			M: 32 + r.IntN(39), KH: 3, KW: 3, PadTop: r.IntN(3), PadLeft: r.IntN(3), PadBottom: r.IntN(3),
			PadRight: r.IntN(3), StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1, Relu: true}
		x, w, b := randF32(r, p.N*p.C*p.H*p.W), randF32(r, p.M*p.C*9), randF32(r, p.M)
		pw := PackConvWeights(p, w)
		if winogradFor(&p, pw) == nil {
			continue
		}
		taken++
		want := make([]float32, p.N*p.M*p.OutH()*p.OutW())
		got := make([]float32, len(want))
		Conv2D(p, x, w, b, want)
		Conv2DPacked(p, x, w, pw, b, got)
		for i := range want {
			if d := math.Abs(float64(got[i] - want[i])); !(d <= 2e-6*float64(9*p.C)) {
				t.Fatalf("%+v: y[%d] = %v, want %v", p, i, got[i], want[i])
			}
		}
	}
	if taken < 20 {
		t.Fatalf("only %d of 60 random shapes took the Winograd path", taken)
	}
}

// everyWinogradShape makes the Winograd path take every shape it can
// compute (winoEveryShape) and returns the function that undoes it.
func everyWinogradShape() func() {
	winoEveryShape = true
	return func() { winoEveryShape = false }
}

// TestWinoPays pins winoPays's choices on the shapes the models measured:
// the GEMM path for 16→64 and 16→32 channels and for expanding layers
// (SqueezeNet's 32→128, 48→192, 64→256), Winograd from 32→32 on.
func TestWinoPays(t *testing.T) {
	for _, c := range []struct {
		c, m int
		want bool
	}{
		{16, 64, false}, {16, 32, false}, {16, 16, false}, {64, 16, false},
		{32, 128, false}, {48, 192, false}, {64, 256, false}, {128, 512, false},
		{32, 32, true}, {64, 32, true}, {32, 64, true}, {64, 64, true}, {64, 192, true}, {256, 256, true}, {128, 32, true},
	} {
		if got := winoPays(c.c, c.m); got != c.want {
			t.Errorf("winoPays(%d, %d) = %v, want %v", c.c, c.m, got, c.want)
		}
	}
}
