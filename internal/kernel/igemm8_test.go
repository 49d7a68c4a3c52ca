package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemmU8S8 compares the 8-bit GEMM (the VNNI kernel where the CPU has
// it, and the Go kernel) with a naive product of the widened operands, on
// shapes with ragged edges of every tile dimension, zero points, biases
// and extreme values.
func TestGemmU8S8(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	shapes := [][3]int{{1, 1, 1}, {8, 32, 4}, {9, 33, 5}, {7, 31, 3}, {8, 64, 8}, {16, 96, 2},
		{64, 49, 4608}, {33, 3136, 27}, {3, 100, 577}, {24, 65, 147}, {1, 500, 9}, {10, 0, 4}, {5, 7, 0}}
	for i := 0; i < 20; i++ {
		shapes = append(shapes, [3]int{1 + r.IntN(40), 1 + r.IntN(130), 1 + r.IntN(70)})
	}
	for _, sz := range shapes {
		m, n, k := sz[0], sz[1], sz[2]
		a, b := make([]int8, m*k), make([]uint8, k*n)
		for i := range a {
			a[i] = int8(r.IntN(256) - 128)
		}
		for i := range b {
			b[i] = uint8(r.IntN(256))
		}
		if m == 64 { // extremes: sums near k·255·128
			for i := range a {
				a[i] = -128
			}
			for i := range b {
				b[i] = 255
			}
		}
		zp := int32(r.IntN(256))
		var bias []int32
		if r.IntN(2) == 0 {
			bias = make([]int32, m)
			for i := range bias {
				bias[i] = r.Int32() - 1<<30
			}
		}
		want := make([]int32, m*n)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var s int32
				if bias != nil {
					s = bias[i]
				}
				for p := 0; p < k; p++ {
					s += int32(a[i*k+p]) * (int32(b[p*n+j]) - zp)
				}
				want[i*n+j] = s
			}
		}
		check := func(name string) {
			c := make([]int32, m*n)
			for i := range c {
				c[i] = 12345 // overwritten, not accumulated
			}
			GemmU8S8Packed(PackU8S8(m, k, a), n, b, zp, bias, c)
			for i := range c {
				if c[i] != want[i] {
					t.Fatalf("%s %dx%dx%d zero point %d: c[%d] = %d, want %d", name, m, n, k, zp, i, c[i], want[i])
				}
			}
		}
		check("default")
		if u8s8VNNI {
			u8s8VNNI = false
			check("Go kernel")
			u8s8VNNI = true
		}
	}
}

// TestU8PackQuads compares the packing of full panels with the Go one.
func TestU8PackQuads(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, panels := range []int{1, 2, 5} {
		ld := panels*32 + 7
		b := make([]uint8, 4*ld)
		for i := range b {
			b[i] = uint8(r.IntN(256))
		}
		psize := 3 * 128
		got, want := make([]uint8, panels*psize), make([]uint8, panels*psize)
		u8PackQuads(b, ld, panels, got, psize)
		u8PackQuadsGo(b, ld, panels, want, psize)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%d panels: packed %v, want %v", panels, got, want)
		}
	}
}

func BenchmarkGemmU8S8(b *testing.B) {
	m, n, k := 256, 784, 1152
	a, bb, c := make([]int8, m*k), make([]uint8, k*n), make([]int32, m*n)
	for i := range a {
		a[i] = int8(i%255 - 127)
	}
	for i := range bb {
		bb[i] = uint8(i % 251)
	}
	p := PackU8S8(m, k, a)
	b.SetBytes(int64(2 * m * n * k)) // "bytes" are operations: GOPS = MB/s / 1000
	for b.Loop() {
		GemmU8S8Packed(p, n, bb, 3, nil, c)
	}
}

// TestRequantize8 compares the vector requantization with the scalar
// formula (float32 product, round half to even, saturate) on sums around
// every rounding tie and beyond the int32 range of the product.
func TestRequantize8(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		mult   float32
		zp     int32
		lo, hi int32
	}{{0.5, 0, 0, 255}, {0.5, 128, 0, 255}, {0.25, -3, -128, 127}, {1e-3, 17, 0, 255}, {3e9, 5, 0, 255}, {-0.5, 100, 0, 255}, {0.0371, -128, -128, 127}} {
		for _, n := range []int{0, 1, 15, 16, 17, 100} {
			acc := make([]int32, n)
			for i := range acc {
				switch r.IntN(4) {
				case 0:
					acc[i] = r.Int32N(1024) - 512
				case 1:
					acc[i] = int32(r.Uint32())
				case 2:
					acc[i] = 2*r.Int32N(600) - 600 + 1 // odd: ties at mult 0.5
				default:
					acc[i] = int32(r.IntN(2)*2-1) * (1<<31 - 1)
				}
			}
			got := make([]uint8, n)
			Requantize8(acc, tc.mult, tc.zp, tc.lo, tc.hi, got)
			for i, a := range acc {
				v := float32(math.RoundToEven(float64(float32(a)*tc.mult))) + float32(tc.zp)
				want := uint8(int32(min(max(v, float32(tc.lo)), float32(tc.hi))))
				if got[i] != want {
					t.Fatalf("mult %g zp %d: acc %d gives %d, want %d", tc.mult, tc.zp, a, got[i], want)
				}
			}
		}
	}
}

// TestQuantize8 compares the vector QuantizeLinear with the scalar
// formula on ties, NaN, infinities and values far outside the range.
func TestQuantize8(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, tc := range []struct {
		scale  float32
		zp     int32
		lo, hi int32
	}{{0.5, 0, 0, 255}, {0.25, 128, 0, 255}, {0.1, -3, -128, 127}, {3e-3, 17, 0, 255}, {1e-30, 5, 0, 255}, {0.0371, -128, -128, 127}} {
		for _, n := range []int{0, 1, 15, 16, 17, 100} {
			x := make([]float32, n)
			for i := range x {
				switch r.IntN(5) {
				case 0:
					x[i] = float32(r.IntN(1024)-512) * tc.scale / 2 // ties
				case 1:
					x[i] = []float32{nan, inf, -inf, 3e38, -3e38}[r.IntN(5)]
				default:
					x[i] = float32(r.NormFloat64()) * 100 * tc.scale
				}
			}
			got := make([]uint8, n)
			Quantize8(x, tc.scale, tc.zp, tc.lo, tc.hi, got)
			for i, v := range x {
				q := v / tc.scale
				want := uint8(tc.zp)
				if q == q {
					f := float32(math.RoundToEven(float64(q))) + float32(tc.zp)
					want = uint8(int32(min(max(f, float32(tc.lo)), float32(tc.hi))))
				}
				if got[i] != want {
					t.Fatalf("scale %g zp %d: x %g gives %d, want %d", tc.scale, tc.zp, v, got[i], want)
				}
			}
		}
	}
}

// TestDepthwiseU8 compares the vector depthwise kernel with its formula
// (and the Go loop, which src without slack takes) for strides 1 and 2,
// dilations, kernel sizes 1 to 5 and widths around 16.
func TestDepthwiseU8(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, sw := range []int{1, 2, 3} {
		for _, ow := range []int{1, 7, 14, 16, 17, 33} {
			for _, k := range []int{1, 3, 5} {
				for _, slack := range []int{0, 64} {
					oh, sh, dh, dw := 1+r.IntN(6), 1+r.IntN(2), 1+r.IntN(2), 1+r.IntN(2)
					kh, kw := k, 1+r.IntN(5)
					pw := (ow-1)*sw + (kw-1)*dw + 1 + r.IntN(3)
					rows := (oh-1)*sh + (kh-1)*dh + 1
					src := make([]uint8, rows*pw+slack)
					for i := range src {
						src[i] = uint8(r.IntN(256))
					}
					w := make([]int32, kh*kw)
					for i := range w {
						w[i] = int32(r.IntN(256) - 128)
					}
					off := r.Int32N(1<<20) - 1<<19
					got := make([]int32, oh*ow)
					DepthwiseU8(got, oh, ow, src, pw, w, kh, kw, dh, dw, sh, sw, off)
					for oy := 0; oy < oh; oy++ {
						for ox := 0; ox < ow; ox++ {
							want := off
							for ky := 0; ky < kh; ky++ {
								for kx := 0; kx < kw; kx++ {
									want += w[ky*kw+kx] * int32(src[(oy*sh+ky*dh)*pw+ox*sw+kx*dw])
								}
							}
							if got[oy*ow+ox] != want {
								t.Fatalf("stride %d,%d ow %d kernel %dx%d slack %d: (%d, %d) = %d, want %d", sh, sw, ow, kh, kw, slack, oy, ox, got[oy*ow+ox], want)
							}
						}
					}
				}
			}
		}
	}
}

// TestQAddU8 compares the vector QLinearAdd with the Go loop over all
// operand pairs, with ratios that put many results on rounding ties and
// beyond the range.
func TestQAddU8(t *testing.T) {
	var a, b []uint8
	for x := 0; x < 256; x++ {
		for y := 0; y < 256; y++ {
			a, b = append(a, uint8(x)), append(b, uint8(y))
		}
	}
	for _, tc := range []struct{ ra, rb, fixed float32 }{{0.5, 0.5, 0}, {0.5, 0.25, -37.5}, {1.37, 0.61, -100.3}, {0.0123, 3.9, 7}, {2, 2, -300}} {
		got, want := make([]uint8, len(a)+3), make([]uint8, len(a)+3)
		QAddU8(a, b, tc.ra, tc.rb, tc.fixed, 0, 255, got[:len(a)])
		avx := requantAVX512
		requantAVX512 = false
		QAddU8(a, b, tc.ra, tc.rb, tc.fixed, 0, 255, want[:len(a)])
		requantAVX512 = avx
		for i := range a {
			if got[i] != want[i] {
				t.Fatalf("ratios %v: a %d b %d gives %d, Go %d", tc, a[i], b[i], got[i], want[i])
			}
		}
	}
}

// TestDequantizeU8 compares the vector DequantizeLinear with its formula
// for every byte, zero points and scales.
func TestDequantizeU8(t *testing.T) {
	x := make([]uint8, 256+7)
	for i := range x {
		x[i] = uint8(i * 37)
	}
	for _, zp := range []int32{0, 1, 128, 255} {
		for _, s := range []float32{1, 0.0371, 3e-7, 1e30} {
			got := make([]float32, len(x))
			DequantizeU8(x, zp, s, got)
			for i, v := range x {
				if want := float32(int32(v)-zp) * s; got[i] != want {
					t.Fatalf("zp %d scale %g: x %d gives %g, want %g", zp, s, v, got[i], want)
				}
			}
		}
	}
}
