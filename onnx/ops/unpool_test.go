package ops

import (
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestMaxUnpool(t *testing.T) {
	x, _ := tensors.New([]int{1, 1, 1, 2}, []float32{5, 6})
	idx, _ := tensors.New([]int{1, 1, 1, 2}, []int64{2, 1})
	nd := node("MaxUnpool", []string{"x", "i"}, []string{"y"}, nnInts("kernel_shape", 2, 2), nnInts("strides", 2, 2))
	out, err := runNode(t, nd, 11, x, idx)
	if err != nil {
		t.Fatal(err)
	}
	// Default output 2x4; index 2 is (0, 2), 1 is (0, 1).
	nnClose(t, "unpool", out[0], []int{1, 1, 2, 4}, []float64{0, 6, 5, 0, 0, 0, 0, 0}, 0)
	nd3 := node("MaxUnpool", []string{"x", "i", "s"}, []string{"y"}, nnInts("kernel_shape", 2, 2), nnInts("strides", 2, 2))
	out, err = runNode(t, nd3, 11, x, idx, tensors.Vector[int64](1, 1, 3, 5))
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "unpool with output_shape", out[0], []int{1, 1, 3, 5}, []float64{0, 6, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0)
	bad, _ := tensors.New([]int{1, 1, 1, 2}, []int64{2, 8})
	if _, err := runNode(t, nd, 11, x, bad); err == nil {
		t.Error("an index outside the output was accepted")
	}
}
