package onnx

import (
	"slices"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// TestShapeValues checks that the entries of shapes computed from a
// symbolic input shape reach the inference of ConstantOfShape, as
// exporters write the initial states of recurrent layers, and that the
// inferred types are those of the values a run computes.
func TestShapeValues(t *testing.T) {
	i64 := func(name string, v ...int64) *onnxpb.TensorProto { return tensors.ToProto(name, tensors.Vector(v...)) }
	g := &onnxpb.GraphProto{
		Name:  "shapes",
		Input: []*onnxpb.ValueInfoProto{valueInfo("x", tensorType(tensors.Float32, "N", "S", 5))},
		Initializer: []*onnxpb.TensorProto{
			i64("one", 1), i64("four", 4), i64("zero", 0), i64("ax0", 0),
			tensors.ToProto("idx", tensors.Scalar[int64](1)),
		},
		Node: []*onnxpb.NodeProto{
			// PyTorch: Shape, Gather, Unsqueeze, Concat.
			nodeProto("Shape", "shape", []string{"x"}, []string{"sh"}),
			nodeProto("Gather", "gather", []string{"sh", "idx"}, []string{"s"}),
			nodeProto("Unsqueeze", "unsq", []string{"s", "ax0"}, []string{"s1"}),
			nodeProto("Concat", "cat", []string{"one", "s1", "four"}, []string{"dims"}, shpInt("axis", 0)),
			nodeProto("ConstantOfShape", "zeros", []string{"dims"}, []string{"z"}),
			// tf2onnx: Shape, Cast to int32, Slice, Concat, Cast back.
			nodeProto("Cast", "c32", []string{"sh"}, []string{"sh32"}, shpInt("to", int64(tensors.Int32))),
			nodeProto("Slice", "first", []string{"sh32", "zero", "one", "zero"}, []string{"n32"}),
			nodeProto("Cast", "c64", []string{"n32"}, []string{"n"}, shpInt("to", int64(tensors.Int64))),
			nodeProto("Concat", "cat2", []string{"n", "four", "sh"}, []string{"dims2"}, shpInt("axis", 0)),
			nodeProto("ConstantOfShape", "zeros2", []string{"dims2"}, []string{"z2"}),
		},
		Output: []*onnxpb.ValueInfoProto{valueInfo("z", nil), valueInfo("z2", nil)},
	}
	mp := modelProto(13, g)
	m, err := FromProto("shapes", mp)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"z": "float32[1 S 4]", "z2": "float32[N 4 N S 5]"}
	for name, w := range want {
		if ty, _ := m.ValueType(name); ty.String() != w {
			t.Errorf("type of %s = %v, want %s", name, ty, w)
		}
	}
	x, _, err := tensors.Make[float32]([]int{2, 3, 5})
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.RunTensors(map[string]*tensors.Tensor{"x": x}, "z", "z2")
	if err != nil {
		t.Fatal(err)
	}
	if got := out["z"].Shape(); !slices.Equal(got, []int{1, 3, 4}) {
		t.Errorf("z has shape %v, want [1 3 4] (N=2, S=3)", got)
	}
	if got := out["z2"].Shape(); !slices.Equal(got, []int{2, 4, 2, 3, 5}) {
		t.Errorf("z2 has shape %v, want [2 4 2 3 5]", got)
	}

	// An index known only at run time leaves the entries unknown.
	g.Input = append(g.Input, valueInfo("i", tensorType(tensors.Int64)))
	g.Node[1] = nodeProto("Gather", "gather", []string{"sh", "i"}, []string{"s"})
	m, err = FromProto("shapes", mp)
	if err != nil {
		t.Fatal(err)
	}
	if ty, _ := m.ValueType("z"); ty.String() != "float32[? ? ?]" {
		t.Errorf("with a run-time index, type of z = %v, want float32[? ? ?]", ty)
	}
}
