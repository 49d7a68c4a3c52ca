package onnx

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
	"google.golang.org/protobuf/proto"
)

// convBNModel is x[N,2,5,5] -> Conv(3 kernels 3×3, pads 1, bias when
// withBias) -> c -> BatchNormalization -> n -> Relu -> y.
func convBNModel(t *testing.T, withBias bool, inputs ...string) *Model {
	t.Helper()
	r := rand.New(rand.NewPCG(11, 12))
	w := make([]float32, 3*2*3*3)
	for i := range w {
		w[i] = r.Float32()*2 - 1
	}
	convIn := []string{"x", "w"}
	if withBias {
		convIn = append(convIn, "b")
	}
	g := &onnxpb.GraphProto{
		Name: "conv-bn-relu",
		Node: []*onnxpb.NodeProto{
			nodeProto("Conv", "conv", convIn, []string{"c"},
				&onnxpb.AttributeProto{Name: "pads", Type: onnxpb.AttributeProto_INTS, Ints: []int64{1, 1, 1, 1}}),
			nodeProto("BatchNormalization", "bn", []string{"c", "scale", "shift", "mean", "var"}, []string{"n"},
				&onnxpb.AttributeProto{Name: "epsilon", Type: onnxpb.AttributeProto_FLOAT, F: proto.Float32(1e-3)}),
			nodeProto("Relu", "relu", []string{"n"}, []string{"y"}),
		},
		Initializer: []*onnxpb.TensorProto{
			tensors.ToProto("w", mustTensor(t, []int{3, 2, 3, 3}, w)),
			tensors.ToProto("b", tensors.Vector[float32](0.5, -0.25, 0)),
			tensors.ToProto("scale", tensors.Vector[float32](1.5, -0.5, 2)),
			tensors.ToProto("shift", tensors.Vector[float32](0.1, 0.2, -0.3)),
			tensors.ToProto("mean", tensors.Vector[float32](0.05, -0.1, 0.2)),
			tensors.ToProto("var", tensors.Vector[float32](0.8, 1.3, 0.01)),
		},
		Input:  []*onnxpb.ValueInfoProto{valueInfo("x", tensorType(tensors.Float32, "N", 2, 5, 5))},
		Output: []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tensors.Float32, "N", 3, 5, 5))},
	}
	if !withBias {
		g.Initializer = append(g.Initializer[:1], g.Initializer[2:]...)
	}
	for _, name := range inputs { // initializers listed as graph inputs too
		g.Input = append(g.Input, valueInfo(name, tensorType(tensors.Float32, 3)))
	}
	return loadGraph(t, "conv-bn-relu.onnx", 14, g)
}

// TestConvBatchNormFolded checks that a BatchNormalization after a Conv is
// folded into it (one step with the Relu), and that the folded step gives
// the separate steps' outputs up to rounding.
func TestConvBatchNormFolded(t *testing.T) {
	for _, bias := range []bool{true, false} {
		m := convBNModel(t, bias)
		if got := len(m.g.base.steps); got != 1 {
			t.Fatalf("bias %v: plan has %d steps, want 1 (Conv, BatchNormalization and Relu fused)", bias, got)
		}
		if d := m.g.steps[m.g.base.steps[0]].desc; !strings.Contains(d, "(BatchNormalization)") {
			t.Errorf("fused step is %q", d)
		}
		for _, n := range []int{1, 3} {
			checkFolded(t, fmt.Sprintf("bias %v batch %d", bias, n), m, convReluInput(t, n), "c", "n")
		}
	}
}

// checkFolded runs m on in, fetching the values inner (the separate
// steps) and not (the fused one), checks that y agrees up to rounding and
// that the Relu sees both signs, and that two Session runs give the fused
// y exactly. It returns that session.
func checkFolded(t *testing.T, name string, m *Model, in map[string]*tensors.Tensor, inner ...string) *Session {
	t.Helper()
	sep, err := m.RunTensors(in, append(inner, "y")...)
	if err != nil {
		t.Fatal(err)
	}
	fused, err := m.RunTensors(in, "y")
	if err != nil {
		t.Fatal(err)
	}
	want, got := tensors.Data[float32](sep["y"]), tensors.Data[float32](fused["y"])
	pos := 0
	for i := range want {
		if want[i] > 0 {
			pos++
		}
		if math.Abs(float64(got[i]-want[i])) > 1e-5*max(1, math.Abs(float64(want[i]))) {
			t.Fatalf("%s: y[%d] = %g fused, %g separate", name, i, got[i], want[i])
		}
	}
	if pos == 0 || pos == len(want) {
		t.Errorf("%s: %d of %d outputs positive: the test does not exercise the Relu", name, pos, len(want))
	}
	s := m.NewSession()
	s.StartProfile()
	for i := 0; i < 2; i++ {
		out, err := s.Run(in)
		if err != nil {
			t.Fatal(err)
		}
		for j, v := range tensors.Data[float32](out["y"]) {
			if v != got[j] {
				t.Fatalf("%s: session run %d: y[%d] = %g, want %g", name, i, j, v, got[j])
			}
		}
	}
	return s
}

// TestConvBatchNormFoldedDefaults checks the fold of BatchNormalization
// parameters that are defaults of graph inputs (IR version 3 exports): a
// run that overrides one takes the plan without the fold.
func TestConvBatchNormFoldedDefaults(t *testing.T) {
	m := convBNModel(t, false, "scale")
	if got := len(m.g.base.steps); got != 1 {
		t.Fatalf("plan has %d steps, want 1 (folded)", got)
	}
	// The signs flip: other outputs pass the Relu.
	checkOverriddenDefault(t, m, "n", "scale", tensors.Vector[float32](-1.5, 0.5, -2))
}

// TestConvBatchNormFoldedDerivedDefaults checks the fold of parameters
// computed at load from defaults of graph inputs, as IR version 3 exports
// make them (onnx_light_shufflenet: ConstantOfShape of a default shape):
// the variance is a ConstantOfShape of the default "vshape", the scale a
// Neg of the default "scale". The plan folds them; a run overriding
// "scale" takes the unfused plan and computes the Neg of the new scale.
func TestConvBatchNormFoldedDerivedDefaults(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	w := make([]float32, 3*2*3*3)
	for i := range w {
		w[i] = r.Float32()*2 - 1
	}
	g := &onnxpb.GraphProto{
		Name: "conv-bn-relu-derived",
		Node: []*onnxpb.NodeProto{
			nodeProto("ConstantOfShape", "var", []string{"vshape"}, []string{"var"},
				&onnxpb.AttributeProto{Name: "value", Type: onnxpb.AttributeProto_TENSOR, T: tensors.ToProto("", tensors.Vector[float32](0.7))}),
			nodeProto("Neg", "neg", []string{"scale"}, []string{"nscale"}),
			nodeProto("Conv", "conv", []string{"x", "w"}, []string{"c"},
				&onnxpb.AttributeProto{Name: "pads", Type: onnxpb.AttributeProto_INTS, Ints: []int64{1, 1, 1, 1}}),
			nodeProto("BatchNormalization", "bn", []string{"c", "nscale", "shift", "mean", "var"}, []string{"n"}),
			nodeProto("Relu", "relu", []string{"n"}, []string{"y"}),
		},
		Initializer: []*onnxpb.TensorProto{
			tensors.ToProto("w", mustTensor(t, []int{3, 2, 3, 3}, w)),
			tensors.ToProto("vshape", tensors.Vector[int64](3)),
			tensors.ToProto("scale", tensors.Vector[float32](1.5, -0.5, 2)),
			tensors.ToProto("shift", tensors.Vector[float32](0.1, 0.2, -0.3)),
			tensors.ToProto("mean", tensors.Vector[float32](0.05, -0.1, 0.2)),
		},
		Input: []*onnxpb.ValueInfoProto{
			valueInfo("x", tensorType(tensors.Float32, "N", 2, 5, 5)),
			valueInfo("w", tensorType(tensors.Float32, 3, 2, 3, 3)),
			valueInfo("vshape", tensorType(tensors.Int64, 1)),
			valueInfo("scale", tensorType(tensors.Float32, 3)),
		},
		Output: []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tensors.Float32, "N", 3, 5, 5))},
	}
	m := loadGraph(t, "conv-bn-relu-derived.onnx", 14, g)
	if got := len(m.g.base.steps); got != 1 {
		t.Fatalf("plan has %d steps, want 1 (Conv, BatchNormalization and Relu folded)", got)
	}
	checkOverriddenDefault(t, m, "n", "scale", tensors.Vector[float32](-1.5, 0.5, -2)) // the signs flip
}

// TestConvBakedDerivedWeights checks a Conv + Relu whose weights an IR
// version 3 model computes from the default of a graph input (a Neg of
// "w"): the fused step holds the weights the default gives as a constant
// (packed at load) and the plan drops the Neg; a run overriding "w" takes
// the unfused plan and follows the new weights.
func TestConvBakedDerivedWeights(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	w := make([]float32, 3*2*3*3)
	for i := range w {
		w[i] = r.Float32()*2 - 1
	}
	g := &onnxpb.GraphProto{
		Name: "conv-relu-derived-weights",
		Node: []*onnxpb.NodeProto{
			nodeProto("Neg", "neg", []string{"w"}, []string{"nw"}),
			nodeProto("Conv", "conv", []string{"x", "nw"}, []string{"c"},
				&onnxpb.AttributeProto{Name: "pads", Type: onnxpb.AttributeProto_INTS, Ints: []int64{1, 1, 1, 1}}),
			nodeProto("Relu", "relu", []string{"c"}, []string{"y"}),
		},
		Initializer: []*onnxpb.TensorProto{tensors.ToProto("w", mustTensor(t, []int{3, 2, 3, 3}, w))},
		Input: []*onnxpb.ValueInfoProto{
			valueInfo("x", tensorType(tensors.Float32, "N", 2, 5, 5)),
			valueInfo("w", tensorType(tensors.Float32, 3, 2, 3, 3)),
		},
		Output: []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tensors.Float32, "N", 3, 5, 5))},
	}
	m := loadGraph(t, "conv-relu-derived-weights.onnx", 14, g)
	if got := len(m.g.base.steps); got != 1 {
		t.Fatalf("plan has %d steps, want 1 (the Neg baked, Conv and Relu fused)", got)
	}
	nw := make([]float32, len(w))
	for i := range w {
		nw[i] = -w[i] // the overriding weights: Neg flips them back
	}
	checkOverriddenDefault(t, m, "c", "w", mustTensor(t, []int{3, 2, 3, 3}, nw))
}

// checkOverriddenDefault runs m, whose plan holds values computed from the
// default of the graph input name, with the defaults and with name set to
// v, each time also fetching the inner value (which makes the runtime run
// the steps separately): the fused output must match the separate one
// with the defaults, and equal it exactly with v, which must change it.
func checkOverriddenDefault(t *testing.T, m *Model, inner, name string, v *tensors.Tensor) {
	t.Helper()
	in := convReluInput(t, 2)
	def, err := m.RunTensors(in, "y")
	if err != nil {
		t.Fatal(err)
	}
	sepDef, err := m.RunTensors(in, inner, "y")
	if err != nil {
		t.Fatal(err)
	}
	in[name] = v
	over, err := m.RunTensors(in, "y")
	if err != nil {
		t.Fatal(err)
	}
	sep, err := m.RunTensors(in, inner, "y")
	if err != nil {
		t.Fatal(err)
	}
	d, dw := tensors.Data[float32](def["y"]), tensors.Data[float32](sepDef["y"])
	o, want := tensors.Data[float32](over["y"]), tensors.Data[float32](sep["y"])
	same := true
	for i := range want {
		if math.Abs(float64(d[i]-dw[i])) > 1e-5*max(1, math.Abs(float64(dw[i]))) {
			t.Fatalf("defaults: y[%d] = %g fused, %g separate", i, d[i], dw[i])
		}
		same = same && d[i] == o[i]
		if o[i] != want[i] {
			t.Fatalf("overridden %s: y[%d] = %g, want %g", name, i, o[i], want[i])
		}
	}
	if same {
		t.Errorf("overriding %s did not change the output: the plan with the defaults ran", name)
	}
}

// TestBakedLoneConvAndBatchNorm checks the steps that hold as constants
// the parameters an IR version 3 model computes from defaults (as
// onnx_light_densenet121 does: a ConstantOfShape of a default shape per
// weight) for a BatchNormalization and a Conv that nothing fuses with
// (their outputs go to a Concat): the plan is the baked BatchNormalization,
// the baked Conv and the Concat (the ConstantOfShape and the Negs gone),
// its output that of the separate steps, which a run overriding "scale"
// or "w" takes, following the new values.
func TestBakedLoneConvAndBatchNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	w := make([]float32, 3*2*3*3)
	for i := range w {
		w[i] = r.Float32()*2 - 1
	}
	g := &onnxpb.GraphProto{
		Name: "bn-conv-concat-derived",
		Node: []*onnxpb.NodeProto{
			nodeProto("ConstantOfShape", "var", []string{"vshape"}, []string{"var"},
				&onnxpb.AttributeProto{Name: "value", Type: onnxpb.AttributeProto_TENSOR, T: tensors.ToProto("", tensors.Vector[float32](0.7))}),
			nodeProto("Neg", "negs", []string{"scale"}, []string{"nscale"}),
			nodeProto("Neg", "negw", []string{"w"}, []string{"nw"}),
			nodeProto("BatchNormalization", "bn", []string{"x", "nscale", "shift", "mean", "var"}, []string{"n"}),
			nodeProto("Conv", "conv", []string{"n", "nw"}, []string{"c"},
				&onnxpb.AttributeProto{Name: "pads", Type: onnxpb.AttributeProto_INTS, Ints: []int64{1, 1, 1, 1}}),
			nodeProto("Concat", "cat", []string{"c", "n"}, []string{"y"},
				&onnxpb.AttributeProto{Name: "axis", Type: onnxpb.AttributeProto_INT, I: new(int64(1))}),
		},
		Initializer: []*onnxpb.TensorProto{
			tensors.ToProto("w", mustTensor(t, []int{3, 2, 3, 3}, w)),
			tensors.ToProto("vshape", tensors.Vector[int64](2)),
			tensors.ToProto("scale", tensors.Vector[float32](1.5, -0.5)),
			tensors.ToProto("shift", tensors.Vector[float32](0.1, 0.2)),
			tensors.ToProto("mean", tensors.Vector[float32](0.05, -0.1)),
		},
		Input: []*onnxpb.ValueInfoProto{
			valueInfo("x", tensorType(tensors.Float32, "N", 2, 5, 5)),
			valueInfo("w", tensorType(tensors.Float32, 3, 2, 3, 3)),
			valueInfo("vshape", tensorType(tensors.Int64, 1)),
			valueInfo("scale", tensorType(tensors.Float32, 2)),
		},
		Output: []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tensors.Float32, "N", 5, 5, 5))},
	}
	m := loadGraph(t, "bn-conv-concat-derived.onnx", 14, g)
	var ops []string
	for _, s := range m.g.base.steps {
		ops = append(ops, m.g.steps[s].c.Node.Type)
	}
	if want := []string{"BatchNormalization", "Conv", "Concat"}; !slices.Equal(ops, want) {
		t.Fatalf("plan runs %v, want %v (the parameters baked)", ops, want)
	}
	in := convReluInput(t, 2)
	baked, err := m.RunTensors(in, "y")
	if err != nil {
		t.Fatal(err)
	}
	// Overriding an input with its own default takes the separate steps.
	in["scale"] = tensors.Vector[float32](1.5, -0.5)
	sep, err := m.RunTensors(in, "y")
	if err != nil {
		t.Fatal(err)
	}
	got, want := tensors.Data[float32](baked["y"]), tensors.Data[float32](sep["y"])
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-5*max(1, math.Abs(float64(want[i]))) {
			t.Fatalf("y[%d] = %g baked, %g from the separate steps", i, got[i], want[i])
		}
	}
	for _, o := range []struct {
		name string
		v    *tensors.Tensor
	}{
		{"scale", tensors.Vector[float32](-1.5, 0.5)},
		{"w", mustTensor(t, []int{3, 2, 3, 3}, make([]float32, len(w)))},
	} {
		in := convReluInput(t, 2)
		in[o.name] = o.v
		over, err := m.RunTensors(in, "y")
		if err != nil {
			t.Fatal(err)
		}
		same := true
		for i, v := range tensors.Data[float32](over["y"]) {
			same = same && v == got[i]
		}
		if same {
			t.Errorf("overriding %s did not change the output: the baked plan ran", o.name)
		}
	}
}

// TestBakedLoneGemmMatMul checks the baked steps of a Gemm (transposed B,
// as onnx_light_shufflenet's classifier) and a MatMul whose weights an IR
// version 3 model computes from defaults (Negs of "w" and "v"): the plan
// runs only them, with the results of the separate steps, and a run
// overriding "w" follows the new weights.
func TestBakedLoneGemmMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	vals := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = r.Float32()*2 - 1
		}
		return v
	}
	w, v, a := vals(4*3), vals(3*5), vals(2*3)
	g := &onnxpb.GraphProto{
		Name: "gemm-matmul-derived",
		Node: []*onnxpb.NodeProto{
			nodeProto("Neg", "negw", []string{"w"}, []string{"nw"}),
			nodeProto("Neg", "negv", []string{"v"}, []string{"nv"}),
			nodeProto("Gemm", "gemm", []string{"a", "nw"}, []string{"y"},
				&onnxpb.AttributeProto{Name: "transB", Type: onnxpb.AttributeProto_INT, I: new(int64(1))}),
			nodeProto("MatMul", "mm", []string{"a", "nv"}, []string{"z"}),
		},
		Initializer: []*onnxpb.TensorProto{
			tensors.ToProto("w", mustTensor(t, []int{4, 3}, w)),
			tensors.ToProto("v", mustTensor(t, []int{3, 5}, v)),
		},
		Input: []*onnxpb.ValueInfoProto{
			valueInfo("a", tensorType(tensors.Float32, 2, 3)),
			valueInfo("w", tensorType(tensors.Float32, 4, 3)),
			valueInfo("v", tensorType(tensors.Float32, 3, 5)),
		},
		Output: []*onnxpb.ValueInfoProto{
			valueInfo("y", tensorType(tensors.Float32, 2, 4)),
			valueInfo("z", tensorType(tensors.Float32, 2, 5)),
		},
	}
	m := loadGraph(t, "gemm-matmul-derived.onnx", 14, g)
	var ops []string
	for _, s := range m.g.base.steps {
		ops = append(ops, m.g.steps[s].c.Node.Type)
	}
	if want := []string{"Gemm", "MatMul"}; !slices.Equal(ops, want) {
		t.Fatalf("plan runs %v, want %v (the weights baked)", ops, want)
	}
	in := map[string]*tensors.Tensor{"a": mustTensor(t, []int{2, 3}, a)}
	baked, err := m.RunTensors(in, "y", "z")
	if err != nil {
		t.Fatal(err)
	}
	for name, shape := range map[string][]int{"y": {2, 4}, "z": {2, 5}} {
		got := tensors.Data[float32](baked[name])
		for i := 0; i < shape[0]; i++ {
			for j := 0; j < shape[1]; j++ {
				var want float64
				for k := 0; k < 3; k++ {
					if name == "y" {
						want -= float64(a[i*3+k]) * float64(w[j*3+k])
					} else {
						want -= float64(a[i*3+k]) * float64(v[k*5+j])
					}
				}
				if d := float64(got[i*shape[1]+j]) - want; math.Abs(d) > 1e-5 {
					t.Fatalf("%s[%d][%d] = %g, want %g", name, i, j, got[i*shape[1]+j], want)
				}
			}
		}
	}
	in["w"] = mustTensor(t, []int{4, 3}, make([]float32, 12))
	over, err := m.RunTensors(in, "y")
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range tensors.Data[float32](over["y"]) {
		if x != 0 {
			t.Fatalf("overriding w with zeros: y[%d] = %g, want 0 (the baked plan ran)", i, x)
		}
	}
}

// TestBatchNormReluFused checks a BatchNormalization that no convolution
// precedes (its input is the graph's) and the Relu that alone reads it:
// one fused step, whose output equals the two separate steps' (fetching
// the BatchNormalization's output keeps them apart) bit for bit, NaN and
// the signs of zeros included.
func TestBatchNormReluFused(t *testing.T) {
	g := &onnxpb.GraphProto{
		Name: "bn-relu",
		Node: []*onnxpb.NodeProto{
			nodeProto("BatchNormalization", "bn", []string{"x", "scale", "shift", "mean", "var"}, []string{"n"}),
			nodeProto("Relu", "relu", []string{"n"}, []string{"y"}),
		},
		Initializer: []*onnxpb.TensorProto{
			tensors.ToProto("scale", tensors.Vector[float32](1.5, -0.5)),
			tensors.ToProto("shift", tensors.Vector[float32](0.1, 0)),
			tensors.ToProto("mean", tensors.Vector[float32](0.05, 0)),
			tensors.ToProto("var", tensors.Vector[float32](0.7, 1)),
		},
		Input:  []*onnxpb.ValueInfoProto{valueInfo("x", tensorType(tensors.Float32, "N", 2, 5, 5))},
		Output: []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tensors.Float32, "N", 2, 5, 5))},
	}
	m := loadGraph(t, "bn-relu.onnx", 14, g)
	if got := len(m.g.base.steps); got != 1 {
		t.Fatalf("plan has %d steps, want 1 (BatchNormalization and Relu fused)", got)
	}
	in := convReluInput(t, 3)
	x := tensors.Data[float32](in["x"])
	x[3], x[60], x[61] = float32(math.NaN()), float32(math.Copysign(0, -1)), 0
	fused, err := m.RunTensors(in, "y")
	if err != nil {
		t.Fatal(err)
	}
	sep, err := m.RunTensors(in, "n", "y")
	if err != nil {
		t.Fatal(err)
	}
	got, want := tensors.Data[float32](fused["y"]), tensors.Data[float32](sep["y"])
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("y[%d] = %g fused, %g separate", i, got[i], want[i])
		}
	}
	if !math.IsNaN(float64(got[3])) {
		t.Errorf("y[3] = %g, want NaN", got[3])
	}
}

// affineChainModel is x[N,2,5,5] -> (Conv of 3 kernels 3×3, pads 1, when
// conv; its bias when bias) -> BatchNormalization (when bn) -> Mul by s
// (shape [C,1,1], the first operand when sFirst) -> Add of t (shape
// [1,C,1,1]) -> Relu -> y, as Caffe's BatchNorm + Scale layers export. With
// sInput, s is also a graph input (its initializer the default).
func affineChainModel(t *testing.T, conv, bias, bn, sFirst, sInput bool) *Model {
	t.Helper()
	r := rand.New(rand.NewPCG(21, 22))
	w := make([]float32, 3*2*3*3)
	for i := range w {
		w[i] = r.Float32()*2 - 1
	}
	c := 2
	var nodes []*onnxpb.NodeProto
	var inits []*onnxpb.TensorProto
	cur := "x"
	if conv {
		c = 3
		in := []string{"x", "w"}
		inits = append(inits, tensors.ToProto("w", mustTensor(t, []int{3, 2, 3, 3}, w)))
		if bias {
			in = append(in, "b")
			inits = append(inits, tensors.ToProto("b", tensors.Vector[float32](0.5, -0.25, 0)))
		}
		nodes = append(nodes, nodeProto("Conv", "conv", in, []string{"c"},
			&onnxpb.AttributeProto{Name: "pads", Type: onnxpb.AttributeProto_INTS, Ints: []int64{1, 1, 1, 1}}))
		cur = "c"
	}
	if bn {
		nodes = append(nodes, nodeProto("BatchNormalization", "bn", []string{cur, "scale", "shift", "mean", "var"}, []string{"n"},
			&onnxpb.AttributeProto{Name: "epsilon", Type: onnxpb.AttributeProto_FLOAT, F: proto.Float32(1e-3)}))
		inits = append(inits,
			tensors.ToProto("scale", mustTensor(t, []int{c}, []float32{1.5, -0.5, 2}[:c])),
			tensors.ToProto("shift", mustTensor(t, []int{c}, []float32{0.1, 0.2, -0.3}[:c])),
			tensors.ToProto("mean", mustTensor(t, []int{c}, []float32{0.05, -0.1, 0.2}[:c])),
			tensors.ToProto("var", mustTensor(t, []int{c}, []float32{0.8, 1.3, 0.01}[:c])))
		cur = "n"
	}
	mulIn := []string{cur, "s"}
	if sFirst {
		mulIn = []string{"s", cur}
	}
	nodes = append(nodes,
		nodeProto("Mul", "mul", mulIn, []string{"ms"}),
		nodeProto("Add", "add", []string{"ms", "t"}, []string{"at"}),
		nodeProto("Relu", "relu", []string{"at"}, []string{"y"}))
	inits = append(inits,
		tensors.ToProto("s", mustTensor(t, []int{c, 1, 1}, []float32{0.75, -1.25, 3}[:c])),
		tensors.ToProto("t", mustTensor(t, []int{1, c, 1, 1}, []float32{-0.2, 0.3, 0.05}[:c])))
	g := &onnxpb.GraphProto{
		Name:        "affine-chain",
		Node:        nodes,
		Initializer: inits,
		Input:       []*onnxpb.ValueInfoProto{valueInfo("x", tensorType(tensors.Float32, "N", 2, 5, 5))},
		Output:      []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tensors.Float32, "N", c, 5, 5))},
	}
	if sInput {
		g.Input = append(g.Input, valueInfo("s", tensorType(tensors.Float32, c, 1, 1)))
	}
	return loadGraph(t, "affine-chain.onnx", 14, g)
}

// TestAffineChainsFolded checks that the Mul and Add of per-channel
// constants after a convolution (with or without a BatchNormalization
// between) fold into its weights and bias, and after a lone
// BatchNormalization into its scale and B, one step with the Relu each,
// and that the folded steps give the separate steps' outputs up to
// rounding, in Model runs and Session runs alike.
func TestAffineChainsFolded(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		conv, bias, bn, sFirst bool
		inner                  []string
	}{
		{"conv-bn-mul-add", true, true, true, false, []string{"c", "n", "ms", "at"}},
		{"conv-mul-add", true, false, false, true, []string{"c", "ms", "at"}},
		{"conv-bias-mul-add", true, true, false, false, []string{"c", "ms", "at"}},
		{"bn-mul-add", false, false, true, true, []string{"n", "ms", "at"}},
	} {
		m := affineChainModel(t, tc.conv, tc.bias, tc.bn, tc.sFirst, false)
		if got := len(m.g.base.steps); got != 1 {
			t.Fatalf("%s: plan has %d steps, want 1 (all fused)", tc.name, got)
		}
		if d := m.g.steps[m.g.base.steps[0]].fusedOps; !strings.HasSuffix(d, "Mul+Add+Relu") {
			t.Errorf("%s: fused step is %q", tc.name, d)
		}
		for _, n := range []int{1, 3} {
			s := checkFolded(t, fmt.Sprintf("%s batch %d", tc.name, n), m, convReluInput(t, n), tc.inner...)
			// The profile names the fused step by its operators.
			p := s.Profile()
			if len(p) != 1 || p[0].Runs != 2 || p[0].Total <= 0 || p[0].Op != m.g.steps[m.g.base.steps[0]].fusedOps ||
				!strings.Contains(p[0].Step, `node "relu" (Relu)`) {
				t.Errorf("%s: profile %+v, want the one fused step, run twice", tc.name, p)
			}
		}
	}
}

// TestAffineChainOverridden checks a Mul constant that is the default of
// a graph input: folded, and a run that overrides it takes the unfused
// plan (and its result).
func TestAffineChainOverridden(t *testing.T) {
	for _, conv := range []bool{true, false} {
		m := affineChainModel(t, conv, false, true, false, true)
		if got := len(m.g.base.steps); got != 1 {
			t.Fatalf("conv %v: plan has %d steps, want 1 (folded)", conv, got)
		}
		c := 2
		if conv {
			c = 3
		}
		checkOverriddenDefault(t, m, "ms", "s", mustTensor(t, []int{c, 1, 1}, []float32{-0.75, 1.25, -3}[:c]))
	}
}
