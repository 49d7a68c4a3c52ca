package ops

import (
	"math"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestComparisons(t *testing.T) {
	nan := float32(math.NaN())
	a := tensors.Vector[float32](1, 2, nan)
	b := tensors.Vector[float32](2, 2, nan)
	for op, want := range map[string][]bool{
		"Equal":          {false, true, false},
		"Less":           {true, false, false},
		"LessOrEqual":    {true, true, false},
		"Greater":        {false, false, false},
		"GreaterOrEqual": {false, true, false},
	} {
		expectTensor(t, op, run1(t, node(op, []string{"a", "b"}, []string{"y"}), 16, a, b), tensors.Bool, []int{3}, want)
	}
	// int64 values beyond float64's exact range compare exactly.
	big := tensors.Vector[int64](1<<60, 1<<60+1)
	expectTensor(t, "Equal int64", run1(t, node("Equal", []string{"a", "b"}, []string{"y"}), 13, big, tensors.Scalar[int64](1<<60)), tensors.Bool, []int{2}, []bool{true, false})
	expectTensor(t, "Equal bool", run1(t, node("Equal", []string{"a", "b"}, []string{"y"}), 13, tensors.Vector(true, false), tensors.Scalar(false)), tensors.Bool, []int{2}, []bool{false, true})
	// Legacy Greater-1 with broadcast on the last axis.
	m := seqMust(tensors.New([]int{2, 2}, []int32{1, 5, 3, 0}))
	expectTensor(t, "Greater-1", run1(t, node("Greater", []string{"a", "b"}, []string{"y"}, nnInt("broadcast", 1)), 1, m, tensors.Vector[int32](2, 2)), tensors.Bool, []int{2, 2}, []bool{false, true, true, false})
	if _, err := runNode(t, node("Less", []string{"a", "b"}, []string{"y"}), 13, a, tensors.Vector[float64](1)); err == nil {
		t.Error("Less of float32 and float64 did not fail")
	}
}
