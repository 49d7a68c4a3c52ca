package ops

import (
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestCumSum(t *testing.T) {
	x := seqMust(tensors.New([]int{2, 3}, []int64{1, 2, 3, 4, 5, 6}))
	cs := func(attrs ...int64) *tensors.Tensor {
		n := node("CumSum", []string{"x", "a"}, []string{"y"}, nnInt("exclusive", attrs[0]), nnInt("reverse", attrs[1]))
		return run1(t, n, 14, x, tensors.Scalar[int32](-1))
	}
	expectTensor(t, "CumSum", cs(0, 0), tensors.Int64, []int{2, 3}, []int64{1, 3, 6, 4, 9, 15})
	expectTensor(t, "CumSum exclusive", cs(1, 0), tensors.Int64, []int{2, 3}, []int64{0, 1, 3, 0, 4, 9})
	expectTensor(t, "CumSum reverse", cs(0, 1), tensors.Int64, []int{2, 3}, []int64{6, 5, 3, 15, 11, 6})
	expectTensor(t, "CumSum exclusive reverse", cs(1, 1), tensors.Int64, []int{2, 3}, []int64{5, 3, 0, 11, 6, 0})
	expectTensor(t, "CumSum axis 0", run1(t, node("CumSum", []string{"x", "a"}, []string{"y"}), 11, x, tensors.Vector[int64](0)), tensors.Int64, []int{2, 3}, []int64{1, 2, 3, 5, 7, 9})
	if _, err := runNode(t, node("CumSum", []string{"x", "a"}, []string{"y"}), 14, x, tensors.Scalar[int64](2)); err == nil {
		t.Error("CumSum axis 2 of a rank-2 input did not fail")
	}
}
