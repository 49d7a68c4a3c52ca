package ops

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// inferRun compiles one node with every input but the first constant,
// runs it, and checks that Infer, given the inputs' types, knows every
// dimension of every output and that they are the shapes the run
// produced.
func inferRun(t *testing.T, op string, opset int, attrs []*onnxpb.AttributeProto, nout int, in ...*tensors.Tensor) {
	t.Helper()
	names := make([]string, len(in))
	types := make([]tensors.Type, len(in))
	for i, x := range in {
		if x != nil {
			names[i] = fmt.Sprintf("in%d", i)
			types[i] = tensors.TypeOf(x)
		}
	}
	outs := make([]string, nout)
	for i := range outs {
		outs[i] = fmt.Sprintf("out%d", i)
	}
	env := Env{Opset: opset,
		Type: func(name string) tensors.Type {
			if i := slices.Index(names, name); i >= 0 {
				return types[i]
			}
			return tensors.Type{}
		},
		Const: func(name string) *tensors.Tensor {
			if i := slices.Index(names, name); i > 0 {
				return in[i]
			}
			return nil
		},
	}
	c, err := Compile(node(op, names, outs, attrs...), env)
	if err != nil {
		t.Fatalf("%s-%d: %v", op, opset, err)
	}
	got, err := c.Kernel(in)
	if err != nil {
		t.Fatalf("%s-%d: run: %v", op, opset, err)
	}
	inferred, err := c.Infer(types)
	if err != nil {
		t.Fatalf("%s-%d: Infer: %v", op, opset, err)
	}
	for k := 0; k < nout; k++ {
		shape, ok := inferred[k].Shape()
		if !ok || !slices.Equal(shape, got[k].Shape()) || inferred[k].DType != got[k].DType() {
			t.Errorf("%s-%d %v: output %d inferred %v, the run gives %v", op, opset, attrs, k, inferred[k], got[k])
		}
	}
}

func TestInferConvTransposeShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 0))
	cases := []struct {
		x, w  []int
		attrs []*onnxpb.AttributeProto
	}{
		{[]int{1, 2, 5}, []int{2, 3, 3}, nil},
		{[]int{2, 2, 5}, []int{2, 3, 4}, shAttrs(shInts("strides", 2), shInts("pads", 1, 0), shInts("output_padding", 1))},
		{[]int{1, 4, 3, 5}, []int{4, 2, 3, 3}, shAttrs(shInt("group", 2), shInts("strides", 2, 1), shInts("dilations", 1, 2))},
		{[]int{1, 2, 3, 4}, []int{2, 1, 3, 3}, shAttrs(shStr("auto_pad", "SAME_UPPER"), shInts("strides", 2, 2))},
		{[]int{1, 2, 3, 4}, []int{2, 1, 2, 2}, shAttrs(shInts("output_shape", 7, 9), shInts("strides", 2, 2))},
		{[]int{1, 2, 3, 4, 2}, []int{2, 3, 2, 3, 2}, shAttrs(shInts("strides", 2, 1, 3), shInts("pads", 0, 1, 0, 1, 0, 1))},
	}
	for _, c := range cases {
		inferRun(t, "ConvTranspose", 11, c.attrs, 1, randTensor(r, c.x...), randTensor(r, c.w...))
	}
}

func TestInferResizeShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 0))
	x := randTensor(r, 1, 2, 3, 5)
	empty := shT[float32]([]int{0})
	f32s := func(v ...float32) *tensors.Tensor { return tensors.Vector(v...) }
	inferRun(t, "Resize", 10, nil, 1, x, f32s(1, 1, 2, 1.5))
	inferRun(t, "Resize", 13, nil, 1, x, empty, f32s(1, 1, 2.5, 0.5))
	inferRun(t, "Resize", 13, shAttrs(shStr("mode", "linear")), 1, x, empty, nil, shI64(2, 2, 7, 4))
	inferRun(t, "Resize", 18, shAttrs(shInts("axes", 3, 2)), 1, x, empty, nil, shI64(9, 4))
	inferRun(t, "Resize", 18, shAttrs(shInts("axes", 2, 3), shStr("keep_aspect_ratio_policy", "not_larger")), 1, x, empty, nil, shI64(6, 6))
	inferRun(t, "Resize", 13, shAttrs(shStr("coordinate_transformation_mode", "tf_crop_and_resize"), shStr("mode", "linear")), 1,
		x, f32s(0, 0, 0.2, 0.1, 1, 1, 0.8, 0.9), f32s(1, 1, 2, 2))
}

func TestInferRNNShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 0))
	const seq, batch, in, hidden = 4, 3, 5, 6
	for _, op := range []string{"RNN", "GRU", "LSTM"} {
		gates := map[string]int{"RNN": 1, "GRU": 3, "LSTM": 4}[op]
		nout := 2
		if op == "LSTM" {
			nout = 3
		}
		for _, dir := range []string{"forward", "bidirectional"} {
			dirs := 1
			if dir == "bidirectional" {
				dirs = 2
			}
			w := randTensor(r, dirs, gates*hidden, in)
			rr := randTensor(r, dirs, gates*hidden, hidden)
			attrs := shAttrs(shInt("hidden_size", hidden), shStr("direction", dir))
			inferRun(t, op, 7, attrs, nout, randTensor(r, seq, batch, in), w, rr)
			inferRun(t, op, 14, append(attrs, shInt("layout", 1)), nout, randTensor(r, batch, seq, in), w, rr)
		}
	}
}

// TestInferSymbolic checks the inference of shapes with symbolic
// dimensions, which the runs above never see.
func TestInferSymbolic(t *testing.T) {
	n := tensors.Dim{Size: -1, Param: "N"}
	s := tensors.Dim{Size: -1, Param: "S"}
	typ := func(dims ...tensors.Dim) tensors.Type {
		return tensors.Type{DType: tensors.Float32, RankKnown: true, Dims: dims}
	}
	d := func(v int) tensors.Dim { return tensors.Dim{Size: v} }
	i64 := func(k int) tensors.Type { return tensors.KnownType(tensors.Int64, []int{k}) }
	f32 := func(k int) tensors.Type { return tensors.KnownType(tensors.Float32, []int{k}) }
	cases := []struct {
		op     string
		opset  int
		attrs  []*onnxpb.AttributeProto
		in     []tensors.Type
		consts map[int]*tensors.Tensor
		want   string
	}{
		// Reshape: the copied dimensions cancel, the rest gives the -1.
		{"Reshape", 13, nil, []tensors.Type{typ(s, n, d(2), d(8)), i64(3)}, map[int]*tensors.Tensor{1: shI64(0, 0, -1)}, "float32[S N 16]"},
		{"Reshape", 13, nil, []tensors.Type{typ(n, d(4), d(6)), i64(3)}, map[int]*tensors.Tensor{1: shI64(0, 3, -1)}, "float32[N 3 8]"},
		{"Reshape", 13, nil, []tensors.Type{typ(n, d(4), d(6)), i64(2)}, map[int]*tensors.Tensor{1: shI64(4, -1)}, "float32[4 ?]"},
		{"Reshape", 13, nil, []tensors.Type{typ(n, d(4), d(6)), i64(3)}, map[int]*tensors.Tensor{1: shI64(0, 5, -1)}, "float32[N 5 ?]"},
		// Resize: a scale of 1 keeps a symbolic dimension, sizes replace it.
		{"Resize", 13, nil, []tensors.Type{typ(n, d(3), d(4), d(5)), {}, f32(4)}, map[int]*tensors.Tensor{2: tensors.Vector[float32](1, 1, 2, 2)}, "float32[N 3 8 10]"},
		{"Resize", 13, nil, []tensors.Type{typ(n, d(3), d(4), d(5)), {}, f32(4)}, map[int]*tensors.Tensor{2: tensors.Vector[float32](2, 1, 2, 2)}, "float32[? 3 8 10]"},
		{"Resize", 13, nil, []tensors.Type{typ(n, d(3), d(4), s), {}, {}, i64(4)}, map[int]*tensors.Tensor{3: shI64(1, 3, 8, 1)}, "float32[1 3 8 1]"},
		{"Resize", 18, shAttrs(shInts("axes", 2, 3)), []tensors.Type{typ(n, d(3), d(4), d(5)), {}, {}, i64(2)}, map[int]*tensors.Tensor{3: shI64(6, 7)}, "float32[N 3 6 7]"},
		// Recurrent layers: batch and sequence come from X.
		{"LSTM", 7, shAttrs(shInt("hidden_size", 8), shStr("direction", "bidirectional")), []tensors.Type{typ(s, n, d(5)), {}, {}}, nil, "float32[S 2 N 8]"},
		{"GRU", 14, shAttrs(shInt("layout", 1)), []tensors.Type{typ(n, s, d(5)), {}, typ(d(1), d(12), d(4))}, nil, "float32[N S 1 4]"},
	}
	for _, c := range cases {
		names := make([]string, len(c.in))
		for i := range names {
			if i == 0 || c.in[i].DType != tensors.Undefined || c.in[i].RankKnown {
				names[i] = fmt.Sprintf("in%d", i)
			}
		}
		if c.op == "LSTM" || c.op == "GRU" {
			names[1], names[2] = "in1", "in2"
		}
		env := Env{Opset: c.opset, Const: func(name string) *tensors.Tensor {
			if i := slices.Index(names, name); i >= 0 {
				return c.consts[i]
			}
			return nil
		}}
		outs := []string{"y"}
		comp, err := Compile(node(c.op, names, outs, c.attrs...), env)
		if err != nil {
			t.Errorf("%s: %v", c.op, err)
			continue
		}
		got, err := comp.Infer(c.in)
		if err != nil || got[0].String() != c.want {
			t.Errorf("%s-%d %v: Infer = %v, %v; want %s", c.op, c.opset, c.in, got, err, c.want)
		}
	}
}

// TestShapeStatic checks that Shape is computed from a static input type
// exactly as the kernel computes it from a tensor, and not at all when a
// dimension it reports is unknown.
func TestShapeStatic(t *testing.T) {
	x := shIota(2, 3, 4, 5)
	for _, c := range []struct {
		opset int
		attrs []*onnxpb.AttributeProto
	}{
		{13, nil},
		{15, shAttrs(shInt("start", 1))},
		{15, shAttrs(shInt("start", -3), shInt("end", -1))},
		{15, shAttrs(shInt("start", 3), shInt("end", 1))},
	} {
		comp, err := Compile(node("Shape", []string{"x"}, []string{"y"}, c.attrs...), Env{Opset: c.opset})
		if err != nil {
			t.Fatal(err)
		}
		run, err := comp.Kernel([]*tensors.Tensor{x})
		if err != nil {
			t.Fatal(err)
		}
		static := comp.Static([]tensors.Type{tensors.TypeOf(x)})
		if len(static) != 1 || !shSame(static[0], run[0]) {
			t.Errorf("Shape-%d %v: Static = %v, the kernel gives %v", c.opset, c.attrs, static, run[0].Data())
		}
	}
	sym := tensors.Type{DType: tensors.Float32, RankKnown: true, Dims: []tensors.Dim{{Size: -1, Param: "N"}, {Size: 3}, {Size: 4}}}
	comp, err := Compile(node("Shape", []string{"x"}, []string{"y"}), Env{Opset: 13})
	if err != nil {
		t.Fatal(err)
	}
	if got := comp.Static([]tensors.Type{sym}); got != nil {
		t.Errorf("Shape of %v: Static = %v, want nil", sym, got)
	}
	comp, err = Compile(node("Shape", []string{"x"}, []string{"y"}, shInt("start", 1)), Env{Opset: 15})
	if err != nil {
		t.Fatal(err)
	}
	if got := comp.Static([]tensors.Type{sym}); len(got) != 1 || fmt.Sprint(got[0].Data()) != "[3 4]" {
		t.Errorf("Shape(start=1) of %v: Static = %v, want [3 4]", sym, got)
	}
}
