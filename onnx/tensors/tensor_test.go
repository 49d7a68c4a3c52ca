package tensors

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
)

func TestNumElements(t *testing.T) {
	for _, c := range []struct {
		shape []int
		want  int
		err   string
	}{
		{nil, 1, ""},
		{[]int{2, 3}, 6, ""},
		{[]int{0, 1 << 40}, 0, ""},
		{[]int{2, -1}, 0, "negative"},
		{[]int{1 << 30, 1 << 30, 1 << 30}, 0, "overflow"},
		{[]int{1 << 20, 1 << 20}, 0, "exceed"},
	} {
		n, err := NumElements(c.shape)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("NumElements(%v) err %v, want %q", c.shape, err, c.err)
			}
			continue
		}
		if err != nil || n != c.want {
			t.Errorf("NumElements(%v) = %d, %v; want %d", c.shape, n, err, c.want)
		}
	}
}

func TestNormalizeAxes(t *testing.T) {
	if a, err := NormalizeAxis(-1, 4); err != nil || a != 3 {
		t.Errorf("NormalizeAxis(-1, 4) = %d, %v", a, err)
	}
	for _, bad := range []int{4, -5} {
		if _, err := NormalizeAxis(bad, 4); err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("NormalizeAxis(%d, 4): err %v", bad, err)
		}
	}
	if _, err := NormalizeAxes([]int{1, -3}, 4); err == nil || !strings.Contains(err.Error(), "repeated") {
		t.Errorf("NormalizeAxes duplicate: err %v", err)
	}
	if _, err := NormalizeAxis(0, 0); err == nil {
		t.Error("axis 0 of a scalar accepted")
	}
}

func TestTensorConstruction(t *testing.T) {
	if _, err := New([]int{2, 2}, []float32{1, 2, 3}); err == nil {
		t.Error("New with too few elements accepted")
	}
	x, err := New([]int{0, 4}, []float32(nil))
	if err != nil || x.Len() != 0 || x.Check() != nil {
		t.Errorf("empty tensor: %v %v", x, err)
	}
	s := Scalar[int64](7)
	if s.Rank() != 0 || s.Len() != 1 || s.String() != "int64[]" {
		t.Errorf("scalar: rank %d len %d %s", s.Rank(), s.Len(), s)
	}
	v := Vector[float32](1, 2, 3, 4, 5, 6)
	r, err := v.Reshape(2, 3)
	if err != nil || !SameShape(r.Shape(), []int{2, 3}) || &Data[float32](r)[0] != &Data[float32](v)[0] {
		t.Errorf("Reshape: %v %v (must share data)", r, err)
	}
	if _, err := v.Reshape(4, 2); err == nil {
		t.Error("Reshape to a different element count accepted")
	}
	c := v.Clone()
	Data[float32](c)[0] = 99
	if Data[float32](v)[0] != 1 {
		t.Error("Clone shares data")
	}
	if _, err := Alloc(Complex64, []int{2}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Alloc(complex64): %v", err)
	}
	if _, _, err := Make[float32]([]int{-1}); err == nil {
		t.Error("Make with negative dim accepted")
	}
	bad := &Tensor{dtype: Float32, shape: []int{3}, data: []float32{1}}
	if err := bad.Check(); err == nil {
		t.Error("Check accepted a tensor with too few elements")
	}
	bad = &Tensor{dtype: Int64, shape: []int{1}, data: []float32{1}}
	if err := bad.Check(); err == nil {
		t.Error("Check accepted a dtype/data mismatch")
	}
}

func TestAsInt64s(t *testing.T) {
	got, err := AsInt64s(Vector[int32](-1, 2))
	if err != nil || got[0] != -1 || got[1] != 2 {
		t.Errorf("AsInt64s(int32) = %v %v", got, err)
	}
	if _, err := AsInt64s(Vector[uint64](math.MaxUint64)); err == nil {
		t.Error("uint64 overflow accepted")
	}
	if _, err := AsInt64s(Vector[float32](1)); err == nil {
		t.Error("float tensor accepted")
	}
}

// TestProtoRoundTrip encodes every element type and decodes it again.
func TestProtoRoundTrip(t *testing.T) {
	tensors := []*Tensor{
		must(New([]int{2, 2}, []float32{1.5, -2, float32(math.Inf(1)), 0})),
		Vector(1.25, -3.5),
		Vector[int8](-128, 127), Vector[int16](-3, 300), Vector[int32](-70000, 5),
		Vector[int64](-1<<40, 3), Vector[uint8](0, 255), Vector[uint16](65535),
		Vector[uint32](1<<32 - 1), Vector[uint64](1<<64 - 1), Vector(true, false, true),
		Vector("a", "", "ü"), Scalar[float32](3), must(New([]int{3, 0}, []int64{})),
	}
	for _, x := range tensors {
		y, err := FromProto(ToProto("x", x))
		if err != nil {
			t.Fatalf("%v: %v", x, err)
		}
		if y.DType() != x.DType() || !SameShape(y.Shape(), x.Shape()) {
			t.Fatalf("%v decoded as %v", x, y)
		}
		if xs, ys := ToProto("", x), ToProto("", y); string(xs.RawData) != string(ys.RawData) || len(xs.StringData) != len(ys.StringData) {
			t.Errorf("%v: values changed in round trip", x)
		}
	}
}

func TestFromProtoTypedFields(t *testing.T) {
	tp := &onnxpb.TensorProto{Name: "w", DataType: int32(Float32), Dims: []int64{2}, FloatData: []float32{1, 2}}
	x, err := FromProto(tp)
	if err != nil || Data[float32](x)[1] != 2 {
		t.Fatalf("float_data: %v %v", x, err)
	}
	tp = &onnxpb.TensorProto{Name: "b", DataType: int32(Uint16), Dims: []int64{1}, Int32Data: []int32{65535}}
	if x, err := FromProto(tp); err != nil || Data[uint16](x)[0] != 65535 {
		t.Errorf("uint16 from int32_data: %v %v", x, err)
	}
}

// TestFromProtoHostile feeds malformed tensors: each must fail with an
// error naming the tensor, without allocating what the header claims.
func TestFromProtoHostile(t *testing.T) {
	cases := []struct {
		name string
		tp   *onnxpb.TensorProto
		want string
	}{
		{"raw short", &onnxpb.TensorProto{DataType: int32(Float32), Dims: []int64{4}, RawData: make([]byte, 12)}, "raw_data has 12 bytes, want 16"},
		{"raw long", &onnxpb.TensorProto{DataType: int32(Int64), Dims: []int64{1}, RawData: make([]byte, 9)}, "want 8"},
		{"negative dim", &onnxpb.TensorProto{DataType: int32(Float32), Dims: []int64{-2, 3}}, "out of range"},
		{"huge dims tiny data", &onnxpb.TensorProto{DataType: int32(Float32), Dims: []int64{1 << 40, 1 << 40}, RawData: make([]byte, 4)}, "overflow"},
		{"claims 2^31 floats", &onnxpb.TensorProto{DataType: int32(Float32), Dims: []int64{1 << 31}, RawData: make([]byte, 4)}, "raw_data has 4 bytes"},
		{"float_data count", &onnxpb.TensorProto{DataType: int32(Float32), Dims: []int64{3}, FloatData: []float32{1}}, "float_data has 1 values, want 3"},
		{"no data", &onnxpb.TensorProto{DataType: int32(Int64), Dims: []int64{2}}, "int64_data has 0 values"},
		{"int8 range", &onnxpb.TensorProto{DataType: int32(Int8), Dims: []int64{1}, Int32Data: []int32{300}}, "out of range"},
		{"complex64", &onnxpb.TensorProto{DataType: int32(Complex64), Dims: []int64{1}, RawData: make([]byte, 8)}, "not supported"},
		{"float16 short", &onnxpb.TensorProto{DataType: int32(Float16), Dims: []int64{2}, RawData: make([]byte, 3)}, "raw_data has 3 bytes"},
		{"bfloat16 int32_data", &onnxpb.TensorProto{DataType: int32(BFloat16), Dims: []int64{1}, Int32Data: []int32{-1}}, "16-bit"},
		{"no dtype", &onnxpb.TensorProto{Dims: []int64{1}}, "data_type is not set"},
		{"external", &onnxpb.TensorProto{DataType: int32(Float32), DataLocation: onnxpb.TensorProto_EXTERNAL}, "external"},
		{"segment", &onnxpb.TensorProto{DataType: int32(Float32), Segment: &onnxpb.TensorProto_Segment{}}, "segment"},
	}
	for _, c := range cases {
		c.tp.Name = "hostile"
		_, err := FromProto(c.tp)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `"hostile"`) {
			t.Errorf("%s: err %v, want %q naming the tensor", c.name, err, c.want)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
