package ops

import (
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestDetAndRound(t *testing.T) {
	// A permutation matrix with one swap has determinant -1; a batch of
	// 2x2 matrices; and a singular one.
	x, _ := tensors.New([]int{3, 2, 2}, []float64{0, 1, 1, 0, 3, 8, 4, 6, 1, 2, 2, 4})
	out, err := runNode(t, node("Det", []string{"x"}, []string{"y"}), 11, x)
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "det", out[0], []int{3}, []float64{-1, 3*6 - 8*4, 0}, 1e-12)
	if _, err := runNode(t, node("Det", []string{"x"}, []string{"y"}), 11, tensors.Vector(1.0, 2)); err == nil {
		t.Error("Det of a vector succeeded")
	}
	out, err = runNode(t, node("Round", []string{"x"}, []string{"y"}), 11, tensors.Vector[float32](-2.5, -1.5, 0.5, 1.5, 2.4))
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "round", out[0], []int{5}, []float64{-2, -2, 0, 2, 2}, 0)
}
