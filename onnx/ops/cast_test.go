package ops

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestCastValues(t *testing.T) {
	f32 := func(v ...float32) *tensors.Tensor { return tensors.Vector(v...) }
	fnan := float32(math.NaN())
	cases := []struct {
		name string
		x    *tensors.Tensor
		to   tensors.DType
		want *tensors.Tensor
	}{
		{"float32 to int32 truncates", f32(1.9, -1.9, 0.5, -0.5), tensors.Int32, tensors.Vector[int32](1, -1, 0, 0)},
		{"float32 to int32 saturates", f32(3e9, -3e9, fnan), tensors.Int32, tensors.Vector[int32](math.MaxInt32, math.MinInt32, 0)},
		{"float64 to int8 saturates", tensors.Vector(300.5, -300.5, 127.9), tensors.Int8, tensors.Vector[int8](127, -128, 127)},
		{"float32 to uint8", f32(-1, 255.9, 256, 3.7), tensors.Uint8, tensors.Vector[uint8](0, 255, 255, 3)},
		{"float64 to int64", tensors.Vector(-9.5e18, 1e19, 123456789012.9), tensors.Int64, tensors.Vector[int64](math.MinInt64, math.MaxInt64, 123456789012)},
		{"float64 to uint64", tensors.Vector(1.5e19, -2), tensors.Uint64, tensors.Vector[uint64](15000000000000000000, 0)},
		{"float64 to float32 rounds", tensors.Vector(0.1, 1e40, -1e-50, math.NaN()), tensors.Float32, f32(0.1, float32(math.Inf(1)), float32(math.Copysign(0, -1)), fnan)},
		{"float32 to float64", f32(0.1), tensors.Float64, tensors.Vector(float64(float32(0.1)))},
		{"int32 to int8 wraps", tensors.Vector[int32](300, -129, 127), tensors.Int8, tensors.Vector[int8](44, 127, 127)},
		{"int64 to uint16 wraps", tensors.Vector[int64](-1, 65536, 65537), tensors.Uint16, tensors.Vector[uint16](65535, 0, 1)},
		{"uint8 to int8 wraps", tensors.Vector[uint8](200), tensors.Int8, tensors.Vector[int8](-56)},
		{"int8 to uint32 sign-extends", tensors.Vector[int8](-1), tensors.Uint32, tensors.Vector[uint32](math.MaxUint32)},
		{"int64 to float32 rounds", tensors.Vector[int64](16777217, -3), tensors.Float32, f32(16777216, -3)},
		{"uint64 to float64", tensors.Vector[uint64](math.MaxUint64), tensors.Float64, tensors.Vector(18446744073709551616.0)},
		{"float32 to bool", f32(0, -0.0, 0.1, fnan, -2), tensors.Bool, tensors.Vector(false, false, true, true, true)},
		{"int16 to bool", tensors.Vector[int16](0, 256), tensors.Bool, tensors.Vector(false, true)},
		{"bool to float64", tensors.Vector(true, false), tensors.Float64, tensors.Vector(1.0, 0)},
		{"bool to uint8", tensors.Vector(true, false), tensors.Uint8, tensors.Vector[uint8](1, 0)},
		{"same type", tensors.Vector[int32](5), tensors.Int32, tensors.Vector[int32](5)},
		{"bool to bool", tensors.Vector(true), tensors.Bool, tensors.Vector(true)},
		{"scalar", tensors.Scalar[float64](2.5), tensors.Int16, tensors.Scalar[int16](2)},
		{"empty", must(tensors.New([]int{2, 0}, []float32{})), tensors.Uint32, must(tensors.New([]int{2, 0}, []uint32{}))},
	}
	for _, c := range cases {
		for _, opset := range []int{6, 9, 13} {
			got, err := ewRun(t, "Cast", opset, []*onnxpb.AttributeProto{ewIntAttr("to", int64(c.to))}, c.x)
			if err != nil {
				t.Errorf("Cast-%d %s: %v", opset, c.name, err)
				continue
			}
			if got.DType() != c.want.DType() || !tensors.SameShape(got.Shape(), c.want.Shape()) || fmt.Sprint(got.Data()) != fmt.Sprint(c.want.Data()) {
				t.Errorf("Cast-%d %s: %v %v, want %v %v", opset, c.name, got, got.Data(), c.want, c.want.Data())
			}
		}
		// CastLike takes the type from its second input.
		like := must(tensors.Alloc(c.to, []int{1}))
		got, err := ewRun(t, "CastLike", 15, nil, c.x, like)
		if err != nil || got.DType() != c.to || fmt.Sprint(got.Data()) != fmt.Sprint(c.want.Data()) {
			t.Errorf("CastLike %s: %v, %v; want %v", c.name, got, err, c.want.Data())
		}
	}
}

func TestCastAttribute(t *testing.T) {
	str := func(s string) *onnxpb.AttributeProto {
		return attr("to", onnxpb.AttributeProto_STRING, func(a *onnxpb.AttributeProto) { a.S = []byte(s) })
	}
	x := tensors.Vector[float32](1.5, -2)
	cases := []struct {
		opset int
		to    *onnxpb.AttributeProto
		want  tensors.DType
		err   string
		unsup bool
	}{
		{1, str("INT32"), tensors.Int32, "", false},
		{1, str("double"), tensors.Float64, "", false},
		{1, ewIntAttr("to", int64(tensors.Bool)), tensors.Bool, "", false},
		{13, ewIntAttr("to", int64(tensors.Uint64)), tensors.Uint64, "", false},
		{1, str("FLOAT16"), tensors.Float16, "", false},
		{1, str("REAL"), 0, "not a data type", false},
		{13, ewIntAttr("to", int64(tensors.Float16)), tensors.Float16, "", false},
		{13, ewIntAttr("to", int64(tensors.BFloat16)), tensors.BFloat16, "", false},
		{13, ewIntAttr("to", int64(tensors.String)), tensors.String, "", false},
		{13, ewIntAttr("to", int64(tensors.Complex64)), 0, "complex64", true},
		{13, ewIntAttr("to", 0), 0, "not a data type", false},
		{13, ewIntAttr("to", 99), 0, "not a data type", false},
		{13, ewIntAttr("to", -1), 0, "not a data type", false},
		{13, ewFloatAttr("to", 1), 0, "want INT", false},
		{13, nil, 0, "missing", false},
	}
	for _, c := range cases {
		var attrs []*onnxpb.AttributeProto
		if c.to != nil {
			attrs = append(attrs, c.to)
		}
		got, err := ewRun(t, "Cast", c.opset, attrs, x)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || errors.Is(err, tensors.ErrUnsupported) != c.unsup {
				t.Errorf("Cast-%d to %v: err %v, want %q (unsupported: %v)", c.opset, c.to, err, c.err, c.unsup)
			}
			continue
		}
		if err != nil || got.DType() != c.want {
			t.Errorf("Cast-%d to %v: %v, %v; want %v", c.opset, c.to, got, err, c.want)
		}
	}
	// Strings are parsed and formatted; text that is no number is an error.
	got, err := ewRun(t, "Cast", 13, []*onnxpb.AttributeProto{ewIntAttr("to", int64(tensors.Float32))}, tensors.Vector("1.5", "-INF", " 2e3"))
	if err != nil || fmt.Sprint(got.Data()) != "[1.5 -Inf 2000]" {
		t.Errorf("Cast from string: %v, %v", got, err)
	}
	_, err = ewRun(t, "Cast", 13, []*onnxpb.AttributeProto{ewIntAttr("to", int64(tensors.Int64))}, tensors.Vector("1", "pear"))
	if err == nil || !strings.Contains(err.Error(), `"pear"`) {
		t.Errorf("Cast of \"pear\" to int64: %v", err)
	}
	got, err = ewRun(t, "CastLike", 15, nil, tensors.Vector[float32](0.1, 1e-5, float32(math.NaN())), tensors.Vector("a"))
	if err != nil || fmt.Sprint(got.Data()) != "[0.1 1e-05 NaN]" {
		t.Errorf("CastLike to string: %v, %v", got, err)
	}
	h := must(ewRun(t, "Cast", 13, []*onnxpb.AttributeProto{ewIntAttr("to", int64(tensors.Float16))}, tensors.Vector(0.1, 65520, -1e-8, 1)))
	if d := tensors.Data[tensors.F16](h); fmt.Sprintf("%#x", d) != "[0x2e66 0x7c00 0x8000 0x3c00]" {
		t.Errorf("Cast float64 to float16: %#x", d)
	}
	b := must(ewRun(t, "Cast", 13, []*onnxpb.AttributeProto{ewIntAttr("to", int64(tensors.Int32))}, h))
	if fmt.Sprint(b.Data()) != "[0 2147483647 0 1]" {
		t.Errorf("Cast float16 to int32: %v", b.Data())
	}
	comp := must(Compile(node("Cast", []string{"x"}, []string{"y"}, ewIntAttr("to", int64(tensors.Float64))), Env{Opset: 13}))
	typ := must(comp.Infer([]tensors.Type{{DType: tensors.Int8}}))
	if typ[0].DType != tensors.Float64 || typ[0].RankKnown {
		t.Errorf("Cast Infer of int8[...] = %v", typ[0])
	}
}
