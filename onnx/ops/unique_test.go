package ops

import (
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestUnique(t *testing.T) {
	x := tensors.Vector[float32](2, 1, 1, 3, 4, 3)
	for _, c := range []struct {
		sorted           int64
		y                []float32
		idx, inv, counts []int64
	}{
		{1, []float32{1, 2, 3, 4}, []int64{1, 0, 3, 4}, []int64{1, 0, 0, 2, 3, 2}, []int64{2, 1, 2, 1}},
		{0, []float32{2, 1, 3, 4}, []int64{0, 1, 3, 4}, []int64{0, 1, 1, 2, 3, 2}, []int64{1, 2, 2, 1}},
	} {
		out, err := runNode(t, node("Unique", []string{"x"}, []string{"y", "i", "v", "c"}, nnInt("sorted", c.sorted)), 11, x)
		if err != nil {
			t.Fatal(err)
		}
		expectTensor(t, "Unique Y", out[0], tensors.Float32, []int{len(c.y)}, c.y)
		expectTensor(t, "Unique indices", out[1], tensors.Int64, []int{len(c.idx)}, c.idx)
		expectTensor(t, "Unique inverse", out[2], tensors.Int64, []int{6}, c.inv)
		expectTensor(t, "Unique counts", out[3], tensors.Int64, []int{len(c.counts)}, c.counts)
	}
	// Rows of a matrix along axis 0.
	m := seqMust(tensors.New([]int{3, 2}, []string{"b", "a", "a", "z", "b", "a"}))
	out, err := runNode(t, node("Unique", []string{"x"}, []string{"y", "", "v"}, nnInt("axis", 0)), 11, m)
	if err != nil {
		t.Fatal(err)
	}
	expectTensor(t, "Unique rows", out[0], tensors.String, []int{2, 2}, []string{"a", "z", "b", "a"})
	expectTensor(t, "Unique rows inverse", out[2], tensors.Int64, []int{3}, []int64{1, 0, 1})
}
