package onnx

import (
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
	"google.golang.org/protobuf/proto"
)

// Helpers to build small models in tests.

func tensorType(dt tensors.DType, dims ...any) *onnxpb.TypeProto {
	shape := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		switch v := d.(type) {
		case int:
			shape.Dim = append(shape.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(v)}})
		case string:
			shape.Dim = append(shape.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: v}})
		}
	}
	return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{ElemType: int32(dt), Shape: shape}}}
}

func valueInfo(name string, tp *onnxpb.TypeProto) *onnxpb.ValueInfoProto {
	return &onnxpb.ValueInfoProto{Name: name, Type: tp}
}

func nodeProto(op, name string, in, out []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: op, Name: name, Input: in, Output: out, Attribute: attrs}
}

func modelProto(opset int64, g *onnxpb.GraphProto) *onnxpb.ModelProto {
	return &onnxpb.ModelProto{
		IrVersion:    8,
		ProducerName: "onnxkit-test",
		OpsetImport:  []*onnxpb.OperatorSetIdProto{{Domain: "", Version: opset}},
		Graph:        g,
	}
}

func mustTensor[T tensors.Elem](t testing.TB, shape []int, data []T) *tensors.Tensor {
	t.Helper()
	x, err := tensors.New(shape, data)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// smallModel is x[N,4] -> Reshape([-1,2,2]) -> Add(bias[2]) -> Relu -> y,
// with the reshaped value also exposed as the intermediate "r".
func smallModel() *onnxpb.ModelProto {
	return modelProto(14, &onnxpb.GraphProto{
		Name: "small",
		Node: []*onnxpb.NodeProto{
			nodeProto("Reshape", "reshape", []string{"x", "shape"}, []string{"r"}),
			nodeProto("Add", "add", []string{"r", "bias"}, []string{"s"}),
			nodeProto("Relu", "relu", []string{"s"}, []string{"y"}),
		},
		Initializer: []*onnxpb.TensorProto{
			tensors.ToProto("shape", tensors.Vector[int64](-1, 2, 2)),
			tensors.ToProto("bias", tensors.Vector[float32](1, -10)),
		},
		Input:  []*onnxpb.ValueInfoProto{valueInfo("x", tensorType(tensors.Float32, "N", 4))},
		Output: []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tensors.Float32, "N", 2, 2))},
	})
}

// smallModelWant computes smallModel's output for input x the slow way.
func smallModelWant(x []float32) []float32 {
	out := make([]float32, len(x))
	bias := []float32{1, -10}
	for i, v := range x {
		out[i] = max(v+bias[i%2], 0)
	}
	return out
}

// loadGraph marshals g into a model of the given default-domain opset and
// loads it under name.
func loadGraph(t testing.TB, name string, opset int64, g *onnxpb.GraphProto) *Model {
	t.Helper()
	b, err := proto.Marshal(modelProto(opset, g))
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadBytes(name, b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
