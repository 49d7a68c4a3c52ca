package ops

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// expectTensor checks a result's element type, shape and values (compared
// as printed).
func expectTensor(t *testing.T, what string, got *tensors.Tensor, dt tensors.DType, shape []int, values any) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: no result", what)
		return
	}
	if got.DType() != dt || !tensors.SameShape(got.Shape(), shape) {
		t.Errorf("%s: got %v, want %v%s", what, got, dt, tensors.FormatShape(shape))
		return
	}
	if g, w := fmt.Sprint(got.Data()), fmt.Sprint(values); g != w {
		t.Errorf("%s: got %s, want %s", what, g, w)
	}
}

// run1 runs a one-output node at opset and fails the test on error.
func run1(t *testing.T, np *onnxpb.NodeProto, opset int, in ...*tensors.Tensor) *tensors.Tensor {
	t.Helper()
	out, err := runNode(t, np, opset, in...)
	if err != nil {
		t.Fatalf("%s: %v", np.GetOpType(), err)
	}
	return out[0]
}

func TestLogicalOps(t *testing.T) {
	a := seqMust(tensors.New([]int{2, 2}, []bool{true, true, false, false}))
	b := seqMust(tensors.New([]int{2}, []bool{true, false}))
	for op, want := range map[string][]bool{
		"And": {true, false, false, false},
		"Or":  {true, true, true, false},
		"Xor": {false, true, true, false},
	} {
		expectTensor(t, op, run1(t, node(op, []string{"a", "b"}, []string{"y"}), 7, a, b), tensors.Bool, []int{2, 2}, want)
	}
	// Legacy version 1: B matches A's axis 0 with broadcast=1, axis=0.
	c := seqMust(tensors.New([]int{2}, []bool{false, true}))
	got := run1(t, node("And", []string{"a", "c"}, []string{"y"}, nnInt("broadcast", 1), nnInt("axis", 0)), 1, a, c)
	expectTensor(t, "And-1 axis", got, tensors.Bool, []int{2, 2}, []bool{false, false, false, false})
	expectTensor(t, "Not", run1(t, node("Not", []string{"a"}, []string{"y"}), 1, a), tensors.Bool, []int{2, 2}, []bool{false, false, true, true})
	if _, err := runNode(t, node("And", []string{"a", "b"}, []string{"y"}), 7, tensors.Vector[float32](1), tensors.Vector[float32](1)); !errors.Is(err, tensors.ErrUnsupported) {
		t.Errorf("And on floats: %v", err)
	}
}

func TestWhere(t *testing.T) {
	c := seqMust(tensors.New([]int{2, 1}, []bool{true, false}))
	x := tensors.Vector[int64](1, 2, 3)
	y := tensors.Scalar[int64](-1)
	expectTensor(t, "Where", run1(t, node("Where", []string{"c", "x", "y"}, []string{"z"}), 16, c, x, y), tensors.Int64, []int{2, 3}, []int64{1, 2, 3, -1, -1, -1})
	s := tensors.Vector("a", "b")
	expectTensor(t, "Where string", run1(t, node("Where", []string{"c", "x", "y"}, []string{"z"}), 16, tensors.Vector(false, true), s, tensors.Vector("z")), tensors.String, []int{2}, []string{"z", "b"})
	if _, err := runNode(t, node("Where", []string{"c", "x", "y"}, []string{"z"}), 16, tensors.Vector(true, false, true), x, tensors.Vector[int64](1, 2)); err == nil {
		t.Error("Where with shapes 3, 3, 2 did not fail")
	}
}

func TestIsNaNIsInfBitShift(t *testing.T) {
	x := tensors.Vector(float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1)
	expectTensor(t, "IsNaN", run1(t, node("IsNaN", []string{"x"}, []string{"y"}), 13, x), tensors.Bool, []int{4}, []bool{false, false, true, false})
	expectTensor(t, "IsInf", run1(t, node("IsInf", []string{"x"}, []string{"y"}), 10, x), tensors.Bool, []int{4}, []bool{true, true, false, false})
	expectTensor(t, "IsInf neg only", run1(t, node("IsInf", []string{"x"}, []string{"y"}, nnInt("detect_positive", 0)), 10, x), tensors.Bool, []int{4}, []bool{false, true, false, false})
	v := tensors.Vector[uint8](1, 128, 255)
	expectTensor(t, "BitShift left", run1(t, node("BitShift", []string{"a", "b"}, []string{"y"}, nnStr("direction", "LEFT")), 11, v, tensors.Vector[uint8](1, 1, 8)), tensors.Uint8, []int{3}, []uint8{2, 0, 0})
	expectTensor(t, "BitShift right", run1(t, node("BitShift", []string{"a", "b"}, []string{"y"}, nnStr("direction", "RIGHT")), 11, v, tensors.Scalar[uint8](7)), tensors.Uint8, []int{3}, []uint8{0, 1, 1})
	if _, err := runNode(t, node("BitShift", []string{"a", "b"}, []string{"y"}, nnStr("direction", "UP")), 11, v, v); err == nil || !strings.Contains(err.Error(), "direction") {
		t.Errorf("BitShift direction UP: %v", err)
	}
}

// seqMust returns v, panicking on err (test setup only).
func seqMust[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
