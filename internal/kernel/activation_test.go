package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestApplyActivation checks Clip and HardSwish, vector loop and tail,
// against their definitions, NaN and infinities included.
func TestApplyActivation(t *testing.T) {
	x := make([]float32, 37)
	for i := range x {
		x[i] = float32(i-18) * 0.37
	}
	x[3], x[20], x[35] = float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))
	for _, a := range []Activation{{ActClip, -1, 2.5}, {ActClip, 0, 6}, {ActHardSwish, 1.0 / 6, 0.5}, {ActHardSwish, 0.2, 0.5}} {
		got := append([]float32(nil), x...)
		ApplyActivation(a, got)
		for i, v := range x {
			var want float64
			switch a.Kind {
			case ActClip:
				want = math.Min(math.Max(float64(v), float64(a.A)), float64(a.B))
			case ActHardSwish:
				want = float64(v) * math.Min(1, math.Max(0, float64(a.A)*float64(v)+float64(a.B)))
			}
			g := float64(got[i])
			switch {
			case math.IsNaN(want) || math.IsNaN(g):
				if !math.IsNaN(want) || !math.IsNaN(g) {
					// Inf·0 is NaN by the definition (-Inf·0); NaN must stay NaN.
					t.Errorf("%+v: f(%g) = %g, want %g", a, v, g, want)
				}
			case math.Abs(g-want) > 1e-6*max(1, math.Abs(want)):
				t.Errorf("%+v: f(%g) = %g, want %g", a, v, g, want)
			}
		}
	}
	ApplyActivation(Activation{}, x) // ActNone: nothing
}

// TestScaleShiftRows checks ScaleShiftRows against ScaleShift row by row,
// bit for bit, with per-row scales, shifts or both (cycling over the
// rows), on a plane set large enough to be split across the workers and
// on a small one, in place and not; ScaleShiftRowsRelu as the same and
// then Relu.
func TestScaleShiftRows(t *testing.T) {
	for _, c := range []struct{ rows, inner, period int }{{96, 56 * 56, 32}, {6, 7, 4}} {
		x := make([]float32, c.rows*c.inner)
		for i := range x {
			x[i] = float32(math.Sin(float64(i))) * 3
		}
		a, b := make([]float32, c.period), make([]float32, c.period)
		for i := range a {
			a[i], b[i] = 0.5+float32(i)/7, float32(i)-3.25
		}
		for _, ab := range [][2][]float32{{a, b}, {a, nil}, {nil, b}} {
			want := make([]float32, len(x))
			for r := 0; r < c.rows; r++ {
				av, bv := float32(1), float32(math.Copysign(0, -1))
				if ab[0] != nil {
					av = ab[0][r%c.period]
				}
				if ab[1] != nil {
					bv = ab[1][r%c.period]
				}
				o := r * c.inner
				ScaleShift(x[o:o+c.inner], want[o:o+c.inner], av, bv)
			}
			got := make([]float32, len(x))
			ScaleShiftRows(x, got, c.inner, ab[0], ab[1])
			inPlace := append([]float32(nil), x...)
			ScaleShiftRows(inPlace, inPlace, c.inner, ab[0], ab[1])
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) || math.Float32bits(inPlace[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%d×%d, scale %v shift %v: y[%d] = %v (in place %v), want %v",
						c.rows, c.inner, ab[0] != nil, ab[1] != nil, i, got[i], inPlace[i], want[i])
				}
			}
			// With the Relu: the same, then max(·, 0).
			Relu(want, want)
			ScaleShiftRowsRelu(x, got, c.inner, ab[0], ab[1])
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%d×%d with Relu: y[%d] = %v, want %v", c.rows, c.inner, i, got[i], want[i])
				}
			}
		}
	}
}

// TestAdd checks Add bit for bit against a scalar loop, short and long
// (split across the workers), into a third slice and in place on either
// operand.
func TestAdd(t *testing.T) {
	for _, n := range []int{1, 7, 33, 100_003} {
		x, y := make([]float32, n), make([]float32, n)
		for i := range x {
			x[i], y[i] = float32(math.Sin(float64(i)))*5, float32(math.Cos(float64(3*i)))*0.01
		}
		want := make([]float32, n)
		for i := range want {
			want[i] = x[i] + y[i]
		}
		for _, mode := range []string{"new", "into x", "into y"} {
			xc, yc := append([]float32(nil), x...), append([]float32(nil), y...)
			var d []float32
			switch mode {
			case "new":
				d = make([]float32, n)
			case "into x":
				d = xc
			case "into y":
				d = yc
			}
			Add(d, xc, yc)
			for i := range want {
				if math.Float32bits(d[i]) != math.Float32bits(want[i]) {
					t.Fatalf("n %d, %s: d[%d] = %v, want %v", n, mode, i, d[i], want[i])
				}
			}
		}
	}
}

// TestActivationLayoutFree checks that ApplyActivation gives an element
// the same value whether it falls in the vector loop or the scalar tail
// (a fused convolution applies it to blocks of rows whose lengths vary
// with the work split): Clip, HardSwish and HardSigmoid, whose products
// and sums are rounded apart in both, as the HardSigmoid operator rounds
// them.
func TestActivationLayoutFree(t *testing.T) {
	r := rand.New(rand.NewPCG(91, 92))
	for _, a := range []Activation{
		{Kind: ActClip, A: -0.5, B: 0.7},
		{Kind: ActHardSwish, A: 1. / 6, B: 0.5},
		{Kind: ActHardSigmoid, A: 0.2, B: 0.5},
	} {
		for i := 0; i < 20000; i++ {
			v := (r.Float32()*2 - 1) * 6
			x := []float32{v, v, v, v, v, v, v, v, v} // eight in the vector loop, one after
			ApplyActivation(a, x)
			if math.Float32bits(x[0]) != math.Float32bits(x[8]) {
				t.Fatalf("%+v of %v: %v in the vector loop, %v in the tail", a, v, x[0], x[8])
			}
		}
	}
}
