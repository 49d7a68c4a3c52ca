package ops

import (
	"strings"
	"testing"
)

func TestMod(t *testing.T) {
	a := Vector[int32](-7, 7, -7, 7)
	b := Vector[int32](3, -3, -3, 3)
	expectTensor(t, "Mod floor", run1(t, node("Mod", []string{"a", "b"}, []string{"y"}), 13, a, b), Int32, []int{4}, []int32{2, -2, -1, 1})
	expectTensor(t, "Mod fmod", run1(t, node("Mod", []string{"a", "b"}, []string{"y"}, nnInt("fmod", 1)), 13, a, b), Int32, []int{4}, []int32{-1, 1, -1, 1})
	f := Vector[float64](-7.5, 7.5)
	expectTensor(t, "Mod float", run1(t, node("Mod", []string{"a", "b"}, []string{"y"}, nnInt("fmod", 1)), 10, f, Scalar[float64](2)), Float64, []int{2}, []float64{-1.5, 1.5})
	if _, err := runNode(t, node("Mod", []string{"a", "b"}, []string{"y"}), 13, f, f); err == nil || !strings.Contains(err.Error(), "fmod") {
		t.Errorf("float Mod with fmod=0: %v", err)
	}
	if _, err := runNode(t, node("Mod", []string{"a", "b"}, []string{"y"}), 13, a, Vector[int32](1, 0, 1, 1)); err == nil || !strings.Contains(err.Error(), "zero") {
		t.Errorf("Mod by zero: %v", err)
	}
	expectTensor(t, "Mod int8 min", run1(t, node("Mod", []string{"a", "b"}, []string{"y"}), 13, Vector[int8](-128), Vector[int8](-1)), Int8, []int{1}, []int8{0})
}
