package ops

import (
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestGatherScatterElements(t *testing.T) {
	data := seqMust(tensors.New([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6}))
	idx := seqMust(tensors.New([]int{2, 2}, []int64{2, -3, 0, 1}))
	expectTensor(t, "GatherElements axis 1", run1(t, node("GatherElements", []string{"d", "i"}, []string{"y"}, nnInt("axis", 1)), 13, data, idx), tensors.Float32, []int{2, 2}, []float32{3, 1, 4, 5})
	if _, err := runNode(t, node("GatherElements", []string{"d", "i"}, []string{"y"}, nnInt("axis", 1)), 13, data, seqMust(tensors.New([]int{1, 1}, []int64{3}))); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("GatherElements index 3: %v", err)
	}
	upd := seqMust(tensors.New([]int{1, 2}, []float32{10, 20}))
	ui := seqMust(tensors.New([]int{1, 2}, []int64{1, 1}))
	for _, c := range []struct {
		red  string
		want []float32
	}{
		{"add", []float32{1, 32, 3, 4, 5, 6}},
		{"mul", []float32{1, 400, 3, 4, 5, 6}},
		{"max", []float32{1, 20, 3, 4, 5, 6}},
		{"min", []float32{1, 2, 3, 4, 5, 6}},
	} {
		got := run1(t, node("ScatterElements", []string{"d", "i", "u"}, []string{"y"}, nnInt("axis", 1), nnStr("reduction", c.red)), 18, data, ui, upd)
		expectTensor(t, "ScatterElements "+c.red, got, tensors.Float32, []int{2, 3}, c.want)
	}
	if _, err := runNode(t, node("ScatterElements", []string{"d", "i", "u"}, []string{"y"}, nnStr("reduction", "max")), 16, data, ui, upd); err == nil {
		t.Error("ScatterElements-16 accepted reduction max")
	}
	expectTensor(t, "Scatter", run1(t, node("Scatter", []string{"d", "i", "u"}, []string{"y"}), 9, data, ui, upd), tensors.Float32, []int{2, 3}, []float32{1, 2, 3, 10, 20, 6})
}

func TestGatherScatterND(t *testing.T) {
	data := seqMust(tensors.New([]int{2, 2, 2}, []int32{0, 1, 2, 3, 4, 5, 6, 7}))
	idx := seqMust(tensors.New([]int{2, 1}, []int64{1, 0}))
	expectTensor(t, "GatherND batch 1", run1(t, node("GatherND", []string{"d", "i"}, []string{"y"}, nnInt("batch_dims", 1)), 13, data, idx), tensors.Int32, []int{2, 2}, []int32{2, 3, 4, 5})
	idx2 := seqMust(tensors.New([]int{1, 3}, []int64{-1, 0, 1}))
	expectTensor(t, "GatherND full", run1(t, node("GatherND", []string{"d", "i"}, []string{"y"}), 11, data, idx2), tensors.Int32, []int{1}, []int32{5})
	upd := seqMust(tensors.New([]int{2, 2, 2}, []int32{1, 1, 1, 1, 2, 2, 2, 2}))
	si := seqMust(tensors.New([]int{2, 1}, []int64{0, 0}))
	expectTensor(t, "ScatterND add duplicates", run1(t, node("ScatterND", []string{"d", "i", "u"}, []string{"y"}, nnStr("reduction", "add")), 16, data, si, upd), tensors.Int32, []int{2, 2, 2}, []int32{3, 4, 5, 6, 4, 5, 6, 7})
	if _, err := runNode(t, node("ScatterND", []string{"d", "i", "u"}, []string{"y"}), 13, data, si, tensors.Vector[int32](1)); err == nil || !strings.Contains(err.Error(), "updates") {
		t.Errorf("ScatterND with wrong updates: %v", err)
	}
}
