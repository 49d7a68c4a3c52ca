package ops

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
)

func TestVariadicBroadcasting(t *testing.T) {
	refs := map[string]func(xs []float64) float64{
		"Sum": func(xs []float64) float64 {
			s := 0.0
			for _, x := range xs {
				s += x
			}
			return s
		},
		"Mean": func(xs []float64) float64 {
			s := 0.0
			for _, x := range xs {
				s += x
			}
			return s / float64(len(xs))
		},
		"Max": func(xs []float64) float64 {
			m := math.Inf(-1)
			for _, x := range xs {
				m = math.Max(m, x)
			}
			return m
		},
		"Min": func(xs []float64) float64 {
			m := math.Inf(1)
			for _, x := range xs {
				m = math.Min(m, x)
			}
			return m
		},
	}
	shapeSets := [][][]int{
		{{2, 3, 4}, {4}, {3, 1}},
		{{3, 1}, {1, 4}},
		{{}, {2, 2}, {}},
		{{5}},
		{{0, 3}, {1, 3}, {3}},
		{{2, 1, 3}, {4, 1}, {}, {1, 1, 1}},
	}
	for op, ref := range refs {
		for _, dt := range []DType{Float32, Float64} {
			for _, opset := range []int{8, 13} {
				for si, shapes := range shapeSets {
					in := make([]*Tensor, len(shapes))
					vals := make([][]float64, len(shapes))
					for i, s := range shapes {
						in[i] = ewTensor(t, dt, s, ewRamp(must(NumElements(s)), float64(i+1)*0.37, float64(si-i)))
						vals[i] = ewValues(t, in[i])
					}
					out := must(BroadcastShapes(shapes...))
					want := make([]float64, must(NumElements(out)))
					for o := range want {
						idx := unflatten(o, out)
						xs := make([]float64, len(shapes))
						for i, s := range shapes {
							xs[i] = vals[i][naiveIndex(idx, s)]
						}
						want[o] = ref(xs)
					}
					got, err := ewRun(t, op, opset, nil, in...)
					if err != nil || got.DType() != dt || !SameShape(got.Shape(), out) || !ewSame(ewValues(t, got), want, 1e-6) {
						t.Errorf("%s-%d %v %v = %v, %v; want %v %v", op, opset, dt, shapes, got, err, FormatShape(out), want)
					}
				}
			}
		}
	}
}

func TestVariadicCases(t *testing.T) {
	f32 := func(v ...float32) *Tensor { return Vector(v...) }
	fnan := float32(math.NaN())
	cases := []struct {
		op    string
		opset int
		in    []*Tensor
		want  *Tensor
		err   string
	}{
		{"Max", 13, []*Tensor{f32(1, fnan, 3), f32(fnan, 2, 1)}, f32(fnan, fnan, 3), ""},
		{"Min", 13, []*Tensor{f32(1, 5, 3), f32(2, fnan, 1), f32(0, 0, 0)}, f32(0, fnan, 0), ""},
		{"Max", 12, []*Tensor{Vector[int8](-128, 5), Vector[int8](3, 127)}, Vector[int8](3, 127), ""},
		{"Min", 13, []*Tensor{Vector[uint64](math.MaxUint64, 5), Scalar[uint64](7)}, Vector[uint64](7, 5), ""},
		{"Max", 13, []*Tensor{Vector[int64](math.MinInt64, 1), Vector[int64](math.MinInt64+1, 0)}, Vector[int64](math.MinInt64+1, 1), ""},
		{"Sum", 13, []*Tensor{Vector[int32](1, 2), Vector[int32](10, 20), Scalar[int32](100)}, Vector[int32](111, 122), ""},
		{"Sum", 8, []*Tensor{f32(1, 2)}, f32(1, 2), ""},
		{"Mean", 13, []*Tensor{f32(1, 2), f32(2, 4), f32(3, 9)}, f32(2, 5), ""},
		{"Mean", 6, []*Tensor{Vector[float64](1), Vector[float64](2)}, Vector[float64](1.5), ""},
		{"Sum", 1, []*Tensor{f32(1, 2), f32(3, 4)}, f32(4, 6), ""},
		{"Max", 6, []*Tensor{f32(1, 2), f32(3)}, nil, "version 8"},
		{"Min", 13, []*Tensor{f32(1, 2), f32(3, 4, 5)}, nil, "cannot broadcast"},
		{"Sum", 13, []*Tensor{f32(1), Vector[float64](1)}, nil, "dtype"},
		{"Mean", 13, []*Tensor{Vector[int32](1), Vector[int32](2)}, nil, "int32"},
		{"Max", 13, []*Tensor{Vector(true), Vector(false)}, nil, "bool"},
		{"Max", 13, []*Tensor{Vector("a")}, nil, "string"},
		{"Sum", 13, []*Tensor{nil, f32(1)}, nil, "omitted"},
	}
	for _, c := range cases {
		got, err := ewRun(t, c.op, c.opset, nil, c.in...)
		name := fmt.Sprintf("%s-%d%v", c.op, c.opset, c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err %v, want %q", name, err, c.err)
			}
			continue
		}
		if err != nil || got.DType() != c.want.DType() || !SameShape(got.Shape(), c.want.Shape()) || !ewSame(ewValues(t, got), ewValues(t, c.want), 0) {
			t.Errorf("%s = %v %v, %v; want %v", name, got, got.Data(), err, c.want.Data())
		}
		if c.want.DType().IsInteger() && fmt.Sprint(got.Data()) != fmt.Sprint(c.want.Data()) {
			t.Errorf("%s = %v, want exactly %v", name, got.Data(), c.want.Data())
		}
	}
	// Unsupported element types are reported as such.
	if _, err := ewRun(t, "Mean", 13, nil, Vector[int32](1)); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Mean of one int32 input: err %v, want ErrUnsupported", err)
	}
	if _, err := ewRun(t, "Sum", 13, nil, Vector(true), Vector(true)); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Sum of bools: err %v, want ErrUnsupported", err)
	}
}

func TestClip(t *testing.T) {
	f32 := func(v ...float32) *Tensor { return Vector(v...) }
	fnan, finf := float32(math.NaN()), float32(math.Inf(1))
	cases := []struct {
		name    string
		opset   int
		attrs   map[string]float32
		x       *Tensor
		lo, hi  *Tensor
		want    *Tensor
		wantErr string
	}{
		{"attrs", 6, map[string]float32{"min": -1, "max": 1}, f32(-2, -0.5, 0, 3, fnan), nil, nil, f32(-1, -0.5, 0, 1, fnan), ""},
		{"attr max only", 6, map[string]float32{"max": 0}, f32(-5, 5), nil, nil, f32(-5, 0), ""},
		{"attr defaults clip inf", 6, nil, f32(finf, -finf, 2), nil, nil, f32(math.MaxFloat32, -math.MaxFloat32, 2), ""},
		{"attrs float64", 1, map[string]float32{"min": 0.5}, Vector[float64](0, 1e300), nil, nil, Vector[float64](0.5, math.MaxFloat32), ""},
		{"inputs", 11, nil, f32(-2, 0.5, 2), Scalar[float32](-1), Scalar[float32](1), f32(-1, 0.5, 1), ""},
		{"min only", 13, nil, f32(-2, 2), Scalar[float32](0), nil, f32(0, 2), ""},
		{"max only", 12, nil, f32(-2, 2), nil, Scalar[float32](0), f32(-2, 0), ""},
		{"no bounds", 13, nil, Vector[float64](-1e308, 1e308), nil, nil, Vector[float64](-1e308, 1e308), ""},
		{"min > max gives max", 13, nil, f32(-5, 0, 5), Scalar[float32](2), Scalar[float32](1), f32(1, 1, 1), ""},
		{"int8", 12, nil, Vector[int8](-128, -3, 0, 9, 127), Scalar[int8](-2), Scalar[int8](5), Vector[int8](-2, -2, 0, 5, 5), ""},
		{"uint64 max only", 13, nil, Vector[uint64](0, math.MaxUint64), nil, Scalar[uint64](10), Vector[uint64](0, 10), ""},
		{"int64 no bounds", 13, nil, Vector[int64](math.MinInt64, math.MaxInt64), nil, nil, Vector[int64](math.MinInt64, math.MaxInt64), ""},
		{"bound of shape [1]", 13, nil, f32(3), Vector[float32](1), nil, f32(3), ""},
		{"scalar input", 13, nil, Scalar[float32](7), nil, Scalar[float32](6), Scalar[float32](6), ""},
		{"empty input", 13, nil, must(New([]int{0, 2}, []int32{})), Scalar[int32](1), nil, must(New([]int{0, 2}, []int32{})), ""},
		{"bound type", 13, nil, f32(1), Scalar[float64](0), nil, nil, "dtype float64"},
		{"bound not scalar", 13, nil, f32(1), nil, Vector[float32](1, 2), nil, "scalar"},
		{"bool input", 13, nil, Vector(true), nil, nil, nil, "bool"},
		{"int attrs version", 6, nil, Vector[int32](1), nil, nil, nil, "int32"},
	}
	for _, c := range cases {
		var attrs []*onnxpb.AttributeProto
		for k, v := range c.attrs {
			attrs = append(attrs, ewFloatAttr(k, v))
		}
		in := []*Tensor{c.x}
		if c.opset >= 11 {
			in = append(in, c.lo, c.hi)
		}
		got, err := ewRun(t, "Clip", c.opset, attrs, in...)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("Clip %s: err %v, want %q", c.name, err, c.wantErr)
			}
			continue
		}
		if err != nil || got.DType() != c.want.DType() || !SameShape(got.Shape(), c.want.Shape()) || !ewSame(ewValues(t, got), ewValues(t, c.want), 0) {
			t.Errorf("Clip %s = %v %v, %v; want %v", c.name, got, got.Data(), err, c.want.Data())
		}
		if c.want.DType().IsInteger() && fmt.Sprint(got.Data()) != fmt.Sprint(c.want.Data()) {
			t.Errorf("Clip %s = %v, want exactly %v", c.name, got.Data(), c.want.Data())
		}
	}
}
