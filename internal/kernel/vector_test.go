package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// activationInput returns n values mixing ordinary numbers with the
// special ones (±0, ±Inf, NaN) at random places.
func activationInput(r *rand.Rand, n int) []float64 {
	special := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 1e-40, -1e-40}
	x := make([]float64, n)
	for i := range x {
		if r.IntN(5) == 0 {
			x[i] = special[r.IntN(len(special))]
		} else {
			x[i] = r.NormFloat64()
		}
	}
	return x
}

func sameBits[T Float](a, b T) bool {
	switch v := any(a).(type) {
	case float32:
		return math.Float32bits(v) == math.Float32bits(any(b).(float32))
	default:
		return math.Float64bits(any(a).(float64)) == math.Float64bits(any(b).(float64))
	}
}

func testActivations[T Float](t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 100, parallelMinElems + 13} {
		xs := activationInput(r, n)
		x, dy := make([]T, n), make([]T, n)
		for i := range x {
			x[i], dy[i] = T(xs[i]), T(r.NormFloat64())
		}
		y := make([]T, n+3) // longer than x: only len(x) elements are written
		for i := range y {
			y[i] = 42
		}
		Relu(x, y)
		for i, v := range x {
			want := v
			if v < 0 {
				want = 0
			}
			if !sameBits(y[i], want) {
				t.Fatalf("n=%d: Relu(%v) = %v, want %v", n, v, y[i], want)
			}
		}
		for _, v := range y[n:] {
			if v != 42 {
				t.Fatalf("n=%d: Relu wrote past len(x)", n)
			}
		}
		dx := make([]T, n)
		ReluGrad(x, dy, dx)
		for i, v := range x {
			want := T(0)
			if v > 0 {
				want = dy[i]
			}
			if !sameBits(dx[i], want) {
				t.Fatalf("n=%d: ReluGrad at y=%v, dy=%v gives %v, want %v", n, v, dy[i], dx[i], want)
			}
		}
	}
}

// TestActivations checks Relu and ReluGrad element for element (bits, so
// NaN and -0 too) against the scalar rule, at lengths around the vector
// widths and past the parallel threshold.
func TestActivations(t *testing.T) {
	t.Run("float32", testActivations[float32])
	t.Run("float64", testActivations[float64])
}

// TestMaxPool2x2Fast checks the vectorized 2×2 stride-2 max pools, with
// and without argmax, against a naive loop over the four taps in order
// (first strict maximum wins), on planes whose widths straddle the vector
// steps. With argmax the choice must match the naive one exactly, NaNs
// included; without, NaN-free maxima must match.
func TestMaxPool2x2Fast(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, hw := range [][2]int{{2, 16}, {4, 17}, {28, 28}, {3, 32}, {5, 33}, {14, 14}, {10, 58}, {2, 2}, {2, 160}} {
		for _, nans := range []bool{false, true} {
			p := PoolParams{N: 2, C: 3, H: hw[0], W: hw[1], KH: 2, KW: 2, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1,
				OutH: hw[0] / 2, OutW: hw[1] / 2}
			x := make([]float32, p.N*p.C*p.H*p.W)
			for i := range x {
				x[i] = float32(r.IntN(7) - 3) // ties are common
				if nans && r.IntN(6) == 0 {
					x[i] = float32(math.NaN())
				}
			}
			ohw := p.OutH * p.OutW
			wantY, wantArg := make([]float32, p.N*p.C*ohw), make([]int, p.N*p.C*ohw)
			for pl := 0; pl < p.N*p.C; pl++ {
				for oy := 0; oy < p.OutH; oy++ {
					for ox := 0; ox < p.OutW; ox++ {
						base := pl*p.H*p.W + 2*oy*p.W + 2*ox
						bi := base
						for _, j := range []int{base + 1, base + p.W, base + p.W + 1} {
							if x[j] > x[bi] {
								bi = j
							}
						}
						wantY[pl*ohw+oy*p.OutW+ox], wantArg[pl*ohw+oy*p.OutW+ox] = x[bi], bi
					}
				}
			}
			y, arg := make([]float32, len(wantY)), make([]int, len(wantY))
			MaxPool2D(p, x, y, arg)
			for i := range wantY {
				if arg[i] != wantArg[i] || !sameBits(y[i], wantY[i]) {
					t.Fatalf("%dx%d nans=%v: output %d is %v@%d, want %v@%d", p.H, p.W, nans, i, y[i], arg[i], wantY[i], wantArg[i])
				}
			}
			if nans {
				continue
			}
			MaxPool2D(p, x, y, nil)
			for i := range wantY {
				if y[i] != wantY[i] {
					t.Fatalf("%dx%d without argmax: output %d is %v, want %v", p.H, p.W, i, y[i], wantY[i])
				}
			}
		}
	}
}

// TestMaxPool2x2Rows checks the whole-rows 2×2 max-pool loop against the
// definition for row widths from 1 to 40 outputs (every ragged end of a
// 16-output step), odd and even input widths, and one or more row pairs.
func TestMaxPool2x2Rows(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for ow := 1; ow <= 40; ow++ {
		for _, extra := range []int{0, 1, 3} {
			w := 2*ow + extra
			for _, rows := range []int{1, 2, 7} {
				in := make([]float32, 2*rows*w+5) // slack: must not be read as outputs
				for i := range in {
					in[i] = r.Float32()*2 - 1
				}
				out := make([]float32, rows*ow+3)
				for i := range out {
					out[i] = 99
				}
				if !maxPool2x2Rows32(in, out[:rows*ow], w, ow, rows) {
					t.Skip("no vector loop on this CPU")
				}
				for rr := 0; rr < rows; rr++ {
					for j := 0; j < ow; j++ {
						a, b := in[2*rr*w+2*j], in[2*rr*w+2*j+1]
						c, d := in[(2*rr+1)*w+2*j], in[(2*rr+1)*w+2*j+1]
						if want := max(a, b, c, d); out[rr*ow+j] != want {
							t.Fatalf("w=%d ow=%d rows=%d: out[%d][%d] = %v, want %v", w, ow, rows, rr, j, out[rr*ow+j], want)
						}
					}
				}
				for i := rows * ow; i < len(out); i++ {
					if out[i] != 99 {
						t.Fatalf("w=%d ow=%d rows=%d: wrote past the output (out[%d] = %v)", w, ow, rows, i, out[i])
					}
				}
			}
		}
	}
}

// TestMaxPoolRows checks the two-pass max-pool (no argmax) against the
// general loop (the argmax path) on odd sizes, strides, dilations and
// pads, including windows partly or wholly in padding, in float32 (vector
// row maxima) and float64.
func TestMaxPoolRows(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	for i := 0; i < 300; i++ {
		p := PoolParams{N: 1 + r.IntN(2), C: 1 + r.IntN(3), H: 1 + r.IntN(12), W: 1 + r.IntN(40),
			KH: 1 + r.IntN(4), KW: 1 + r.IntN(4), StrideH: 1 + r.IntN(3), StrideW: 1 + r.IntN(3),
			DilH: 1 + r.IntN(2), DilW: 1 + r.IntN(2)}
		p.PadTop, p.PadBottom = r.IntN(p.KH*p.DilH), r.IntN(p.KH*p.DilH)
		p.PadLeft, p.PadRight = r.IntN(p.KW*p.DilW), r.IntN(p.KW*p.DilW)
		ceil := r.IntN(2) == 0
		p.OutH = PoolOut(p.H, p.KH, p.DilH, p.StrideH, p.PadTop, p.PadBottom, ceil)
		p.OutW = PoolOut(p.W, p.KW, p.DilW, p.StrideW, p.PadLeft, p.PadRight, ceil)
		if p.OutH <= 0 || p.OutW <= 0 {
			continue
		}
		x := randSlice(r, p.N*p.C*p.H*p.W)
		n := p.N * p.C * p.OutH * p.OutW
		want, got := make([]float64, n), make([]float64, n)
		MaxPool2D(p, x, want, make([]int, n))
		MaxPool2D(p, x, got, nil)
		got32 := make([]float32, n)
		MaxPool2D(p, f32(x), got32, nil)
		for j := range want {
			if got[j] != want[j] || float64(got32[j]) != float64(float32(want[j])) {
				t.Fatalf("%+v: output %d = %v (float32 %v), want %v", p, j, got[j], got32[j], want[j])
			}
		}
	}
}

// TestAvgPoolRows checks the two-pass average pool against a direct
// reference on odd sizes, strides, dilations and pads, with and without
// counting the pads, including windows wholly in padding.
func TestAvgPoolRows(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 13))
	for i := 0; i < 400; i++ {
		p := PoolParams{N: 1 + r.IntN(2), C: 1 + r.IntN(3), H: 1 + r.IntN(12), W: 1 + r.IntN(40),
			KH: 1 + r.IntN(4), KW: 1 + r.IntN(4), StrideH: 1 + r.IntN(3), StrideW: 1 + r.IntN(3),
			DilH: 1 + r.IntN(2), DilW: 1 + r.IntN(2), CountIncludePad: r.IntN(2) == 0}
		p.PadTop, p.PadBottom = r.IntN(p.KH*p.DilH), r.IntN(p.KH*p.DilH)
		p.PadLeft, p.PadRight = r.IntN(p.KW*p.DilW), r.IntN(p.KW*p.DilW)
		ceil := r.IntN(2) == 0
		p.OutH = PoolOut(p.H, p.KH, p.DilH, p.StrideH, p.PadTop, p.PadBottom, ceil)
		p.OutW = PoolOut(p.W, p.KW, p.DilW, p.StrideW, p.PadLeft, p.PadRight, ceil)
		if p.OutH <= 0 || p.OutW <= 0 {
			continue
		}
		x := randSlice(r, p.N*p.C*p.H*p.W)
		got := make([]float64, p.N*p.C*p.OutH*p.OutW)
		AvgPool2D(p, x, got)
		got32 := make([]float32, len(got))
		AvgPool2D(p, f32(x), got32)
		for pl := 0; pl < p.N*p.C; pl++ {
			for oy := 0; oy < p.OutH; oy++ {
				for ox := 0; ox < p.OutW; ox++ {
					var sum float64
					count := 0
					for kh := 0; kh < p.KH; kh++ {
						for kw := 0; kw < p.KW; kw++ {
							ih, iw := oy*p.StrideH-p.PadTop+kh*p.DilH, ox*p.StrideW-p.PadLeft+kw*p.DilW
							switch {
							case ih >= 0 && ih < p.H && iw >= 0 && iw < p.W:
								sum += x[(pl*p.H+ih)*p.W+iw]
								count++
							case p.CountIncludePad && ih >= -p.PadTop && ih < p.H+p.PadBottom && iw >= -p.PadLeft && iw < p.W+p.PadRight:
								count++
							}
						}
					}
					want := 0.0
					if count > 0 {
						want = sum / float64(count)
					}
					o := (pl*p.OutH+oy)*p.OutW + ox
					if math.Abs(got[o]-want) > 1e-12 || math.Abs(float64(got32[o])-want) > 1e-5 {
						t.Fatalf("%+v: output %d = %v (float32 %v), want %v", p, o, got[o], got32[o], want)
					}
				}
			}
		}
	}
}

// TestAddBias checks the vector bias (and bias-then-Relu) pass against the
// scalar rule on every length up to 70, with ±0, ±Inf and NaN among the
// values: bit for bit, NaN and -0 kept as relu keeps them.
func TestAddBias(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for n := 0; n <= 70; n++ {
		x := activationInput(r, n)
		for _, b := range []float64{0.5, -1.25, math.Copysign(0, -1)} {
			for _, withRelu := range []bool{false, true} {
				got := f32(x)
				addBias(got, float32(b), withRelu)
				for i, v := range f32(x) {
					w := v + float32(b)
					if withRelu && w < 0 {
						w = 0
					}
					if math.Float32bits(got[i]) != math.Float32bits(w) && !(w != w && got[i] != got[i]) {
						t.Fatalf("n %d b %v relu %v: [%d] = %v, want %v (x %v)", n, b, withRelu, i, got[i], w, v)
					}
				}
			}
		}
	}
}

// TestScaleShift checks ScaleShift against the operations it stands for:
// with a = 1 an addition and with b = -0 a product, bit for bit (signed
// zeros, NaN, infinities included); otherwise x·a + b within one rounding.
func TestScaleShift(t *testing.T) {
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 1e-40, -3.5, 7}
	for n := 0; n <= 41; n++ {
		x := make([]float32, n+3)
		for i := range x {
			x[i] = float32(i*37%23)*0.37 - 4
			if i%5 == 2 {
				x[i] = special[i%len(special)]
			}
		}
		for _, v := range []float32{0, float32(math.Copysign(0, -1)), 2.5, -1e-3, float32(math.Inf(1))} {
			y := make([]float32, n)
			ScaleShift(x, y, 1, v)
			for i := range y {
				if want := x[i] + v; math.Float32bits(y[i]) != math.Float32bits(want) && !(y[i] != y[i] && want != want) {
					t.Fatalf("n=%d: %g + %g = %g, want %g", n, x[i], v, y[i], want)
				}
			}
			ScaleShift(x, y, v, float32(math.Copysign(0, -1)))
			for i := range y {
				if want := x[i] * v; math.Float32bits(y[i]) != math.Float32bits(want) && !(y[i] != y[i] && want != want) {
					t.Fatalf("n=%d: %g · %g = %g, want %g", n, x[i], v, y[i], want)
				}
			}
		}
		y := make([]float32, n)
		ScaleShift(x, y, 1.25, -0.75)
		for i := range y {
			want := float32(math.FMA(float64(x[i]), 1.25, -0.75))
			if d := math.Abs(float64(y[i] - want)); d > 1e-6*math.Max(1, math.Abs(float64(want))) && !(y[i] != y[i] && want != want) && !math.IsInf(float64(want), 0) {
				t.Fatalf("n=%d: %g·1.25 - 0.75 = %g, want %g", n, x[i], y[i], want)
			}
		}
		// Every position takes the same operations: (1+2⁻¹²)² - 1 is
		// 2⁻¹¹ + 2⁻²⁴ rounded once (a fused multiply-add), 2⁻¹¹ rounded
		// twice; the vector blocks and the ragged end must agree.
		if vectorFMA {
			e := float32(1 + 1.0/4096)
			ones := make([]float32, n)
			for i := range ones {
				ones[i] = e
			}
			ScaleShift(ones, y, e, -1)
			for i := range y {
				if want := float32(1.0/2048 + 1.0/(1<<24)); y[i] != want {
					t.Fatalf("n=%d: y[%d] = %g, want %g (one rounding at every position)", n, i, y[i], want)
				}
			}
		}
		// In place, as the operators may call it.
		z := append([]float32(nil), x[:n]...)
		ScaleShift(z, z, 1, 3)
		for i := range z {
			if want := x[i] + 3; math.Float32bits(z[i]) != math.Float32bits(want) && !(z[i] != z[i] && want != want) {
				t.Fatalf("in place n=%d: %g + 3 = %g", n, x[i], z[i])
			}
		}
	}
	yd := make([]float64, 5)
	ScaleShift([]float64{1, 2, 3, 4, 5, 6}, yd, 2, 1)
	for i, v := range yd {
		if v != float64(i+1)*2+1 {
			t.Fatalf("float64: y[%d] = %g", i, v)
		}
	}
}

// TestGatherStridedRows checks im2col's strided row gather (a vector loop
// for stride 2 on float32, all rows in one call) against the definition,
// for every length up to a few vector blocks, one to three rows, row
// strides just long enough and longer, and sources that end right at the
// last element read.
func TestGatherStridedRows(t *testing.T) {
	for _, stride := range []int{1, 2, 3} {
		for rows := 1; rows <= 3; rows++ {
			for n := 0; n <= 40; n++ {
				for _, extra := range []int{0, 3} {
					lds := max(1, (n-1)*stride+1+extra)
					ldd := n + extra
					src := make([]float32, max(0, (rows-1)*lds+(n-1)*stride+1))
					for i := range src {
						src[i] = float32(i) + 0.5
					}
					out := make([]float32, (rows-1)*ldd+n+1)
					for i := range out {
						out[i] = -1
					}
					gatherStridedRows(out, ldd, src, lds, n, rows, stride)
					for r := 0; r < rows; r++ {
						for i := 0; i < ldd && r*ldd+i < len(out); i++ {
							want := float32(-1)
							if i < n {
								want = src[r*lds+i*stride]
							}
							if got := out[r*ldd+i]; got != want {
								t.Fatalf("stride %d rows %d n %d lds %d: out[%d][%d] = %v, want %v", stride, rows, n, lds, r, i, got, want)
							}
						}
					}
					if n > 0 {
						out64 := make([]float64, (rows-1)*ldd+n)
						src64 := make([]float64, len(src))
						for i := range src {
							src64[i] = float64(src[i])
						}
						gatherStridedRows(out64, ldd, src64, lds, n, rows, stride)
						for r := 0; r < rows; r++ {
							for i := 0; i < n; i++ {
								if out64[r*ldd+i] != src64[r*lds+i*stride] {
									t.Fatalf("float64 stride %d rows %d n %d: out[%d][%d] = %v", stride, rows, n, r, i, out64[r*ldd+i])
								}
							}
						}
					}
				}
			}
		}
	}
}

// BenchmarkMaxPool2x2Rows times the whole-rows 2×2 max pool on the planes
// of an MNIST CNN (ten images of 32 channels, 28×28 → 14×14, and 64
// channels, 14×14 → 7×7), one goroutine.
func BenchmarkMaxPool2x2Rows(b *testing.B) {
	for _, s := range []struct{ planes, w int }{{320, 28}, {640, 14}} {
		in := make([]float32, s.planes*s.w*s.w)
		out := make([]float32, s.planes*s.w*s.w/4)
		for i := range in {
			in[i] = float32(i%97) - 48
		}
		b.Run(fmt.Sprintf("%dx%d", s.w, s.w), func(b *testing.B) {
			b.SetBytes(int64(4 * len(in)))
			for b.Loop() {
				if !maxPool2x2Rows32(in, out, s.w, s.w/2, s.planes*s.w/2) {
					b.Skip("no vector loop on this CPU")
				}
			}
		})
	}
}

// TestCopy checks Copy, serial and split across the workers, including a
// length that leaves a short last part and one element past a part.
func TestCopy(t *testing.T) {
	for _, n := range []int{0, 5, copyParallelMin - 1, copyParallelMin, 3*copyParallelMin/2 + 7, 4*copyParallelMin + 1} {
		src := make([]float32, n)
		for i := range src {
			src[i] = float32(i) + 0.5
		}
		dst := make([]float32, n+3)
		for i := range dst {
			dst[i] = -1
		}
		Copy(dst, src)
		for i, v := range src {
			if dst[i] != v {
				t.Fatalf("n %d: dst[%d] = %g, want %g", n, i, dst[i], v)
			}
		}
		for i := n; i < n+3; i++ {
			if dst[i] != -1 {
				t.Fatalf("n %d: dst[%d] = %g written past the copy", n, i, dst[i])
			}
		}
	}
}

// TestCopyRuns checks CopyRuns against the element-by-element definition
// on random transposes that keep the innermost axis (channel shuffles
// among them), short ones (serial) and long ones (split across the
// workers), from an offset.
func TestCopyRuns(t *testing.T) {
	r := rand.New(rand.NewPCG(95, 96))
	for i := 0; i < 60; i++ {
		rank := 2 + r.IntN(4)
		shape := make([]int, rank)
		for k := range shape {
			shape[k] = 1 + r.IntN(7)
		}
		shape[rank-1] = 1 + r.IntN(300) // the run
		strides := make([]int, rank)
		n := 1
		for k := rank - 1; k >= 0; k-- {
			strides[k], n = n, n*shape[k]
		}
		perm := r.Perm(rank - 1)
		dims, st := make([]int, rank), make([]int, rank)
		for k, p := range perm {
			dims[k], st[k] = shape[p], strides[p]
		}
		dims[rank-1], st[rank-1] = shape[rank-1], 1
		off := r.IntN(5)
		src := make([]float32, off+n)
		for k := range src {
			src[k] = float32(k)
		}
		dst := make([]float32, n)
		CopyRuns(dst, src, off, n, dims, st)
		idx := make([]int, rank)
		for d := 0; d < n; d++ {
			s := off
			for k := range idx {
				s += idx[k] * st[k]
			}
			if dst[d] != src[s] {
				t.Fatalf("dims %v strides %v: dst[%d] = %v, want %v", dims, st, d, dst[d], src[s])
			}
			for k := rank - 1; k >= 0; k-- {
				if idx[k]++; idx[k] < dims[k] {
					break
				}
				idx[k] = 0
			}
		}
	}
}

// TestLerp checks Lerp against its definition on every length to 40 (the
// vector loop and the tail), bit for bit: both round the two products and
// their sum.
func TestLerp(t *testing.T) {
	r := rand.New(rand.NewPCG(97, 98))
	for n := 0; n <= 40; n++ {
		a, b := f32(randSlice(r, n)), f32(randSlice(r, n))
		c0, c1 := r.Float32(), r.Float32()
		dst := make([]float32, n)
		Lerp(dst, a, b, c0, c1)
		for i := range dst {
			p, q := c0*a[i], c1*b[i]
			if want := p + q; math.Float32bits(dst[i]) != math.Float32bits(want) {
				t.Fatalf("n=%d: dst[%d] = %v, want %v", n, i, dst[i], want)
			}
		}
	}
}

// TestLerpGather checks LerpGather against the Go loop of a linear
// Resize's width pass (taps added to 0 in order) on every length to 40,
// bit for bit, signed zeros included.
func TestLerpGather(t *testing.T) {
	r := rand.New(rand.NewPCG(99, 100))
	for n := 0; n <= 40; n++ {
		src := f32(randSlice(r, 23))
		src[3], src[4] = float32(math.Copysign(0, -1)), 0
		k0, k1 := make([]int32, n), make([]int32, n)
		w0, w1 := make([]float32, n), make([]float32, n)
		for j := range n {
			k0[j], k1[j] = int32(r.IntN(len(src))), int32(r.IntN(len(src)))
			w0[j], w1[j] = r.Float32(), r.Float32()
			if j%5 == 0 {
				k0[j], k1[j] = 3, 3 // -0 + -0 from 0: +0
			}
		}
		dst := make([]float32, n)
		LerpGather(dst, src, k0, k1, w0, w1)
		for j := range dst {
			var acc float32
			acc += w0[j] * src[k0[j]]
			acc += w1[j] * src[k1[j]]
			if math.Float32bits(dst[j]) != math.Float32bits(acc) {
				t.Fatalf("n=%d: dst[%d] = %v, want %v", n, j, dst[j], acc)
			}
		}
	}
}
