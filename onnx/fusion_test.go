package onnx

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
	"google.golang.org/protobuf/proto"
)

// convReluModel is x[N,2,5,5] -> Conv(3 kernels 3×3, pads 1, bias) -> c
// -> Relu -> y, with extra graph outputs and nodes as given.
func convReluModel(t *testing.T, extraOut []string, extraNodes ...*onnxpb.NodeProto) *Model {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 8))
	w := make([]float32, 3*2*3*3)
	for i := range w {
		w[i] = r.Float32()*2 - 1
	}
	g := &onnxpb.GraphProto{
		Name: "conv-relu",
		Node: append([]*onnxpb.NodeProto{
			nodeProto("Conv", "conv", []string{"x", "w", "b"}, []string{"c"},
				&onnxpb.AttributeProto{Name: "pads", Type: onnxpb.AttributeProto_INTS, Ints: []int64{1, 1, 1, 1}}),
			nodeProto("Relu", "relu", []string{"c"}, []string{"y"}),
		}, extraNodes...),
		Initializer: []*onnxpb.TensorProto{
			tensors.ToProto("w", mustTensor(t, []int{3, 2, 3, 3}, w)),
			tensors.ToProto("b", tensors.Vector[float32](0.5, -0.25, 0)),
		},
		Input:  []*onnxpb.ValueInfoProto{valueInfo("x", tensorType(tensors.Float32, "N", 2, 5, 5))},
		Output: []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tensors.Float32, "N", 3, 5, 5))},
	}
	for _, name := range extraOut {
		g.Output = append(g.Output, valueInfo(name, tensorType(tensors.Float32, "N", 3, 5, 5)))
	}
	b, err := proto.Marshal(modelProto(14, g))
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadBytes("conv-relu.onnx", b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func convReluInput(t *testing.T, n int) map[string]*tensors.Tensor {
	r := rand.New(rand.NewPCG(9, 10))
	x := make([]float32, n*2*5*5)
	for i := range x {
		x[i] = r.Float32()*2 - 1
	}
	return map[string]*tensors.Tensor{"x": mustTensor(t, []int{n, 2, 5, 5}, x)}
}

// TestConvReluFused checks that a Conv whose output only a Relu reads runs
// as one fused step, with the output of the two separate steps, and that
// fetching the Conv's own output keeps the steps apart.
func TestConvReluFused(t *testing.T) {
	m := convReluModel(t, nil)
	if got := len(m.g.base.steps); got != 1 {
		t.Fatalf("plan has %d steps, want 1 (Conv and Relu fused)", got)
	}
	if d := m.g.steps[m.g.base.steps[0]].desc; !strings.Contains(d, "(Conv) with") {
		t.Errorf("fused step is %q", d)
	}
	for _, n := range []int{1, 3} {
		in := convReluInput(t, n)
		sep, err := m.RunTensors(in, "c", "y") // fetching c: two steps
		if err != nil {
			t.Fatal(err)
		}
		c, y := tensors.Data[float32](sep["c"]), tensors.Data[float32](sep["y"])
		negative := false
		for i, v := range c {
			negative = negative || v < 0
			if y[i] != max(v, 0) {
				t.Fatalf("batch %d: unfused y[%d] = %v, want relu(%v)", n, i, y[i], v)
			}
		}
		if !negative {
			t.Fatalf("batch %d: fetched Conv output has no negative value: fused by mistake?", n)
		}
		s := m.NewSession()
		for range 2 { // a fresh and a recycled run
			out, err := s.Run(in)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range tensors.Data[float32](out["y"]) {
				if v != y[i] {
					t.Fatalf("batch %d: fused y[%d] = %v, want %v", n, i, v, y[i])
				}
			}
		}
	}
}

// TestConvReluNotFused lists graphs where the Conv's output is needed as
// it is, so the steps must stay apart.
func TestConvReluNotFused(t *testing.T) {
	for name, m := range map[string]*Model{
		"conv output is a graph output": convReluModel(t, []string{"c"}),
		"conv output read twice": convReluModel(t, []string{"z"},
			nodeProto("Neg", "neg", []string{"c"}, []string{"z"})),
	} {
		if got := len(m.g.base.steps); got < 2 {
			t.Errorf("%s: plan has %d steps", name, got)
		}
		for _, si := range m.g.base.steps {
			if strings.Contains(m.g.steps[si].desc, " with ") {
				t.Errorf("%s: plan runs fused step %s", name, m.g.steps[si].desc)
			}
		}
		out, err := m.RunTensors(convReluInput(t, 2), "c", "y")
		if err != nil {
			t.Fatal(err)
		}
		c, y := tensors.Data[float32](out["c"]), tensors.Data[float32](out["y"])
		for i, v := range c {
			if y[i] != max(v, 0) {
				t.Fatalf("%s: y[%d] = %v, want relu(%v)", name, i, y[i], v)
			}
		}
	}
}

// convAddReluModel is x[N,2,5,5] -> Conv(3 kernels 3×3, pads 1, no bias)
// -> c -> Add(c, k) or Add(k, c) -> a -> Relu -> y, k a constant of the
// given shape.
func convAddReluModel(t *testing.T, kShape []int, constFirst bool, kInput ...bool) *Model {
	t.Helper()
	r := rand.New(rand.NewPCG(3, 4))
	w := make([]float32, 3*2*3*3)
	for i := range w {
		w[i] = r.Float32()*2 - 1
	}
	n := 1
	for _, d := range kShape {
		n *= d
	}
	k := make([]float32, n)
	for i := range k {
		k[i] = r.Float32() - 0.5
	}
	addIn := []string{"c", "k"}
	if constFirst {
		addIn = []string{"k", "c"}
	}
	g := &onnxpb.GraphProto{
		Name: "conv-add-relu",
		Node: []*onnxpb.NodeProto{
			nodeProto("Conv", "conv", []string{"x", "w"}, []string{"c"},
				&onnxpb.AttributeProto{Name: "pads", Type: onnxpb.AttributeProto_INTS, Ints: []int64{1, 1, 1, 1}}),
			nodeProto("Add", "add", addIn, []string{"a"}),
			nodeProto("Relu", "relu", []string{"a"}, []string{"y"}),
		},
		Initializer: []*onnxpb.TensorProto{
			tensors.ToProto("w", mustTensor(t, []int{3, 2, 3, 3}, w)),
			tensors.ToProto("k", mustTensor(t, kShape, k)),
		},
		Input:  []*onnxpb.ValueInfoProto{valueInfo("x", tensorType(tensors.Float32, "N", 2, 5, 5))},
		Output: []*onnxpb.ValueInfoProto{valueInfo("y", tensorType(tensors.Float32, "N", 3, 5, 5))},
	}
	if len(kInput) > 0 && kInput[0] { // k is an overridable input with a default
		dims := make([]any, len(kShape))
		for i, d := range kShape {
			dims[i] = d
		}
		g.Input = append(g.Input, valueInfo("k", tensorType(tensors.Float32, dims...)))
	}
	b, err := proto.Marshal(modelProto(14, g))
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadBytes("conv-add-relu.onnx", b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestConvAddReluFused checks that an Add of a per-channel constant after
// a Conv without bias becomes its bias, fused with the Relu after it, and
// that other Adds stay apart from the Conv (fused with the Relu alone);
// the outputs always match the separate steps'.
func TestConvAddReluFused(t *testing.T) {
	for _, tc := range []struct {
		kShape     []int
		constFirst bool
		steps      int
	}{
		{[]int{3, 1, 1}, false, 1},
		{[]int{1, 3, 1, 1}, true, 1},
		{[]int{5}, false, 2},       // along the width: not a bias
		{[]int{1, 1, 1}, false, 2}, // one value for all channels
		{[]int{3, 5, 5}, false, 2}, // one value per output element
	} {
		m := convAddReluModel(t, tc.kShape, tc.constFirst)
		if got := len(m.g.base.steps); got != tc.steps {
			t.Errorf("constant %v: plan has %d steps, want %d", tc.kShape, got, tc.steps)
		}
		in := convReluInput(t, 2)
		sep, err := m.RunTensors(in, "c", "a", "y") // all values: no fusion
		if err != nil {
			t.Fatal(err)
		}
		want := tensors.Data[float32](sep["y"])
		for i, v := range tensors.Data[float32](sep["a"]) {
			if want[i] != max(v, 0) {
				t.Fatalf("constant %v: unfused y[%d] = %v, want relu(%v)", tc.kShape, i, want[i], v)
			}
		}
		out, err := m.NewSession().Run(in)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range tensors.Data[float32](out["y"]) {
			if d := v - want[i]; d > 1e-6 || d < -1e-6 {
				t.Fatalf("constant %v: y[%d] = %v, want %v", tc.kShape, i, v, want[i])
			}
		}
	}
}

// TestConvAddReluOverriddenBias checks the fusion of an Add whose constant
// is an overridable input's default (as in IR version 3 models): runs
// that use the default take the fused step, runs that override it get the
// sum with their value.
func TestConvAddReluOverriddenBias(t *testing.T) {
	m := convAddReluModel(t, []int{3, 1, 1}, false, true)
	if got := len(m.g.base.steps); got != 1 {
		t.Fatalf("plan has %d steps, want 1", got)
	}
	in := convReluInput(t, 2)
	k := mustTensor(t, []int{3, 1, 1}, []float32{1, -1, 0.25})
	over := map[string]*tensors.Tensor{"x": in["x"], "k": k}
	for name, feeds := range map[string]map[string]*tensors.Tensor{"default": in, "override": over} {
		sep, err := m.RunTensors(feeds, "a", "y") // no fusion
		if err != nil {
			t.Fatal(err)
		}
		want := tensors.Data[float32](sep["y"])
		s := m.NewSession()
		for _, run := range []func() (map[string]*tensors.Tensor, error){
			func() (map[string]*tensors.Tensor, error) { return m.RunTensors(feeds) },
			func() (map[string]*tensors.Tensor, error) { return s.Run(feeds) },
		} {
			out, err := run()
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range tensors.Data[float32](out["y"]) {
				if d := v - want[i]; d > 1e-6 || d < -1e-6 {
					t.Fatalf("%s: y[%d] = %v, want %v", name, i, v, want[i])
				}
			}
		}
	}
}
