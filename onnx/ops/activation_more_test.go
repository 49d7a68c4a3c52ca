package ops

import (
	"math"
	"testing"
)

func TestActivationsMore(t *testing.T) {
	x := Vector(-800.0, -2, -0.25, 0, 0.25, 3, 800)
	cases := []struct {
		op    string
		opset int
		want  func(v float64) float64
	}{
		// Softplus must not overflow at ±800.
		{"Softplus", 1, func(v float64) float64 {
			if v > 30 {
				return v
			}
			return math.Log(1 + math.Exp(v))
		}},
		{"Softsign", 1, func(v float64) float64 { return v / (1 + math.Abs(v)) }},
		{"HardSwish", 14, func(v float64) float64 { return v * math.Max(0, math.Min(1, (v+3)/6)) }},
		{"Celu", 12, func(v float64) float64 {
			if v > 0 {
				return v
			}
			return math.Exp(v) - 1
		}},
		{"ThresholdedRelu", 10, func(v float64) float64 {
			if v > 1 {
				return v
			}
			return 0
		}},
		{"Shrink", 9, func(v float64) float64 {
			if math.Abs(v) <= 0.5 {
				return 0
			}
			return v
		}},
	}
	xs, _ := AsFloat64s(x)
	for _, c := range cases {
		out, err := runNode(t, node(c.op, []string{"x"}, []string{"y"}), c.opset, x)
		if err != nil {
			t.Fatalf("%s: %v", c.op, err)
		}
		want := make([]float64, len(xs))
		for i, v := range xs {
			want[i] = c.want(v)
		}
		nnClose(t, c.op, out[0], []int{len(xs)}, want, 1e-12)
	}
}

func TestShrinkIntegersAndPReluChannels(t *testing.T) {
	out, err := runNode(t, node("Shrink", []string{"x"}, []string{"y"}, nnFloat("bias", 1), nnFloat("lambd", 1)), 9, Vector[int32](-3, -1, 0, 1, 2))
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "shrink int", out[0], []int{5}, []float64{-2, 0, 0, 0, 1}, 0)
	x, _ := New([]int{1, 2, 3}, []float32{-1, 2, -3, 4, -8, 1})
	out, err = runNode(t, node("PRelu", []string{"x", "s"}, []string{"y"}), 6, x, Vector[float32](0.5, 0.25))
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "prelu per channel", out[0], []int{1, 2, 3}, []float64{-0.5, 2, -1.5, 4, -2, 1}, 0)
	if _, err := runNode(t, node("PRelu", []string{"x", "s"}, []string{"y"}), 16, x, Vector[float32](1, 2)); err == nil {
		t.Error("PRelu with a slope that does not broadcast succeeded")
	}
}

func TestDetAndRound(t *testing.T) {
	// A permutation matrix with one swap has determinant -1; a batch of
	// 2x2 matrices; and a singular one.
	x, _ := New([]int{3, 2, 2}, []float64{0, 1, 1, 0, 3, 8, 4, 6, 1, 2, 2, 4})
	out, err := runNode(t, node("Det", []string{"x"}, []string{"y"}), 11, x)
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "det", out[0], []int{3}, []float64{-1, 3*6 - 8*4, 0}, 1e-12)
	if _, err := runNode(t, node("Det", []string{"x"}, []string{"y"}), 11, Vector(1.0, 2)); err == nil {
		t.Error("Det of a vector succeeded")
	}
	out, err = runNode(t, node("Round", []string{"x"}, []string{"y"}), 11, Vector[float32](-2.5, -1.5, 0.5, 1.5, 2.4))
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "round", out[0], []int{5}, []float64{-2, -2, 0, 2, 2}, 0)
}
