package onnx_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// seqGraph is a model of one graph with float32 input x [2 3] (unless the
// inputs are given) and the nodes given.
func seqGraph(nodes []*onnxpb.NodeProto, outputs []string, inputs ...*onnxpb.ValueInfoProto) *onnxpb.ModelProto {
	if len(inputs) == 0 {
		inputs = []*onnxpb.ValueInfoProto{vi("x", tt(tensors.Float32, 2, 3))}
	}
	g := &onnxpb.GraphProto{Node: nodes, Input: inputs}
	for _, o := range outputs {
		g.Output = append(g.Output, vi(o, nil))
	}
	return model(18, g)
}

func TestSequenceOperators(t *testing.T) {
	x := must(tensors.New([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6}))
	mp := seqGraph([]*onnxpb.NodeProto{
		node("SplitToSequence", "split", []string{"x"}, []string{"cols"}, intAttr("axis", 1), intAttr("keepdims", 0)),
		node("SequenceLength", "len", []string{"cols"}, []string{"n"}),
		node("SequenceAt", "at", []string{"cols", "minus1"}, []string{"last"}),
		node("SequenceErase", "erase", []string{"cols", "zero"}, []string{"tail"}),
		node("SequenceInsert", "insert", []string{"tail", "last", "zero"}, []string{"ins"}),
		node("ConcatFromSequence", "stack", []string{"ins"}, []string{"stacked"}, intAttr("axis", 1), intAttr("new_axis", 1)),
		node("Optional", "opt", []string{"last"}, []string{"o"}),
		node("OptionalGetElement", "get", []string{"o"}, []string{"got"}),
		node("OptionalHasElement", "has", []string{"o"}, []string{"has"}),
	}, []string{"n", "last", "stacked", "got", "has", "o", "ins"})
	mp.Graph.Initializer = []*onnxpb.TensorProto{
		tensors.ToProto("minus1", tensors.Scalar[int64](-1)), tensors.ToProto("zero", tensors.Scalar[int32](0)),
	}
	m, err := onnx.FromProto("seq.onnx", mp)
	if err != nil {
		t.Fatal(err)
	}
	if ty, _ := m.ValueType("cols"); ty.Kind != tensors.SequenceKind || ty.Elem == nil || ty.Elem.DType != tensors.Float32 || ty.Elem.Rank() != 1 {
		t.Errorf("static type of cols is %v, want a sequence of float32 vectors", ty)
	}
	out, err := m.RunTensors(map[string]*tensors.Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	if n := tensors.Data[int64](out["n"]); n[0] != 3 {
		t.Errorf("SequenceLength = %d, want 3", n[0])
	}
	if got := tensors.Data[float32](out["last"]); out["last"].Rank() != 1 || got[0] != 3 || got[1] != 6 {
		t.Errorf("SequenceAt -1 = %v %v, want the last column [3 6]", out["last"], got)
	}
	// ins = [col2, col1, col2]; stacked along axis 1: [[3 2 3] [6 5 6]].
	if got := tensors.Data[float32](out["stacked"]); !tensors.SameShape(out["stacked"].Shape(), []int{2, 3}) ||
		got[0] != 3 || got[1] != 2 || got[2] != 3 || got[3] != 6 || got[4] != 5 || got[5] != 6 {
		t.Errorf("stacked = %v %v, want [[3 2 3] [6 5 6]]", out["stacked"], got)
	}
	if !tensors.Data[bool](out["has"])[0] || out["o"].Kind() != tensors.OptionalKind || out["got"] != out["last"] {
		t.Errorf("optional of last: has %v, o %v, got %v", out["has"], out["o"], out["got"])
	}
	if k := out["ins"].Kind(); k != tensors.SequenceKind || len(out["ins"].Items()) != 3 {
		t.Errorf("ins = %v", out["ins"])
	}

	// A session gives the same, twice.
	s := m.NewSession()
	for run := range 2 {
		got, err := s.Run(map[string]*tensors.Tensor{"x": x})
		if err != nil {
			t.Fatalf("session run %d: %v", run, err)
		}
		if n := tensors.Data[int64](got["n"]); n[0] != 3 {
			t.Errorf("session run %d: n = %d", run, n[0])
		}
	}
}

// TestSequenceErrors checks that misuse of sequences and optional values
// is an error naming the node, at load when the types show it and at run
// time otherwise.
func TestSequenceErrors(t *testing.T) {
	x := must(tensors.New([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6}))
	i64 := func(name string, v int64) *onnxpb.TensorProto { return tensors.ToProto(name, tensors.Scalar(v)) }
	cases := []struct {
		name   string
		mp     *onnxpb.ModelProto
		inits  []*onnxpb.TensorProto
		feeds  map[string]*tensors.Tensor
		atLoad bool
		want   []string
	}{
		{"position out of range", seqGraph([]*onnxpb.NodeProto{
			node("SplitToSequence", "split", []string{"x"}, []string{"s"}),
			node("SequenceAt", "at", []string{"s", "p"}, []string{"y"}),
		}, []string{"y"}), []*onnxpb.TensorProto{i64("p", 2)}, nil, false,
			[]string{`node "at" (SequenceAt)`, "position 2 is out of range [-2, 1]"}},
		{"insert of another element type", seqGraph([]*onnxpb.NodeProto{
			node("SequenceEmpty", "empty", nil, []string{"s"}, intAttr("dtype", int64(tensors.Int64))),
			node("SequenceInsert", "insert", []string{"s", "x"}, []string{"y"}),
		}, []string{"y"}), nil, nil, true,
			[]string{`node "insert" (SequenceInsert)`, "inserting a float32 tensor into a sequence of int64"}},
		{"insert of another element type, unknown statically", seqGraph([]*onnxpb.NodeProto{
			node("SequenceEmpty", "empty", nil, []string{"s"}, intAttr("dtype", int64(tensors.Int64))),
			node("SequenceInsert", "insert", []string{"s", "x"}, []string{"y"}),
		}, []string{"y"}, vi("x", nil)), nil, nil, false,
			[]string{`node "insert" (SequenceInsert)`, "cannot insert float32[2 3] into a sequence of int64 tensors"}},
		{"mixed element types", seqGraph([]*onnxpb.NodeProto{
			node("SequenceConstruct", "construct", []string{"x", "p"}, []string{"y"}),
		}, []string{"y"}), []*onnxpb.TensorProto{i64("p", 2)}, nil, true,
			[]string{`node "construct" (SequenceConstruct)`, "one element type"}},
		{"sequence into a tensor operator", seqGraph([]*onnxpb.NodeProto{
			node("SplitToSequence", "split", []string{"x"}, []string{"s"}),
			node("Relu", "relu", []string{"s"}, []string{"y"}),
		}, []string{"y"}), nil, nil, true,
			[]string{`node "relu" (Relu)`, `input 0 ("s") is a sequence`, "Relu takes tensors"}},
		{"sequence into a tensor operator, unknown statically", seqGraph([]*onnxpb.NodeProto{
			node("Relu", "relu", []string{"x"}, []string{"y"}),
		}, []string{"y"}, vi("x", nil)), nil, map[string]*tensors.Tensor{"x": must(tensors.NewSequence(tensors.Type{DType: tensors.Float32}, []*tensors.Tensor{x}))}, false,
			[]string{`node "relu" (Relu)`, "input 0 is a sequence value; Relu takes tensors"}},
		{"empty optional", seqGraph([]*onnxpb.NodeProto{
			node("Optional", "none", nil, []string{"o"}, &onnxpb.AttributeProto{Name: "type", Type: onnxpb.AttributeProto_TYPE_PROTO, Tp: tt(tensors.Float32)}),
			node("OptionalGetElement", "get", []string{"o"}, []string{"y"}),
		}, []string{"y"}), nil, nil, true,
			[]string{`node "get" (OptionalGetElement)`, "the optional value is empty"}},
		{"concatenating an empty sequence", seqGraph([]*onnxpb.NodeProto{
			node("SequenceEmpty", "empty", nil, []string{"s"}),
			node("ConcatFromSequence", "concat", []string{"s"}, []string{"y"}, intAttr("axis", 0)),
		}, []string{"y"}), nil, nil, true,
			[]string{`node "concat" (ConcatFromSequence)`, "empty sequence"}},
		{"erasing from an empty sequence", seqGraph([]*onnxpb.NodeProto{
			node("SequenceEmpty", "empty", nil, []string{"s"}),
			node("SequenceErase", "erase", []string{"s"}, []string{"y"}),
		}, []string{"y"}), nil, nil, true,
			[]string{`node "erase" (SequenceErase)`, "empty sequence"}},
		{"split sizes that do not add up", seqGraph([]*onnxpb.NodeProto{
			node("SplitToSequence", "split", []string{"x", "sizes"}, []string{"y"}, intAttr("axis", 1)),
		}, []string{"y"}), []*onnxpb.TensorProto{tensors.ToProto("sizes", tensors.Vector[int64](1, 1))}, nil, true,
			[]string{`node "split" (SplitToSequence)`, "adds up to 2, not the axis size 3"}},
		{"SequenceMap over sequences of different lengths", seqGraph([]*onnxpb.NodeProto{
			node("SplitToSequence", "rows", []string{"x"}, []string{"a"}),
			node("SplitToSequence", "cols", []string{"x"}, []string{"b"}, intAttr("axis", 1)),
			node("SequenceMap", "map", []string{"a", "b"}, []string{"y"}, &onnxpb.AttributeProto{Name: "body", Type: onnxpb.AttributeProto_GRAPH, G: &onnxpb.GraphProto{
				Node:   []*onnxpb.NodeProto{node("Identity", "id", []string{"e"}, []string{"f"})},
				Input:  []*onnxpb.ValueInfoProto{vi("e", anyShape(tensors.Float32)), vi("g", anyShape(tensors.Float32))},
				Output: []*onnxpb.ValueInfoProto{vi("f", anyShape(tensors.Float32))},
			}}),
		}, []string{"y"}), nil, nil, true,
			[]string{`node "map" (SequenceMap)`, "input 1 holds 3 tensors, input 0 holds 2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.mp.Graph.Initializer = c.inits
			b, err := proto.Marshal(c.mp)
			if err != nil {
				t.Fatal(err)
			}
			feeds := c.feeds
			if feeds == nil {
				feeds = map[string]*tensors.Tensor{"x": x}
			}
			m, err := onnx.LoadBytes("seq.onnx", b)
			if err == nil {
				_, err = m.RunTensors(feeds)
				if err != nil && c.atLoad && !strings.Contains(err.Error(), "evaluated at load") && errors.Is(err, onnx.ErrBadInput) {
					t.Errorf("want a load error, got a run error: %v", err)
				}
			}
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if errors.Is(err, onnx.ErrInternal) {
				t.Errorf("internal error: %v", err)
			}
		})
	}
}

// TestLoopGrowingSequenceStops: a Loop without end whose carried sequence
// grows every iteration stops at the memory limit, naming the node.
func TestLoopGrowingSequenceStops(t *testing.T) {
	body := &onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{
			node("SequenceInsert", "grow", []string{"s", "x"}, []string{"s2"}),
			node("Identity", "keep", []string{"c"}, []string{"c2"}),
		},
		Input:  []*onnxpb.ValueInfoProto{vi("i", anyShape(tensors.Int64)), vi("c", anyShape(tensors.Bool)), vi("s", seqT(anyShape(tensors.Float32)))},
		Output: []*onnxpb.ValueInfoProto{vi("c2", anyShape(tensors.Bool)), vi("s2", seqT(anyShape(tensors.Float32)))},
	}
	mp := seqGraph([]*onnxpb.NodeProto{
		node("SequenceEmpty", "empty", nil, []string{"s0"}),
		node("Loop", "loop", []string{"", "", "s0"}, []string{"y"}, &onnxpb.AttributeProto{Name: "body", Type: onnxpb.AttributeProto_GRAPH, G: body}),
	}, []string{"y"}, vi("x", tt(tensors.Float32, 256)))
	m, err := onnx.LoadOptions{MemoryLimit: 1 << 18}.FromProto("loop.onnx", mp)
	if err != nil {
		t.Fatal(err)
	}
	x, _, _ := tensors.Make[float32]([]int{256})
	_, err = m.RunTensors(map[string]*tensors.Tensor{"x": x})
	if !errors.Is(err, onnx.ErrMemoryLimit) || !strings.Contains(err.Error(), `node "loop" (Loop)`) {
		t.Errorf("endless loop growing a sequence: %v", err)
	}
}

// TestValueFiles round-trips sequences and optional values through .pb
// files and checks the errors for files that do not hold what the model
// declares.
func TestValueFiles(t *testing.T) {
	dir := t.TempDir()
	a := tensors.Vector[float32](1, 2)
	b := must(tensors.New([]int{1, 3}, []float32{3, 4, 5}))
	seq := must(tensors.NewSequence(tensors.Type{DType: tensors.Float32}, []*tensors.Tensor{a, b}))
	seqType := tensors.SequenceOf(tensors.Type{DType: tensors.Float32})
	for _, c := range []struct {
		name string
		v    *tensors.Tensor
		typ  tensors.Type
	}{
		{"seq.pb", seq, seqType},
		{"empty.pb", must(tensors.NewSequence(tensors.Type{DType: tensors.Int64}, nil)), tensors.SequenceOf(tensors.Type{DType: tensors.Int64})},
		{"opt.pb", must(tensors.NewOptional(tensors.Type{DType: tensors.Float32}, a)), tensors.OptionalOf(tensors.Type{DType: tensors.Float32})},
		{"optseq.pb", must(tensors.NewOptional(seqType, seq)), tensors.OptionalOf(seqType)},
		{"none.pb", must(tensors.NewOptional(tensors.Type{DType: tensors.Float32}, nil)), tensors.OptionalOf(tensors.Type{DType: tensors.Float32})},
	} {
		path := filepath.Join(dir, c.name)
		if err := onnx.WriteTensorFile(path, "v", c.v); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := onnx.ReadValueFile(path, c.typ)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !sameTensor(got, c.v) {
			t.Errorf("%s: read back %v, wrote %v", c.name, got, c.v)
		}
	}
	if err := onnx.WriteTensorFile(filepath.Join(dir, "seq.npy"), "v", seq); err == nil || !strings.Contains(err.Error(), ".npy holds tensors only") {
		t.Errorf("sequence to .npy: %v", err)
	}

	write := func(name string, m proto.Message) string {
		p := filepath.Join(dir, name)
		data, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		path string
		typ  tensors.Type
		want string
	}{
		{write("map.pb", &onnxpb.SequenceProto{ElemType: int32(onnxpb.SequenceProto_MAP), MapValues: []*onnxpb.MapProto{{}}}), seqType, "sequence of MAP values"},
		{write("bad.pb", &onnxpb.SequenceProto{ElemType: 99}), seqType, "unknown elem_type 99"},
		{write("mixed.pb", &onnxpb.SequenceProto{ElemType: int32(onnxpb.SequenceProto_TENSOR),
			TensorValues: []*onnxpb.TensorProto{tensors.ToProto("", a), tensors.ToProto("", tensors.Vector[int64](1))}}), seqType, "sequence element 1 is int64[1]"},
		{write("trunc.pb", &onnxpb.SequenceProto{ElemType: int32(onnxpb.SequenceProto_TENSOR),
			TensorValues: []*onnxpb.TensorProto{{DataType: int32(tensors.Float32), Dims: []int64{4}, RawData: []byte{1, 2, 3}}}}), seqType, "sequence element 0"},
		{write("nested.pb", &onnxpb.OptionalProto{ElemType: int32(onnxpb.SequenceProto_OPTIONAL), OptionalValue: &onnxpb.OptionalProto{}}),
			tensors.OptionalOf(tensors.Type{DType: tensors.Float32}), "optional OPTIONAL value"},
		{write("wrongkind.pb", &onnxpb.OptionalProto{ElemType: int32(onnxpb.SequenceProto_SEQUENCE), SequenceValue: &onnxpb.SequenceProto{ElemType: 1, TensorValues: []*onnxpb.TensorProto{tensors.ToProto("", a)}}}),
			tensors.OptionalOf(tensors.Type{DType: tensors.Float32}), "cannot hold a sequence"},
	} {
		_, err := onnx.ReadValueFile(c.path, c.typ)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.path) {
			t.Errorf("%s: error %v, want one naming the file and saying %q", filepath.Base(c.path), err, c.want)
		}
	}
}
