package onnx

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
	"google.golang.org/protobuf/proto"
)

// convActModel is x[N,2,5,5] -> Conv(3 kernels 3×3, pads 1, bias) -> c,
// then the given nodes, which must compute y from c.
func convActModel(t *testing.T, opset int, inits []*onnxpb.TensorProto, nodes ...*onnxpb.NodeProto) *Model {
	t.Helper()
	return convActModelGroups(t, opset, 1, inits, nodes...)
}

// convActModelGroups is convActModel with a Conv of 1 group (3 kernels)
// or 2 (depthwise: 4 kernels, two per input channel).
func convActModelGroups(t *testing.T, opset, group int, inits []*onnxpb.TensorProto, nodes ...*onnxpb.NodeProto) *Model {
	t.Helper()
	r := rand.New(rand.NewPCG(21, 22))
	k, bias := 3, tensors.Vector[float32](0.5, -0.25, 3)
	if group == 2 {
		k, bias = 4, tensors.Vector[float32](0.5, -0.25, 3, -1)
	}
	w := make([]float32, k*2/group*3*3)
	for i := range w {
		w[i] = (r.Float32()*2 - 1) * 2
	}
	g := &onnxpb.GraphProto{
		Name: "conv-act",
		Node: append([]*onnxpb.NodeProto{
			nodeProto("Conv", "conv", []string{"x", "w", "b"}, []string{"c"},
				&onnxpb.AttributeProto{Name: "pads", Type: onnxpb.AttributeProto_INTS, Ints: []int64{1, 1, 1, 1}},
				&onnxpb.AttributeProto{Name: "group", Type: onnxpb.AttributeProto_INT, I: proto.Int64(int64(group))}),
		}, nodes...),
		Initializer: append([]*onnxpb.TensorProto{
			tensors.ToProto("w", mustTensor(t, []int{k, 2 / group, 3, 3}, w)),
			tensors.ToProto("b", bias),
		}, inits...),
		Input:  []*onnxpb.ValueInfoProto{valueInfo("x", tensorType(tensors.Float32, "N", 2, 5, 5))},
		Output: []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tensors.Float32, "N", k, 5, 5))},
	}
	b, err := proto.Marshal(modelProto(int64(opset), g))
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadBytes("conv-act.onnx", b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestConvActivationFused checks the Clip, HardSigmoid, HardSwish and
// SiLU fusions, on a convolution of one group and on a depthwise one: one
// step, the separate steps' outputs, and the definition computed from c.
func TestConvActivationFused(t *testing.T) {
	f := func(name string, v float32) *onnxpb.AttributeProto {
		return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_FLOAT, F: proto.Float32(v)}
	}
	for _, tc := range []struct {
		name  string
		opset int
		inits []*onnxpb.TensorProto
		nodes []*onnxpb.NodeProto
		want  func(c float64) float64
		fuses string
	}{
		{"clip6-inputs", 13, []*onnxpb.TensorProto{tensors.ToProto("lo", tensors.Scalar[float32](0)), tensors.ToProto("hi", tensors.Scalar[float32](1.5))},
			[]*onnxpb.NodeProto{nodeProto("Clip", "clip", []string{"c", "lo", "hi"}, []string{"y"})},
			func(c float64) float64 { return math.Min(math.Max(c, 0), 1.5) }, "(Clip"},
		{"clip-max-only", 13, []*onnxpb.TensorProto{tensors.ToProto("hi", tensors.Scalar[float32](0.25))},
			[]*onnxpb.NodeProto{nodeProto("Clip", "clip", []string{"c", "", "hi"}, []string{"y"})},
			func(c float64) float64 { return math.Min(c, 0.25) }, "(Clip"},
		{"clip-attrs", 6, nil,
			[]*onnxpb.NodeProto{nodeProto("Clip", "clip", []string{"c"}, []string{"y"}, f("min", -0.5), f("max", 0.5))},
			func(c float64) float64 { return math.Min(math.Max(c, -0.5), 0.5) }, "(Clip"},
		{"hardswish", 13, nil,
			[]*onnxpb.NodeProto{
				nodeProto("HardSigmoid", "hs", []string{"c"}, []string{"h"}, f("alpha", 1.0/6), f("beta", 0.5)),
				nodeProto("Mul", "mul", []string{"c", "h"}, []string{"y"}),
			},
			func(c float64) float64 { return c * math.Max(0, math.Min(1, c/6+0.5)) }, "(Mul"},
		{"hardswish-swapped-defaults", 13, nil,
			[]*onnxpb.NodeProto{
				nodeProto("HardSigmoid", "hs", []string{"c"}, []string{"h"}),
				nodeProto("Mul", "mul", []string{"h", "c"}, []string{"y"}),
			},
			func(c float64) float64 { return c * math.Max(0, math.Min(1, 0.2*c+0.5)) }, "(Mul"},
		{"hardsigmoid", 13, nil,
			[]*onnxpb.NodeProto{nodeProto("HardSigmoid", "hs", []string{"c"}, []string{"y"}, f("alpha", 0.3), f("beta", 0.4))},
			func(c float64) float64 { return math.Max(0, math.Min(1, 0.3*c+0.4)) }, "(HardSigmoid"},
		{"hardswish-op", 14, nil,
			[]*onnxpb.NodeProto{nodeProto("HardSwish", "hs", []string{"c"}, []string{"y"})},
			func(c float64) float64 { return c * math.Max(0, math.Min(1, c/6+0.5)) }, "(HardSwish"},
		{"silu", 13, nil,
			[]*onnxpb.NodeProto{
				nodeProto("Sigmoid", "sig", []string{"c"}, []string{"s"}),
				nodeProto("Mul", "mul", []string{"s", "c"}, []string{"y"}),
			},
			func(c float64) float64 { return c / (1 + math.Exp(-c)) }, "(Mul"},
	} {
		for _, group := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s-group%d", tc.name, group), func(t *testing.T) {
				m := convActModelGroups(t, tc.opset, group, tc.inits, tc.nodes...)
				if got := len(m.g.base.steps); got != 1 {
					t.Fatalf("plan has %d steps, want 1 (fused)", got)
				}
				if d := m.g.steps[m.g.base.steps[0]].desc; !strings.Contains(d, tc.fuses) {
					t.Errorf("fused step is %q", d)
				}
				for _, n := range []int{1, 3} {
					in := convReluInput(t, n)
					sep, err := m.RunTensors(in, "c", "y")
					if err != nil {
						t.Fatal(err)
					}
					fused, err := m.NewSession().Run(in)
					if err != nil {
						t.Fatal(err)
					}
					c, want, got := tensors.Data[float32](sep["c"]), tensors.Data[float32](sep["y"]), tensors.Data[float32](fused["y"])
					for i := range want {
						def := tc.want(float64(c[i]))
						if math.Abs(float64(want[i])-def) > 1e-5 || math.Abs(float64(got[i]-want[i])) > 1e-5 {
							t.Fatalf("batch %d: y[%d] = %g fused, %g separate, %g by definition (c %g)", n, i, got[i], want[i], def, c[i])
						}
					}
				}
			})
		}
	}
}
