package ops

import (
	"math"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestActivationsMore(t *testing.T) {
	x := tensors.Vector(-800.0, -2, -0.25, 0, 0.25, 3, 800)
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
	xs, _ := tensors.AsFloat64s(x)
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
	out, err := runNode(t, node("Shrink", []string{"x"}, []string{"y"}, nnFloat("bias", 1), nnFloat("lambd", 1)), 9, tensors.Vector[int32](-3, -1, 0, 1, 2))
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "shrink int", out[0], []int{5}, []float64{-2, 0, 0, 0, 1}, 0)
	x, _ := tensors.New([]int{1, 2, 3}, []float32{-1, 2, -3, 4, -8, 1})
	out, err = runNode(t, node("PRelu", []string{"x", "s"}, []string{"y"}), 6, x, tensors.Vector[float32](0.5, 0.25))
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "prelu per channel", out[0], []int{1, 2, 3}, []float64{-0.5, 2, -1.5, 4, -2, 1}, 0)
	if _, err := runNode(t, node("PRelu", []string{"x", "s"}, []string{"y"}), 16, x, tensors.Vector[float32](1, 2)); err == nil {
		t.Error("PRelu with a slope that does not broadcast succeeded")
	}
}
