package ops

import (
	"math"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestTopK(t *testing.T) {
	x := seqMust(tensors.New([]int{2, 4}, []float32{3, 1, 3, 2, float32(math.NaN()), 0, 5, 5}))
	out, err := runNode(t, node("TopK", []string{"x", "k"}, []string{"v", "i"}), 11, x, tensors.Vector[int64](2))
	if err != nil {
		t.Fatal(err)
	}
	// Ties keep the lower index first; NaN ranks above every number.
	expectTensor(t, "TopK indices", out[1], tensors.Int64, []int{2, 2}, []int64{0, 2, 0, 2})
	out, err = runNode(t, node("TopK", []string{"x", "k"}, []string{"v", "i"}, nnInt("largest", 0), nnInt("axis", 0)), 11, x, tensors.Vector[int64](1))
	if err != nil {
		t.Fatal(err)
	}
	expectTensor(t, "TopK smallest axis 0", out[0], tensors.Float32, []int{1, 4}, []float32{3, 0, 3, 2})
	expectTensor(t, "TopK smallest indices", out[1], tensors.Int64, []int{1, 4}, []int64{0, 1, 0, 0})
	out, err = runNode(t, node("TopK", []string{"x"}, []string{"v", "i"}, nnInt("k", 3)), 1, tensors.Vector[int32](1, 4, 2, 4))
	if err != nil {
		t.Fatal(err)
	}
	expectTensor(t, "TopK-1", out[0], tensors.Int32, []int{3}, []int32{4, 4, 2})
	expectTensor(t, "TopK-1 indices", out[1], tensors.Int64, []int{3}, []int64{1, 3, 2})
	if _, err := runNode(t, node("TopK", []string{"x", "k"}, []string{"v", "i"}), 11, x, tensors.Vector[int64](5)); err == nil || !strings.Contains(err.Error(), "k = 5") {
		t.Errorf("TopK k=5 of 4: %v", err)
	}
}
