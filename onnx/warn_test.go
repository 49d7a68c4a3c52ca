package onnx

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// TestConcatEmptyVectorWarning loads a graph like yolo_fastest_xl's: two
// Concat nodes join an empty 1-D initializer with 4-D tensors. The load
// warns once, naming both nodes, and the empty operands are skipped.
func TestConcatEmptyVectorWarning(t *testing.T) {
	axis := &onnxpb.AttributeProto{Name: "axis", Type: onnxpb.AttributeProto_INT, I: proto.Int64(1)}
	mp := modelProto(11, &onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{
			nodeProto("Concat", "cat_a", []string{"x", "empty"}, []string{"a"}, axis),
			nodeProto("Concat", "cat_b", []string{"empty", "a", "x"}, []string{"y"}, axis),
		},
		Initializer: []*onnxpb.TensorProto{tensors.ToProto("empty", tensors.Vector[float32]())},
		Input:       []*onnxpb.ValueInfoProto{valueInfo("x", tensorType(tensors.Float32, 1, 1, 1, 2))},
		Output:      []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tensors.Float32))},
	})
	var got []string
	old := LoadWarning
	LoadWarning = func(msg string) { got = append(got, msg) }
	defer func() { LoadWarning = old }()
	m, err := FromProto("cat", mp)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !strings.Contains(got[0], `"cat_a"`) || !strings.Contains(got[0], `"cat_b"`) {
		t.Fatalf("warnings %q, want one line naming both nodes", got)
	}
	out, err := m.RunTensors(map[string]*tensors.Tensor{"x": mustTensor(t, []int{1, 1, 1, 2}, []float32{1, 2})})
	if err != nil {
		t.Fatal(err)
	}
	y := out["y"]
	if !slices.Equal(y.Shape(), []int{1, 2, 1, 2}) || !slices.Equal(tensors.Data[float32](y), []float32{1, 2, 1, 2}) {
		t.Errorf("y = %v %v", y, tensors.Data[float32](y))
	}
}
