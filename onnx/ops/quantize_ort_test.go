package ops_test

import (
	"fmt"
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

// qModelFile writes a one-node model whose first input is fed and whose
// other inputs are initializers; domain "com.microsoft" imports it too.
func qModelFile(t *testing.T, dir string, index int, domain, op string, opset int, attrs []*onnxpb.AttributeProto, in []*tensors.Tensor, out tensors.DType) string {
	t.Helper()
	g := &onnxpb.GraphProto{Name: op}
	names := make([]string, len(in))
	for i, x := range in {
		if x == nil {
			continue
		}
		names[i] = fmt.Sprintf("x%d", i)
		if i == 0 {
			g.Input = append(g.Input, ewValueInfo(names[i], x.DType(), x.Shape()))
		} else {
			g.Initializer = append(g.Initializer, tensors.ToProto(names[i], x))
		}
	}
	g.Output = []*onnxpb.ValueInfoProto{ewValueInfo("y", out, nil)}
	outs := []string{"y"}
	if op == "DynamicQuantizeLinear" {
		outs = append(outs, "y_scale", "y_zero_point")
		g.Output = append(g.Output, ewValueInfo("y_scale", tensors.Float32, []int{}), ewValueInfo("y_zero_point", tensors.Uint8, []int{}))
	}
	g.Node = []*onnxpb.NodeProto{{OpType: op, Domain: domain, Input: names, Output: outs, Attribute: attrs}}
	imports := []*onnxpb.OperatorSetIdProto{{Version: int64(opset)}}
	if domain != "" {
		imports = []*onnxpb.OperatorSetIdProto{{Version: 13}, {Domain: domain, Version: 1}}
	}
	m := &onnxpb.ModelProto{IrVersion: 7, OpsetImport: imports, Graph: g}
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("%d-%s.onnx", index, op))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestQuantizedMatchORT runs one-node models of the quantized operators
// through onnxruntime and onnxkit: every output element must be equal.
func TestQuantizedMatchORT(t *testing.T) {
	if _, err := ort.Library(); err != nil {
		peer.Require(t, err)
	}
	r := rand.New(rand.NewPCG(3, 5))
	f32, i8, u8, i32 := tensors.Float32, tensors.Int8, tensors.Uint8, tensors.Int32
	g := func(dt tensors.DType, lo, hi float64, shape ...int) *tensors.Tensor {
		return ewGen(r, dt, shape, lo, hi)
	}
	sc := func(v ...float32) *tensors.Tensor {
		if len(v) == 1 {
			return tensors.Scalar(v[0])
		}
		return tensors.Vector(v...)
	}
	// Values on exact halves of the scale test rounding ties to even.
	ties, err := tensors.New([]int{2, 4}, []float32{0.25, 0.75, -0.25, -0.75, 1.25, 300, -300, 0})
	if err != nil {
		t.Fatal(err)
	}
	type attrs = []*onnxpb.AttributeProto
	ms := "com.microsoft"
	cases := []struct {
		domain, op string
		opset      int
		attrs      attrs
		in         []*tensors.Tensor
		out        tensors.DType
	}{
		{"", "QuantizeLinear", 13, nil, []*tensors.Tensor{ties, sc(0.5), tensors.Scalar[uint8](10)}, u8},
		{"", "QuantizeLinear", 10, nil, []*tensors.Tensor{ties, sc(0.5), tensors.Scalar[int8](-3)}, i8},
		{"", "QuantizeLinear", 13, attrs{ewAttrI("axis", 1)}, []*tensors.Tensor{g(f32, -10, 10, 2, 3, 4), sc(0.1, 0.05, 0.2), tensors.Vector[int8](0, 5, -7)}, i8},
		{"", "QuantizeLinear", 13, attrs{ewAttrI("axis", -1)}, []*tensors.Tensor{g(f32, -10, 10, 2, 3, 4), sc(0.1, 0.05, 0.2, 1), tensors.Vector[uint8](0, 5, 128, 255)}, u8},
		{"", "DequantizeLinear", 13, attrs{ewAttrI("axis", 0)}, []*tensors.Tensor{g(i8, -128, 127, 3, 5), sc(0.1, 0.03, 2), tensors.Vector[int8](1, -2, 3)}, f32},
		{"", "DequantizeLinear", 10, nil, []*tensors.Tensor{g(u8, 0, 255, 3, 5), sc(0.07), tensors.Scalar[uint8](128)}, f32},
		{"", "DequantizeLinear", 10, nil, []*tensors.Tensor{g(u8, 0, 255, 3, 57), sc(0.07), tensors.Scalar[uint8](128)}, f32},
		{"", "DequantizeLinear", 13, attrs{ewAttrI("axis", 1)}, []*tensors.Tensor{g(u8, 0, 255, 2, 3, 40), sc(0.1, 0.03, 2), tensors.Vector[uint8](1, 200, 3)}, f32},
		{"", "DequantizeLinear", 13, nil, []*tensors.Tensor{g(i32, -1e5, 1e5, 7), sc(0.07)}, f32},
		{"", "DynamicQuantizeLinear", 11, nil, []*tensors.Tensor{g(f32, -3, 7, 4, 6)}, u8},
		{"", "MatMulInteger", 10, nil, []*tensors.Tensor{g(u8, 0, 255, 2, 3, 5), g(i8, -128, 127, 5, 4), tensors.Scalar[uint8](12), tensors.Scalar[int8](-3)}, i32},
		{"", "QLinearMatMul", 10, nil, []*tensors.Tensor{g(u8, 0, 255, 3, 17), sc(0.02), tensors.Scalar[uint8](120), g(u8, 0, 255, 17, 6), sc(0.01), tensors.Scalar[uint8](130), sc(0.3), tensors.Scalar[uint8](100)}, u8},
		{"", "QLinearMatMul", 10, nil, []*tensors.Tensor{g(i8, -128, 127, 2, 3, 40), sc(0.02), tensors.Scalar[int8](-5), g(i8, -128, 127, 40, 6), sc(0.01), tensors.Scalar[int8](0), sc(0.2), tensors.Scalar[int8](3)}, i8},
		{"", "ConvInteger", 10, attrs{ewAttrIs("pads", 1, 1, 1, 1)}, []*tensors.Tensor{g(u8, 0, 255, 1, 2, 5, 5), g(u8, 0, 255, 3, 2, 3, 3), tensors.Scalar[uint8](100), tensors.Scalar[uint8](90)}, i32},
		{"", "QLinearConv", 10, attrs{ewAttrIs("pads", 1, 1, 1, 1), ewAttrIs("strides", 2, 1)}, []*tensors.Tensor{
			g(u8, 0, 255, 2, 4, 7, 6), sc(0.03), tensors.Scalar[uint8](110), g(i8, -128, 127, 5, 4, 3, 3), sc(0.01, 0.02, 0.005, 0.03, 0.01),
			tensors.Vector[int8](0, 0, 0, 0, 0), sc(0.5), tensors.Scalar[uint8](120), g(i32, -5000, 5000, 5)}, u8},
		{"", "QLinearConv", 10, attrs{ewAttrI("group", 2), ewAttrIs("dilations", 2, 2)}, []*tensors.Tensor{
			g(i8, -128, 127, 1, 4, 8, 8), sc(0.03), tensors.Scalar[int8](-10), g(i8, -128, 127, 6, 2, 2, 2), sc(0.02),
			tensors.Scalar[int8](0), sc(0.4), tensors.Scalar[int8](5)}, i8},
		{"", "QLinearConv", 10, nil, []*tensors.Tensor{
			g(u8, 0, 255, 2, 96, 1, 1), sc(0.03), tensors.Scalar[uint8](20), g(i8, -128, 127, 24, 96, 1, 1), sc(0.01),
			tensors.Scalar[int8](0), sc(4), tensors.Scalar[uint8](0), g(i32, -5000, 5000, 24)}, u8},
		{"", "QLinearConv", 10, nil, []*tensors.Tensor{
			g(u8, 250, 255, 1, 576, 1, 1), sc(0.03), tensors.Scalar[uint8](0), g(i8, 120, 127, 8, 576, 1, 1), sc(0.01),
			tensors.Scalar[int8](0), sc(400), tensors.Scalar[uint8](0)}, u8},
		// uint8 × int8 with zero point 0: the 8-bit GEMM, edges of its
		// 8×32 tiles and 4-deep k-quads; depthwise (one channel a group).
		{"", "QLinearConv", 10, attrs{ewAttrIs("pads", 1, 1, 1, 1)}, []*tensors.Tensor{
			g(u8, 0, 255, 1, 19, 13, 11), sc(0.03), tensors.Scalar[uint8](37), g(i8, -128, 127, 21, 19, 3, 3), sc(0.01),
			tensors.Scalar[int8](0), sc(2), tensors.Scalar[uint8](3), g(i32, -5000, 5000, 21)}, u8},
		{"", "QLinearConv", 10, attrs{ewAttrI("group", 3), ewAttrIs("strides", 2, 2), ewAttrIs("pads", 0, 1, 2, 1)}, []*tensors.Tensor{
			g(u8, 0, 255, 2, 6, 15, 17), sc(0.03), tensors.Scalar[uint8](200), g(i8, -128, 127, 9, 2, 3, 2), sc(0.01, 0.02, 0.005, 0.03, 0.01, 0.01, 0.02, 0.005, 0.03),
			tensors.Scalar[int8](0), sc(0.7), tensors.Scalar[uint8](128)}, u8},
		{"", "QLinearConv", 10, attrs{ewAttrI("group", 5), ewAttrIs("strides", 2, 2), ewAttrIs("pads", 1, 1, 1, 1)}, []*tensors.Tensor{
			g(u8, 0, 255, 2, 5, 14, 9), sc(0.03), tensors.Scalar[uint8](90), g(i8, -128, 127, 5, 1, 3, 3), sc(0.01, 0.02, 0.005, 0.03, 0.01),
			tensors.Vector[int8](0, 0, 0, 0, 0), sc(0.2), tensors.Scalar[uint8](10), g(i32, -5000, 5000, 5)}, u8},
		{"", "QLinearConv", 10, attrs{ewAttrI("group", 4), ewAttrIs("dilations", 2, 1), ewAttrIs("pads", 2, 2, 2, 2)}, []*tensors.Tensor{
			g(u8, 0, 255, 1, 4, 6, 40), sc(0.03), tensors.Scalar[uint8](255), g(i8, -128, 127, 4, 1, 5, 5), sc(0.01),
			tensors.Scalar[int8](0), sc(1.5), tensors.Scalar[uint8](0)}, u8},
		{"", "QLinearConv", 10, attrs{ewAttrI("group", 3), ewAttrIs("strides", 2, 2), ewAttrIs("pads", 1, 1, 1, 1)}, []*tensors.Tensor{
			g(u8, 0, 255, 1, 3, 9, 70), sc(0.03), tensors.Scalar[uint8](77), g(i8, -128, 127, 3, 1, 3, 3), sc(0.01, 0.02, 0.005),
			tensors.Vector[int8](0, 0, 0), sc(0.3), tensors.Scalar[uint8](120), g(i32, -5000, 5000, 3)}, u8},
		{ms, "QLinearAdd", 1, nil, []*tensors.Tensor{g(u8, 0, 255, 2, 7, 45), sc(0.05), tensors.Scalar[uint8](128), g(u8, 0, 255, 2, 7, 45), sc(0.02), tensors.Scalar[uint8](100), sc(0.07), tensors.Scalar[uint8](90)}, u8},
		{ms, "QLinearAdd", 1, nil, []*tensors.Tensor{g(u8, 0, 255, 2, 3, 4), sc(0.05), tensors.Scalar[uint8](128), g(u8, 0, 255, 4), sc(0.02), tensors.Scalar[uint8](100), sc(0.07), tensors.Scalar[uint8](90)}, u8},
		{ms, "QLinearAdd", 1, nil, []*tensors.Tensor{g(i8, -128, 127, 2, 3, 4), sc(0.05), tensors.Scalar[int8](1), g(i8, -128, 127, 2, 3, 4), sc(0.02), tensors.Scalar[int8](-1), sc(0.07), tensors.Scalar[int8](0)}, i8},
		{ms, "QLinearMul", 1, nil, []*tensors.Tensor{g(u8, 0, 255, 2, 3, 4), sc(0.05), tensors.Scalar[uint8](128), g(u8, 0, 255, 3, 1), sc(0.02), tensors.Scalar[uint8](100), sc(0.07), tensors.Scalar[uint8](90)}, u8},
		{ms, "QLinearGlobalAveragePool", 1, nil, []*tensors.Tensor{g(u8, 0, 255, 2, 3, 5, 5), sc(0.05), tensors.Scalar[uint8](128), sc(0.03), tensors.Scalar[uint8](100)}, u8},
		{ms, "QLinearGlobalAveragePool", 1, nil, []*tensors.Tensor{g(i8, -128, 127, 1, 4, 7, 7), sc(0.05), tensors.Scalar[int8](3), sc(0.01), tensors.Scalar[int8](-2)}, i8},
		{ms, "QLinearSigmoid", 1, nil, []*tensors.Tensor{g(u8, 0, 255, 4, 64), sc(0.05), tensors.Scalar[uint8](128), sc(1.0 / 256), tensors.Scalar[uint8](0)}, u8},
	}
	dir := t.TempDir()
	for ci, c := range cases {
		name := fmt.Sprintf("%s-%d%v", c.op, c.opset, c.in[0])
		path := qModelFile(t, dir, ci, c.domain, c.op, c.opset, c.attrs, c.in, c.out)
		d, err := onnx.ToDense(c.in[0])
		if err != nil {
			t.Fatal(err)
		}
		feeds := map[string]*tensor.Dense{"x0": d}
		got, want, ok := runWithORT(t, name, path, feeds)
		if !ok {
			continue
		}
		for _, o := range []string{"y_scale", "y_zero_point"} {
			if w := want[o]; w != nil && fmt.Sprint(w.Data()) != fmt.Sprint(got[o].Data()) {
				t.Errorf("%s: %s is %v, onnxruntime %v", name, o, got[o].Data(), w.Data())
			}
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
		bad := 0
		for i := range wv {
			if gv[i] != wv[i] {
				if bad == 0 {
					t.Errorf("%s: element %d is %g, onnxruntime %g", name, i, gv[i], wv[i])
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d elements differ", name, bad, len(wv))
		}
	}
}

func ewAttrIs(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INTS, Ints: v}
}
