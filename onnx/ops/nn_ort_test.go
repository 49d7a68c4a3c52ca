package ops_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/ort"
	"github.com/onnxkit/onnxkit/internal/peer"
	"github.com/onnxkit/onnxkit/onnx"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// TestNNMatchesORT runs one-node models of the neural-network family
// through onnxruntime and onnxkit and compares every output, on the
// geometry corner cases where runtimes tend to differ: asymmetric and
// automatic padding, ceil_mode, dilations, groups, Indices in both
// storage orders, broadcasting of Gemm's C and MatMul's batch axes, the
// legacy Softmax axis.

func nnOrtRand(r *rand.Rand, shape ...int) *tensors.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.Float64()*4 - 2)
	}
	t, err := tensors.New(shape, v)
	if err != nil {
		panic(err)
	}
	return t
}

// nnOrtValueInfo declares a tensor value; shape nil leaves the shape out.
func nnOrtValueInfo(name string, dt tensors.DType, shape []int) *onnxpb.ValueInfoProto {
	tt := &onnxpb.TypeProto_Tensor{ElemType: int32(dt)}
	if shape != nil {
		tt.Shape = &onnxpb.TensorShapeProto{}
		for _, d := range shape {
			tt.Shape.Dim = append(tt.Shape.Dim, &onnxpb.TensorShapeProto_Dimension{
				Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
		}
	}
	return &onnxpb.ValueInfoProto{Name: name, Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: tt}}}
}

func nnOrtInts(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INTS, Ints: v}
}

func nnOrtInt(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INT, I: proto.Int64(v)}
}

func nnOrtFloat(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_FLOAT, F: proto.Float32(v)}
}

func nnOrtStr(name, v string) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_STRING, S: []byte(v)}
}

func TestNNMatchesORT(t *testing.T) {
	if _, err := ort.Library(); err != nil {
		peer.Require(t, err)
	}
	r := rand.New(rand.NewPCG(3, 5))
	x := func(shape ...int) *tensors.Tensor { return nnOrtRand(r, shape...) }
	f32, i64, b := tensors.Float32, tensors.Int64, tensors.Bool
	type attrs = []*onnxpb.AttributeProto
	type dts = []tensors.DType
	pos := func(t *tensors.Tensor) *tensors.Tensor { // positive variances
		d := tensors.Data[float32](t.Clone())
		for i := range d {
			d[i] = d[i]*d[i] + 0.1
		}
		y, _ := tensors.New(t.Shape(), d)
		return y
	}
	cases := []struct {
		op    string
		opset int
		attrs attrs
		in    []*tensors.Tensor
		out   dts
	}{
		{"Conv", 11, attrs{nnOrtInts("pads", 0, 1, 2, 0), nnOrtInts("strides", 2, 2)}, []*tensors.Tensor{x(2, 3, 7, 6), x(4, 3, 3, 2), x(4)}, dts{f32}},
		{"Conv", 11, attrs{nnOrtStr("auto_pad", "SAME_LOWER"), nnOrtInts("strides", 2, 2)}, []*tensors.Tensor{x(1, 2, 6, 7), x(3, 2, 3, 3)}, dts{f32}},
		{"Conv", 11, attrs{nnOrtStr("auto_pad", "SAME_UPPER"), nnOrtInts("strides", 2, 3)}, []*tensors.Tensor{x(1, 2, 6, 7), x(3, 2, 2, 4)}, dts{f32}},
		// Not SAME_* padding with dilations: onnxruntime refuses it for
		// Conv and, for MaxPool, pads for the undilated kernel, so that
		// the output is not the ceil(input/stride) the standard asks for.
		{"Conv", 11, attrs{nnOrtInts("dilations", 2, 3), nnOrtInts("pads", 1, 0, 1, 2)}, []*tensors.Tensor{x(1, 2, 9, 8), x(3, 2, 3, 3), x(3)}, dts{f32}},
		{"Conv", 11, attrs{nnOrtInt("group", 4), nnOrtInts("pads", 1, 1, 1, 1)}, []*tensors.Tensor{x(2, 4, 5, 5), x(8, 1, 3, 3), x(8)}, dts{f32}},
		{"Conv", 11, attrs{nnOrtInt("group", 2), nnOrtInts("strides", 2), nnOrtInts("pads", 2, 1)}, []*tensors.Tensor{x(2, 4, 11), x(6, 2, 3), x(6)}, dts{f32}},
		{"Conv", 11, attrs{nnOrtInts("pads", 1, 0, 0, 0, 1, 1), nnOrtInts("strides", 1, 2, 1), nnOrtInts("dilations", 1, 1, 2)}, []*tensors.Tensor{x(1, 2, 4, 5, 6), x(3, 2, 2, 3, 2), x(3)}, dts{f32}},
		{"MaxPool", 12, attrs{nnOrtInts("kernel_shape", 3, 3), nnOrtInts("strides", 2, 2), nnOrtInts("pads", 1, 0, 1, 1), nnOrtInt("ceil_mode", 1)}, []*tensors.Tensor{x(1, 2, 8, 7)}, dts{f32, i64}},
		{"MaxPool", 12, attrs{nnOrtInts("kernel_shape", 2, 2), nnOrtInts("strides", 2, 2), nnOrtStr("auto_pad", "VALID"), nnOrtInt("ceil_mode", 1)}, []*tensors.Tensor{x(1, 1, 5, 7)}, dts{f32}},
		{"MaxPool", 12, attrs{nnOrtInts("kernel_shape", 3, 2), nnOrtInts("strides", 2, 2), nnOrtStr("auto_pad", "SAME_UPPER"), nnOrtInt("ceil_mode", 1)}, []*tensors.Tensor{x(1, 1, 6, 7)}, dts{f32}},
		{"MaxPool", 12, attrs{nnOrtInts("kernel_shape", 2, 3), nnOrtInts("dilations", 3, 2), nnOrtInts("pads", 1, 1, 1, 1)}, []*tensors.Tensor{x(1, 2, 7, 7)}, dts{f32, i64}},
		{"MaxPool", 12, attrs{nnOrtInts("kernel_shape", 2, 2), nnOrtInts("strides", 1, 2), nnOrtInt("storage_order", 1)}, []*tensors.Tensor{x(2, 2, 4, 5)}, dts{f32, i64}},
		{"MaxPool", 12, attrs{nnOrtInts("kernel_shape", 2, 2, 3), nnOrtInts("strides", 2, 1, 2), nnOrtInts("pads", 0, 1, 1, 1, 0, 1)}, []*tensors.Tensor{x(1, 2, 4, 5, 6)}, dts{f32, i64}},
		{"MaxPool", 8, attrs{nnOrtInts("kernel_shape", 3), nnOrtInts("strides", 2), nnOrtInts("pads", 1, 1)}, []*tensors.Tensor{x(2, 3, 9)}, dts{f32, i64}},
		{"AveragePool", 11, attrs{nnOrtInts("kernel_shape", 3, 3), nnOrtInts("strides", 2, 2), nnOrtInts("pads", 1, 1, 1, 0), nnOrtInt("ceil_mode", 1), nnOrtInt("count_include_pad", 1)}, []*tensors.Tensor{x(1, 2, 8, 7)}, dts{f32}},
		{"AveragePool", 11, attrs{nnOrtInts("kernel_shape", 3, 3), nnOrtInts("strides", 2, 2), nnOrtInts("pads", 1, 1, 1, 0), nnOrtInt("ceil_mode", 1)}, []*tensors.Tensor{x(1, 2, 8, 7)}, dts{f32}},
		{"AveragePool", 11, attrs{nnOrtInts("kernel_shape", 2, 3), nnOrtInts("strides", 2, 2), nnOrtStr("auto_pad", "SAME_LOWER"), nnOrtInt("count_include_pad", 1)}, []*tensors.Tensor{x(1, 1, 5, 6)}, dts{f32}},
		{"AveragePool", 11, attrs{nnOrtInts("kernel_shape", 3, 2), nnOrtInts("strides", 2, 2), nnOrtStr("auto_pad", "VALID"), nnOrtInt("ceil_mode", 1), nnOrtInt("count_include_pad", 1)}, []*tensors.Tensor{x(1, 2, 6, 7)}, dts{f32}},
		{"AveragePool", 10, attrs{nnOrtInts("kernel_shape", 2, 2, 2), nnOrtInts("pads", 1, 0, 1, 0, 1, 0)}, []*tensors.Tensor{x(1, 2, 3, 4, 5)}, dts{f32}},
		{"GlobalAveragePool", 1, nil, []*tensors.Tensor{x(2, 3, 4, 5)}, dts{f32}},
		// One and three spatial axes for every windowed operator.
		{"Conv", 11, attrs{nnOrtInts("dilations", 2), nnOrtInts("pads", 0, 2)}, []*tensors.Tensor{x(2, 3, 9), x(4, 3, 3), x(4)}, dts{f32}},
		{"Conv", 11, attrs{nnOrtStr("auto_pad", "SAME_UPPER"), nnOrtInts("strides", 3)}, []*tensors.Tensor{x(1, 2, 10), x(3, 2, 4)}, dts{f32}},
		{"Conv", 11, attrs{nnOrtInt("group", 2), nnOrtInts("strides", 2, 1, 2), nnOrtInts("pads", 1, 1, 0, 0, 1, 1)}, []*tensors.Tensor{x(2, 4, 5, 4, 6), x(6, 2, 3, 2, 3), x(6)}, dts{f32}},
		{"MaxPool", 12, attrs{nnOrtInts("kernel_shape", 3), nnOrtInts("strides", 2), nnOrtInts("dilations", 2), nnOrtInt("ceil_mode", 1)}, []*tensors.Tensor{x(2, 3, 10)}, dts{f32, i64}},
		{"MaxPool", 12, attrs{nnOrtInts("kernel_shape", 2, 3, 2), nnOrtStr("auto_pad", "SAME_UPPER"), nnOrtInts("strides", 2, 2, 1)}, []*tensors.Tensor{x(1, 2, 5, 6, 3)}, dts{f32, i64}},
		{"AveragePool", 11, attrs{nnOrtInts("kernel_shape", 3), nnOrtInts("strides", 2), nnOrtInts("pads", 1, 1)}, []*tensors.Tensor{x(2, 3, 9)}, dts{f32}},
		{"AveragePool", 11, attrs{nnOrtInts("kernel_shape", 4), nnOrtInts("strides", 3), nnOrtInts("pads", 1, 2), nnOrtInt("ceil_mode", 1), nnOrtInt("count_include_pad", 1)}, []*tensors.Tensor{x(1, 2, 11)}, dts{f32}},
		{"AveragePool", 11, attrs{nnOrtInts("kernel_shape", 2, 3, 2), nnOrtInts("strides", 2, 1, 2), nnOrtInts("pads", 1, 1, 0, 0, 1, 1), nnOrtInt("count_include_pad", 1)}, []*tensors.Tensor{x(1, 2, 4, 5, 6)}, dts{f32}},
		{"LpPool", 11, attrs{nnOrtInts("kernel_shape", 3), nnOrtInts("strides", 2), nnOrtInts("pads", 1, 0)}, []*tensors.Tensor{x(2, 3, 8)}, dts{f32}},
		{"LpPool", 11, attrs{nnOrtInts("kernel_shape", 2, 2), nnOrtInt("p", 3)}, []*tensors.Tensor{x(1, 2, 5, 4)}, dts{f32}},
		{"LpPool", 11, attrs{nnOrtInts("kernel_shape", 2, 2, 3), nnOrtInts("strides", 1, 2, 2), nnOrtInt("p", 1)}, []*tensors.Tensor{x(1, 2, 4, 5, 6)}, dts{f32}},
		{"LpPool", 11, attrs{nnOrtInts("kernel_shape", 2, 3, 2), nnOrtStr("auto_pad", "SAME_UPPER"), nnOrtInts("strides", 2, 2, 2)}, []*tensors.Tensor{x(1, 1, 5, 4, 3)}, dts{f32}},
		{"GlobalAveragePool", 1, nil, []*tensors.Tensor{x(2, 3, 7)}, dts{f32}},
		{"GlobalAveragePool", 1, nil, []*tensors.Tensor{x(2, 3, 2, 4, 5)}, dts{f32}},
		{"GlobalMaxPool", 1, nil, []*tensors.Tensor{x(2, 3, 2, 4, 5)}, dts{f32}},
		{"GlobalLpPool", 2, nil, []*tensors.Tensor{x(2, 3, 7)}, dts{f32}},
		{"GlobalLpPool", 2, attrs{nnOrtInt("p", 3)}, []*tensors.Tensor{x(2, 3, 4, 5)}, dts{f32}},
		{"GlobalLpPool", 2, attrs{nnOrtInt("p", 1)}, []*tensors.Tensor{x(1, 3, 2, 4, 5)}, dts{f32}},
		{"ConvTranspose", 11, attrs{nnOrtInts("strides", 2), nnOrtInts("pads", 1, 0), nnOrtInts("output_padding", 1)}, []*tensors.Tensor{x(2, 3, 6), x(3, 4, 3), x(4)}, dts{f32}},
		{"ConvTranspose", 11, attrs{nnOrtInt("group", 2), nnOrtInts("dilations", 2)}, []*tensors.Tensor{x(1, 4, 5), x(4, 3, 3)}, dts{f32}},
		{"ConvTranspose", 11, attrs{nnOrtInts("strides", 2, 2), nnOrtInts("pads", 1, 0, 0, 1)}, []*tensors.Tensor{x(1, 2, 4, 5), x(2, 3, 3, 3), x(3)}, dts{f32}},
		{"ConvTranspose", 11, attrs{nnOrtInts("strides", 2, 1, 2), nnOrtInts("pads", 0, 1, 1, 1, 0, 0)}, []*tensors.Tensor{x(1, 2, 3, 4, 3), x(2, 3, 2, 3, 3), x(3)}, dts{f32}},
		{"ConvTranspose", 11, attrs{nnOrtInt("group", 2), nnOrtStr("auto_pad", "SAME_UPPER"), nnOrtInts("strides", 2, 2, 2)}, []*tensors.Tensor{x(2, 4, 2, 3, 2), x(4, 1, 3, 2, 3)}, dts{f32}},
		{"ConvTranspose", 11, attrs{nnOrtInts("output_shape", 5, 6, 3), nnOrtInts("strides", 2, 2, 2)}, []*tensors.Tensor{x(1, 2, 3, 3, 2), x(2, 2, 2, 3, 2)}, dts{f32}},
		{"GlobalMaxPool", 1, nil, []*tensors.Tensor{x(2, 3, 5)}, dts{f32}},
		{"BatchNormalization", 9, attrs{nnOrtFloat("epsilon", 1e-3)}, []*tensors.Tensor{x(2, 3, 4, 5), x(3), x(3), x(3), pos(x(3))}, dts{f32}},
		{"BatchNormalization", 15, nil, []*tensors.Tensor{x(4, 3), x(3), x(3), x(3), pos(x(3))}, dts{f32}},
		{"BatchNormalization", 15, attrs{nnOrtInt("training_mode", 1), nnOrtFloat("momentum", 0.8)}, []*tensors.Tensor{x(4, 3, 2, 2), x(3), x(3), x(3), pos(x(3))}, dts{f32, f32, f32}},
		{"Gemm", 13, attrs{nnOrtInt("transA", 1), nnOrtFloat("alpha", 0.5), nnOrtFloat("beta", 2)}, []*tensors.Tensor{x(4, 3), x(4, 5), x(5)}, dts{f32}},
		{"Gemm", 13, attrs{nnOrtInt("transB", 1)}, []*tensors.Tensor{x(3, 4), x(5, 4), x(3, 1)}, dts{f32}},
		{"Gemm", 11, attrs{nnOrtInt("transA", 1), nnOrtInt("transB", 1)}, []*tensors.Tensor{x(4, 3), x(5, 4)}, dts{f32}},
		{"Gemm", 9, nil, []*tensors.Tensor{x(3, 4), x(4, 5), x()}, dts{f32}},
		{"MatMul", 13, nil, []*tensors.Tensor{x(2, 1, 3, 4), x(5, 4, 2)}, dts{f32}},
		{"MatMul", 13, nil, []*tensors.Tensor{x(4), x(2, 4, 5)}, dts{f32}},
		{"MatMul", 9, nil, []*tensors.Tensor{x(2, 3, 4), x(4)}, dts{f32}},
		{"MatMul", 13, nil, []*tensors.Tensor{x(2, 3, 64), x(64, 70)}, dts{f32}},
		{"Softmax", 11, attrs{nnOrtInt("axis", 1)}, []*tensors.Tensor{x(2, 3, 4)}, dts{f32}},
		{"Softmax", 13, attrs{nnOrtInt("axis", 1)}, []*tensors.Tensor{x(2, 3, 4)}, dts{f32}},
		{"LogSoftmax", 11, nil, []*tensors.Tensor{x(2, 3, 4)}, dts{f32}},
		{"LogSoftmax", 13, attrs{nnOrtInt("axis", 0)}, []*tensors.Tensor{x(2, 3, 4)}, dts{f32}},
		{"Hardmax", 11, attrs{nnOrtInt("axis", 1)}, []*tensors.Tensor{x(2, 3, 4)}, dts{f32}},
		{"Hardmax", 13, nil, []*tensors.Tensor{x(2, 3, 4)}, dts{f32}},
		{"Dropout", 13, nil, []*tensors.Tensor{x(2, 3)}, dts{f32, b}},
		// Not the mask of versions 7 to 10: onnxruntime fills it with
		// false (nothing dropped), onnxkit, like the ONNX reference
		// implementation and versions 12 and 13, with true (all kept).
		{"Dropout", 10, attrs{nnOrtFloat("ratio", 0.3)}, []*tensors.Tensor{x(2, 3)}, dts{f32}},
	}
	dir := t.TempDir()
	for ci, c := range cases {
		name := fmt.Sprintf("%s-%d %v", c.op, c.opset, c.in)
		g := &onnxpb.GraphProto{Name: c.op}
		in := make([]string, len(c.in))
		feeds := map[string]*tensor.Dense{}
		for i, v := range c.in {
			in[i] = fmt.Sprintf("x%d", i)
			g.Input = append(g.Input, nnOrtValueInfo(in[i], v.DType(), v.Shape()))
			d, err := onnx.ToDense(v)
			if err != nil {
				t.Fatal(err)
			}
			feeds[in[i]] = d
		}
		out := make([]string, len(c.out))
		for i, dt := range c.out {
			out[i] = fmt.Sprintf("y%d", i)
			g.Output = append(g.Output, nnOrtValueInfo(out[i], dt, nil))
		}
		g.Node = []*onnxpb.NodeProto{{OpType: c.op, Input: in, Output: out, Attribute: c.attrs}}
		mp := &onnxpb.ModelProto{IrVersion: 7, OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: int64(c.opset)}}, Graph: g}
		bs, err := proto.Marshal(mp)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("%d-%s.onnx", ci, c.op))
		if err := os.WriteFile(path, bs, 0o644); err != nil {
			t.Fatal(err)
		}
		got, want, ok := runWithORT(t, name, path, feeds)
		if !ok {
			continue
		}
		for _, o := range out {
			gt, err1 := onnx.FromDense(got[o])
			wt, err2 := onnx.FromDense(want[o])
			if err1 != nil || err2 != nil {
				t.Fatalf("%s output %s: %v %v", name, o, err1, err2)
			}
			if gt.DType() != wt.DType() || !tensors.SameShape(gt.Shape(), wt.Shape()) {
				t.Errorf("%s output %s: got %v, onnxruntime %v", name, o, gt, wt)
				continue
			}
			gv, _ := tensors.AsFloat64s(gt)
			wv, _ := tensors.AsFloat64s(wt)
			for i := range wv {
				a, e := gv[i], wv[i]
				if !(a == e || math.Abs(a-e) <= 1e-6+1e-5*math.Abs(e)) {
					t.Errorf("%s output %s: element %d is %g, onnxruntime %g", name, o, i, a, e)
					break
				}
			}
		}
	}
}
