package ops

import (
	"math"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestReduceMore(t *testing.T) {
	x, _ := tensors.New([]int{2, 3}, []float64{1, -2, 3, 1000, 1000, -4})
	cases := []struct {
		op   string
		want []float64 // over axis 1, keepdims 0
	}{
		{"ReduceMin", []float64{-2, -4}},
		{"ReduceProd", []float64{-6, -4e6}},
		{"ReduceL1", []float64{6, 2004}},
		{"ReduceL2", []float64{math.Sqrt(14), math.Sqrt(2e6 + 16)}},
		{"ReduceSumSquare", []float64{14, 2e6 + 16}},
		{"ReduceLogSum", []float64{math.Log(2), math.Log(1996)}},
		// Stable: 1000 + log(2 + e^-1004).
		{"ReduceLogSumExp", []float64{math.Log(math.E + math.Exp(-2) + math.Exp(3)), 1000 + math.Log(2)}},
	}
	for _, c := range cases {
		for _, opset := range []int{13, 18} {
			in := []*tensors.Tensor{x}
			names := []string{"x"}
			attrs := nnInt("keepdims", 0)
			var out []*tensors.Tensor
			var err error
			if opset == 18 {
				in, names = append(in, tensors.Vector[int64](-1)), append(names, "axes")
				out, err = runNode(t, node(c.op, names, []string{"y"}, attrs), opset, in...)
			} else {
				out, err = runNode(t, node(c.op, names, []string{"y"}, attrs, nnInts("axes", 1)), opset, in...)
			}
			if err != nil {
				t.Fatalf("%s-%d: %v", c.op, opset, err)
			}
			nnClose(t, c.op, out[0], []int{2}, c.want, 1e-9)
		}
	}
}

func TestReduceMoreEmptyAndNoop(t *testing.T) {
	x, _ := tensors.New([]int{2, 0}, []float32{})
	want := map[string]float64{"ReduceMin": math.Inf(1), "ReduceProd": 1, "ReduceL1": 0, "ReduceL2": 0, "ReduceSumSquare": 0, "ReduceLogSum": math.Inf(-1), "ReduceLogSumExp": math.Inf(-1)}
	for op, w := range want {
		out, err := runNode(t, node(op, []string{"x"}, []string{"y"}, nnInts("axes", 1)), 13, x)
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		nnClose(t, op+" empty", out[0], []int{2, 1}, []float64{w, w}, 0)
		y, _ := tensors.New([]int{2}, []int32{3, 4})
		out, err = runNode(t, node(op, []string{"x", "axes"}, []string{"y"}, nnInt("noop_with_empty_axes", 1)), 18, y, tensors.Vector[int64]())
		if err != nil {
			t.Fatalf("%s noop: %v", op, err)
		}
		if out[0] != y {
			t.Errorf("%s: noop_with_empty_axes did not return the input", op)
		}
	}
}
