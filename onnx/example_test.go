package onnx_test

import (
	"fmt"
	"log"

	"google.golang.org/protobuf/proto"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/onnx"
	pb "github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// A model y = Relu(x + b) with a symbolic batch dimension, built in code
// here; onnx.Load reads the same from a file.
func exampleModel() []byte {
	dims := func(ds ...*pb.TensorShapeProto_Dimension) *pb.TypeProto {
		return &pb.TypeProto{Value: &pb.TypeProto_TensorType{TensorType: &pb.TypeProto_Tensor{
			ElemType: int32(pb.TensorProto_FLOAT), Shape: &pb.TensorShapeProto{Dim: ds}}}}
	}
	n := &pb.TensorShapeProto_Dimension{Value: &pb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}}
	three := &pb.TensorShapeProto_Dimension{Value: &pb.TensorShapeProto_Dimension_DimValue{DimValue: 3}}
	mp := &pb.ModelProto{
		IrVersion:   8,
		OpsetImport: []*pb.OperatorSetIdProto{{Version: 13}},
		Graph: &pb.GraphProto{
			Name: "example",
			Node: []*pb.NodeProto{
				{OpType: "Add", Name: "add", Input: []string{"x", "b"}, Output: []string{"sum"}},
				{OpType: "Relu", Name: "relu", Input: []string{"sum"}, Output: []string{"y"}},
			},
			Initializer: []*pb.TensorProto{{Name: "b", DataType: int32(pb.TensorProto_FLOAT), Dims: []int64{3}, FloatData: []float32{-1, 0, 1}}},
			Input:       []*pb.ValueInfoProto{{Name: "x", Type: dims(n, three)}},
			Output:      []*pb.ValueInfoProto{{Name: "y", Type: dims(n, three)}},
		},
	}
	b, err := proto.Marshal(mp)
	if err != nil {
		log.Fatal(err)
	}
	return b
}

func Example() {
	m, err := onnx.LoadBytes("example.onnx", exampleModel()) // onnx.Load(path) reads a file
	if err != nil {
		log.Fatal(err)
	}
	x := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float32{0.5, -2, 3, 1, 1, -4}))
	// Fetch the output and, by name, an intermediate tensor.
	out, err := m.Run(map[string]*tensor.Dense{"x": x}, "y", "sum")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out["sum"].Data())
	fmt.Println(out["y"].Data())
	// Output:
	// [-0.5 -2 4 0 1 -3]
	// [0 0 4 0 1 0]
}

// A Session serves a model in a loop: from the second run with the same
// input shape on, a run allocates nothing.
func ExampleSession() {
	m, err := onnx.LoadBytes("example.onnx", exampleModel())
	if err != nil {
		log.Fatal(err)
	}
	s := m.NewSession()
	data := []float32{0.5, -2, 3}
	x, err := tensors.New([]int{1, 3}, data)
	if err != nil {
		log.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		data[0] = float32(i) // x wraps data: new values, same tensor
		out, err := s.Run(map[string]*tensors.Tensor{"x": x})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(tensors.Data[float32](out["y"])) // valid until the next run
	}
	// Output:
	// [0 0 4]
	// [0 0 4]
	// [1 0 4]
}
