package ops

import (
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestMod(t *testing.T) {
	a := tensors.Vector[int32](-7, 7, -7, 7)
	b := tensors.Vector[int32](3, -3, -3, 3)
	expectTensor(t, "Mod floor", run1(t, node("Mod", []string{"a", "b"}, []string{"y"}), 13, a, b), tensors.Int32, []int{4}, []int32{2, -2, -1, 1})
	expectTensor(t, "Mod fmod", run1(t, node("Mod", []string{"a", "b"}, []string{"y"}, nnInt("fmod", 1)), 13, a, b), tensors.Int32, []int{4}, []int32{-1, 1, -1, 1})
	f := tensors.Vector[float64](-7.5, 7.5)
	expectTensor(t, "Mod float", run1(t, node("Mod", []string{"a", "b"}, []string{"y"}, nnInt("fmod", 1)), 10, f, tensors.Scalar[float64](2)), tensors.Float64, []int{2}, []float64{-1.5, 1.5})
	if _, err := runNode(t, node("Mod", []string{"a", "b"}, []string{"y"}), 13, f, f); err == nil || !strings.Contains(err.Error(), "fmod") {
		t.Errorf("float Mod with fmod=0: %v", err)
	}
	if _, err := runNode(t, node("Mod", []string{"a", "b"}, []string{"y"}), 13, a, tensors.Vector[int32](1, 0, 1, 1)); err == nil || !strings.Contains(err.Error(), "zero") {
		t.Errorf("Mod by zero: %v", err)
	}
	expectTensor(t, "Mod int8 min", run1(t, node("Mod", []string{"a", "b"}, []string{"y"}), 13, tensors.Vector[int8](-128), tensors.Vector[int8](-1)), tensors.Int8, []int{1}, []int8{0})
}
