package ops

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestSizeRange(t *testing.T) {
	x := seqMust(tensors.New([]int{2, 0, 3}, []float32{}))
	expectTensor(t, "Size", run1(t, node("Size", []string{"x"}, []string{"y"}), 13, x), tensors.Int64, []int{}, []int64{0})
	r := node("Range", []string{"s", "l", "d"}, []string{"y"})
	expectTensor(t, "Range int", run1(t, r, 11, tensors.Scalar[int32](10), tensors.Scalar[int32](1), tensors.Scalar[int32](-3)), tensors.Int32, []int{3}, []int32{10, 7, 4})
	expectTensor(t, "Range empty", run1(t, r, 11, tensors.Scalar[int64](1), tensors.Scalar[int64](1), tensors.Scalar[int64](1)), tensors.Int64, []int{0}, []int64{})
	expectTensor(t, "Range float", run1(t, r, 11, tensors.Scalar[float64](0), tensors.Scalar[float64](1), tensors.Scalar[float64](0.25)), tensors.Float64, []int{4}, []float64{0, 0.25, 0.5, 0.75})
	if _, err := runNode(t, r, 11, tensors.Scalar[int64](0), tensors.Scalar[int64](1), tensors.Scalar[int64](0)); err == nil || !strings.Contains(err.Error(), "delta") {
		t.Errorf("Range with delta 0: %v", err)
	}
	if _, err := runNode(t, r, 11, tensors.Scalar[int64](0), tensors.Scalar[int64](1<<62), tensors.Scalar[int64](1)); !errors.Is(err, tensors.ErrMemoryLimit) {
		t.Errorf("Range of 2^62 elements: %v", err)
	}
	if _, err := runNode(t, r, 11, tensors.Scalar[int64](math.MinInt64), tensors.Scalar[int64](math.MaxInt64), tensors.Scalar[int64](math.MaxInt64)); err != nil {
		t.Errorf("Range over the whole int64 span by MaxInt64: %v", err)
	}
	if _, err := runNode(t, r, 11, tensors.Scalar[int64](math.MaxInt64), tensors.Scalar[int64](math.MinInt64), tensors.Scalar[int64](math.MinInt64)); err != nil {
		t.Errorf("Range down the whole int64 span by MinInt64: %v", err)
	}
	if _, err := runNode(t, r, 11, tensors.Scalar[float32](0), tensors.Scalar[float32](1e30), tensors.Scalar[float32](1)); !errors.Is(err, tensors.ErrMemoryLimit) {
		t.Errorf("float Range of 1e30 elements: %v", err)
	}
}

func TestNonZeroEyeLikeOneHot(t *testing.T) {
	x := seqMust(tensors.New([]int{2, 2}, []int32{0, 3, 4, 0}))
	expectTensor(t, "NonZero", run1(t, node("NonZero", []string{"x"}, []string{"y"}), 13, x), tensors.Int64, []int{2, 2}, []int64{0, 1, 1, 0})
	e := run1(t, node("EyeLike", []string{"x"}, []string{"y"}, nnInt("k", -1), nnInt("dtype", int64(tensors.Bool))), 9, seqMust(tensors.New([]int{3, 2}, []float32{1, 2, 3, 4, 5, 6})))
	expectTensor(t, "EyeLike", e, tensors.Bool, []int{3, 2}, []bool{false, false, true, false, false, true})
	oh := node("OneHot", []string{"i", "d", "v"}, []string{"y"}, nnInt("axis", 0))
	got := run1(t, oh, 11, tensors.Vector[int64](0, -1, 5), tensors.Scalar[float32](3), tensors.Vector[int32](7, 9))
	expectTensor(t, "OneHot axis 0", got, tensors.Int32, []int{3, 3}, []int32{9, 7, 7, 7, 7, 7, 7, 9, 7})
	if _, err := runNode(t, oh, 11, tensors.Vector[int64](0), tensors.Scalar[int64](1<<40), tensors.Vector[int32](0, 1)); !errors.Is(err, tensors.ErrMemoryLimit) {
		t.Errorf("OneHot depth 2^40: %v", err)
	}
	if _, err := runNode(t, oh, 11, tensors.Vector[int64](0), tensors.Scalar[int64](0), tensors.Vector[int32](0, 1)); err == nil || !strings.Contains(err.Error(), "depth") {
		t.Errorf("OneHot depth 0: %v", err)
	}
}

func TestTriluCompressReverseSequence(t *testing.T) {
	x := seqMust(tensors.New([]int{2, 3}, []int64{1, 2, 3, 4, 5, 6}))
	expectTensor(t, "Trilu upper k=1", run1(t, node("Trilu", []string{"x", "k"}, []string{"y"}), 14, x, tensors.Scalar[int64](1)), tensors.Int64, []int{2, 3}, []int64{0, 2, 3, 0, 0, 6})
	expectTensor(t, "Trilu lower", run1(t, node("Trilu", []string{"x"}, []string{"y"}, nnInt("upper", 0)), 14, x), tensors.Int64, []int{2, 3}, []int64{1, 0, 0, 4, 5, 0})
	c := node("Compress", []string{"x", "c"}, []string{"y"}, nnInt("axis", 1))
	expectTensor(t, "Compress short condition", run1(t, c, 11, x, tensors.Vector(false, true)), tensors.Int64, []int{2, 1}, []int64{2, 5})
	expectTensor(t, "Compress flat", run1(t, node("Compress", []string{"x", "c"}, []string{"y"}), 11, x, tensors.Vector(true, false, false, true)), tensors.Int64, []int{2}, []int64{1, 4})
	if _, err := runNode(t, c, 11, x, tensors.Vector(true, true, true, true)); err == nil {
		t.Error("Compress with a condition longer than the axis did not fail")
	}
	// batch_axis 0: rows [1 2 3] and [4 5 6] reversed over lengths 3 and 2.
	rs := node("ReverseSequence", []string{"x", "l"}, []string{"y"}, nnInt("batch_axis", 0), nnInt("time_axis", 1))
	expectTensor(t, "ReverseSequence", run1(t, rs, 10, x, tensors.Vector[int64](3, 2)), tensors.Int64, []int{2, 3}, []int64{3, 2, 1, 5, 4, 6})
	if _, err := runNode(t, rs, 10, x, tensors.Vector[int64](4, 2)); err == nil || !strings.Contains(err.Error(), "sequence_lens") {
		t.Errorf("ReverseSequence length 4 > 3: %v", err)
	}
}
