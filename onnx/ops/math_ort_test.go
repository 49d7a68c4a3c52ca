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

// TestElementwiseMatchesORT runs one-node models of the elementwise
// family through onnxruntime and onnxkit and compares the outputs, over
// inputs where the operators' results are defined (no integer overflow,
// no out-of-range float to integer casts, where onnxruntime's results
// depend on the CPU).

// ewGen fills a tensor of the given type and shape with values from
// [lo, hi) (integers: rounded toward zero).
func ewGen(r *rand.Rand, dt tensors.DType, shape []int, lo, hi float64) *tensors.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = lo + (hi-lo)*r.Float64()
	}
	var t *tensors.Tensor
	var err error
	switch dt {
	case tensors.Float32:
		t, err = tensors.New(shape, ewConv[float32](v))
	case tensors.Float64:
		t, err = tensors.New(shape, v)
	case tensors.Int8:
		t, err = tensors.New(shape, ewConv[int8](v))
	case tensors.Uint8:
		t, err = tensors.New(shape, ewConv[uint8](v))
	case tensors.Int32:
		t, err = tensors.New(shape, ewConv[int32](v))
	case tensors.Int64:
		t, err = tensors.New(shape, ewConv[int64](v))
	case tensors.Bool:
		b := make([]bool, n)
		for i := range b {
			b[i] = v[i] > (lo+hi)/2
		}
		t, err = tensors.New(shape, b)
	default:
		panic(fmt.Sprintf("ewGen: %v", dt))
	}
	if err != nil {
		panic(err)
	}
	return t
}

func ewConv[T float32 | int8 | uint8 | int32 | int64](v []float64) []T {
	out := make([]T, len(v))
	for i, x := range v {
		out[i] = T(x)
	}
	return out
}

func ewValueInfo(name string, dt tensors.DType, shape []int) *onnxpb.ValueInfoProto {
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

// ewModelFile writes a model with one node of type op and returns its path
// and the names of its inputs.
func ewModelFile(t *testing.T, dir string, index int, op string, opset int, attrs []*onnxpb.AttributeProto, in []*tensors.Tensor, out tensors.DType) (string, []string) {
	t.Helper()
	g := &onnxpb.GraphProto{Name: op}
	names := make([]string, len(in))
	for i, x := range in {
		names[i] = fmt.Sprintf("x%d", i)
		g.Input = append(g.Input, ewValueInfo(names[i], x.DType(), x.Shape()))
	}
	g.Output = []*onnxpb.ValueInfoProto{ewValueInfo("y", out, nil)}
	g.Node = []*onnxpb.NodeProto{{OpType: op, Input: names, Output: []string{"y"}, Attribute: attrs}}
	m := &onnxpb.ModelProto{IrVersion: 7, OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: int64(opset)}}, Graph: g}
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("%d-%s-%d.onnx", index, op, opset))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, names
}

func ewAttrF(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_FLOAT, F: proto.Float32(v)}
}

func ewAttrI(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INT, I: proto.Int64(v)}
}

func TestElementwiseMatchesORT(t *testing.T) {
	if _, err := ort.Library(); err != nil {
		peer.Require(t, err)
	}
	r := rand.New(rand.NewPCG(7, 11))
	f32, f64, i8, u8, i32, i64 := tensors.Float32, tensors.Float64, tensors.Int8, tensors.Uint8, tensors.Int32, tensors.Int64
	g := func(dt tensors.DType, lo, hi float64, shape ...int) *tensors.Tensor {
		return ewGen(r, dt, shape, lo, hi)
	}
	withNaN := func(x *tensors.Tensor) *tensors.Tensor {
		d := tensors.Data[float32](x.Clone())
		for i := 0; i < len(d); i += 3 {
			d[i] = float32(math.NaN())
		}
		y, err := tensors.New(x.Shape(), d)
		if err != nil {
			t.Fatal(err)
		}
		return y
	}
	type attrs = []*onnxpb.AttributeProto
	cases := []struct {
		op    string
		opset int
		attrs attrs
		in    []*tensors.Tensor
	}{
		{"Sub", 7, nil, []*tensors.Tensor{g(f32, -5, 5, 2, 3, 4), g(f32, -5, 5, 4)}},
		{"Sub", 14, nil, []*tensors.Tensor{g(i64, -1e6, 1e6, 3, 1), g(i64, -1e6, 1e6, 1, 4)}},
		{"Mul", 13, nil, []*tensors.Tensor{g(f64, -5, 5, 3, 1), g(f64, -5, 5, 1, 4)}},
		{"Mul", 14, nil, []*tensors.Tensor{g(i32, -1000, 1000, 2, 3, 4), g(i32, -1000, 1000)}},
		{"Div", 7, nil, []*tensors.Tensor{g(f32, -5, 5, 2, 3, 4), g(f32, 0.5, 3, 3, 1)}},
		{"Div", 14, nil, []*tensors.Tensor{g(i32, -1000, 1000, 4, 5), g(i32, 1, 30, 5)}},
		{"Div", 13, nil, []*tensors.Tensor{g(i64, -1000, 1000, 4, 5), g(i64, -30, -1, 4, 1)}},
		{"Pow", 7, nil, []*tensors.Tensor{g(f32, 0.1, 3, 2, 3), g(f32, -2, 2, 3)}},
		{"Pow", 12, nil, []*tensors.Tensor{g(f32, -3, 3, 2, 3), g(i64, -3, 4, 3)}},
		{"Pow", 13, nil, []*tensors.Tensor{g(i32, -9, 9, 4, 3), g(i32, 0, 6, 3)}},
		{"Pow", 15, nil, []*tensors.Tensor{g(i64, 1, 9, 4, 3), g(f32, 0, 3, 4, 1)}},
		{"Pow", 15, nil, []*tensors.Tensor{g(f64, 0.1, 5, 6), g(f64, -3, 3, 6)}},
		{"Sqrt", 13, nil, []*tensors.Tensor{g(f32, 0, 100, 3, 4)}},
		{"Exp", 13, nil, []*tensors.Tensor{g(f32, -20, 20, 3, 4)}},
		{"Log", 13, nil, []*tensors.Tensor{g(f64, 0.001, 100, 3, 4)}},
		{"Neg", 13, nil, []*tensors.Tensor{g(i8, -100, 100, 3, 4)}},
		{"Abs", 13, nil, []*tensors.Tensor{g(f32, -10, 10, 3, 4)}},
		{"Abs", 13, nil, []*tensors.Tensor{g(i32, -10, 10, 3, 4)}},
		{"Reciprocal", 13, nil, []*tensors.Tensor{g(f32, 0.5, 10, 12)}},
		{"Floor", 13, nil, []*tensors.Tensor{g(f32, -10, 10, 12)}},
		{"Ceil", 13, nil, []*tensors.Tensor{g(f64, -10, 10, 12)}},
		{"Sign", 13, nil, []*tensors.Tensor{g(i64, -3, 3, 12)}},
		{"Sin", 7, nil, []*tensors.Tensor{g(f32, -10, 10, 12)}},
		{"Cos", 7, nil, []*tensors.Tensor{g(f32, -10, 10, 12)}},
		{"Relu", 14, nil, []*tensors.Tensor{g(f32, -3, 3, 12)}},
		{"Sigmoid", 13, nil, []*tensors.Tensor{g(f32, -15, 15, 5, 6)}},
		{"Tanh", 13, nil, []*tensors.Tensor{g(f32, -5, 5, 5, 6)}},
		{"LeakyRelu", 16, attrs{ewAttrF("alpha", 0.3)}, []*tensors.Tensor{g(f32, -5, 5, 5, 6)}},
		{"Elu", 6, attrs{ewAttrF("alpha", 0.5)}, []*tensors.Tensor{g(f32, -5, 5, 5, 6)}},
		{"Selu", 6, nil, []*tensors.Tensor{g(f32, -5, 5, 5, 6)}},
		{"HardSigmoid", 6, attrs{ewAttrF("alpha", 0.3), ewAttrF("beta", 0.4)}, []*tensors.Tensor{g(f32, -5, 5, 5, 6)}},
		{"Sum", 8, nil, []*tensors.Tensor{g(f32, -5, 5, 2, 3, 4), g(f32, -5, 5, 4), g(f32, -5, 5, 3, 1)}},
		{"Sum", 13, nil, []*tensors.Tensor{g(f64, -5, 5, 3, 4)}},
		{"Mean", 13, nil, []*tensors.Tensor{g(f32, -5, 5, 3, 1), g(f32, -5, 5, 1, 4), g(f32, -5, 5)}},
		{"Max", 8, nil, []*tensors.Tensor{withNaN(g(f32, -5, 5, 2, 6)), g(f32, -5, 5, 6)}},
		{"Min", 13, nil, []*tensors.Tensor{g(f32, -5, 5, 2, 6), withNaN(g(f32, -5, 5, 2, 6))}},
		{"Max", 12, nil, []*tensors.Tensor{g(i32, -50, 50, 3, 4), g(i32, -50, 50, 4), g(i32, -50, 50, 3, 1)}},
		{"Min", 13, nil, []*tensors.Tensor{g(i64, -50, 50, 3, 4), g(i64, -50, 50, 1)}},
		{"Clip", 6, attrs{ewAttrF("min", -1), ewAttrF("max", 2)}, []*tensors.Tensor{g(f32, -5, 5, 4, 5)}},
		{"Clip", 11, nil, []*tensors.Tensor{g(f32, -5, 5, 4, 5), tensors.Scalar[float32](-0.5), tensors.Scalar[float32](0.5)}},
		{"Clip", 12, nil, []*tensors.Tensor{g(i32, -50, 50, 4, 5), tensors.Scalar[int32](-7), tensors.Scalar[int32](9)}},
		{"Clip", 13, nil, []*tensors.Tensor{g(i8, -100, 100, 4, 5), tensors.Scalar[int8](3), tensors.Scalar[int8](-3)}},
		{"Cast", 13, attrs{ewAttrI("to", int64(tensors.Int32))}, []*tensors.Tensor{g(f32, -1e6, 1e6, 4, 5)}},
		{"Cast", 9, attrs{ewAttrI("to", int64(tensors.Uint8))}, []*tensors.Tensor{g(f64, 0, 255.9, 4, 5)}},
		{"Cast", 13, attrs{ewAttrI("to", int64(tensors.Float32))}, []*tensors.Tensor{g(f64, -1e6, 1e6, 4, 5)}},
		{"Cast", 13, attrs{ewAttrI("to", int64(tensors.Float32))}, []*tensors.Tensor{g(i64, -1e15, 1e15, 4, 5)}},
		{"Cast", 6, attrs{ewAttrI("to", int64(tensors.Int8))}, []*tensors.Tensor{g(i32, -1000, 1000, 4, 5)}},
		{"Cast", 13, attrs{ewAttrI("to", int64(tensors.Bool))}, []*tensors.Tensor{g(i32, -2, 3, 4, 5)}},
		{"Cast", 13, attrs{ewAttrI("to", int64(tensors.Float64))}, []*tensors.Tensor{g(tensors.Bool, 0, 1, 4, 5)}},
		{"Cast", 13, attrs{ewAttrI("to", int64(tensors.Int64))}, []*tensors.Tensor{g(u8, 0, 255, 4, 5)}},
		{"BitwiseAnd", 18, nil, []*tensors.Tensor{g(i32, -1e6, 1e6, 3, 4), g(i32, -1e6, 1e6, 4)}},
		{"BitwiseOr", 18, nil, []*tensors.Tensor{g(u8, 0, 255, 3, 4), g(u8, 0, 255, 3, 1)}},
		{"BitwiseXor", 18, nil, []*tensors.Tensor{g(i64, -1e15, 1e15, 2, 6), g(i64, -1e15, 1e15, 2, 6)}},
		{"BitwiseNot", 18, nil, []*tensors.Tensor{g(i8, -128, 127, 3, 4)}},
	}
	dir := t.TempDir()
	for ci, c := range cases {
		name := fmt.Sprintf("%s-%d%v", c.op, c.opset, c.in)
		outType := c.in[0].DType()
		for _, a := range c.attrs {
			if c.op == "Cast" && a.GetName() == "to" {
				outType = tensors.DType(a.GetI())
			}
		}
		path, names := ewModelFile(t, dir, ci, c.op, c.opset, c.attrs, c.in, outType)
		feeds := map[string]*tensor.Dense{}
		for i, x := range c.in {
			d, err := onnx.ToDense(x)
			if err != nil {
				t.Fatal(err)
			}
			feeds[names[i]] = d
		}
		got, want, ok := runWithORT(t, name, path, feeds)
		if !ok {
			continue
		}
		gt, err1 := onnx.FromDense(got["y"])
		wt, err2 := onnx.FromDense(want["y"])
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", name, err1, err2)
		}
		if gt.DType() != wt.DType() || !tensors.SameShape(gt.Shape(), wt.Shape()) {
			t.Errorf("%s: got %v, onnxruntime %v", name, gt, wt)
			continue
		}
		gv, _ := tensors.AsFloat64s(gt)
		wv, _ := tensors.AsFloat64s(wt)
		for i := range wv {
			a, b := gv[i], wv[i]
			ok := a == b || (math.IsNaN(a) && math.IsNaN(b)) || math.Abs(a-b) <= 1e-6+1e-5*math.Abs(b)
			if !ok || (wt.DType() != tensors.Float32 && wt.DType() != tensors.Float64 && a != b) {
				t.Errorf("%s: element %d is %g, onnxruntime %g", name, i, a, b)
				break
			}
		}
	}
}
