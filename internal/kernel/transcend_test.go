package kernel

import (
	"fmt"
	"math"
	"testing"
)

// eachTranscendSet runs f with every loop set of Sigmoid and Tanh the CPU
// has (AVX-512, AVX2, Go), so that one suite checks them all.
func eachTranscendSet(t *testing.T, f func(t *testing.T)) {
	saved := transcendSet
	defer func() { transcendSet = saved }()
	for _, set := range transcendSets() {
		transcendSet = set
		t.Run(set, f)
	}
}

// ulpDiff measures float32 result got against the exact value want in
// units of the last place of want's float32 neighbourhood; for results
// below the smallest normal float32 it returns 0 when the absolute error
// is under 1e-38 (the documented bound there) and +Inf otherwise.
func ulpDiff(got float32, want float64) float64 {
	if math.Abs(want) < 0x1p-126 {
		if math.Abs(float64(got)-want) < 1e-38 {
			return 0
		}
		return math.Inf(1)
	}
	w := math.Abs(want)
	exp := math.Floor(math.Log2(w))
	// float32 has 24 significand bits: ulp = 2^(exp-23).
	ulp := math.Ldexp(1, int(exp)-23)
	if math.Ldexp(1, int(exp)) > w { // Log2 rounding at a power of two
		ulp /= 2
	}
	return math.Abs(float64(got)-want) / ulp
}

// TestTranscendAccuracy sweeps float32 bit patterns over the whole range
// (every 1021st, both signs, all exponents) and checks Sigmoid and Tanh
// against package math in float64: within 2.5 ulp everywhere.
func TestTranscendAccuracy(t *testing.T) {
	step := uint32(1021)
	if testing.Short() {
		step = 4099
	}
	eachTranscendSet(t, func(t *testing.T) {
		const chunk = 4096
		x := make([]float32, 0, chunk)
		ys, yt := make([]float32, chunk), make([]float32, chunk)
		var worstS, worstT float64
		var atS, atT float32
		flush := func() {
			Sigmoid(x, ys)
			Tanh(x, yt)
			for i, v := range x {
				if d := ulpDiff(ys[i], sigmoid64(float64(v))); d > worstS {
					worstS, atS = d, v
				}
				if d := ulpDiff(yt[i], math.Tanh(float64(v))); d > worstT {
					worstT, atT = d, v
				}
			}
			x = x[:0]
		}
		for b := uint64(0); b < 1<<32; b += uint64(step) {
			v := math.Float32frombits(uint32(b))
			if v != v {
				continue
			}
			x = append(x, v)
			if len(x) == chunk {
				flush()
			}
		}
		flush()
		t.Logf("worst: sigmoid %.3f ulp at %g, tanh %.3f ulp at %g", worstS, atS, worstT, atT)
		if worstS > 2.5 {
			t.Errorf("sigmoid is %.3f ulp off at %g", worstS, atS)
		}
		if worstT > 2.5 {
			t.Errorf("tanh is %.3f ulp off at %g", worstT, atT)
		}
	})
}

// TestTranscendSpecial checks the values the formulas must get exactly:
// NaN passes through bit for bit, infinities and large inputs saturate,
// zeros keep their sign in tanh, and the switch between tanh's two forms.
func TestTranscendSpecial(t *testing.T) {
	nan := math.Float32frombits(0x7fc01234)
	negNaN := math.Float32frombits(0xffc00001)
	inf := float32(math.Inf(1))
	negZero := float32(math.Copysign(0, -1))
	cases := []struct{ x, sig, tanh float32 }{
		{0, 0.5, 0},
		{negZero, 0.5, negZero},
		{inf, 1, 1},
		{-inf, 0, -1},
		{1e30, 1, 1},
		{-1e30, 0, -1},
		{100, 1, 1},
		{20, 1, 1},
		{-20, float32(sigmoid64(-20)), -1},
		{1e-30, 0.5, 1e-30},
		{-1e-40, 0.5, -1e-40}, // subnormal input
	}
	eachTranscendSet(t, func(t *testing.T) {
		// Pad to 24 elements so that the vector loops see every case.
		x := make([]float32, 0, 24)
		for _, c := range cases {
			x = append(x, c.x)
		}
		x = append(x, nan, negNaN)
		for len(x) < 24 {
			x = append(x, 0)
		}
		ys, yt := make([]float32, len(x)), make([]float32, len(x))
		Sigmoid(x, ys)
		Tanh(x, yt)
		for i, c := range cases {
			if ys[i] != c.sig {
				t.Errorf("Sigmoid(%g) = %g, want %g", c.x, ys[i], c.sig)
			}
			if math.Float32bits(yt[i]) != math.Float32bits(c.tanh) {
				t.Errorf("Tanh(%g) = %g, want %g", c.x, yt[i], c.tanh)
			}
		}
		for i, v := range []float32{nan, negNaN} {
			j := len(cases) + i
			if math.Float32bits(ys[j]) != math.Float32bits(v) || math.Float32bits(yt[j]) != math.Float32bits(v) {
				t.Errorf("NaN %#x became %#x (Sigmoid), %#x (Tanh)", math.Float32bits(v), math.Float32bits(ys[j]), math.Float32bits(yt[j]))
			}
		}
		// Monotone and within (0, 1) / (-1, 1) across the form switch and
		// the clamp bounds.
		for _, at := range []float32{tanhSmall, expHi / 2, -expLo, expHi} {
			xs := make([]float32, 32)
			v := at
			for k := 0; k < 16; k++ {
				v = math.Nextafter32(v, 0)
			}
			for k := range xs {
				xs[k] = v
				v = math.Nextafter32(v, inf)
			}
			out := make([]float32, len(xs))
			Tanh(xs, out)
			for k := 1; k < len(out); k++ {
				if out[k] < out[k-1] || out[k] > 1 {
					t.Errorf("Tanh not monotone in [0, 1] near %g: %g then %g", at, out[k-1], out[k])
				}
			}
		}
	})
}

// TestTranscendLengths checks every length up to 80 at several offsets,
// in place and not, against the scalar Go functions: the vector loops and
// the Go tail together must cover each element once and touch nothing
// beyond len(x).
func TestTranscendLengths(t *testing.T) {
	eachTranscendSet(t, func(t *testing.T) {
		for n := 0; n <= 80; n++ {
			for _, off := range []int{0, 1, 5} {
				for _, inPlace := range []bool{false, true} {
					buf := make([]float32, off+n+3)
					for i := range buf {
						buf[i] = float32(i%13)*0.37 - 2
					}
					x := buf[off : off+n]
					src := append([]float32(nil), x...)
					for _, fn := range []struct {
						name string
						f    func(x, y []float32)
						ref  func(float32) float32
					}{{"Sigmoid", Sigmoid[float32], sigmoid32}, {"Tanh", Tanh[float32], tanh32}} {
						copy(x, src)
						y := make([]float32, n+3)
						for i := range y {
							y[i] = 42
						}
						if inPlace {
							y = buf[off:]
							buf[off+n] = 42
						}
						fn.f(x, y)
						for i, v := range src {
							want := fn.ref(v)
							if d := math.Abs(float64(y[i] - want)); d > 2.5e-7 {
								t.Fatalf("%s n=%d off=%d in place %v: element %d is %g, want %g", fn.name, n, off, inPlace, i, y[i], want)
							}
						}
						if y[n] != 42 {
							t.Fatalf("%s n=%d: wrote past the end", fn.name, n)
						}
					}
				}
			}
		}
	})
}

// TestTranscendFloat64 checks the float64 path against package math.
func TestTranscendFloat64(t *testing.T) {
	x := []float64{-800, -30, -1, -1e-9, 0, 0.3, 2, 40, 800, math.Inf(1), math.NaN()}
	ys, yt := make([]float64, len(x)), make([]float64, len(x))
	Sigmoid(x, ys)
	Tanh(x, yt)
	for i, v := range x {
		ws := 1 / (1 + math.Exp(-v))
		if ys[i] != ws && !(math.IsNaN(ws) && math.IsNaN(ys[i])) && math.Abs(ys[i]-ws) > 1e-16 {
			t.Errorf("Sigmoid(%g) = %g, want %g", v, ys[i], ws)
		}
		if wt := math.Tanh(v); yt[i] != wt && !(math.IsNaN(wt) && math.IsNaN(yt[i])) {
			t.Errorf("Tanh(%g) = %g, want %g", v, yt[i], wt)
		}
	}
}

func BenchmarkTranscend(b *testing.B) {
	x := make([]float32, 256)
	for i := range x {
		x[i] = float32(i)/32 - 4
	}
	y := make([]float32, len(x))
	saved := transcendSet
	defer func() { transcendSet = saved }()
	for _, set := range transcendSets() {
		transcendSet = set
		for _, fn := range []struct {
			name string
			f    func(x, y []float32)
		}{{"Sigmoid", Sigmoid[float32]}, {"Tanh", Tanh[float32]}} {
			b.Run(fmt.Sprintf("%s/%s", fn.name, set), func(b *testing.B) {
				b.SetBytes(int64(4 * len(x)))
				for i := 0; i < b.N; i++ {
					fn.f(x, y)
				}
			})
		}
	}
	b.Run("Tanh/math64", func(b *testing.B) {
		b.SetBytes(int64(4 * len(x)))
		for i := 0; i < b.N; i++ {
			for j, v := range x {
				y[j] = float32(math.Tanh(float64(v)))
			}
		}
	})
}
