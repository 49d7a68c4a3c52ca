package ops

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Helpers shared by the elementwise family's tests.

func ewFloatAttr(name string, v float32) *onnxpb.AttributeProto {
	return attr(name, onnxpb.AttributeProto_FLOAT, func(a *onnxpb.AttributeProto) { a.F = proto.Float32(v) })
}

func ewIntAttr(name string, v int64) *onnxpb.AttributeProto {
	return attr(name, onnxpb.AttributeProto_INT, func(a *onnxpb.AttributeProto) { a.I = proto.Int64(v) })
}

// ewRun runs a one-output node of type op at opset on the inputs (a nil
// input is passed as an omitted optional input).
func ewRun(t *testing.T, op string, opset int, attrs []*onnxpb.AttributeProto, in ...*tensors.Tensor) (*tensors.Tensor, error) {
	t.Helper()
	names := make([]string, len(in))
	for i, x := range in {
		if x != nil {
			names[i] = fmt.Sprintf("x%d", i)
		}
	}
	out, err := runNode(t, node(op, names, []string{"y"}, attrs...), opset, in...)
	if err != nil {
		return nil, err
	}
	if err := out[0].Check(); err != nil {
		t.Fatalf("%s returned an inconsistent tensor: %v", op, err)
	}
	return out[0], nil
}

// ewSame compares element values, NaN matching NaN, with a relative
// tolerance (0 for exact).
func ewSame(got, want []float64, rtol float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range want {
		g, w := got[i], want[i]
		switch {
		case math.IsNaN(w) || math.IsNaN(g):
			if !(math.IsNaN(w) && math.IsNaN(g)) {
				return false
			}
		case math.IsInf(w, 0) || math.IsInf(g, 0):
			if g != w {
				return false
			}
		case math.Abs(g-w) > rtol*math.Abs(w):
			return false
		}
	}
	return true
}

// ewValues returns a tensor's elements as float64s, failing the test on
// non-numeric tensors.
func ewValues(t *testing.T, x *tensors.Tensor) []float64 {
	t.Helper()
	v, err := tensors.AsFloat64s(x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// ewRamp returns 0.5, 1.5, ... scaled by k and shifted by off: distinct
// non-integral values with a sign mix when off < 0.
func ewRamp(n int, k, off float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = (float64(i)+0.5)*k + off
	}
	return out
}

func ewTensor(t *testing.T, dt tensors.DType, shape []int, v []float64) *tensors.Tensor {
	t.Helper()
	switch dt {
	case tensors.Float32:
		return must(tensors.New(shape, widen[float32](v)))
	case tensors.Float64:
		return must(tensors.New(shape, v))
	case tensors.Int32:
		return must(tensors.New(shape, widen[int32](v)))
	case tensors.Int64:
		return must(tensors.New(shape, widen[int64](v)))
	case tensors.Uint8:
		return must(tensors.New(shape, widen[uint8](v)))
	}
	t.Fatalf("toTensor: %v", dt)
	return nil
}

// ewRefBinary computes f over the broadcast of shapes a and b element by
// element, the slow obvious way.
func ewRefBinary(as, bs []int, av, bv []float64, f func(x, y float64) float64) ([]int, []float64) {
	out := must(tensors.BroadcastShapes(as, bs))
	n := must(tensors.NumElements(out))
	res := make([]float64, n)
	for i := range res {
		idx := unflatten(i, out)
		res[i] = f(av[naiveIndex(idx, as)], bv[naiveIndex(idx, bs)])
	}
	return out, res
}

func TestBinaryArithBroadcasting(t *testing.T) {
	shapes := []struct{ a, b []int }{
		{[]int{2, 3, 4}, []int{4}},
		{[]int{4}, []int{2, 3, 4}},
		{[]int{3, 1}, []int{1, 4}},
		{[]int{2, 3, 4}, []int{}},
		{[]int{}, []int{}},
		{[]int{}, []int{3}},
		{[]int{0, 3}, []int{1, 3}},
		{[]int{2, 0}, []int{}},
		{[]int{2, 1, 3}, []int{4, 1}},
	}
	ops := []struct {
		op string
		f  func(x, y float64) float64
	}{
		{"Add", func(x, y float64) float64 { return x + y }},
		{"Sub", func(x, y float64) float64 { return x - y }},
		{"Mul", func(x, y float64) float64 { return x * y }},
		{"Div", func(x, y float64) float64 { return x / y }},
		{"Pow", math.Pow},
	}
	for _, o := range ops {
		for _, dt := range []tensors.DType{tensors.Float32, tensors.Float64} {
			for _, opset := range []int{7, 13, 14} {
				for _, s := range shapes {
					na, nb := must(tensors.NumElements(s.a)), must(tensors.NumElements(s.b))
					a := ewTensor(t, dt, s.a, ewRamp(na, 0.7, 0.1))
					b := ewTensor(t, dt, s.b, ewRamp(nb, -0.9, 2))
					// The reference starts from the values as stored (rounded to float32).
					wantShape, want := ewRefBinary(s.a, s.b, ewValues(t, a), ewValues(t, b), o.f)
					got, err := ewRun(t, o.op, opset, nil, a, b)
					if err != nil {
						t.Errorf("%s-%d %v %v and %v: %v", o.op, opset, dt, s.a, s.b, err)
						continue
					}
					if got.DType() != dt || !tensors.SameShape(got.Shape(), wantShape) || !ewSame(ewValues(t, got), want, 1e-6) {
						t.Errorf("%s-%d %v %v and %v = %v %v, want %v %v", o.op, opset, dt, s.a, s.b, got, ewValues(t, got), tensors.FormatShape(wantShape), want)
					}
				}
			}
		}
		// Shapes that do not broadcast are an error.
		if _, err := ewRun(t, o.op, 13, nil, ewTensor(t, tensors.Float32, []int{2, 3}, ewRamp(6, 1, 0)), ewTensor(t, tensors.Float32, []int{2}, ewRamp(2, 1, 0))); err == nil || !strings.Contains(err.Error(), "broadcast") {
			t.Errorf("%s of [2 3] and [2]: err %v", o.op, err)
		}
	}
}

func TestBinaryArithIntegers(t *testing.T) {
	i32 := func(v ...int32) *tensors.Tensor { return tensors.Vector(v...) }
	cases := []struct {
		op   string
		a, b *tensors.Tensor
		want *tensors.Tensor
		err  error
	}{
		{"Sub", tensors.Vector[uint8](5, 0), tensors.Vector[uint8](3, 1), tensors.Vector[uint8](2, 255), nil},
		{"Sub", tensors.Vector[int8](-128), tensors.Vector[int8](1), tensors.Vector[int8](127), nil},
		{"Mul", tensors.Vector[int16](300), tensors.Vector[int16](300), tensors.Vector[int16](int16(90000 - 65536*1)), nil},
		{"Mul", tensors.Vector[int64](-3, 4), tensors.Scalar[int64](-2), tensors.Vector[int64](6, -8), nil},
		{"Mul", tensors.Vector[uint64](1 << 63), tensors.Vector[uint64](2), tensors.Vector[uint64](0), nil},
		// Integer division truncates toward zero.
		{"Div", i32(7, -7, 7, -7, 0), i32(2, 2, -2, -2, 5), i32(3, -3, -3, 3, 0), nil},
		{"Div", tensors.Vector[int8](-128), tensors.Vector[int8](-1), tensors.Vector[int8](-128), nil},
		{"Div", tensors.Vector[uint8](255, 7), tensors.Vector[uint8](2, 8), tensors.Vector[uint8](127, 0), nil},
		{"Div", tensors.Vector[int64](1, 2), tensors.Vector[int64](1, 0), nil, ErrDivideByZero},
		{"Div", tensors.Vector[uint32](1), tensors.Scalar[uint32](0), nil, ErrDivideByZero},
		// Broadcast over an empty tensor divides nothing.
		{"Div", must(tensors.New([]int{0}, []int32{})), tensors.Scalar[int32](0), must(tensors.New([]int{0}, []int32{})), nil},
	}
	for _, c := range cases {
		got, err := ewRun(t, c.op, 14, nil, c.a, c.b)
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("%s(%v, %v): err %v, want %v", c.op, c.a.Data(), c.b.Data(), err, c.err)
			}
			continue
		}
		if err != nil || got.DType() != c.want.DType() || !tensors.SameShape(got.Shape(), c.want.Shape()) ||
			fmt.Sprint(got.Data()) != fmt.Sprint(c.want.Data()) {
			t.Errorf("%s(%v, %v) = %v %v, %v; want %v", c.op, c.a.Data(), c.b.Data(), got, got.Data(), err, c.want.Data())
		}
	}
	// Float division by zero follows IEEE 754.
	got, err := ewRun(t, "Div", 7, nil, tensors.Vector[float32](1, -1, 0), tensors.Scalar[float32](0))
	if err != nil || !ewSame(ewValues(t, got), []float64{math.Inf(1), math.Inf(-1), math.NaN()}, 0) {
		t.Errorf("float Div by 0 = %v, %v", got, err)
	}
	// Mismatched element types and non-numeric types are rejected.
	if _, err := ewRun(t, "Sub", 14, nil, tensors.Vector[int32](1), tensors.Vector[int64](1)); err == nil {
		t.Error("Sub of int32 and int64 accepted")
	}
	if _, err := ewRun(t, "Div", 14, nil, tensors.Vector(true), tensors.Vector(false)); !errors.Is(err, tensors.ErrUnsupported) {
		t.Errorf("Div of bools: err %v", err)
	}
}

func TestBinaryArithLegacyBroadcast(t *testing.T) {
	a := must(tensors.New([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6}))
	bcast := ewIntAttr("broadcast", 1)
	cases := []struct {
		op    string
		opset int
		attrs []*onnxpb.AttributeProto
		b     *tensors.Tensor
		want  []float64
		err   string
	}{
		{"Sub", 6, []*onnxpb.AttributeProto{bcast}, tensors.Vector[float32](1, 2, 3), []float64{0, 0, 0, 3, 3, 3}, ""},
		{"Mul", 1, []*onnxpb.AttributeProto{bcast, ewIntAttr("axis", 0)}, tensors.Vector[float32](10, 100), []float64{10, 20, 30, 400, 500, 600}, ""},
		{"Div", 6, []*onnxpb.AttributeProto{bcast, ewIntAttr("axis", 0)}, tensors.Vector[float32](1, 2), []float64{1, 2, 3, 2, 2.5, 3}, ""},
		{"Div", 6, []*onnxpb.AttributeProto{bcast}, tensors.Scalar[float32](2), []float64{0.5, 1, 1.5, 2, 2.5, 3}, ""},
		{"Pow", 1, []*onnxpb.AttributeProto{bcast, ewIntAttr("axis", 1)}, tensors.Vector[float32](2, 1, 0), []float64{1, 2, 1, 16, 5, 1}, ""},
		{"Div", 6, nil, tensors.Vector[float32](1, 2, 3), nil, "broadcast is not set"},
		{"Pow", 1, nil, tensors.Vector[float32](1, 2, 3), nil, "broadcast is not set"},
		{"Sub", 6, []*onnxpb.AttributeProto{bcast}, tensors.Vector[float32](1, 2), nil, "cannot broadcast"},
		{"Div", 6, []*onnxpb.AttributeProto{bcast, ewIntAttr("axis", 2)}, tensors.Vector[float32](1), nil, "out of range"},
	}
	for _, c := range cases {
		got, err := ewRun(t, c.op, c.opset, c.attrs, a, c.b)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s-%d with %v: err %v, want %q", c.op, c.opset, c.b.Shape(), err, c.err)
			}
			continue
		}
		if err != nil || !tensors.SameShape(got.Shape(), a.Shape()) || !ewSame(ewValues(t, got), c.want, 1e-6) {
			t.Errorf("%s-%d with %v = %v, %v; want %v", c.op, c.opset, c.b.Data(), got, err, c.want)
		}
	}
}

func TestPowTypes(t *testing.T) {
	cases := []struct {
		name  string
		opset int
		x, y  *tensors.Tensor
		want  *tensors.Tensor
		err   string
	}{
		{"float32^int64", 12, tensors.Vector[float32](2, -2, 0.5), tensors.Vector[int64](3, 3, -2), tensors.Vector[float32](8, -8, 4), ""},
		{"float64^uint8", 15, tensors.Vector[float64](3), tensors.Vector[uint8](4), tensors.Vector[float64](81), ""},
		{"float32^float64", 13, tensors.Vector[float32](4), tensors.Vector[float64](0.5), tensors.Vector[float32](2), ""},
		{"float32 negative^fraction is NaN", 13, tensors.Vector[float32](-8), tensors.Vector[float32](1.0 / 3), tensors.Vector[float32](float32(math.NaN())), ""},
		{"int32^int32", 12, tensors.Vector[int32](2, -3, 5, 0, 7), tensors.Vector[int32](10, 3, 0, 0, 1), tensors.Vector[int32](1024, -27, 1, 1, 7), ""},
		{"int64^int64 exact", 13, tensors.Vector[int64](3, -3), tensors.Vector[int64](39, 39), tensors.Vector[int64](4052555153018976267, -4052555153018976267), ""},
		{"int64^int8 negative", 15, tensors.Vector[int64](1, -1, -1, 2, -5), tensors.Vector[int8](-3, -3, -4, -1, -2), tensors.Vector[int64](1, -1, 1, 0, 0), ""},
		{"int32 overflow wraps", 13, tensors.Vector[int32](2), tensors.Vector[uint64](33), tensors.Vector[int32](0), ""},
		{"int32^float32 truncates", 12, tensors.Vector[int32](2, 2, -2), tensors.Vector[float32](0.5, -1, 3), tensors.Vector[int32](1, 0, -8), ""},
		{"int64^float64 saturates", 13, tensors.Vector[int64](10, -10), tensors.Vector[float64](30, 31), tensors.Vector[int64](math.MaxInt64, math.MinInt64), ""},
		{"int32^float NaN is 0", 13, tensors.Vector[int32](-2), tensors.Vector[float32](0.5), tensors.Vector[int32](0), ""},
		{"0^-1 integer", 13, tensors.Vector[int32](0), tensors.Vector[int32](-1), nil, "negative power"},
		{"float 0^-1", 13, tensors.Vector[float32](0), tensors.Vector[int32](-1), tensors.Vector[float32](float32(math.Inf(1))), ""},
		{"int8 base", 13, tensors.Vector[int8](2), tensors.Vector[int8](2), nil, "dtype int8"},
		{"bool exponent", 13, tensors.Vector[float32](2), tensors.Vector(true), nil, "dtype bool"},
		{"mixed before 12", 7, tensors.Vector[float32](2), tensors.Vector[int64](2), nil, "version 12"},
		{"int base before 12", 7, tensors.Vector[int32](2), tensors.Vector[int32](2), nil, "dtype int32"},
		{"float64 at 7", 7, tensors.Vector[float64](2), tensors.Vector[float64](-1), tensors.Vector[float64](0.5), ""},
	}
	for _, c := range cases {
		got, err := ewRun(t, "Pow", c.opset, nil, c.x, c.y)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got.DType() != c.want.DType() || !ewSame(ewValues(t, got), ewValues(t, c.want), 1e-6) {
			t.Errorf("%s = %v %v, want %v %v", c.name, got, got.Data(), c.want, c.want.Data())
		}
		if c.x.DType().IsInteger() && c.y.DType().IsInteger() && fmt.Sprint(got.Data()) != fmt.Sprint(c.want.Data()) {
			t.Errorf("%s = %v, want exactly %v", c.name, got.Data(), c.want.Data())
		}
	}
}

func TestFloatToInt(t *testing.T) {
	cases := []struct {
		f    float64
		i8   int8
		u8   uint8
		i32  int32
		i64  int64
		u64  uint64
		name string
	}{
		{1.9, 1, 1, 1, 1, 1, "truncates"},
		{-1.9, -1, 0, -1, -1, 0, "toward zero"},
		{-0.5, 0, 0, 0, 0, 0, "small negative"},
		{300, 127, 255, 300, 300, 300, "int8 saturates"},
		{-300, -128, 0, -300, -300, 0, "negative saturates"},
		{math.NaN(), 0, 0, 0, 0, 0, "NaN"},
		{math.Inf(1), 127, 255, math.MaxInt32, math.MaxInt64, math.MaxUint64, "+Inf"},
		{math.Inf(-1), -128, 0, math.MinInt32, math.MinInt64, 0, "-Inf"},
		{9.3e18, 127, 255, math.MaxInt32, math.MaxInt64, 9300000000000000000, "beyond int64"},
		{-9223372036854775808, -128, 0, math.MinInt32, math.MinInt64, 0, "int64 minimum"},
		{1.8446744073709552e19, 127, 255, math.MaxInt32, math.MaxInt64, math.MaxUint64, "2^64"},
	}
	for _, c := range cases {
		if g := floatToIntSat[int8](c.f); g != c.i8 {
			t.Errorf("%s: int8(%g) = %d, want %d", c.name, c.f, g, c.i8)
		}
		if g := floatToIntSat[uint8](c.f); g != c.u8 {
			t.Errorf("%s: uint8(%g) = %d, want %d", c.name, c.f, g, c.u8)
		}
		if g := floatToIntSat[int32](c.f); g != c.i32 {
			t.Errorf("%s: int32(%g) = %d, want %d", c.name, c.f, g, c.i32)
		}
		if g := floatToIntSat[int64](c.f); g != c.i64 {
			t.Errorf("%s: int64(%g) = %d, want %d", c.name, c.f, g, c.i64)
		}
		if g := floatToIntSat[uint64](c.f); g != c.u64 {
			t.Errorf("%s: uint64(%g) = %d, want %d", c.name, c.f, g, c.u64)
		}
	}
}

func TestElementwiseInfer(t *testing.T) {
	f32 := func(s ...int) tensors.Type { return tensors.KnownType(tensors.Float32, s) }
	cases := []struct {
		op    string
		opset int
		attrs []*onnxpb.AttributeProto
		in    []tensors.Type
		want  string
	}{
		{"Sub", 14, nil, []tensors.Type{f32(2, 3, 4), f32(4)}, "float32[2 3 4]"},
		{"Div", 13, nil, []tensors.Type{f32(3, 1), f32(1, 4)}, "float32[3 4]"},
		{"Div", 6, nil, []tensors.Type{f32(3, 4), f32(4)}, "float32[3 4]"},
		{"Pow", 15, nil, []tensors.Type{tensors.KnownType(tensors.Int32, []int{2, 1}), tensors.KnownType(tensors.Float64, []int{5})}, "int32[2 5]"},
		{"Sum", 13, nil, []tensors.Type{f32(2, 1), f32(3), f32()}, "float32[2 3]"},
		{"Max", 8, nil, []tensors.Type{f32(0, 3), f32(1)}, "float32[0 3]"},
		{"Clip", 13, nil, []tensors.Type{f32(5, 2), f32(), f32()}, "float32[5 2]"},
		{"Sigmoid", 13, nil, []tensors.Type{{DType: tensors.Float64}}, "float64[...]"},
		{"Cast", 13, []*onnxpb.AttributeProto{ewIntAttr("to", int64(tensors.Int64))}, []tensors.Type{f32(2, 3)}, "int64[2 3]"},
		{"CastLike", 15, nil, []tensors.Type{f32(7), tensors.KnownType(tensors.Uint8, []int{})}, "uint8[7]"},
	}
	for _, c := range cases {
		names := make([]string, len(c.in))
		for i := range names {
			names[i] = fmt.Sprintf("x%d", i)
		}
		comp, err := Compile(node(c.op, names, []string{"y"}, c.attrs...), Env{Opset: c.opset})
		if err != nil {
			t.Errorf("%s: %v", c.op, err)
			continue
		}
		got, err := comp.Infer(c.in)
		if err != nil || len(got) != 1 || got[0].String() != c.want {
			t.Errorf("%s-%d Infer(%v) = %v, %v; want %s", c.op, c.opset, c.in, got, err, c.want)
		}
	}
	comp := must(Compile(node("Mul", []string{"a", "b"}, []string{"y"}), Env{Opset: 14}))
	if _, err := comp.Infer([]tensors.Type{f32(2, 3), f32(4)}); err == nil {
		t.Error("Mul Infer of [2 3] and [4]: no error")
	}
}

// TestElementwiseVersions checks that every ONNX version of the family's
// operators resolves from opset 1 (or the operator's first version) up to
// opset 18, so no opset runs stale semantics or fails to load.
func TestElementwiseVersions(t *testing.T) {
	ops := []string{
		"Add", "Sub", "Mul", "Div", "Pow", "Relu", "LeakyRelu", "Elu", "Selu", "Sigmoid",
		"HardSigmoid", "Tanh", "Sqrt", "Exp", "Log", "Neg", "Abs", "Reciprocal", "Floor",
		"Ceil", "Sign", "Sin", "Cos", "Sum", "Max", "Min", "Mean", "Clip", "Cast", "CastLike",
	}
	for _, op := range ops {
		first := schemaVersions(opKey{"", op})[0]
		for opset := first; opset <= 18; opset++ { // 18: newer than schemas.txt
			if _, _, err := Lookup("", op, opset); err != nil {
				t.Errorf("%s at opset %d: %v", op, opset, err)
			}
		}
	}
}

// widen converts test values to another numeric element type.
func widen[T, U tensors.Numeric](s []U) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[i] = T(v)
	}
	return out
}

// TestPowSquare checks Pow with a one-element exponent of 2, which
// multiplies instead of calling math.Pow: bit for bit what math.Pow gives
// for float32 bases across the range (zeros, subnormals, infinities, NaN
// included) and for every exponent type, with the base's shape; an
// exponent of higher rank still broadcasts.
func TestPowSquare(t *testing.T) {
	var xs []float32
	for b := uint64(0); b < 1<<32; b += 1<<32/4096 + 7 {
		xs = append(xs, math.Float32frombits(uint32(b)))
	}
	xs = append(xs, 0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), 1e-45, -3e38)
	x := seqMust(tensors.New([]int{len(xs)}, xs))
	for _, y := range []*tensors.Tensor{tensors.Scalar[float32](2), tensors.Vector[float64](2), tensors.Scalar[int64](2), tensors.Vector[uint8](2)} {
		got, err := ewRun(t, "Pow", 15, nil, x, y)
		if err != nil {
			t.Fatalf("Pow(x, %v): %v", y, err)
		}
		if !tensors.SameShape(got.Shape(), x.Shape()) {
			t.Fatalf("Pow(x, %v) has shape %v", y, got.Shape())
		}
		for i, v := range tensors.Data[float32](got) {
			want := float32(math.Pow(float64(xs[i]), 2))
			if math.Float32bits(v) != math.Float32bits(want) && !(v != v && want != want) {
				t.Fatalf("Pow(%g, %v) = %g, math.Pow %g", xs[i], y, v, want)
			}
		}
	}
	got, err := ewRun(t, "Pow", 15, nil, tensors.Vector[float32](3, -4), seqMust(tensors.New([]int{1, 1}, []float32{2})))
	if err != nil || !tensors.SameShape(got.Shape(), []int{1, 2}) || fmt.Sprint(got.Data()) != "[9 16]" {
		t.Errorf("Pow([3 -4], [[2]]) = %v, %v; want [[9 16]]", got, err)
	}
}
