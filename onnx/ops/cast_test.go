package ops

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
)

func TestCastValues(t *testing.T) {
	f32 := func(v ...float32) *Tensor { return Vector(v...) }
	fnan := float32(math.NaN())
	cases := []struct {
		name string
		x    *Tensor
		to   DType
		want *Tensor
	}{
		{"float32 to int32 truncates", f32(1.9, -1.9, 0.5, -0.5), Int32, Vector[int32](1, -1, 0, 0)},
		{"float32 to int32 saturates", f32(3e9, -3e9, fnan), Int32, Vector[int32](math.MaxInt32, math.MinInt32, 0)},
		{"float64 to int8 saturates", Vector(300.5, -300.5, 127.9), Int8, Vector[int8](127, -128, 127)},
		{"float32 to uint8", f32(-1, 255.9, 256, 3.7), Uint8, Vector[uint8](0, 255, 255, 3)},
		{"float64 to int64", Vector(-9.5e18, 1e19, 123456789012.9), Int64, Vector[int64](math.MinInt64, math.MaxInt64, 123456789012)},
		{"float64 to uint64", Vector(1.5e19, -2), Uint64, Vector[uint64](15000000000000000000, 0)},
		{"float64 to float32 rounds", Vector(0.1, 1e40, -1e-50, math.NaN()), Float32, f32(0.1, float32(math.Inf(1)), float32(math.Copysign(0, -1)), fnan)},
		{"float32 to float64", f32(0.1), Float64, Vector(float64(float32(0.1)))},
		{"int32 to int8 wraps", Vector[int32](300, -129, 127), Int8, Vector[int8](44, 127, 127)},
		{"int64 to uint16 wraps", Vector[int64](-1, 65536, 65537), Uint16, Vector[uint16](65535, 0, 1)},
		{"uint8 to int8 wraps", Vector[uint8](200), Int8, Vector[int8](-56)},
		{"int8 to uint32 sign-extends", Vector[int8](-1), Uint32, Vector[uint32](math.MaxUint32)},
		{"int64 to float32 rounds", Vector[int64](16777217, -3), Float32, f32(16777216, -3)},
		{"uint64 to float64", Vector[uint64](math.MaxUint64), Float64, Vector(18446744073709551616.0)},
		{"float32 to bool", f32(0, -0.0, 0.1, fnan, -2), Bool, Vector(false, false, true, true, true)},
		{"int16 to bool", Vector[int16](0, 256), Bool, Vector(false, true)},
		{"bool to float64", Vector(true, false), Float64, Vector(1.0, 0)},
		{"bool to uint8", Vector(true, false), Uint8, Vector[uint8](1, 0)},
		{"same type", Vector[int32](5), Int32, Vector[int32](5)},
		{"bool to bool", Vector(true), Bool, Vector(true)},
		{"scalar", Scalar[float64](2.5), Int16, Scalar[int16](2)},
		{"empty", must(New([]int{2, 0}, []float32{})), Uint32, must(New([]int{2, 0}, []uint32{}))},
	}
	for _, c := range cases {
		for _, opset := range []int{6, 9, 13} {
			got, err := ewRun(t, "Cast", opset, []*onnxpb.AttributeProto{ewIntAttr("to", int64(c.to))}, c.x)
			if err != nil {
				t.Errorf("Cast-%d %s: %v", opset, c.name, err)
				continue
			}
			if got.DType() != c.want.DType() || !SameShape(got.Shape(), c.want.Shape()) || fmt.Sprint(got.Data()) != fmt.Sprint(c.want.Data()) {
				t.Errorf("Cast-%d %s: %v %v, want %v %v", opset, c.name, got, got.Data(), c.want, c.want.Data())
			}
		}
		// CastLike takes the type from its second input.
		like := must(Alloc(c.to, []int{1}))
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
	x := Vector[float32](1.5, -2)
	cases := []struct {
		opset int
		to    *onnxpb.AttributeProto
		want  DType
		err   string
		unsup bool
	}{
		{1, str("INT32"), Int32, "", false},
		{1, str("double"), Float64, "", false},
		{1, ewIntAttr("to", int64(Bool)), Bool, "", false},
		{13, ewIntAttr("to", int64(Uint64)), Uint64, "", false},
		{1, str("FLOAT16"), 0, "float16", true},
		{1, str("REAL"), 0, "not a data type", false},
		{13, ewIntAttr("to", int64(Float16)), 0, "float16", true},
		{13, ewIntAttr("to", int64(BFloat16)), 0, "bfloat16", true},
		{13, ewIntAttr("to", int64(String)), 0, "string", true},
		{13, ewIntAttr("to", int64(Complex64)), 0, "complex64", true},
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
			if err == nil || !strings.Contains(err.Error(), c.err) || errors.Is(err, ErrUnsupported) != c.unsup {
				t.Errorf("Cast-%d to %v: err %v, want %q (unsupported: %v)", c.opset, c.to, err, c.err, c.unsup)
			}
			continue
		}
		if err != nil || got.DType() != c.want {
			t.Errorf("Cast-%d to %v: %v, %v; want %v", c.opset, c.to, got, err, c.want)
		}
	}
	// Strings are held but not converted.
	_, err := ewRun(t, "Cast", 13, []*onnxpb.AttributeProto{ewIntAttr("to", int64(Float32))}, Vector("1.5"))
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("Cast from string: err %v, want ErrUnsupported", err)
	}
	_, err = ewRun(t, "CastLike", 15, nil, x, Vector("a"))
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("CastLike to string: err %v, want ErrUnsupported", err)
	}
	comp := must(Compile(node("Cast", []string{"x"}, []string{"y"}, ewIntAttr("to", int64(Float64))), Env{Opset: 13}))
	typ := must(comp.Infer([]Type{{DType: Int8}}))
	if typ[0].DType != Float64 || typ[0].RankKnown {
		t.Errorf("Cast Infer of int8[...] = %v", typ[0])
	}
}
