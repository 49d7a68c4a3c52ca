package onnxgo_test

import (
	"fmt"
	"log"

	onnx "github.com/owulveryck/onnx-go"
	"google.golang.org/protobuf/proto"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/onnx/onnxgo"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
)

// A small ONNX file: y = Relu(x·W + b) for a batch of 3-vectors, with W
// and b as initializers and the batch dimension symbolic.
func exampleModel() []byte {
	f32 := int32(onnxpb.TensorProto_FLOAT)
	mp := &onnxpb.ModelProto{
		IrVersion:   8,
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: 13}},
		Graph: &onnxpb.GraphProto{
			Name: "dense",
			Input: []*onnxpb.ValueInfoProto{{Name: "x", Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
				ElemType: f32,
				Shape: &onnxpb.TensorShapeProto{Dim: []*onnxpb.TensorShapeProto_Dimension{
					{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}},
					{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: 3}},
				}},
			}}}}},
			Output: []*onnxpb.ValueInfoProto{{Name: "y"}},
			Initializer: []*onnxpb.TensorProto{
				{Name: "W", DataType: f32, Dims: []int64{3, 2}, FloatData: []float32{1, -1, 2, 0, -1, 1}},
				{Name: "b", DataType: f32, Dims: []int64{2}, FloatData: []float32{0.5, -0.5}},
			},
			Node: []*onnxpb.NodeProto{
				{OpType: "MatMul", Input: []string{"x", "W"}, Output: []string{"xW"}},
				{OpType: "Add", Input: []string{"xW", "b"}, Output: []string{"z"}},
				{OpType: "Relu", Input: []string{"z"}, Output: []string{"y"}},
			},
		},
	}
	b, err := proto.Marshal(mp)
	if err != nil {
		log.Fatal(err)
	}
	return b
}

// onnx-go's README flow, with onnxgo.NewGraph in place of
// gorgonnx.NewGraph: the only line that changes.
func Example() {
	b := exampleModel() // the bytes of an .onnx file

	backend := onnxgo.NewGraph() // was: backend := gorgonnx.NewGraph()
	model := onnx.NewModel(backend)
	if err := model.UnmarshalBinary(b); err != nil {
		log.Fatal(err)
	}
	input := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float32{1, 2, 3, 0, 1, 0}))
	if err := model.SetInput(0, input); err != nil {
		log.Fatal(err)
	}
	if err := backend.Run(); err != nil {
		log.Fatal(err)
	}
	outputs, err := model.GetOutputTensors()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(outputs[0].Shape(), outputs[0].Data())
	// Output:
	// (2, 2) [2.5 1.5 2.5 0]
}
