package ops

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// runNode compiles one node at opset and runs it on inputs.
func runNode(t *testing.T, np *onnxpb.NodeProto, opset int, in ...*tensors.Tensor) ([]*tensors.Tensor, error) {
	t.Helper()
	c, err := Compile(np, Env{Opset: opset})
	if err != nil {
		return nil, err
	}
	return c.Kernel(in)
}

func TestReshapeTarget(t *testing.T) {
	cases := []struct {
		in        []int
		spec      []int64
		allowZero bool
		want      []int
		err       string
	}{
		{[]int{2, 3, 4}, []int64{4, 6}, false, []int{4, 6}, ""},
		{[]int{2, 3, 4}, []int64{-1, 4}, false, []int{6, 4}, ""},
		{[]int{2, 3, 4}, []int64{0, -1}, false, []int{2, 12}, ""},
		{[]int{2, 3, 4}, []int64{0, 0, 0}, false, []int{2, 3, 4}, ""},
		{[]int{0, 3}, []int64{3, 0}, true, []int{3, 0}, ""},
		{[]int{0, 3}, []int64{0, 3}, false, []int{0, 3}, ""},
		{[]int{2, 3}, []int64{}, false, nil, "cannot reshape"},
		{[]int{1}, []int64{}, false, []int{}, ""},
		{[]int{2, 3}, []int64{4, -1}, false, nil, "cannot reshape"},
		{[]int{2, 3}, []int64{0, 0, 0}, false, nil, "does not have"},
		{[]int{2, 3}, []int64{7}, false, nil, "6 elements"},
		{[]int{2, 3}, []int64{-2, 3}, false, nil, "invalid dimension"},
		{[]int{2, 3}, []int64{1 << 40, 1 << 40}, false, nil, "invalid dimension"},
		{[]int{2, 3}, []int64{1 << 30, 1 << 30}, false, nil, "too many"},
	}
	for _, c := range cases {
		got, err := ReshapeTarget(c.in, c.spec, c.allowZero)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ReshapeTarget(%v, %v, %v): err %v, want %q", c.in, c.spec, c.allowZero, err, c.err)
			}
			continue
		}
		if err != nil || !tensors.SameShape(got, c.want) {
			t.Errorf("ReshapeTarget(%v, %v, %v) = %v, %v; want %v", c.in, c.spec, c.allowZero, got, err, c.want)
		}
	}
}

func TestReshapeVersions(t *testing.T) {
	x := must(tensors.New([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6}))
	// Version 1: shape is an attribute.
	np := node("Reshape", []string{"x"}, []string{"y"}, attr("shape", onnxpb.AttributeProto_INTS, func(a *onnxpb.AttributeProto) { a.Ints = []int64{3, -1} }))
	out, err := runNode(t, np, 1, x)
	if err != nil || !tensors.SameShape(out[0].Shape(), []int{3, 2}) {
		t.Fatalf("Reshape-1: %v %v", out, err)
	}
	// Version 5+: shape is an input; at 14 allowzero.
	np = node("Reshape", []string{"x", "s"}, []string{"y"})
	out, err = runNode(t, np, 13, x, tensors.Vector[int64](0, 3))
	if err != nil || !tensors.SameShape(out[0].Shape(), []int{2, 3}) {
		t.Fatalf("Reshape-13: %v %v", out, err)
	}
	if _, err := runNode(t, np, 13, x, tensors.Vector[int32](6)); err == nil {
		t.Error("int32 shape input accepted")
	}
	empty := must(tensors.New([]int{0, 3}, []float32{}))
	np = node("Reshape", []string{"x", "s"}, []string{"y"}, attr("allowzero", onnxpb.AttributeProto_INT, func(a *onnxpb.AttributeProto) { a.I = proto.Int64(1) }))
	out, err = runNode(t, np, 14, empty, tensors.Vector[int64](3, 0))
	if err != nil || !tensors.SameShape(out[0].Shape(), []int{3, 0}) {
		t.Fatalf("Reshape-14 allowzero: %v %v", out, err)
	}
	if _, err := Compile(np, Env{Opset: 13}); err == nil {
		t.Error("allowzero accepted at opset 13")
	}
}

func TestShapeOp(t *testing.T) {
	x := must(tensors.New([]int{2, 3, 4}, make([]float32, 24)))
	np := node("Shape", []string{"x"}, []string{"y"},
		attr("start", onnxpb.AttributeProto_INT, func(a *onnxpb.AttributeProto) { a.I = proto.Int64(-2) }))
	out, err := runNode(t, np, 15, x)
	if err != nil || out[0].DType() != tensors.Int64 || len(tensors.Data[int64](out[0])) != 2 || tensors.Data[int64](out[0])[0] != 3 {
		t.Fatalf("Shape start=-2: %v %v", out, err)
	}
	out, err = runNode(t, node("Shape", []string{"x"}, []string{"y"}), 13, tensors.Scalar[float32](1))
	if err != nil || !tensors.SameShape(out[0].Shape(), []int{0}) {
		t.Errorf("Shape of scalar: %v %v", out, err)
	}
	for _, c := range []struct{ rank, start, end, lo, hi int }{
		{3, 0, 100, 0, 3}, {3, -100, 2, 0, 2}, {3, 2, 1, 2, 2}, {3, -1, 3, 2, 3},
	} {
		if lo, hi := shapeSlice(c.rank, c.start, c.end); lo != c.lo || hi != c.hi {
			t.Errorf("shapeSlice(%d, %d, %d) = %d, %d", c.rank, c.start, c.end, lo, hi)
		}
	}
}

func TestAddVersions(t *testing.T) {
	a := must(tensors.New([]int{2, 3}, []int32{1, 2, 3, 4, 5, 6}))
	b := tensors.Vector[int32](10, 20)
	// Opset 6, broadcast=1 axis=0: b aligns with a's first axis.
	np := node("Add", []string{"a", "b"}, []string{"y"},
		attr("broadcast", onnxpb.AttributeProto_INT, func(a *onnxpb.AttributeProto) { a.I = proto.Int64(1) }),
		attr("axis", onnxpb.AttributeProto_INT, nil))
	out, err := runNode(t, np, 6, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if got := tensors.Data[int32](out[0]); got[0] != 11 || got[3] != 24 {
		t.Errorf("Add-6 axis=0: %v", got)
	}
	// Without broadcast the shapes must match at opset 6 ...
	if _, err := runNode(t, node("Add", []string{"a", "b"}, []string{"y"}), 6, a, tensors.Vector[int32](1, 2, 3)); err == nil {
		t.Error("Add-6 without broadcast accepted different shapes")
	}
	// ... but broadcast numpy-style from opset 7.
	out, err = runNode(t, node("Add", []string{"a", "b"}, []string{"y"}), 7, a, tensors.Vector[int32](1, 2, 3))
	if err != nil || tensors.Data[int32](out[0])[5] != 9 {
		t.Errorf("Add-7: %v %v", out, err)
	}
	if _, err := runNode(t, node("Add", []string{"a", "b"}, []string{"y"}), 14, a, tensors.Vector[int64](1)); err == nil {
		t.Error("Add of int32 and int64 accepted")
	}
	if _, err := runNode(t, node("Add", []string{"a", "b"}, []string{"y"}), 14, tensors.Vector("a"), tensors.Vector("b")); err == nil {
		t.Error("Add of strings accepted")
	}
}

func TestReluAndIdentity(t *testing.T) {
	out, err := runNode(t, node("Relu", []string{"x"}, []string{"y"}), 14, tensors.Vector[int8](-3, 0, 5))
	if err != nil || tensors.Data[int8](out[0])[0] != 0 || tensors.Data[int8](out[0])[2] != 5 {
		t.Errorf("Relu int8: %v %v", out, err)
	}
	x := tensors.Vector[float64](-1, 2)
	out, err = runNode(t, node("Relu", []string{"x"}, []string{"y"}), 6, x)
	if err != nil || tensors.Data[float64](out[0])[0] != 0 || tensors.Data[float64](x)[0] != -1 {
		t.Errorf("Relu float64 (input must stay unchanged): %v %v", out, err)
	}
	if _, err := runNode(t, node("Relu", []string{"x"}, []string{"y"}), 14, tensors.Vector[uint8](1)); err == nil {
		t.Error("Relu of uint8 accepted")
	}
	out, err = runNode(t, node("Identity", []string{"x"}, []string{"y"}), 16, x)
	if err != nil || out[0] != x {
		t.Errorf("Identity: %v %v", out, err)
	}
}

func TestConstantOp(t *testing.T) {
	v := tensors.ToProto("", tensors.Vector[float32](1, 2))
	cases := []struct {
		opset int
		a     *onnxpb.AttributeProto
		want  string
	}{
		{9, attr("value", onnxpb.AttributeProto_TENSOR, func(a *onnxpb.AttributeProto) { a.T = v }), "float32[2]"},
		{13, attr("value_int", onnxpb.AttributeProto_INT, func(a *onnxpb.AttributeProto) { a.I = proto.Int64(4) }), "int64[]"},
		{12, attr("value_floats", onnxpb.AttributeProto_FLOATS, func(a *onnxpb.AttributeProto) { a.Floats = []float32{1, 2, 3} }), "float32[3]"},
		{13, attr("value_strings", onnxpb.AttributeProto_STRINGS, func(a *onnxpb.AttributeProto) { a.Strings = [][]byte{[]byte("x")} }), "string[1]"},
	}
	for _, c := range cases {
		out, err := runNode(t, node("Constant", nil, []string{"y"}, c.a), c.opset)
		if err != nil || out[0].String() != c.want {
			t.Errorf("Constant %s at %d: %v %v, want %s", c.a.GetName(), c.opset, out, err, c.want)
		}
	}
	if _, err := Compile(node("Constant", nil, []string{"y"}, cases[1].a), Env{Opset: 11}); err == nil {
		t.Error("value_int accepted at opset 11")
	}
	if _, err := Compile(node("Constant", nil, []string{"y"}), Env{Opset: 13}); err == nil {
		t.Error("Constant without a value accepted")
	}
}

func TestInferBroadcast(t *testing.T) {
	n := &Node{Inputs: []string{"a", "b"}}
	a := tensors.Type{DType: tensors.Float32, RankKnown: true, Dims: []tensors.Dim{{Size: -1, Param: "N"}, {Size: 3}}}
	b := tensors.KnownType(tensors.Float32, []int{1, 3})
	out, err := InferBroadcast(tensors.Undefined)(n, []tensors.Type{a, b})
	if err != nil || out[0].String() != "float32[N 3]" {
		t.Errorf("InferBroadcast = %v, %v", out, err)
	}
	if _, err := InferBroadcast(tensors.Undefined)(n, []tensors.Type{tensors.KnownType(tensors.Float32, []int{2}), tensors.KnownType(tensors.Float32, []int{3})}); err == nil {
		t.Error("static broadcast mismatch not reported")
	}
}
