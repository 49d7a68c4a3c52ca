package onnx

import (
	"testing"

	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// A dense layer x[N,3]·W[3,2] + c, where c has as many elements as the
// output at batch 1. A Gemm that accumulated into c (as onnx-go's did when
// the bias already had the output's size) would drift from run to run.
func TestGemmModelRepeatable(t *testing.T) {
	for _, cShape := range [][]int{{2}, {1, 2}} {
		c, err := tensors.New(cShape, []float32{0.5, -1})
		if err != nil {
			t.Fatal(err)
		}
		mp := modelProto(13, &onnxpb.GraphProto{
			Name: "dense",
			Node: []*onnxpb.NodeProto{nodeProto("Gemm", "fc", []string{"x", "w", "c"}, []string{"y"})},
			Initializer: []*onnxpb.TensorProto{
				tensors.ToProto("w", nnMust(tensors.New([]int{3, 2}, []float32{1, 2, 3, 4, 5, 6}))),
				tensors.ToProto("c", c),
			},
			Input:  []*onnxpb.ValueInfoProto{valueInfo("x", tensorType(tensors.Float32, "N", 3))},
			Output: []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tensors.Float32, "N", 2))},
		})
		m, err := FromProto("dense", mp)
		if err != nil {
			t.Fatal(err)
		}
		want := []float32{1*1 + 2*3 + 3*5 + 0.5, 1*2 + 2*4 + 3*6 - 1}
		for run := 0; run < 3; run++ {
			x := tensor.New(tensor.WithShape(1, 3), tensor.WithBacking([]float32{1, 2, 3}))
			out, err := m.Run(map[string]*tensor.Dense{"x": x})
			if err != nil {
				t.Fatalf("C %v, run %d: %v", cShape, run, err)
			}
			got := out["y"].Data().([]float32)
			if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
				t.Fatalf("C %v, run %d: y = %v, want %v", cShape, run, got, want)
			}
		}
		init, err := m.Initializer("c")
		if err != nil {
			t.Fatal(err)
		}
		if d := tensors.Data[float32](init); d[0] != 0.5 || d[1] != -1 {
			t.Errorf("C %v: initializer changed to %v", cShape, d)
		}
	}
}

func nnMust[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
