package onnx

import (
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
)

// TestAdamMultipleReference runs the conformance model
// node/test_adam_multiple with the epsilon (1e-2) its reference outputs
// were computed with, which the model itself omits (onnx/onnx#7749, see
// conformance_waivers_training_test.go), and compares all six outputs
// with the test data; without the attribute the outputs must differ.
func TestAdamMultipleReference(t *testing.T) {
	dir := filepath.Join(conformanceRoot, "node", "test_adam_multiple")
	b, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Skipf("ONNX backend test data missing: %v", err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(b, &mp); err != nil {
		t.Fatal(err)
	}
	tol := tolerance{rtol: defaultRtol, atol: defaultAtol}
	set := filepath.Join(dir, "test_data_set_0")

	m, err := FromProto("adam", &mp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runDataSet(m, set, tol); err == nil {
		t.Error("the model as shipped (epsilon 1e-6) matches outputs computed with epsilon 1e-2")
	}

	n := mp.Graph.Node[0]
	for _, a := range n.Attribute {
		if a.GetName() == "epsilon" {
			t.Fatal("the model sets epsilon: the ONNX bug is fixed, remove the waiver and this test")
		}
	}
	n.Attribute = append(n.Attribute, &onnxpb.AttributeProto{Name: "epsilon", Type: onnxpb.AttributeProto_FLOAT, F: proto.Float32(1e-2)})
	m, err = FromProto("adam", &mp)
	if err != nil {
		t.Fatal(err)
	}
	worst, err := runDataSet(m, set, tol)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("max abs error %.3g", worst)
}
