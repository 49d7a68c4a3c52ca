package onnx

import (
	"slices"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// constantDefaultsModel computes w = ConstantOfShape(shape) from an
// initializer-backed input, as IR-3 models do, then y = x + w and
// s = Shape(x) of the statically shaped input x.
func constantDefaultsModel() *onnxpb.ModelProto {
	g := &onnxpb.GraphProto{
		Name: "defaults",
		Input: []*onnxpb.ValueInfoProto{
			valueInfo("x", tensorType(tensors.Float32, 2, 3)),
			valueInfo("shape", tensorType(tensors.Int64, 2)),
		},
		Initializer: []*onnxpb.TensorProto{tensors.ToProto("shape", tensors.Vector[int64](2, 3))},
		Node: []*onnxpb.NodeProto{
			nodeProto("ConstantOfShape", "cos", []string{"shape"}, []string{"w"}),
			nodeProto("Add", "add", []string{"x", "w"}, []string{"y"}),
			nodeProto("Shape", "sh", []string{"x"}, []string{"s"}),
		},
		Output: []*onnxpb.ValueInfoProto{valueInfo("y", nil), valueInfo("s", nil)},
	}
	return modelProto(13, g)
}

func TestConstantDefaults(t *testing.T) {
	m, err := FromProto("plain", constantDefaultsModel())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Constant("w"); ok {
		t.Error("without ConstantDefaults, w (from an overridable input) is a constant")
	}
	if ty, _ := m.ValueType("w"); ty.String() != "float32[? ?]" {
		t.Errorf("without ConstantDefaults, w has type %v, want float32[? ?]", ty)
	}
	// Shape of a static shape is a constant either way.
	s, ok := m.Constant("s")
	if !ok || !slices.Equal(tensors.Data[int64](s), []int64{2, 3}) {
		t.Errorf("Constant(s) = %v, %v; want [2 3]", s, ok)
	}

	m, err = LoadOptions{ConstantDefaults: true}.FromProto("fixed", constantDefaultsModel())
	if err != nil {
		t.Fatal(err)
	}
	w, ok := m.Constant("w")
	if !ok || !slices.Equal(w.Shape(), []int{2, 3}) {
		t.Errorf("Constant(w) = %v, %v; want a 2x3 tensor", w, ok)
	}
	if ty, _ := m.ValueType("y"); ty.String() != "float32[2 3]" {
		t.Errorf("type of y = %v, want float32[2 3]", ty)
	}
	for _, in := range m.Inputs() {
		if in.Name == "shape" {
			t.Error("with ConstantDefaults, shape is still an input")
		}
	}
	if _, ok := m.Constant("y"); ok {
		t.Error("y depends on x but is a constant")
	}
	x := mustTensor(t, []int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	out, err := m.RunTensors(map[string]*tensors.Tensor{"x": x}, "y", "s")
	if err != nil {
		t.Fatal(err)
	}
	if got := tensors.Data[float32](out["y"]); !slices.Equal(got, []float32{1, 2, 3, 4, 5, 6}) {
		t.Errorf("y = %v, want x + 0", got)
	}
}
