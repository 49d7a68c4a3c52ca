package onnxgo_test

import (
	"errors"
	"strings"
	"testing"

	gonnx "github.com/owulveryck/onnx-go"
	"gonum.org/v1/gonum/graph/topo"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/onnx/onnxgo"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/ops"
)

// awkward is a graph with what onnx-go's decoder hands a backend in odd
// forms: a Constant (a node without inputs, for which the decoder makes up
// an input), a Mul reading one value twice (two edges between the same
// nodes), a Clip with an omitted optional input (""), a Split with two
// outputs, and a graph output that another node also reads.
func awkward(t *testing.T) ([]byte, string) {
	scale := &onnxpb.AttributeProto{Name: "value", Type: onnxpb.AttributeProto_TENSOR,
		T: floatInit("", []int64{1, 4}, []float32{0.5, -1, 2, 0.25})}
	return writeModel(t, model(13, &onnxpb.GraphProto{
		Name:        "awkward",
		Input:       []*onnxpb.ValueInfoProto{vi("x", tensorType(onnxpb.TensorProto_FLOAT, "N", 4))},
		Initializer: []*onnxpb.TensorProto{floatInit("hi", nil, []float32{3}), int64Init("parts", 1, 3)},
		Output: []*onnxpb.ValueInfoProto{
			vi("sq", tensorType(onnxpb.TensorProto_FLOAT, "N", 4)),
			vi("left", nil),
			vi("right", nil),
			vi("z", nil),
		},
		Node: []*onnxpb.NodeProto{
			nd("Constant", nil, []string{"k"}, scale),
			nd("Mul", []string{"x", "x"}, []string{"sq"}),
			nd("Mul", []string{"sq", "k"}, []string{"scaled"}),
			nd("Clip", []string{"scaled", "", "hi"}, []string{"clipped"}),
			nd("Split", []string{"clipped", "parts"}, []string{"left", "right"}, intAttr("axis", 1)),
			nd("Sub", []string{"left", "x"}, []string{"z"}, nil...),
		},
	}))
}

func TestAwkwardGraph(t *testing.T) {
	b, path := awkward(t)
	x := tensor.New(tensor.WithShape(3, 4), tensor.WithBacking([]float32{1, -2, 3, -4, 0.5, 1.5, -2.5, 3.5, 0, 1, 2, 3}))
	backend := onnxgo.NewGraph()
	m := decodeWith(t, backend, b)
	if err := m.SetInput(0, x); err != nil {
		t.Fatal(err)
	}
	if err := backend.Run(); err != nil {
		t.Fatal(err)
	}
	outs, err := m.GetOutputTensors()
	if err != nil {
		t.Fatal(err)
	}
	_, kit := kitRun(t, b, map[string]*tensor.Dense{"x": x})
	names := []string{"sq", "left", "right", "z"}
	if len(outs) != len(names) {
		t.Fatalf("%d outputs, want %d", len(outs), len(names))
	}
	for i, name := range names {
		sameTensor(t, name, outs[i], kit[name])
	}
	// Mul(x, x) must square x (a backend keeping one edge per pair of
	// nodes would lose an input).
	if got := float32s(t, outs[0]); got[1] != 4 || got[3] != 16 {
		t.Fatalf("sq = %v, want x*x", got)
	}
	ref, err := ort.Run(path, map[string]*tensor.Dense{"x": x}, nil)
	peer.Require(t, err)
	for i, name := range names {
		if d, at := maxDiff(float32s(t, outs[i]), float32s(t, ref[name])); d > 1e-6 {
			t.Fatalf("%s element %d differs from onnxruntime by %g", name, at, d)
		}
	}

	// The backend is a gonum graph: edges go from an operation's outputs
	// to its inputs.
	sq, _ := m.GetNodeByName("sq")
	xn, _ := m.GetNodeByName("x")
	if !backend.HasEdgeFromTo(sq.ID(), xn.ID()) || backend.HasEdgeFromTo(xn.ID(), sq.ID()) {
		t.Fatal("no edge from sq to x")
	}
	if e := backend.Edge(sq.ID(), xn.ID()); e == nil || e.From().ID() != sq.ID() {
		t.Fatalf("Edge(sq, x) = %v", e)
	}
	if n := backend.From(sq.ID()).Len(); n != 1 {
		t.Fatalf("sq reads %d distinct nodes, want 1", n)
	}
	if _, err := topo.Sort(backend); err != nil {
		t.Fatalf("gonum cannot sort the graph: %v", err)
	}
}

func TestRecompilesOnlyWhenNeeded(t *testing.T) {
	f := lenet(t, 13)
	backend := onnxgo.NewGraph()
	m := decodeWith(t, backend, f.b)
	run := func(in *tensor.Dense) {
		t.Helper()
		if err := m.SetInput(0, in); err != nil {
			t.Fatal(err)
		}
		if err := backend.Run(); err != nil {
			t.Fatal(err)
		}
	}
	run(randomImages(1, 1))
	first, opset := backend.Model()
	if first == nil || opset < 11 {
		t.Fatalf("Model() = %v, opset %d after a run", first, opset)
	}
	out1, _ := m.GetOutputTensors()
	run(randomImages(7, 2))
	if again, _ := backend.Model(); again != first {
		t.Fatal("a new batch size recompiled the model")
	}
	out7, _ := m.GetOutputTensors()
	if !out7[0].Shape().Eq(tensor.Shape{7, 10}) || !out1[0].Shape().Eq(tensor.Shape{1, 10}) {
		t.Fatalf("outputs %v then %v: a run overwrote the previous run's output", out1[0].Shape(), out7[0].Shape())
	}
	// Another image size: the same weights cannot take it (Gemm), so the
	// new compilation fails and says where.
	err := func() error {
		if err := m.SetInput(0, tensor.New(tensor.WithShape(1, 1, 20, 20), tensor.Of(tensor.Float32))); err != nil {
			return err
		}
		return backend.Run()
	}()
	if err == nil || !strings.Contains(err.Error(), "Gemm") {
		t.Fatalf("20x20 images: err = %v, want an error naming the Gemm", err)
	}
	if again, _ := backend.Model(); again != first {
		t.Fatal("a failed compilation replaced the model")
	}
	run(randomImages(2, 3))
}

func TestInputNotSet(t *testing.T) {
	backend := onnxgo.NewGraph()
	decodeWith(t, backend, lenet(t, 13).b)
	err := backend.Run()
	if err == nil || !strings.Contains(err.Error(), `"input"`) || !strings.Contains(err.Error(), "SetInput") {
		t.Fatalf("Run without input: %v", err)
	}
}

func TestRunBeforeDecode(t *testing.T) {
	if err := onnxgo.NewGraph().Run(); err == nil {
		t.Fatal("Run of an empty graph succeeded")
	}
}

// TestNotImplemented decodes a model using an operator onnxkit lacks:
// UnmarshalBinary fails with onnx-go's *onnx.ErrNotImplemented itself (not
// wrapped), which onnx-go's callers test with a type assertion.
func TestNotImplemented(t *testing.T) {
	var op string
	for _, c := range []string{"Einsum", "Trilu", "Mod", "PRelu", "TopK", "LpPool"} {
		implemented := false
		for v := 1; v <= ops.MaxOpset(""); v++ {
			if _, _, err := ops.Lookup("", c, v); err == nil {
				implemented = true
			}
		}
		if !implemented {
			op = c
			break
		}
	}
	if op == "" {
		t.Skip("onnxkit implements every candidate operator")
	}
	b, _ := writeModel(t, model(13, &onnxpb.GraphProto{
		Name:   "unsupported",
		Input:  []*onnxpb.ValueInfoProto{vi("x", tensorType(onnxpb.TensorProto_FLOAT, 2, 2)), vi("y", tensorType(onnxpb.TensorProto_FLOAT, 2, 2))},
		Output: []*onnxpb.ValueInfoProto{vi("z", nil)},
		Node:   []*onnxpb.NodeProto{nd(op, []string{"x", "y"}, []string{"z"})},
	}))
	err := gonnx.NewModel(onnxgo.NewGraph()).UnmarshalBinary(b)
	ni, ok := err.(*gonnx.ErrNotImplemented)
	if !ok {
		t.Fatalf("%s: err = %T %v, want *onnx.ErrNotImplemented", op, err, err)
	}
	if ni.Operator != op || !strings.Contains(ni.Message, `"z"`) {
		t.Fatalf("%s: %+v: want the operator, and the node named in the message", op, ni)
	}
	var target *gonnx.ErrNotImplemented
	if !errors.As(err, &target) {
		t.Fatal("errors.As does not find it")
	}
}

// TestGraphOutputIsInput: an output that is a graph input gets the
// input's value (onnx-go makes a second node for the second listing).
func TestGraphOutputIsInput(t *testing.T) {
	b, _ := writeModel(t, model(13, &onnxpb.GraphProto{
		Name:   "passthrough",
		Input:  []*onnxpb.ValueInfoProto{vi("x", tensorType(onnxpb.TensorProto_FLOAT, "N", 2))},
		Output: []*onnxpb.ValueInfoProto{vi("y", nil), vi("x", nil)},
		Node:   []*onnxpb.NodeProto{nd("Neg", []string{"x"}, []string{"y"})},
	}))
	x := ramp(1, 3, 2)
	out := runOnnxGo(t, b, x)
	if len(out) != 2 {
		t.Fatalf("%d outputs", len(out))
	}
	if got := float32s(t, out[0]); got[5] != -5.5 {
		t.Fatalf("y = %v", got)
	}
	if got := float32s(t, out[1]); got[5] != 5.5 || !out[1].Shape().Eq(x.Shape()) {
		t.Fatalf("x = %v %v", out[1].Shape(), got)
	}
}

// TestBuilderMisuse: the builder methods refuse what is not theirs
// without panicking, and Run reports it.
func TestBuilderMisuse(t *testing.T) {
	g := onnxgo.NewGraph()
	a := g.NewNode()
	g.AddNode(a)
	g.AddNode(a) // twice
	other := onnxgo.NewGraph().NewNode()
	g.SetWeightedEdge(g.NewWeightedEdge(a, other, 0))
	g.SetWeightedEdge(nil)
	g.AddNode(nil)
	if g.Node(42) != nil || g.Node(-1) != nil {
		t.Fatal("Node of an unknown ID is not nil")
	}
	err := g.ApplyOperation(gonnx.Operation{Name: "Relu"}, other)
	if err == nil {
		t.Fatal("ApplyOperation on another graph's node succeeded")
	}
	if err := g.Run(); err == nil || !strings.Contains(err.Error(), "already in the graph") {
		t.Fatalf("Run after misuse: %v, want the first misuse", err)
	}
}

// TestNameless: an omitted input ("") of the first node is fine (the
// decoder makes its node before the first edge, like a listing), but a
// graph output without a name is refused, as onnxkit refuses it.
func TestNameless(t *testing.T) {
	g := func(outputs ...*onnxpb.ValueInfoProto) []byte {
		b, _ := writeModel(t, model(13, &onnxpb.GraphProto{
			Name:        "clip",
			Input:       []*onnxpb.ValueInfoProto{vi("x", tensorType(onnxpb.TensorProto_FLOAT, "N", 2))},
			Initializer: []*onnxpb.TensorProto{floatInit("hi", nil, []float32{1})},
			Output:      outputs,
			Node:        []*onnxpb.NodeProto{nd("Clip", []string{"x", "", "hi"}, []string{"y"})},
		}))
		return b
	}
	out := runOnnxGo(t, g(vi("y", nil)), ramp(1, 2, 2))
	if got := float32s(t, out[0]); got[0] != 0.5 || got[3] != 1 {
		t.Fatalf("Clip(x, max 1) = %v", got)
	}
	for _, extra := range []*onnxpb.ValueInfoProto{vi("", nil), vi("", tensorType(onnxpb.TensorProto_FLOAT, 2))} {
		backend := onnxgo.NewGraph()
		m := decodeWith(t, backend, g(vi("y", nil), extra))
		if err := m.SetInput(0, ramp(1, 2, 2)); err != nil {
			t.Fatal(err)
		}
		if err := backend.Run(); err == nil || !strings.Contains(err.Error(), "no name") {
			t.Fatalf("nameless output %v: Run: %v", extra.GetType(), err)
		}
	}
}
