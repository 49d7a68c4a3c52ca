package ops

import (
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestConcatSkipsEmptyVectors(t *testing.T) {
	a, _ := tensors.New([]int{1, 2}, []float32{1, 2})
	b, _ := tensors.New([]int{1, 1}, []float32{3})
	empty, _ := tensors.New([]int{0}, []float32{})
	out, err := runNode(t, node("Concat", []string{"e", "a", "b"}, []string{"y"}, nnInt("axis", 1)), 11, empty, a, b)
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "concat", out[0], []int{1, 3}, []float64{1, 2, 3}, 0)
	// Empty vectors among vectors are ordinary operands.
	out, err = runNode(t, node("Concat", []string{"e", "v"}, []string{"y"}, nnInt("axis", 0)), 11, empty, tensors.Vector[float32](4))
	if err != nil {
		t.Fatal(err)
	}
	nnClose(t, "concat vectors", out[0], []int{1}, []float64{4}, 0)
	// A non-empty vector next to a matrix is still an error.
	if _, err := runNode(t, node("Concat", []string{"v", "a"}, []string{"y"}, nnInt("axis", 1)), 11, tensors.Vector[float32](4), a); err == nil {
		t.Error("a 1-D operand next to a 2-D one was accepted")
	}
	types := emptyVectorInputs([]tensors.Type{tensors.KnownType(tensors.Float32, []int{0}), tensors.KnownType(tensors.Float32, []int{1, 2})})
	if !types[0] || types[1] {
		t.Errorf("emptyVectorInputs = %v", types)
	}
}
