package tensors

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
)

func TestF16RoundTrip(t *testing.T) {
	for b := 0; b < 1<<16; b++ {
		h := F16(b)
		f := h.Float32()
		got := F16FromFloat32(f)
		if f != f {
			if got != F16(b&0x8000|0x7e00) {
				t.Fatalf("NaN %#04x -> %#04x", b, got)
			}
			continue
		}
		if got != h {
			t.Fatalf("%#04x -> %g -> %#04x", b, f, got)
		}
		if g := F16FromFloat64(float64(f)); g != h {
			t.Fatalf("float64 %#04x -> %g -> %#04x", b, f, g)
		}
	}
}

// TestF16Nearest checks round-to-nearest-even against the neighbouring
// binary16 values.
func TestF16Nearest(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	check := func(x float32) {
		h := F16FromFloat32(x)
		hf := float64(h.Float32())
		if math.IsInf(hf, 0) {
			if math.Abs(float64(x)) < 65520 {
				t.Fatalf("%g -> inf", x)
			}
			return
		}
		for _, nb := range []F16{h + 1, h - 1} {
			if nb&0x7c00 == 0x7c00 {
				continue
			}
			if nb&0x7fff == 0x7fff || (h&0x7fff == 0 && nb == h-1) {
				continue
			}
			d0, d1 := math.Abs(hf-float64(x)), math.Abs(float64(nb.Float32())-float64(x))
			if d1 < d0 || d1 == d0 && h&1 == 1 {
				t.Fatalf("%g (%#08x) -> %#04x (%g), neighbour %#04x (%g) is nearer or even", x, math.Float32bits(x), h, hf, nb, nb.Float32())
			}
		}
	}
	for i := 0; i < 200000; i++ {
		check(math.Float32frombits(r.Uint32()&0x7fffffff>>3<<3 | 0x30000000&r.Uint32()))
		check(float32(r.NormFloat64() * 100))
		check(float32(r.NormFloat64() * 1e-6))
	}
	for _, c := range []struct {
		x float32
		h F16
	}{{1, 0x3c00}, {65504, 0x7bff}, {65519, 0x7bff}, {65520, 0x7c00}, {5.960464477539063e-08, 1}, {2.9802322387695312e-08, 0},
		{2.98023259e-08, 1}, {float32(math.Copysign(0, -1)), 0x8000}, {float32(math.Inf(-1)), 0xfc00}, {1 + 1.0/2048, 0x3c00}, {1 + 3.0/2048, 0x3c02}} {
		if got := F16FromFloat32(c.x); got != c.h {
			t.Errorf("F16FromFloat32(%g) = %#04x, want %#04x", c.x, got, c.h)
		}
	}
}

func TestBF16(t *testing.T) {
	for _, c := range []struct {
		x float32
		h BF16
	}{{1, 0x3f80}, {math.Float32frombits(0x3f808000), 0x3f80}, {math.Float32frombits(0x3f818000), 0x3f82},
		{math.Float32frombits(0x3f808001), 0x3f81}, {float32(math.NaN()), 0x7fc1}, {float32(math.Inf(1)), 0x7f80}} {
		if got := BF16FromFloat32(c.x); got != c.h {
			t.Errorf("BF16FromFloat32(%g) = %#04x, want %#04x", c.x, got, c.h)
		}
	}
	if v := BF16(0x3f80).Float32(); v != 1 {
		t.Errorf("BF16(0x3f80) = %g", v)
	}
}

func TestHalfProto(t *testing.T) {
	x, err := New([]int{3}, []F16{0x3c00, 0xc000, 0x7e00})
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Check(); err != nil {
		t.Fatal(err)
	}
	tp := ToProto("x", x)
	y, err := FromProto(tp)
	if err != nil {
		t.Fatal(err)
	}
	if d := Data[F16](y); d[0] != 0x3c00 || d[1] != 0xc000 || d[2] != 0x7e00 {
		t.Fatalf("raw_data round trip: %v", d)
	}
	tp = &onnxpb.TensorProto{Name: "b", DataType: int32(BFloat16), Dims: []int64{2}, Int32Data: []int32{0x3f80, 0xbf80}}
	y, err = FromProto(tp)
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := AsFloat64s(y); f[0] != 1 || f[1] != -1 {
		t.Fatalf("int32_data: %v", f)
	}
	tp.Int32Data[1] = 70000
	if _, err := FromProto(tp); err == nil {
		t.Fatal("out-of-range int32_data accepted")
	}
	for _, n := range []int{1, 3, 5} {
		tp := &onnxpb.TensorProto{Name: "t", DataType: int32(Float16), Dims: []int64{2}, RawData: make([]byte, n)}
		if _, err := FromProto(tp); err == nil {
			t.Fatalf("%d raw bytes accepted for 2 float16s", n)
		}
	}
	h := HalfToFloat32(x)
	if h.DType() != Float32 || Data[float32](h)[1] != -2 {
		t.Fatal(h)
	}
	b, err := Float32ToHalf(h, BFloat16)
	if err != nil || Data[BF16](b)[0] != 0x3f80 {
		t.Fatal(b, err)
	}
}

// TestFromProtoTruncatedEverySize feeds raw_data one byte short (and one
// byte long) for every fixed-size element type, and string data in
// numeric tensors: errors naming the tensor, never a panic.
func TestFromProtoTruncatedEverySize(t *testing.T) {
	for dt := range makeDataFor {
		if dt == String {
			continue
		}
		for _, extra := range []int{-1, 1} {
			tp := &onnxpb.TensorProto{Name: "short", DataType: int32(dt), Dims: []int64{3}, RawData: make([]byte, 3*dt.Size()+extra)}
			if _, err := FromProto(tp); err == nil || !strings.Contains(err.Error(), `"short"`) {
				t.Errorf("%v with %d raw bytes: %v", dt, len(tp.RawData), err)
			}
		}
		tp := &onnxpb.TensorProto{Name: "strs", DataType: int32(dt), Dims: []int64{1}, StringData: [][]byte{[]byte("1.5")}}
		if _, err := FromProto(tp); err == nil || !strings.Contains(err.Error(), `"strs"`) {
			t.Errorf("%v with string_data: %v", dt, err)
		}
	}
}
