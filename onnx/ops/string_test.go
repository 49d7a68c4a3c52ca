package ops

import (
	"fmt"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// TestStringTensors runs string tensors through the element-type-agnostic
// operators and StringNormalizer.
func TestStringTensors(t *testing.T) {
	x, err := tensors.New([]int{2, 2}, []string{"Monday", "tuesday", "WED", "thu"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		op    string
		attrs []*onnxpb.AttributeProto
		in    []*tensors.Tensor
		want  string
	}{
		{"Identity", nil, []*tensors.Tensor{x}, "string[2 2] [Monday tuesday WED thu]"},
		{"Reshape", nil, []*tensors.Tensor{x, tensors.Vector[int64](4)}, "string[4] [Monday tuesday WED thu]"},
		{"Concat", []*onnxpb.AttributeProto{ewIntAttr("axis", 0)}, []*tensors.Tensor{x, x}, "string[4 2] [Monday tuesday WED thu Monday tuesday WED thu]"},
		{"Gather", []*onnxpb.AttributeProto{ewIntAttr("axis", 1)}, []*tensors.Tensor{x, tensors.Vector[int64](1)}, "string[2 1] [tuesday thu]"},
		{"Transpose", nil, []*tensors.Tensor{x}, "string[2 2] [Monday WED tuesday thu]"},
		{"Cast", []*onnxpb.AttributeProto{ewIntAttr("to", int64(tensors.String))}, []*tensors.Tensor{x}, "string[2 2] [Monday tuesday WED thu]"},
		{"StringNormalizer", []*onnxpb.AttributeProto{
			{Name: "case_change_action", Type: onnxpb.AttributeProto_STRING, S: []byte("UPPER")},
			{Name: "stopwords", Type: onnxpb.AttributeProto_STRINGS, Strings: [][]byte{[]byte("monday"), []byte("thu")}},
		}, []*tensors.Tensor{tensors.Vector("Monday", "tuesday", "WED", "thu")}, "string[2] [TUESDAY WED]"},
		{"StringNormalizer", []*onnxpb.AttributeProto{
			{Name: "is_case_sensitive", Type: onnxpb.AttributeProto_INT, I: new(int64(1))},
			{Name: "stopwords", Type: onnxpb.AttributeProto_STRINGS, Strings: [][]byte{[]byte("monday"), []byte("thu")}},
		}, []*tensors.Tensor{tensors.Vector("Monday", "thu")}, "string[1] [Monday]"},
	}
	for _, c := range cases {
		y, err := ewRun(t, c.op, 13, c.attrs, c.in...)
		if err != nil {
			t.Errorf("%s: %v", c.op, err)
			continue
		}
		if got := fmt.Sprint(y, " ", y.Data()); got != c.want {
			t.Errorf("%s: %s, want %s", c.op, got, c.want)
		}
	}
	if _, err := ewRun(t, "StringNormalizer", 10, nil, tensors.Vector[float32](1)); err == nil {
		t.Error("StringNormalizer of float32 accepted")
	}
	if _, err := ewRun(t, "StringNormalizer", 10, nil, x); err == nil {
		t.Error("StringNormalizer of [2 2] accepted")
	}
}
