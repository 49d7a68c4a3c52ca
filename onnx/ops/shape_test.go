package ops

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Tests of the shape, data-movement and reduction operators (shape_ext.go,
// gather.go, slice.go, concat.go, pad.go, reduce.go, argmax.go).

func shInts(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INTS, Ints: v}
}

func shInt(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INT, I: proto.Int64(v)}
}

func shFloat(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_FLOAT, F: proto.Float32(v)}
}

func shStr(name, v string) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_STRING, S: []byte(v)}
}

func shTensorAttr(name string, t *tensors.Tensor) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_TENSOR, T: tensors.ToProto("", t)}
}

func shAttrs(a ...*onnxpb.AttributeProto) []*onnxpb.AttributeProto { return a }

// shT builds a tensor; it panics on a shape mismatch (a bug in the test).
func shT[T tensors.Elem](shape []int, vals ...T) *tensors.Tensor {
	return must(tensors.New(shape, vals))
}

// shIota is a float32 tensor holding 0, 1, 2, ... in row-major order.
func shIota(shape ...int) *tensors.Tensor {
	n := must(tensors.NumElements(shape))
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i)
	}
	return must(tensors.New(shape, v))
}

func shI64(v ...int64) *tensors.Tensor { return tensors.Vector(v...) }

// shSame reports whether two tensors have the same type, shape and
// elements (NaN equal to NaN).
func shSame(a, b *tensors.Tensor) bool {
	if a.DType() != b.DType() || !tensors.SameShape(a.Shape(), b.Shape()) {
		return false
	}
	return fmt.Sprint(a.Data()) == fmt.Sprint(b.Data())
}

// shRun compiles and runs one node twice: once with every input but the
// first unknown at load time, once with them all constant (so that Prepare
// precomputes). Both runs must agree. For every run it also checks that
// the inputs are left unchanged, that the outputs are consistent tensors,
// and that the static types Infer computes from the inputs' types agree
// with the outputs.
func shRun(t *testing.T, op string, opset int, attrs []*onnxpb.AttributeProto, nout int, in ...*tensors.Tensor) ([]*tensors.Tensor, error) {
	t.Helper()
	names := make([]string, len(in))
	for i, x := range in {
		if x != nil {
			names[i] = fmt.Sprintf("in%d", i)
		}
	}
	outs := make([]string, nout)
	for i := range outs {
		outs[i] = fmt.Sprintf("out%d", i)
	}
	np := node(op, names, outs, attrs...)
	lookup := func(name string, from int) *tensors.Tensor {
		for i, nm := range names {
			if i >= from && nm == name && nm != "" {
				return in[i]
			}
		}
		return nil
	}
	var res [2][]*tensors.Tensor
	var errs [2]error
	for mode := range 2 {
		env := Env{Opset: opset, Type: func(name string) tensors.Type {
			if x := lookup(name, 0); x != nil {
				return tensors.TypeOf(x)
			}
			return tensors.Type{}
		}}
		if mode == 1 {
			env.Const = func(name string) *tensors.Tensor { return lookup(name, 1) }
		}
		c, err := Compile(np, env)
		if err != nil {
			errs[mode] = err
			continue
		}
		before := make([]*tensors.Tensor, len(in))
		for i, x := range in {
			if x != nil {
				before[i] = x.Clone()
			}
		}
		got, err := c.Kernel(in)
		for i, x := range in {
			if x != nil && !shSame(x, before[i]) {
				t.Fatalf("%s: the kernel modified input %d", op, i)
			}
		}
		if err != nil {
			errs[mode] = err
			continue
		}
		if len(got) < nout {
			t.Fatalf("%s: %d outputs, want %d", op, len(got), nout)
		}
		types := make([]tensors.Type, len(in))
		for i, x := range in {
			if x != nil {
				types[i] = tensors.TypeOf(x)
			}
		}
		inferred, ierr := c.Infer(types)
		if ierr != nil {
			t.Errorf("%s (mode %d): Infer fails on inputs that run: %v", op, mode, ierr)
		}
		for k := 0; k < nout; k++ {
			if err := got[k].Check(); err != nil {
				t.Fatalf("%s: output %d is inconsistent: %v", op, k, err)
			}
			if ierr == nil {
				if msg := shTypeMismatch(inferred[k], got[k]); msg != "" {
					t.Errorf("%s (mode %d): inferred type %v of output %d does not match %v: %s", op, mode, inferred[k], k, got[k], msg)
				}
			}
		}
		res[mode] = got[:nout]
	}
	if (errs[0] == nil) != (errs[1] == nil) {
		t.Errorf("%s: with dynamic inputs: %v; with constant inputs: %v", op, errs[0], errs[1])
	}
	if errs[0] == nil && errs[1] == nil {
		for k := range res[0] {
			if !shSame(res[0][k], res[1][k]) {
				t.Errorf("%s: output %d differs when the inputs are constant: %v vs %v", op, k, res[0][k].Data(), res[1][k].Data())
			}
		}
	}
	return res[0], errs[0]
}

// shTypeMismatch says how a static type contradicts a tensor ("" if not).
func shTypeMismatch(ty tensors.Type, x *tensors.Tensor) string {
	if ty.DType != tensors.Undefined && ty.DType != x.DType() {
		return "element type"
	}
	if !ty.RankKnown {
		return ""
	}
	if len(ty.Dims) != x.Rank() {
		return "rank"
	}
	for i, d := range ty.Dims {
		if d.Known() && d.Size != x.Shape()[i] {
			return fmt.Sprintf("dimension %d", i)
		}
	}
	return ""
}

// shOut is an expected output: shape and data (a []T printed with %v).
type shOut struct {
	shape []int
	data  any
}

type shCase struct {
	name  string
	op    string
	opset int
	attrs []*onnxpb.AttributeProto
	in    []*tensors.Tensor
	want  []shOut // one per output
	err   string  // if set, the expected error contains it
}

func runShCases(t *testing.T, cases []shCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			nout := max(len(c.want), 1)
			got, err := shRun(t, c.op, c.opset, c.attrs, nout, c.in...)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, w := range c.want {
				if !tensors.SameShape(got[k].Shape(), w.shape) {
					t.Errorf("output %d: shape %v, want %v", k, tensors.FormatShape(got[k].Shape()), tensors.FormatShape(w.shape))
				}
				if g, e := fmt.Sprint(got[k].Data()), fmt.Sprint(w.data); g != e {
					t.Errorf("output %d: %s, want %s", k, g, e)
				}
				if wt := fmt.Sprintf("%T", w.data); wt != fmt.Sprintf("%T", got[k].Data()) {
					t.Errorf("output %d: data %T, want %s", k, got[k].Data(), wt)
				}
			}
		})
	}
}

func TestFlattenTransposeSqueeze(t *testing.T) {
	x := shIota(2, 3, 4)
	all := shIota(2, 3, 4).Data()
	runShCases(t, []shCase{
		{name: "flatten default", op: "Flatten", opset: 13, in: []*tensors.Tensor{x}, want: []shOut{{[]int{2, 12}, all}}},
		{name: "flatten axis 0", op: "Flatten", opset: 9, attrs: shAttrs(shInt("axis", 0)), in: []*tensors.Tensor{x}, want: []shOut{{[]int{1, 24}, all}}},
		{name: "flatten axis rank", op: "Flatten", opset: 1, attrs: shAttrs(shInt("axis", 3)), in: []*tensors.Tensor{x}, want: []shOut{{[]int{24, 1}, all}}},
		{name: "flatten negative axis", op: "Flatten", opset: 11, attrs: shAttrs(shInt("axis", -1)), in: []*tensors.Tensor{x}, want: []shOut{{[]int{6, 4}, all}}},
		{name: "flatten -rank", op: "Flatten", opset: 13, attrs: shAttrs(shInt("axis", -3)), in: []*tensors.Tensor{x}, want: []shOut{{[]int{1, 24}, all}}},
		{name: "flatten negative axis before 11", op: "Flatten", opset: 9, attrs: shAttrs(shInt("axis", -1)), in: []*tensors.Tensor{x}, err: "version 11"},
		{name: "flatten axis too big", op: "Flatten", opset: 13, attrs: shAttrs(shInt("axis", 4)), in: []*tensors.Tensor{x}, err: "out of range"},
		{name: "flatten scalar", op: "Flatten", opset: 13, attrs: shAttrs(shInt("axis", 0)), in: []*tensors.Tensor{tensors.Scalar[int32](7)}, want: []shOut{{[]int{1, 1}, []int32{7}}}},
		{name: "flatten empty", op: "Flatten", opset: 13, attrs: shAttrs(shInt("axis", 2)), in: []*tensors.Tensor{shT[bool]([]int{2, 0, 3})}, want: []shOut{{[]int{0, 3}, []bool{}}}},

		{name: "transpose default", op: "Transpose", opset: 13, in: []*tensors.Tensor{shIota(2, 3)}, want: []shOut{{[]int{3, 2}, []float32{0, 3, 1, 4, 2, 5}}}},
		{name: "transpose perm", op: "Transpose", opset: 1, attrs: shAttrs(shInts("perm", 0, 2, 1)), in: []*tensors.Tensor{shIota(2, 2, 3)},
			want: []shOut{{[]int{2, 3, 2}, []float32{0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11}}}},
		{name: "transpose strings", op: "Transpose", opset: 13, in: []*tensors.Tensor{shT([]int{2, 2}, "a", "b", "c", "d")}, want: []shOut{{[]int{2, 2}, []string{"a", "c", "b", "d"}}}},
		{name: "transpose identity perm", op: "Transpose", opset: 13, attrs: shAttrs(shInts("perm", 0, 1)), in: []*tensors.Tensor{shIota(2, 3)}, want: []shOut{{[]int{2, 3}, shIota(6).Data()}}},
		{name: "transpose size-1 axes", op: "Transpose", opset: 13, attrs: shAttrs(shInts("perm", 2, 0, 1)), in: []*tensors.Tensor{shIota(1, 3, 1)}, want: []shOut{{[]int{1, 1, 3}, []float32{0, 1, 2}}}},
		{name: "transpose scalar", op: "Transpose", opset: 13, in: []*tensors.Tensor{tensors.Scalar[int64](4)}, want: []shOut{{[]int{}, []int64{4}}}},
		{name: "transpose empty", op: "Transpose", opset: 13, in: []*tensors.Tensor{shIota(0, 3)}, want: []shOut{{[]int{3, 0}, []float32{}}}},
		{name: "transpose bad perm", op: "Transpose", opset: 13, attrs: shAttrs(shInts("perm", 0, 0)), in: []*tensors.Tensor{shIota(2, 3)}, err: "not a permutation"},
		{name: "transpose perm rank", op: "Transpose", opset: 13, attrs: shAttrs(shInts("perm", 1, 0)), in: []*tensors.Tensor{shIota(2, 3, 1)}, err: "rank 3"},

		{name: "squeeze axes attr", op: "Squeeze", opset: 11, attrs: shAttrs(shInts("axes", 0, -1)), in: []*tensors.Tensor{shIota(1, 3, 1)}, want: []shOut{{[]int{3}, []float32{0, 1, 2}}}},
		{name: "squeeze axes input", op: "Squeeze", opset: 13, in: []*tensors.Tensor{shIota(1, 3, 1), shI64(-1)}, want: []shOut{{[]int{1, 3}, []float32{0, 1, 2}}}},
		{name: "squeeze all", op: "Squeeze", opset: 13, in: []*tensors.Tensor{shIota(1, 3, 1, 1)}, want: []shOut{{[]int{3}, []float32{0, 1, 2}}}},
		{name: "squeeze empty axes input", op: "Squeeze", opset: 13, in: []*tensors.Tensor{shIota(1, 3, 1), shI64()}, want: []shOut{{[]int{3}, []float32{0, 1, 2}}}},
		{name: "squeeze to scalar", op: "Squeeze", opset: 1, in: []*tensors.Tensor{shIota(1, 1)}, want: []shOut{{[]int{}, []float32{0}}}},
		{name: "squeeze scalar", op: "Squeeze", opset: 13, in: []*tensors.Tensor{tensors.Scalar[float32](2)}, want: []shOut{{[]int{}, []float32{2}}}},
		{name: "squeeze zero-size", op: "Squeeze", opset: 13, in: []*tensors.Tensor{shIota(0, 1), shI64(1)}, want: []shOut{{[]int{0}, []float32{}}}},
		{name: "squeeze size 3", op: "Squeeze", opset: 13, in: []*tensors.Tensor{shIota(1, 3), shI64(1)}, err: "not 1"},
		{name: "squeeze repeated axis", op: "Squeeze", opset: 13, in: []*tensors.Tensor{shIota(1, 3), shI64(0, -2)}, err: "repeated"},
		{name: "squeeze axis out of range", op: "Squeeze", opset: 11, attrs: shAttrs(shInts("axes", 2)), in: []*tensors.Tensor{shIota(1, 3)}, err: "out of range"},

		{name: "unsqueeze attr", op: "Unsqueeze", opset: 11, attrs: shAttrs(shInts("axes", 0, -1)), in: []*tensors.Tensor{shIota(3)}, want: []shOut{{[]int{1, 3, 1}, []float32{0, 1, 2}}}},
		{name: "unsqueeze unsorted input", op: "Unsqueeze", opset: 13, in: []*tensors.Tensor{shIota(3, 4), shI64(3, 0)}, want: []shOut{{[]int{1, 3, 4, 1}, shIota(12).Data()}}},
		{name: "unsqueeze middle", op: "Unsqueeze", opset: 13, in: []*tensors.Tensor{shIota(3, 4), shI64(1)}, want: []shOut{{[]int{3, 1, 4}, shIota(12).Data()}}},
		{name: "unsqueeze scalar", op: "Unsqueeze", opset: 13, in: []*tensors.Tensor{tensors.Scalar("s"), shI64(0, -1)}, want: []shOut{{[]int{1, 1}, []string{"s"}}}},
		{name: "unsqueeze empty", op: "Unsqueeze", opset: 13, in: []*tensors.Tensor{shIota(0), shI64(0)}, want: []shOut{{[]int{1, 0}, []float32{}}}},
		{name: "unsqueeze out of range", op: "Unsqueeze", opset: 13, in: []*tensors.Tensor{shIota(3), shI64(2)}, err: "out of range"},
		{name: "unsqueeze repeated", op: "Unsqueeze", opset: 13, in: []*tensors.Tensor{shIota(3), shI64(0, -3)}, err: "repeated"},
		{name: "unsqueeze no axes", op: "Unsqueeze", opset: 11, in: []*tensors.Tensor{shIota(3)}, err: "required attribute \"axes\""},
		{name: "unsqueeze axes attribute at 13", op: "Unsqueeze", opset: 13, attrs: shAttrs(shInts("axes", 0)), in: []*tensors.Tensor{shIota(3), shI64(0)}, err: "not defined"},
	})
}

func TestConcatSplit(t *testing.T) {
	a, b := shIota(2, 2), shT([]int{2, 1}, float32(10), 11)
	runShCases(t, []shCase{
		{name: "concat last axis", op: "Concat", opset: 11, attrs: shAttrs(shInt("axis", -1)), in: []*tensors.Tensor{a, b}, want: []shOut{{[]int{2, 3}, []float32{0, 1, 10, 2, 3, 11}}}},
		{name: "concat axis 0", op: "Concat", opset: 13, attrs: shAttrs(shInt("axis", 0)), in: []*tensors.Tensor{a, shIota(1, 2), shIota(0, 2)}, want: []shOut{{[]int{3, 2}, []float32{0, 1, 2, 3, 0, 1}}}},
		{name: "concat default axis 1", op: "Concat", opset: 1, in: []*tensors.Tensor{a, b}, want: []shOut{{[]int{2, 3}, []float32{0, 1, 10, 2, 3, 11}}}},
		{name: "concat all empty", op: "Concat", opset: 13, attrs: shAttrs(shInt("axis", 1)), in: []*tensors.Tensor{shIota(0, 2), shIota(0, 3)}, want: []shOut{{[]int{0, 5}, []float32{}}}},
		{name: "concat int64 vectors", op: "Concat", opset: 13, attrs: shAttrs(shInt("axis", 0)), in: []*tensors.Tensor{shI64(-1), shI64(2, 3)}, want: []shOut{{[]int{3}, []int64{-1, 2, 3}}}},
		{name: "concat one input", op: "Concat", opset: 13, attrs: shAttrs(shInt("axis", 0)), in: []*tensors.Tensor{shI64(4)}, want: []shOut{{[]int{1}, []int64{4}}}},
		{name: "concat needs axis", op: "Concat", opset: 4, in: []*tensors.Tensor{a, b}, err: "required attribute \"axis\""},
		{name: "concat dims differ", op: "Concat", opset: 13, attrs: shAttrs(shInt("axis", 0)), in: []*tensors.Tensor{a, b}, err: "dimension 1 differs"},
		{name: "concat ranks differ", op: "Concat", opset: 13, attrs: shAttrs(shInt("axis", 0)), in: []*tensors.Tensor{a, shIota(2)}, err: "ranks differ"},
		{name: "concat dtypes differ", op: "Concat", opset: 13, attrs: shAttrs(shInt("axis", 0)), in: []*tensors.Tensor{shI64(1), tensors.Vector[int32](1)}, err: "int32"},
		{name: "concat scalars", op: "Concat", opset: 13, attrs: shAttrs(shInt("axis", 0)), in: []*tensors.Tensor{tensors.Scalar[int64](1), tensors.Scalar[int64](2)}, err: "scalars"},
		{name: "concat axis out of range", op: "Concat", opset: 13, attrs: shAttrs(shInt("axis", 2)), in: []*tensors.Tensor{a, a}, err: "out of range"},

		{name: "split equal", op: "Split", opset: 11, in: []*tensors.Tensor{shIota(4, 2)},
			want: []shOut{{[]int{2, 2}, []float32{0, 1, 2, 3}}, {[]int{2, 2}, []float32{4, 5, 6, 7}}}},
		{name: "split attr sizes negative axis", op: "Split", opset: 11, attrs: shAttrs(shInt("axis", -1), shInts("split", 1, 2)), in: []*tensors.Tensor{shIota(2, 3)},
			want: []shOut{{[]int{2, 1}, []float32{0, 3}}, {[]int{2, 2}, []float32{1, 2, 4, 5}}}},
		{name: "split input sizes", op: "Split", opset: 13, attrs: shAttrs(shInt("axis", 1)), in: []*tensors.Tensor{shIota(2, 3), shI64(2, 0, 1)},
			want: []shOut{{[]int{2, 2}, []float32{0, 1, 3, 4}}, {[]int{2, 0}, []float32{}}, {[]int{2, 1}, []float32{2, 5}}}},
		{name: "split version 1 input", op: "Split", opset: 1, in: []*tensors.Tensor{shIota(3), shI64(1, 2)},
			want: []shOut{{[]int{1}, []float32{0}}, {[]int{2}, []float32{1, 2}}}},
		{name: "split num_outputs uneven", op: "Split", opset: 18, attrs: shAttrs(shInt("num_outputs", 3)), in: []*tensors.Tensor{shIota(7)},
			want: []shOut{{[]int{3}, []float32{0, 1, 2}}, {[]int{3}, []float32{3, 4, 5}}, {[]int{1}, []float32{6}}}},
		{name: "split num_outputs even", op: "Split", opset: 18, attrs: shAttrs(shInt("num_outputs", 2)), in: []*tensors.Tensor{shIota(4)},
			want: []shOut{{[]int{2}, []float32{0, 1}}, {[]int{2}, []float32{2, 3}}}},
		{name: "split num_outputs empty last", op: "Split", opset: 18, attrs: shAttrs(shInt("num_outputs", 4)), in: []*tensors.Tensor{shIota(6)},
			want: []shOut{{}, {}, {}, {}}, err: "non-empty last part"},
		{name: "split zero-size axis", op: "Split", opset: 13, in: []*tensors.Tensor{shIota(0, 2)},
			want: []shOut{{[]int{0, 2}, []float32{}}, {[]int{0, 2}, []float32{}}}},
		{name: "split num_outputs mismatch", op: "Split", opset: 18, attrs: shAttrs(shInt("num_outputs", 3)), in: []*tensors.Tensor{shIota(6)},
			want: []shOut{{}, {}}, err: "num_outputs is 3"},
		{name: "split num_outputs before 18", op: "Split", opset: 13, attrs: shAttrs(shInt("num_outputs", 2)), in: []*tensors.Tensor{shIota(6)},
			want: []shOut{{}, {}}, err: "not defined"},
		{name: "split not divisible", op: "Split", opset: 13, in: []*tensors.Tensor{shIota(5)}, want: []shOut{{}, {}}, err: "equal parts"},
		{name: "split sizes wrong sum", op: "Split", opset: 13, in: []*tensors.Tensor{shIota(5), shI64(2, 2)}, want: []shOut{{}, {}}, err: "adds up to 4"},
		{name: "split sizes wrong count", op: "Split", opset: 11, attrs: shAttrs(shInts("split", 5)), in: []*tensors.Tensor{shIota(5)}, want: []shOut{{}, {}}, err: "1 entries for 2 outputs"},
		{name: "split negative size", op: "Split", opset: 13, in: []*tensors.Tensor{shIota(5), shI64(6, -1)}, want: []shOut{{}, {}}, err: "invalid size"},
		{name: "split scalar", op: "Split", opset: 13, in: []*tensors.Tensor{tensors.Scalar[float32](1)}, err: "scalar"},
	})
}

func TestSliceRange(t *testing.T) {
	const maxI, minI = math.MaxInt64, math.MinInt64
	cases := []struct {
		dim              int
		start, end, step int64
		first, count     int
		wantStride       int64
		what             string
	}{
		{10, 0, 10, 1, 0, 10, 1, "whole"},
		{10, 2, 5, 1, 2, 3, 1, "middle"},
		{10, -3, maxI, 1, 7, 3, 1, "negative start, INT64_MAX end"},
		{10, -100, 3, 1, 0, 3, 1, "start clamped to 0"},
		{10, 20, 1000, 1, 0, 0, 1, "start past the end"},
		{10, 5, 5, 1, 0, 0, 1, "empty"},
		{10, 0, 10, 3, 0, 4, 3, "step 3"},
		{10, maxI, minI, -1, 9, 10, -1, "reverse all"},
		{10, 8, 1, -2, 8, 4, -2, "reverse step 2"},
		{10, -1, -100, -3, 9, 4, -3, "reverse from the back"},
		{10, 3, 7, -1, 0, 0, 1, "reverse empty"},
		{10, minI, maxI, maxI, 0, 1, 1, "huge step"},
		{10, -1, minI, minI, 9, 1, 1, "huge negative step"},
		{0, 0, 1, 1, 0, 0, 1, "empty axis"},
		{0, -1, -100, -1, 0, 0, 1, "empty axis reversed"},
		{1, 0, -1, -1, 0, 0, 1, "end -1 means the last element"},
	}
	for _, c := range cases {
		first, count, stride := sliceRange(c.dim, c.start, c.end, c.step)
		if count != c.count || (count > 0 && first != c.first) || (count > 1 && stride != c.wantStride) {
			t.Errorf("%s: sliceRange(%d, %d, %d, %d) = %d, %d, %d; want %d, %d, %d",
				c.what, c.dim, c.start, c.end, c.step, first, count, stride, c.first, c.count, c.wantStride)
		}
	}
}

// walkSlice lists the indices that Slice picks from an axis of size dim,
// by walking from the clamped start. The clamping is Python's
// (slice.indices) except for one case: with a negative step ONNX (and
// onnxruntime) clamp a start before the axis to 0 where Python clamps it
// to -1 (an empty slice).
func walkSlice(dim int, start, end, step int64) []int {
	d := int64(dim)
	lower, upper := int64(0), d
	if step < 0 {
		lower, upper = -1, d-1
	}
	if step < 0 && start < -d {
		start = 0
	}
	fix := func(v int64) int64 {
		if v < 0 {
			v += d
			if v < lower {
				v = lower
			}
		} else if v > upper {
			v = upper
		}
		return v
	}
	s, e := fix(start), fix(end)
	var out []int
	for i := s; (step > 0 && i < e) || (step < 0 && i > e); {
		out = append(out, int(i))
		if (step > 0 && i > e-step) || (step < 0 && i < e-step) {
			break // the next index is past the end (and might overflow)
		}
		i += step
	}
	return out
}

func TestSliceMatchesWalk(t *testing.T) {
	vals := []int64{math.MinInt64, -12, -5, -1, 0, 1, 2, 4, 5, 11, math.MaxInt64}
	steps := []int64{math.MinInt64, -7, -2, -1, 1, 2, 3, math.MaxInt64}
	for _, dim := range []int{0, 1, 5} {
		for _, s := range vals {
			for _, e := range vals {
				for _, st := range steps {
					want := walkSlice(dim, s, e, st)
					first, count, stride := sliceRange(dim, s, e, st)
					got := make([]int, count)
					for i := range got {
						got[i] = first + i*int(stride)
					}
					if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
						t.Fatalf("dim %d [%d:%d:%d]: %v, walking gives %v", dim, s, e, st, got, want)
					}
				}
			}
		}
	}
}

func TestSlice(t *testing.T) {
	x := shIota(3, 4)
	i32 := func(v ...int32) *tensors.Tensor { return tensors.Vector(v...) }
	runShCases(t, []shCase{
		{name: "basic", op: "Slice", opset: 13, in: []*tensors.Tensor{x, shI64(0, 1), shI64(2, 3)}, want: []shOut{{[]int{2, 2}, []float32{1, 2, 5, 6}}}},
		{name: "axes and steps", op: "Slice", opset: 13, in: []*tensors.Tensor{x, shI64(0), shI64(4), shI64(1), shI64(2)}, want: []shOut{{[]int{3, 2}, []float32{0, 2, 4, 6, 8, 10}}}},
		{name: "negative steps", op: "Slice", opset: 10, in: []*tensors.Tensor{x, shI64(-1, -1), shI64(math.MinInt64, math.MinInt64), shI64(0, 1), shI64(-1, -2)},
			want: []shOut{{[]int{3, 2}, []float32{11, 9, 7, 5, 3, 1}}}},
		{name: "negative axes int32", op: "Slice", opset: 11, in: []*tensors.Tensor{x, i32(1), i32(math.MaxInt32), i32(-2)}, want: []shOut{{[]int{2, 4}, []float32{4, 5, 6, 7, 8, 9, 10, 11}}}},
		{name: "INT64_MAX end", op: "Slice", opset: 13, in: []*tensors.Tensor{x, shI64(2), shI64(math.MaxInt64), shI64(1)}, want: []shOut{{[]int{3, 2}, []float32{2, 3, 6, 7, 10, 11}}}},
		{name: "empty result", op: "Slice", opset: 13, in: []*tensors.Tensor{x, shI64(5), shI64(10), shI64(1)}, want: []shOut{{[]int{3, 0}, []float32{}}}},
		{name: "empty input", op: "Slice", opset: 13, in: []*tensors.Tensor{shIota(0, 4), shI64(1), shI64(3), shI64(1)}, want: []shOut{{[]int{0, 2}, []float32{}}}},
		{name: "rows share data", op: "Slice", opset: 13, in: []*tensors.Tensor{x, shI64(1), shI64(2)}, want: []shOut{{[]int{1, 4}, []float32{4, 5, 6, 7}}}},
		{name: "strings", op: "Slice", opset: 13, in: []*tensors.Tensor{shT([]int{3}, "a", "b", "c"), shI64(-1), shI64(-4), shI64(0), shI64(-1)}, want: []shOut{{[]int{3}, []string{"c", "b", "a"}}}},
		{name: "version 1 attributes", op: "Slice", opset: 1, attrs: shAttrs(shInts("starts", 1, 0), shInts("ends", 1000, -1), shInts("axes", 1, 0)),
			in: []*tensors.Tensor{x}, want: []shOut{{[]int{2, 3}, []float32{1, 2, 3, 5, 6, 7}}}},
		{name: "step 0", op: "Slice", opset: 13, in: []*tensors.Tensor{x, shI64(0), shI64(1), shI64(0), shI64(0)}, err: "step is 0"},
		{name: "repeated axis", op: "Slice", opset: 13, in: []*tensors.Tensor{x, shI64(0, 0), shI64(1, 1), shI64(0, -2)}, err: "repeated"},
		{name: "axis out of range", op: "Slice", opset: 13, in: []*tensors.Tensor{x, shI64(0), shI64(1), shI64(2)}, err: "out of range"},
		{name: "lengths differ", op: "Slice", opset: 13, in: []*tensors.Tensor{x, shI64(0, 1), shI64(1)}, err: "differ in length"},
		{name: "too many starts", op: "Slice", opset: 13, in: []*tensors.Tensor{x, shI64(0, 0, 0), shI64(1, 1, 1)}, err: "rank 2"},
		{name: "float starts", op: "Slice", opset: 13, in: []*tensors.Tensor{x, tensors.Vector[float32](0), shI64(1)}, err: "float32"},
	})
}

func TestGather(t *testing.T) {
	x := shIota(3, 2)
	runShCases(t, []shCase{
		{name: "axis 0", op: "Gather", opset: 13, in: []*tensors.Tensor{x, shI64(2, 0)}, want: []shOut{{[]int{2, 2}, []float32{4, 5, 0, 1}}}},
		{name: "negative indices int32", op: "Gather", opset: 11, in: []*tensors.Tensor{x, tensors.Vector[int32](-1, -3)}, want: []shOut{{[]int{2, 2}, []float32{4, 5, 0, 1}}}},
		{name: "axis 1 scalar index", op: "Gather", opset: 13, attrs: shAttrs(shInt("axis", 1)), in: []*tensors.Tensor{x, tensors.Scalar[int64](1)}, want: []shOut{{[]int{3}, []float32{1, 3, 5}}}},
		{name: "negative axis 2-D indices", op: "Gather", opset: 13, attrs: shAttrs(shInt("axis", -1)), in: []*tensors.Tensor{x, shT([]int{2, 2}, int64(0), 1, 1, 0)},
			want: []shOut{{[]int{3, 2, 2}, []float32{0, 1, 1, 0, 2, 3, 3, 2, 4, 5, 5, 4}}}},
		{name: "shape element", op: "Gather", opset: 1, in: []*tensors.Tensor{shI64(7, 28, 28), tensors.Scalar[int64](0)}, want: []shOut{{[]int{}, []int64{7}}}},
		{name: "empty indices", op: "Gather", opset: 13, in: []*tensors.Tensor{x, shI64()}, want: []shOut{{[]int{0, 2}, []float32{}}}},
		{name: "bools", op: "Gather", opset: 13, in: []*tensors.Tensor{tensors.Vector(true, false), shI64(1, 1, 0)}, want: []shOut{{[]int{3}, []bool{false, false, true}}}},
		{name: "out of range", op: "Gather", opset: 13, in: []*tensors.Tensor{x, shI64(0, 3)}, err: `indices "in1": element 1 is 3, out of range [-3, 2] for axis 0 of data "in0"`},
		{name: "too negative", op: "Gather", opset: 13, in: []*tensors.Tensor{x, shI64(-4)}, err: "out of range"},
		{name: "float indices", op: "Gather", opset: 13, in: []*tensors.Tensor{x, tensors.Vector[float32](0)}, err: "float32"},
		{name: "scalar data", op: "Gather", opset: 13, in: []*tensors.Tensor{tensors.Scalar[float32](1), shI64(0)}, err: "rank >= 1"},
		{name: "axis out of range", op: "Gather", opset: 13, attrs: shAttrs(shInt("axis", 2)), in: []*tensors.Tensor{x, shI64(0)}, err: "out of range"},
	})
}

func TestExpandTileConstantOfShape(t *testing.T) {
	huge := int64(1) << 20
	runShCases(t, []shCase{
		{name: "expand", op: "Expand", opset: 13, in: []*tensors.Tensor{shT([]int{3, 1}, float32(1), 2, 3), shI64(2, 1, 2)},
			want: []shOut{{[]int{2, 3, 2}, []float32{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}}}},
		{name: "expand bidirectional", op: "Expand", opset: 8, in: []*tensors.Tensor{shIota(2, 3), shI64(1)}, want: []shOut{{[]int{2, 3}, shIota(6).Data()}}},
		{name: "expand scalar", op: "Expand", opset: 13, in: []*tensors.Tensor{tensors.Scalar[int64](5), shI64(3)}, want: []shOut{{[]int{3}, []int64{5, 5, 5}}}},
		{name: "expand to empty", op: "Expand", opset: 13, in: []*tensors.Tensor{shIota(1, 3), shI64(0, 1)}, want: []shOut{{[]int{0, 3}, []float32{}}}},
		{name: "expand incompatible", op: "Expand", opset: 13, in: []*tensors.Tensor{shIota(2, 3), shI64(4, 3)}, err: "cannot expand"},
		{name: "expand negative", op: "Expand", opset: 13, in: []*tensors.Tensor{shIota(1), shI64(-2)}, err: "out of range"},
		{name: "expand 2^40", op: "Expand", opset: 13, in: []*tensors.Tensor{shIota(1, 1), shI64(huge, huge)}, err: "exceed the limit"},

		{name: "tile", op: "Tile", opset: 13, in: []*tensors.Tensor{shT([]int{2, 2}, int32(1), 2, 3, 4), shI64(1, 2)},
			want: []shOut{{[]int{2, 4}, []int32{1, 2, 1, 2, 3, 4, 3, 4}}}},
		{name: "tile rows", op: "Tile", opset: 6, in: []*tensors.Tensor{shT([]int{1, 2}, "a", "b"), shI64(2, 1)}, want: []shOut{{[]int{2, 2}, []string{"a", "b", "a", "b"}}}},
		{name: "tile zero", op: "Tile", opset: 13, in: []*tensors.Tensor{shIota(2, 2), shI64(0, 3)}, want: []shOut{{[]int{0, 6}, []float32{}}}},
		{name: "tile scalar", op: "Tile", opset: 13, in: []*tensors.Tensor{tensors.Scalar[float64](2), shI64()}, want: []shOut{{[]int{}, []float64{2}}}},
		{name: "tile negative", op: "Tile", opset: 13, in: []*tensors.Tensor{shIota(2), shI64(-1)}, err: "invalid count"},
		{name: "tile wrong length", op: "Tile", opset: 13, in: []*tensors.Tensor{shIota(2), shI64(1, 1)}, err: "rank 1"},
		{name: "tile 2^40", op: "Tile", opset: 13, in: []*tensors.Tensor{shIota(1, 1), shI64(huge, huge)}, err: "exceed the limit"},
		{name: "tile overflow", op: "Tile", opset: 13, in: []*tensors.Tensor{shIota(2, 2), shI64(math.MaxInt64, math.MaxInt64)}, err: "overflows"},

		{name: "constantofshape default", op: "ConstantOfShape", opset: 9, in: []*tensors.Tensor{shI64(2, 2)}, want: []shOut{{[]int{2, 2}, []float32{0, 0, 0, 0}}}},
		{name: "constantofshape int64", op: "ConstantOfShape", opset: 9, attrs: shAttrs(shTensorAttr("value", tensors.Vector[int64](7))), in: []*tensors.Tensor{shI64(3)},
			want: []shOut{{[]int{3}, []int64{7, 7, 7}}}},
		{name: "constantofshape scalar", op: "ConstantOfShape", opset: 9, attrs: shAttrs(shTensorAttr("value", tensors.Vector(true))), in: []*tensors.Tensor{shI64()},
			want: []shOut{{[]int{}, []bool{true}}}},
		{name: "constantofshape empty", op: "ConstantOfShape", opset: 9, in: []*tensors.Tensor{shI64(0, 5)}, want: []shOut{{[]int{0, 5}, []float32{}}}},
		{name: "constantofshape 2^40", op: "ConstantOfShape", opset: 9, in: []*tensors.Tensor{shI64(huge, huge)}, err: "exceed the limit"},
		{name: "constantofshape negative", op: "ConstantOfShape", opset: 9, in: []*tensors.Tensor{shI64(2, -1)}, err: "out of range"},
		{name: "constantofshape 2-element value", op: "ConstantOfShape", opset: 9, attrs: shAttrs(shTensorAttr("value", tensors.Vector[float32](1, 2))), in: []*tensors.Tensor{shI64(2)}, err: "one element"},
		{name: "constantofshape 2-D shape", op: "ConstantOfShape", opset: 9, in: []*tensors.Tensor{shT([]int{1, 1}, int64(2))}, err: "1-D"},
	})
}

func TestPad(t *testing.T) {
	x := shT([]int{2, 3}, float32(1), 2, 3, 4, 5, 6)
	pads := shI64(0, 2, 1, 1) // 0 before rows, 2 before columns, 1 after rows, 1 after columns
	runShCases(t, []shCase{
		{name: "constant", op: "Pad", opset: 13, in: []*tensors.Tensor{x, pads, tensors.Scalar[float32](9)},
			want: []shOut{{[]int{3, 6}, []float32{9, 9, 1, 2, 3, 9, 9, 9, 4, 5, 6, 9, 9, 9, 9, 9, 9, 9}}}},
		{name: "constant default value", op: "Pad", opset: 11, in: []*tensors.Tensor{x, shI64(1, 0, 0, 0)},
			want: []shOut{{[]int{3, 3}, []float32{0, 0, 0, 1, 2, 3, 4, 5, 6}}}},
		{name: "reflect", op: "Pad", opset: 13, attrs: shAttrs(shStr("mode", "reflect")), in: []*tensors.Tensor{x, pads},
			want: []shOut{{[]int{3, 6}, []float32{3, 2, 1, 2, 3, 2, 6, 5, 4, 5, 6, 5, 3, 2, 1, 2, 3, 2}}}},
		{name: "reflect wider than the axis", op: "Pad", opset: 13, attrs: shAttrs(shStr("mode", "reflect")), in: []*tensors.Tensor{tensors.Vector[int32](1, 2, 3), shI64(5, 4)},
			want: []shOut{{[]int{12}, []int32{2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3}}}}, // as numpy.pad
		{name: "reflect size 1", op: "Pad", opset: 13, attrs: shAttrs(shStr("mode", "reflect")), in: []*tensors.Tensor{tensors.Vector[int64](7), shI64(2, 1)},
			want: []shOut{{[]int{4}, []int64{7, 7, 7, 7}}}},
		{name: "edge", op: "Pad", opset: 11, attrs: shAttrs(shStr("mode", "edge")), in: []*tensors.Tensor{x, pads},
			want: []shOut{{[]int{3, 6}, []float32{1, 1, 1, 2, 3, 3, 4, 4, 4, 5, 6, 6, 4, 4, 4, 5, 6, 6}}}},
		{name: "negative pads crop", op: "Pad", opset: 13, in: []*tensors.Tensor{x, shI64(0, -1, -1, 1), tensors.Scalar[float32](-1)},
			want: []shOut{{[]int{1, 3}, []float32{2, 3, -1}}}},
		{name: "crop and reflect", op: "Pad", opset: 13, attrs: shAttrs(shStr("mode", "reflect")), in: []*tensors.Tensor{x, shI64(0, -2, 0, 2)},
			want: []shOut{{[]int{2, 3}, []float32{3, 2, 1, 6, 5, 4}}}},
		{name: "axes input", op: "Pad", opset: 18, in: []*tensors.Tensor{x, shI64(1, 0), tensors.Scalar[float32](7), shI64(-1)},
			want: []shOut{{[]int{2, 4}, []float32{7, 1, 2, 3, 7, 4, 5, 6}}}},
		{name: "axes input int32 edge", op: "Pad", opset: 18, attrs: shAttrs(shStr("mode", "edge")), in: []*tensors.Tensor{x, shI64(0, 1), nil, tensors.Vector[int32](0)},
			want: []shOut{{[]int{3, 3}, []float32{1, 2, 3, 4, 5, 6, 4, 5, 6}}}},
		{name: "version 2 attributes", op: "Pad", opset: 2, attrs: shAttrs(shInts("pads", 0, 1, 0, 0), shFloat("value", 1.5)), in: []*tensors.Tensor{x},
			want: []shOut{{[]int{2, 4}, []float32{1.5, 1, 2, 3, 1.5, 4, 5, 6}}}},
		{name: "version 1 paddings", op: "Pad", opset: 1, attrs: shAttrs(shInts("paddings", 0, 0, 0, 1), shStr("mode", "edge")), in: []*tensors.Tensor{x},
			want: []shOut{{[]int{2, 4}, []float32{1, 2, 3, 3, 4, 5, 6, 6}}}},
		{name: "bool", op: "Pad", opset: 13, in: []*tensors.Tensor{tensors.Vector(true), shI64(1, 1), tensors.Scalar(true)}, want: []shOut{{[]int{3}, []bool{true, true, true}}}},
		{name: "strings", op: "Pad", opset: 13, in: []*tensors.Tensor{tensors.Vector("a"), shI64(0, 1)}, want: []shOut{{[]int{2}, []string{"a", ""}}}},
		{name: "empty input constant", op: "Pad", opset: 13, in: []*tensors.Tensor{shIota(0, 2), shI64(1, 0, 0, 0), tensors.Scalar[float32](3)}, want: []shOut{{[]int{1, 2}, []float32{3, 3}}}},
		{name: "scalar", op: "Pad", opset: 13, in: []*tensors.Tensor{tensors.Scalar[float32](3), shI64()}, want: []shOut{{[]int{}, []float32{3}}}},
		{name: "edge on empty axis", op: "Pad", opset: 13, attrs: shAttrs(shStr("mode", "edge")), in: []*tensors.Tensor{shIota(0), shI64(1, 1)}, err: "empty axis"},
		{name: "over-cropping", op: "Pad", opset: 13, in: []*tensors.Tensor{x, shI64(0, -2, 0, -2)}, err: "remove more"},
		{name: "pads length", op: "Pad", opset: 13, in: []*tensors.Tensor{x, shI64(1, 1)}, err: "want 4"},
		{name: "int32 pads", op: "Pad", opset: 13, in: []*tensors.Tensor{x, tensors.Vector[int32](0, 0, 0, 0)}, err: "int32"},
		{name: "value type", op: "Pad", opset: 13, in: []*tensors.Tensor{x, shI64(0, 0, 0, 1), tensors.Scalar[float64](1)}, err: "constant_value"},
		{name: "wrap mode", op: "Pad", opset: 18, attrs: shAttrs(shStr("mode", "wrap")), in: []*tensors.Tensor{x, shI64(0, 0, 0, 1)}, err: "not supported"},
		{name: "axes before 18", op: "Pad", opset: 13, in: []*tensors.Tensor{x, shI64(0, 1), nil, shI64(1)}, err: "at most 3"},
		{name: "2^40 elements", op: "Pad", opset: 13, in: []*tensors.Tensor{x, shI64(1<<20, 1<<20, 0, 0)}, err: "exceed the limit"},
	})
}

func TestReduce(t *testing.T) {
	x := shT([]int{2, 3}, float32(1), 2, 3, 4, 5, 6)
	nan := float32(math.NaN())
	runShCases(t, []shCase{
		{name: "sum axes input", op: "ReduceSum", opset: 13, attrs: shAttrs(shInt("keepdims", 0)), in: []*tensors.Tensor{x, shI64(1)}, want: []shOut{{[]int{2}, []float32{6, 15}}}},
		{name: "sum all", op: "ReduceSum", opset: 13, in: []*tensors.Tensor{x}, want: []shOut{{[]int{1, 1}, []float32{21}}}},
		{name: "sum empty axes", op: "ReduceSum", opset: 13, attrs: shAttrs(shInt("keepdims", 0)), in: []*tensors.Tensor{x, shI64()}, want: []shOut{{[]int{}, []float32{21}}}},
		{name: "sum noop", op: "ReduceSum", opset: 13, attrs: shAttrs(shInt("noop_with_empty_axes", 1)), in: []*tensors.Tensor{x, shI64()}, want: []shOut{{[]int{2, 3}, []float32{1, 2, 3, 4, 5, 6}}}},
		{name: "sum noop absent axes", op: "ReduceSum", opset: 13, attrs: shAttrs(shInt("noop_with_empty_axes", 1)), in: []*tensors.Tensor{x}, want: []shOut{{[]int{2, 3}, []float32{1, 2, 3, 4, 5, 6}}}},
		{name: "sum attr axes", op: "ReduceSum", opset: 11, attrs: shAttrs(shInts("axes", -2)), in: []*tensors.Tensor{x}, want: []shOut{{[]int{1, 3}, []float32{5, 7, 9}}}},
		{name: "sum int32", op: "ReduceSum", opset: 1, attrs: shAttrs(shInts("axes", 0)), in: []*tensors.Tensor{shT([]int{2, 2}, int32(1), 2, 3, 4)}, want: []shOut{{[]int{1, 2}, []int32{4, 6}}}},
		{name: "sum empty set", op: "ReduceSum", opset: 13, attrs: shAttrs(shInt("keepdims", 0)), in: []*tensors.Tensor{shIota(2, 0), shI64(1)}, want: []shOut{{[]int{2}, []float32{0, 0}}}},
		{name: "sum of empty rows", op: "ReduceSum", opset: 13, in: []*tensors.Tensor{shIota(0, 3), shI64(1)}, want: []shOut{{[]int{0, 1}, []float32{}}}},
		{name: "sum scalar", op: "ReduceSum", opset: 13, in: []*tensors.Tensor{tensors.Scalar[float64](2.5)}, want: []shOut{{[]int{}, []float64{2.5}}}},
		{name: "sum axes attribute at 13", op: "ReduceSum", opset: 13, attrs: shAttrs(shInts("axes", 0)), in: []*tensors.Tensor{x}, err: "not defined"},
		{name: "sum noop before 13", op: "ReduceSum", opset: 11, attrs: shAttrs(shInt("noop_with_empty_axes", 1)), in: []*tensors.Tensor{x}, err: "not defined"},

		{name: "mean middle axes", op: "ReduceMean", opset: 13, attrs: shAttrs(shInts("axes", 1, 2)), in: []*tensors.Tensor{shIota(2, 2, 2, 2)},
			want: []shOut{{[]int{2, 1, 1, 2}, []float32{3, 4, 11, 12}}}},
		{name: "mean outer and inner", op: "ReduceMean", opset: 11, attrs: shAttrs(shInts("axes", 0, -1), shInt("keepdims", 0)), in: []*tensors.Tensor{shIota(2, 2, 2)},
			want: []shOut{{[]int{2}, []float32{2.5, 4.5}}}},
		{name: "mean axes input at 18", op: "ReduceMean", opset: 18, in: []*tensors.Tensor{x, shI64(-1)}, want: []shOut{{[]int{2, 1}, []float32{2, 5}}}},
		{name: "mean noop at 18", op: "ReduceMean", opset: 18, attrs: shAttrs(shInt("noop_with_empty_axes", 1)), in: []*tensors.Tensor{x}, want: []shOut{{[]int{2, 3}, []float32{1, 2, 3, 4, 5, 6}}}},
		{name: "mean int64 truncates", op: "ReduceMean", opset: 13, attrs: shAttrs(shInt("keepdims", 0)), in: []*tensors.Tensor{shI64(1, 2)}, want: []shOut{{[]int{}, []int64{1}}}},
		{name: "mean empty set", op: "ReduceMean", opset: 18, attrs: shAttrs(shInt("keepdims", 0)), in: []*tensors.Tensor{shIota(2, 0), shI64(1)}, want: []shOut{{[]int{2}, []float32{0, 0}}}},
		{name: "mean axes attribute at 18", op: "ReduceMean", opset: 18, attrs: shAttrs(shInts("axes", 0)), in: []*tensors.Tensor{x}, err: "not defined"},
		{name: "mean bad axis", op: "ReduceMean", opset: 13, attrs: shAttrs(shInts("axes", 2)), in: []*tensors.Tensor{x}, err: "out of range"},
		{name: "mean repeated axis", op: "ReduceMean", opset: 13, attrs: shAttrs(shInts("axes", 1, -1)), in: []*tensors.Tensor{x}, err: "repeated"},
		{name: "mean strings", op: "ReduceMean", opset: 13, in: []*tensors.Tensor{tensors.Vector("a")}, err: "string"},

		{name: "max", op: "ReduceMax", opset: 13, attrs: shAttrs(shInts("axes", 0), shInt("keepdims", 0)), in: []*tensors.Tensor{shT([]int{2, 2}, int8(-3), 7, -1, 2)},
			want: []shOut{{[]int{2}, []int8{-1, 7}}}},
		{name: "max NaN", op: "ReduceMax", opset: 18, attrs: shAttrs(shInt("keepdims", 0)), in: []*tensors.Tensor{shT([]int{2, 2}, float32(1), nan, 3, 2), shI64(1)},
			want: []shOut{{[]int{2}, []float32{nan, 3}}}},
		{name: "max empty set", op: "ReduceMax", opset: 18, attrs: shAttrs(shInt("keepdims", 0)), in: []*tensors.Tensor{shIota(2, 0), shI64(1)},
			want: []shOut{{[]int{2}, []float32{float32(math.Inf(-1)), float32(math.Inf(-1))}}}},
		{name: "max uint8 all", op: "ReduceMax", opset: 12, in: []*tensors.Tensor{tensors.Vector[uint8](3, 200, 7)}, want: []shOut{{[]int{1}, []uint8{200}}}},
		{name: "max dynamic axes", op: "ReduceMax", opset: 18, attrs: shAttrs(shInt("keepdims", 1)), in: []*tensors.Tensor{shIota(3, 2), shI64(0)}, want: []shOut{{[]int{1, 2}, []float32{4, 5}}}},
	})
}

func TestArgMax(t *testing.T) {
	x := shT([]int{2, 3}, float32(1), 5, 5, 4, 2, 4)
	nan := float32(math.NaN())
	runShCases(t, []shCase{
		{name: "axis 0", op: "ArgMax", opset: 13, in: []*tensors.Tensor{x}, want: []shOut{{[]int{1, 3}, []int64{1, 0, 0}}}},
		{name: "axis 1 first", op: "ArgMax", opset: 11, attrs: shAttrs(shInt("axis", -1), shInt("keepdims", 0)), in: []*tensors.Tensor{x}, want: []shOut{{[]int{2}, []int64{1, 0}}}},
		{name: "axis 1 last", op: "ArgMax", opset: 12, attrs: shAttrs(shInt("axis", 1), shInt("keepdims", 0), shInt("select_last_index", 1)), in: []*tensors.Tensor{x},
			want: []shOut{{[]int{2}, []int64{2, 2}}}},
		{name: "NaN wins", op: "ArgMax", opset: 13, attrs: shAttrs(shInt("keepdims", 0)), in: []*tensors.Tensor{tensors.Vector(float32(1), nan, 5, nan)}, want: []shOut{{[]int{}, []int64{1}}}},
		{name: "NaN last", op: "ArgMax", opset: 13, attrs: shAttrs(shInt("keepdims", 0), shInt("select_last_index", 1)), in: []*tensors.Tensor{tensors.Vector(float32(1), nan, 5, nan)},
			want: []shOut{{[]int{}, []int64{3}}}},
		{name: "uint64", op: "ArgMax", opset: 13, in: []*tensors.Tensor{tensors.Vector[uint64](1, math.MaxUint64, 3)}, want: []shOut{{[]int{1}, []int64{1}}}},
		{name: "empty outer", op: "ArgMax", opset: 13, attrs: shAttrs(shInt("axis", 1)), in: []*tensors.Tensor{shIota(0, 3)}, want: []shOut{{[]int{0, 1}, []int64{}}}},
		{name: "empty axis", op: "ArgMax", opset: 13, in: []*tensors.Tensor{shIota(0, 3)}, err: "empty axis"},
		{name: "select_last_index before 12", op: "ArgMax", opset: 11, attrs: shAttrs(shInt("select_last_index", 1)), in: []*tensors.Tensor{x}, err: "not defined"},
		{name: "scalar", op: "ArgMax", opset: 13, in: []*tensors.Tensor{tensors.Scalar[float32](1)}, err: "out of range"},
		{name: "bool", op: "ArgMax", opset: 13, in: []*tensors.Tensor{tensors.Vector(true)}, err: "bool"},
	})
}

// TestTransposeMatchesNaive compares Transpose with index arithmetic on
// every permutation of a few shapes.
func TestTransposeMatchesNaive(t *testing.T) {
	for _, shape := range [][]int{{2, 3, 4}, {1, 5, 1, 3}, {3, 1, 2, 2}} {
		x := shIota(shape...)
		xs := tensors.Strides(shape)
		r := len(shape)
		perm := make([]int, r)
		for i := range perm {
			perm[i] = i
		}
		var permute func(k int)
		permute = func(k int) {
			if k == r {
				y, err := Transpose(x, perm)
				if err != nil {
					t.Fatal(err)
				}
				ys := tensors.Data[float32](y)
				idx := make([]int, r)
				for o := range ys {
					rem := o
					for i := r - 1; i >= 0; i-- {
						idx[i] = rem % y.Shape()[i]
						rem /= y.Shape()[i]
					}
					src := 0
					for i, p := range perm {
						src += idx[i] * xs[p]
					}
					if ys[o] != float32(src) {
						t.Fatalf("shape %v perm %v: element %d is %v, want %d", shape, perm, o, ys[o], src)
					}
				}
				return
			}
			for i := k; i < r; i++ {
				perm[k], perm[i] = perm[i], perm[k]
				permute(k + 1)
				perm[k], perm[i] = perm[i], perm[k]
			}
		}
		permute(0)
	}
}

// TestShapeInfer checks static shape inference with symbolic dimensions,
// where the runs of shRun only see fully known shapes.
func TestShapeInfer(t *testing.T) {
	n := tensors.Dim{Size: -1, Param: "N"}
	x := tensors.Type{DType: tensors.Float32, RankKnown: true, Dims: []tensors.Dim{n, {Size: 3}, {Size: 4}}}
	cases := []struct {
		op     string
		opset  int
		attrs  []*onnxpb.AttributeProto
		in     []tensors.Type
		consts map[int]*tensors.Tensor
		want   string
	}{
		{"Flatten", 13, nil, []tensors.Type{x}, nil, "float32[N 12]"},
		{"Flatten", 13, shAttrs(shInt("axis", 2)), []tensors.Type{x}, nil, "float32[? 4]"},
		{"Transpose", 13, shAttrs(shInts("perm", 0, 2, 1)), []tensors.Type{x}, nil, "float32[N 4 3]"},
		{"Transpose", 13, shAttrs(shInts("perm", 1, 0)), []tensors.Type{{DType: tensors.Float32}}, nil, "float32[? ?]"},
		{"Unsqueeze", 13, nil, []tensors.Type{x, tensors.KnownType(tensors.Int64, []int{1})}, map[int]*tensors.Tensor{1: shI64(-1)}, "float32[N 3 4 1]"},
		{"Unsqueeze", 13, nil, []tensors.Type{x, tensors.KnownType(tensors.Int64, []int{1})}, nil, "float32[...]"},
		{"Squeeze", 13, nil, []tensors.Type{x}, nil, "float32[...]"},
		{"Squeeze", 11, shAttrs(shInts("axes", 0)), []tensors.Type{x}, nil, "float32[3 4]"},
		{"Concat", 13, shAttrs(shInt("axis", 1)), []tensors.Type{x, x}, nil, "float32[N 6 4]"},
		{"Concat", 13, shAttrs(shInt("axis", 0)), []tensors.Type{x, x}, nil, "float32[? 3 4]"},
		{"Gather", 13, shAttrs(shInt("axis", 1)), []tensors.Type{x, tensors.KnownType(tensors.Int64, []int{2, 5})}, nil, "float32[N 2 5 4]"},
		{"Gather", 13, nil, []tensors.Type{tensors.KnownType(tensors.Int64, []int{3}), tensors.KnownType(tensors.Int64, []int{})}, nil, "int64[]"},
		{"Slice", 13, nil, []tensors.Type{x, tensors.KnownType(tensors.Int64, []int{1}), tensors.KnownType(tensors.Int64, []int{1}), tensors.KnownType(tensors.Int64, []int{1})},
			map[int]*tensors.Tensor{1: shI64(1), 2: shI64(math.MaxInt64), 3: shI64(-1)}, "float32[N 3 3]"},
		{"Slice", 13, nil, []tensors.Type{x, tensors.KnownType(tensors.Int64, []int{1}), tensors.KnownType(tensors.Int64, []int{1})}, map[int]*tensors.Tensor{1: shI64(1)}, "float32[? ? ?]"},
		{"Expand", 13, nil, []tensors.Type{x, tensors.KnownType(tensors.Int64, []int{4})}, map[int]*tensors.Tensor{1: shI64(2, 1, 3, 1)}, "float32[2 N 3 4]"},
		{"Expand", 13, nil, []tensors.Type{x, tensors.KnownType(tensors.Int64, []int{4})}, nil, "float32[? ? ? ?]"},
		{"Tile", 13, nil, []tensors.Type{x, tensors.KnownType(tensors.Int64, []int{3})}, map[int]*tensors.Tensor{1: shI64(1, 2, 0)}, "float32[N 6 0]"},
		{"ConstantOfShape", 9, nil, []tensors.Type{tensors.KnownType(tensors.Int64, []int{2})}, nil, "float32[? ?]"},
		{"ConstantOfShape", 9, shAttrs(shTensorAttr("value", tensors.Vector[int32](1))), []tensors.Type{tensors.KnownType(tensors.Int64, []int{2})}, map[int]*tensors.Tensor{0: shI64(2, 5)}, "int32[2 5]"},
		{"Pad", 13, nil, []tensors.Type{x, tensors.KnownType(tensors.Int64, []int{6})}, map[int]*tensors.Tensor{1: shI64(0, 1, 0, 0, 1, 2)}, "float32[N 5 6]"},
		{"Pad", 18, nil, []tensors.Type{x, tensors.KnownType(tensors.Int64, []int{2}), {}, tensors.KnownType(tensors.Int64, []int{1})}, map[int]*tensors.Tensor{1: shI64(1, 1), 3: shI64(0)}, "float32[? 3 4]"},
		{"ReduceMean", 13, shAttrs(shInts("axes", -1)), []tensors.Type{x}, nil, "float32[N 3 1]"},
		{"ReduceSum", 13, shAttrs(shInt("keepdims", 0)), []tensors.Type{x, tensors.KnownType(tensors.Int64, []int{1})}, map[int]*tensors.Tensor{1: shI64(1)}, "float32[N 4]"},
		{"ReduceMax", 18, nil, []tensors.Type{x}, nil, "float32[1 1 1]"},
		{"ArgMax", 13, shAttrs(shInt("axis", 1), shInt("keepdims", 0)), []tensors.Type{x}, nil, "int64[N 4]"},
		{"Split", 18, shAttrs(shInt("axis", 1), shInt("num_outputs", 2)), []tensors.Type{x}, nil, "float32[N 2 4]"},
	}
	for _, c := range cases {
		names := make([]string, len(c.in))
		for i := range names {
			names[i] = fmt.Sprintf("in%d", i)
		}
		if c.op == "Pad" && len(c.in) == 4 {
			names[2] = ""
		}
		outs := []string{"y"}
		if c.op == "Split" {
			outs = []string{"y0", "y1"}
		}
		env := Env{Opset: c.opset, Const: func(name string) *tensors.Tensor {
			for i, nm := range names {
				if nm == name {
					return c.consts[i]
				}
			}
			return nil
		}}
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

// TestShapeInferRejects checks that Infer reports shapes that can never
// run.
func TestShapeInferRejects(t *testing.T) {
	x := tensors.KnownType(tensors.Float32, []int{2, 3})
	for _, c := range []struct {
		op    string
		attrs []*onnxpb.AttributeProto
		in    []tensors.Type
		want  string
	}{
		{"Transpose", shAttrs(shInts("perm", 0, 1, 2)), []tensors.Type{x}, "3 entries"},
		{"Concat", shAttrs(shInt("axis", 0)), []tensors.Type{x, tensors.KnownType(tensors.Float32, []int{2, 4})}, "differs"},
		{"Squeeze", shAttrs(shInts("axes", 1)), []tensors.Type{x}, "not 1"},
		{"Flatten", shAttrs(shInt("axis", 3)), []tensors.Type{x}, "out of range"},
		{"ArgMax", shAttrs(shInt("axis", 2)), []tensors.Type{x}, "out of range"},
	} {
		names := make([]string, len(c.in))
		for i := range names {
			names[i] = fmt.Sprintf("in%d", i)
		}
		comp, err := Compile(node(c.op, names, []string{"y"}, c.attrs...), Env{Opset: 11})
		if err != nil {
			t.Errorf("%s: %v", c.op, err)
			continue
		}
		if _, err := comp.Infer(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Infer error %v, want one containing %q", c.op, err, c.want)
		}
	}
}

// TestTile1 checks Tile version 1 (tiles and axis inputs) against Tile 6
// with the equivalent repeats.
func TestTile1(t *testing.T) {
	x, err := tensors.New([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		tiles, axis int64
		reps        []int64
	}{{3, 0, []int64{3, 1}}, {2, 1, []int64{1, 2}}, {2, -1, []int64{1, 2}}, {0, 0, []int64{0, 1}}} {
		got, err := runNode(t, node("Tile", []string{"x", "t", "a"}, []string{"y"}), 1, x, tensors.Scalar(c.tiles), tensors.Scalar(c.axis))
		if err != nil {
			t.Fatalf("tiles %d axis %d: %v", c.tiles, c.axis, err)
		}
		want, err := runNode(t, node("Tile", []string{"x", "r"}, []string{"y"}), 6, x, tensors.Vector(c.reps...))
		if err != nil {
			t.Fatal(err)
		}
		if !tensors.SameShape(got[0].Shape(), want[0].Shape()) || fmt.Sprint(got[0].Data()) != fmt.Sprint(want[0].Data()) {
			t.Errorf("tiles %d axis %d: %v %v, want %v %v", c.tiles, c.axis, got[0], got[0].Data(), want[0], want[0].Data())
		}
	}
	if _, err := runNode(t, node("Tile", []string{"x", "t", "a"}, []string{"y"}), 1, x, tensors.Scalar[int64](2), tensors.Scalar[int64](2)); err == nil {
		t.Error("axis 2 of a rank-2 input: no error")
	}
}
