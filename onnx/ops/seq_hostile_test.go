package ops

import (
	"fmt"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// TestSequenceOpsNoPanic feeds the sequence-model operators every
// combination of small awkward inputs (scalars, empty and mismatched
// shapes, wrong element types, out-of-range values) and checks that each
// either runs or returns an error, never panics.
func TestSequenceOpsNoPanic(t *testing.T) {
	pool := []*tensors.Tensor{
		tensors.Scalar[float32](1), tensors.Scalar[int64](-1), tensors.Scalar(true), tensors.Scalar[int32](2),
		tensors.Vector[float32](), tensors.Vector[int64](0, 5, -7), tensors.Vector(true, false), tensors.Vector[int32](3, 1),
		seqMust(tensors.New([]int{2, 0}, []float32{})), seqMust(tensors.New([]int{2, 3}, []float32{1, -2, 3, 0, 5, 6})),
		seqMust(tensors.New([]int{2, 2}, []int64{1, 0, -1, 9})), seqMust(tensors.New([]int{1, 2, 3}, []float32{1, 2, 3, 4, 5, 6})),
		seqMust(tensors.New([]int{3, 1, 2}, []float32{1, 2, 3, 4, 5, 6})), seqMust(tensors.New([]int{2, 1}, []bool{true, false})),
	}
	s := func(name, v string) *onnxpb.AttributeProto { return nnStr(name, v) }
	cases := []struct {
		op    string
		opset int
		n     int
		attrs []*onnxpb.AttributeProto
	}{
		{"Equal", 13, 2, nil}, {"Less", 1, 2, []*onnxpb.AttributeProto{nnInt("broadcast", 1), nnInt("axis", 1)}},
		{"And", 7, 2, nil}, {"Not", 1, 1, nil}, {"Where", 16, 3, nil}, {"IsInf", 10, 1, nil},
		{"BitShift", 11, 2, []*onnxpb.AttributeProto{s("direction", "LEFT")}}, {"Mod", 13, 2, nil},
		{"Mod", 13, 2, []*onnxpb.AttributeProto{nnInt("fmod", 1)}},
		{"Size", 13, 1, nil}, {"Range", 11, 3, nil}, {"NonZero", 13, 1, nil}, {"EyeLike", 9, 1, []*onnxpb.AttributeProto{nnInt("k", 5)}},
		{"OneHot", 11, 3, []*onnxpb.AttributeProto{nnInt("axis", -2)}}, {"Trilu", 14, 2, nil}, {"Compress", 11, 2, []*onnxpb.AttributeProto{nnInt("axis", -1)}},
		{"Compress", 11, 2, nil}, {"ReverseSequence", 10, 2, nil}, {"Unique", 11, 1, []*onnxpb.AttributeProto{nnInt("axis", 1)}},
		{"Unique", 11, 1, nil}, {"TopK", 11, 2, []*onnxpb.AttributeProto{nnInt("axis", 0)}}, {"CumSum", 14, 2, []*onnxpb.AttributeProto{nnInt("reverse", 1)}},
		{"Einsum", 12, 2, []*onnxpb.AttributeProto{s("equation", "ij,jk->ik")}}, {"Einsum", 12, 1, []*onnxpb.AttributeProto{s("equation", "...ii->...i")}},
		{"Einsum", 12, 1, []*onnxpb.AttributeProto{s("equation", "i")}},
		{"GatherElements", 13, 2, []*onnxpb.AttributeProto{nnInt("axis", 1)}}, {"GatherND", 13, 2, []*onnxpb.AttributeProto{nnInt("batch_dims", 1)}},
		{"GatherND", 13, 2, nil}, {"ScatterElements", 18, 3, []*onnxpb.AttributeProto{s("reduction", "min")}},
		{"ScatterND", 18, 3, []*onnxpb.AttributeProto{s("reduction", "mul")}}, {"ArgMin", 13, 1, []*onnxpb.AttributeProto{nnInt("axis", -1)}},
		{"RNN", 14, 3, nil}, {"GRU", 14, 3, nil}, {"LSTM", 14, 3, []*onnxpb.AttributeProto{nnInt("layout", 1)}},
	}
	for _, c := range cases {
		names := make([]string, c.n)
		for i := range names {
			names[i] = fmt.Sprintf("x%d", i)
		}
		outs := []string{"y"}
		switch c.op {
		case "TopK":
			outs = []string{"v", "i"}
		case "Unique":
			outs = []string{"y", "i", "v", "c"}
		case "LSTM":
			outs = []string{"y", "h", "c"}
		case "RNN", "GRU":
			outs = []string{"y", "h"}
		}
		np := node(c.op, names, outs, c.attrs...)
		k, err := Compile(np, Env{Opset: c.opset})
		if err != nil {
			t.Errorf("%s: compile: %v", c.op, err)
			continue
		}
		idx := make([]int, c.n)
		for {
			in := make([]*tensors.Tensor, c.n)
			for i, j := range idx {
				in[i] = pool[j]
			}
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s on %v panicked: %v", c.op, in, r)
					}
				}()
				if out, err := k.Kernel(in); err == nil {
					for i := range outs {
						if i < len(out) && out[i] != nil {
							if err := out[i].Check(); err != nil {
								t.Errorf("%s on %v: output %d: %v", c.op, in, i, err)
							}
						}
					}
				}
			}()
			d := c.n - 1
			for ; d >= 0; d-- {
				if idx[d]++; idx[d] < len(pool) {
					break
				}
				idx[d] = 0
			}
			if d < 0 {
				break
			}
		}
	}
}
