package ops

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
	"google.golang.org/protobuf/proto"
)

// TestRecycledKernelsMatchFresh runs operators that recycle their outputs
// fresh and then again with the stale (overwritten) results of another
// call: the results must equal the fresh ones and live in the recycled
// tensors.
func TestRecycledKernelsMatchFresh(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x := randTensor(r, 2, 3, 4, 5)
	scale, bias, mean := randTensor(r, 3), randTensor(r, 3), randTensor(r, 3)
	variance := tensors.Vector[float32](0.5, 1, 2)
	long := randTensor(r, 2, 100)
	cases := []struct {
		name  string
		node  *onnxpb.NodeProto
		opset int
		in    []*tensors.Tensor
	}{
		{"Sum same shape", &onnxpb.NodeProto{OpType: "Sum", Input: []string{"a", "b", "c"}, Output: []string{"y"}}, 13,
			[]*tensors.Tensor{x, randTensor(r, 2, 3, 4, 5), randTensor(r, 2, 3, 4, 5)}},
		{"Mean broadcast", &onnxpb.NodeProto{OpType: "Mean", Input: []string{"a", "b"}, Output: []string{"y"}}, 13,
			[]*tensors.Tensor{x, randTensor(r, 4, 5)}},
		{"ConstantOfShape", &onnxpb.NodeProto{OpType: "ConstantOfShape", Input: []string{"s"}, Output: []string{"y"},
			Attribute: []*onnxpb.AttributeProto{{Name: "value", Type: onnxpb.AttributeProto_TENSOR, T: tensors.ToProto("value", tensors.Vector[float32](2.5))}}}, 13,
			[]*tensors.Tensor{tensors.Vector[int64](2, 3)}},
		{"BatchNormalization run-time parameters", &onnxpb.NodeProto{OpType: "BatchNormalization", Input: []string{"x", "s", "b", "m", "v"}, Output: []string{"y"}}, 15,
			[]*tensors.Tensor{x, scale, bias, mean, variance}},
		{"GlobalAveragePool", &onnxpb.NodeProto{OpType: "GlobalAveragePool", Input: []string{"x"}, Output: []string{"y"}}, 13, []*tensors.Tensor{x}},
		{"GlobalMaxPool", &onnxpb.NodeProto{OpType: "GlobalMaxPool", Input: []string{"x"}, Output: []string{"y"}}, 13, []*tensors.Tensor{x}},
		{"Softmax long axis", &onnxpb.NodeProto{OpType: "Softmax", Input: []string{"x"}, Output: []string{"y"}}, 13, []*tensors.Tensor{long}},
		{"HardSigmoid", &onnxpb.NodeProto{OpType: "HardSigmoid", Input: []string{"x"}, Output: []string{"y"}}, 13, []*tensors.Tensor{x}},
		{"Mul scale first", &onnxpb.NodeProto{OpType: "Mul", Input: []string{"s", "x"}, Output: []string{"y"}}, 13,
			[]*tensors.Tensor{randTensor(r, 2, 3, 1, 1), x}},
		{"Add scalar first", &onnxpb.NodeProto{OpType: "Add", Input: []string{"s", "x"}, Output: []string{"y"}}, 13,
			[]*tensors.Tensor{randTensor(r, 1), x}},
		{"Exp", &onnxpb.NodeProto{OpType: "Exp", Input: []string{"x"}, Output: []string{"y"}}, 13, []*tensors.Tensor{x}},
		{"Div per channel", &onnxpb.NodeProto{OpType: "Div", Input: []string{"x", "s"}, Output: []string{"y"}}, 14,
			[]*tensors.Tensor{x, randTensor(r, 3, 1, 1)}},
		{"Dropout mask", &onnxpb.NodeProto{OpType: "Dropout", Input: []string{"x"}, Output: []string{"y", "mask"},
			Attribute: []*onnxpb.AttributeProto{{Name: "is_test", Type: onnxpb.AttributeProto_INT, I: proto.Int64(1)}}}, 6, []*tensors.Tensor{x}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			comp, err := Compile(c.node, Env{Opset: c.opset})
			if err != nil {
				t.Fatal(err)
			}
			if comp.Recycling == nil {
				t.Fatal("no recycling kernel")
			}
			want, err := comp.Kernel(c.in)
			if err != nil {
				t.Fatal(err)
			}
			last, err := comp.Recycling(c.in, nil)
			if err != nil {
				t.Fatal(err)
			}
			stale := slices.Clone(last)
			for _, s := range stale {
				if !slices.Contains(c.in, s) { // never write into an input passed through
					if d, ok := s.Data().([]float32); ok {
						for i := range d {
							d[i] = -7
						}
					}
				}
			}
			got, err := comp.Recycling(c.in, last)
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if got[i] != stale[i] {
					t.Errorf("output %d: a new tensor, want the recycled one", i)
				}
				if got[i].DType() != want[i].DType() || !slices.Equal(got[i].Shape(), want[i].Shape()) {
					t.Fatalf("output %d: %v, want %v", i, got[i], want[i])
				}
				if g, w := tensors.Data[float32](got[i]), tensors.Data[float32](want[i]); !slices.Equal(g, w) {
					t.Errorf("output %d: recycled %v, fresh %v", i, g, w)
				}
			}
		})
	}
}
