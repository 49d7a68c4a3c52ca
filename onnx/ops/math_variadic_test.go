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
		for _, dt := range []tensors.DType{tensors.Float32, tensors.Float64} {
			for _, opset := range []int{8, 13} {
				for si, shapes := range shapeSets {
					in := make([]*tensors.Tensor, len(shapes))
					vals := make([][]float64, len(shapes))
					for i, s := range shapes {
						in[i] = ewTensor(t, dt, s, ewRamp(must(tensors.NumElements(s)), float64(i+1)*0.37, float64(si-i)))
						vals[i] = ewValues(t, in[i])
					}
					out := must(tensors.BroadcastShapes(shapes...))
					want := make([]float64, must(tensors.NumElements(out)))
					for o := range want {
						idx := unflatten(o, out)
						xs := make([]float64, len(shapes))
						for i, s := range shapes {
							xs[i] = vals[i][naiveIndex(idx, s)]
						}
						want[o] = ref(xs)
					}
					got, err := ewRun(t, op, opset, nil, in...)
					if err != nil || got.DType() != dt || !tensors.SameShape(got.Shape(), out) || !ewSame(ewValues(t, got), want, 1e-6) {
						t.Errorf("%s-%d %v %v = %v, %v; want %v %v", op, opset, dt, shapes, got, err, tensors.FormatShape(out), want)
					}
				}
			}
		}
	}
}

func TestVariadicCases(t *testing.T) {
	f32 := func(v ...float32) *tensors.Tensor { return tensors.Vector(v...) }
	fnan := float32(math.NaN())
	cases := []struct {
		op    string
		opset int
		in    []*tensors.Tensor
		want  *tensors.Tensor
		err   string
	}{
		{"Max", 13, []*tensors.Tensor{f32(1, fnan, 3), f32(fnan, 2, 1)}, f32(fnan, fnan, 3), ""},
		{"Min", 13, []*tensors.Tensor{f32(1, 5, 3), f32(2, fnan, 1), f32(0, 0, 0)}, f32(0, fnan, 0), ""},
		{"Max", 12, []*tensors.Tensor{tensors.Vector[int8](-128, 5), tensors.Vector[int8](3, 127)}, tensors.Vector[int8](3, 127), ""},
		{"Min", 13, []*tensors.Tensor{tensors.Vector[uint64](math.MaxUint64, 5), tensors.Scalar[uint64](7)}, tensors.Vector[uint64](7, 5), ""},
		{"Max", 13, []*tensors.Tensor{tensors.Vector[int64](math.MinInt64, 1), tensors.Vector[int64](math.MinInt64+1, 0)}, tensors.Vector[int64](math.MinInt64+1, 1), ""},
		{"Sum", 13, []*tensors.Tensor{tensors.Vector[int32](1, 2), tensors.Vector[int32](10, 20), tensors.Scalar[int32](100)}, tensors.Vector[int32](111, 122), ""},
		{"Sum", 8, []*tensors.Tensor{f32(1, 2)}, f32(1, 2), ""},
		{"Mean", 13, []*tensors.Tensor{f32(1, 2), f32(2, 4), f32(3, 9)}, f32(2, 5), ""},
		{"Mean", 6, []*tensors.Tensor{tensors.Vector[float64](1), tensors.Vector[float64](2)}, tensors.Vector[float64](1.5), ""},
		{"Sum", 1, []*tensors.Tensor{f32(1, 2), f32(3, 4)}, f32(4, 6), ""},
		{"Max", 6, []*tensors.Tensor{f32(1, 2), f32(3)}, nil, "version 8"},
		{"Min", 13, []*tensors.Tensor{f32(1, 2), f32(3, 4, 5)}, nil, "cannot broadcast"},
		{"Sum", 13, []*tensors.Tensor{f32(1), tensors.Vector[float64](1)}, nil, "dtype"},
		{"Mean", 13, []*tensors.Tensor{tensors.Vector[int32](1), tensors.Vector[int32](2)}, nil, "int32"},
		{"Max", 13, []*tensors.Tensor{tensors.Vector(true), tensors.Vector(false)}, nil, "bool"},
		{"Max", 13, []*tensors.Tensor{tensors.Vector("a")}, nil, "string"},
		{"Sum", 13, []*tensors.Tensor{nil, f32(1)}, nil, "omitted"},
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
		if err != nil || got.DType() != c.want.DType() || !tensors.SameShape(got.Shape(), c.want.Shape()) || !ewSame(ewValues(t, got), ewValues(t, c.want), 0) {
			t.Errorf("%s = %v %v, %v; want %v", name, got, got.Data(), err, c.want.Data())
		}
		if c.want.DType().IsInteger() && fmt.Sprint(got.Data()) != fmt.Sprint(c.want.Data()) {
			t.Errorf("%s = %v, want exactly %v", name, got.Data(), c.want.Data())
		}
	}
	// Unsupported element types are reported as such.
	if _, err := ewRun(t, "Mean", 13, nil, tensors.Vector[int32](1)); !errors.Is(err, tensors.ErrUnsupported) {
		t.Errorf("Mean of one int32 input: err %v, want ErrUnsupported", err)
	}
	if _, err := ewRun(t, "Sum", 13, nil, tensors.Vector(true), tensors.Vector(true)); !errors.Is(err, tensors.ErrUnsupported) {
		t.Errorf("Sum of bools: err %v, want ErrUnsupported", err)
	}
}

func TestClip(t *testing.T) {
	f32 := func(v ...float32) *tensors.Tensor { return tensors.Vector(v...) }
	fnan, finf := float32(math.NaN()), float32(math.Inf(1))
	cases := []struct {
		name    string
		opset   int
		attrs   map[string]float32
		x       *tensors.Tensor
		lo, hi  *tensors.Tensor
		want    *tensors.Tensor
		wantErr string
	}{
		{"attrs", 6, map[string]float32{"min": -1, "max": 1}, f32(-2, -0.5, 0, 3, fnan), nil, nil, f32(-1, -0.5, 0, 1, fnan), ""},
		{"attr max only", 6, map[string]float32{"max": 0}, f32(-5, 5), nil, nil, f32(-5, 0), ""},
		{"attr defaults clip inf", 6, nil, f32(finf, -finf, 2), nil, nil, f32(math.MaxFloat32, -math.MaxFloat32, 2), ""},
		{"attrs float64", 1, map[string]float32{"min": 0.5}, tensors.Vector[float64](0, 1e300), nil, nil, tensors.Vector[float64](0.5, math.MaxFloat32), ""},
		{"inputs", 11, nil, f32(-2, 0.5, 2), tensors.Scalar[float32](-1), tensors.Scalar[float32](1), f32(-1, 0.5, 1), ""},
		{"min only", 13, nil, f32(-2, 2), tensors.Scalar[float32](0), nil, f32(0, 2), ""},
		{"max only", 12, nil, f32(-2, 2), nil, tensors.Scalar[float32](0), f32(-2, 0), ""},
		{"no bounds", 13, nil, tensors.Vector[float64](-1e308, 1e308), nil, nil, tensors.Vector[float64](-1e308, 1e308), ""},
		{"min > max gives max", 13, nil, f32(-5, 0, 5), tensors.Scalar[float32](2), tensors.Scalar[float32](1), f32(1, 1, 1), ""},
		{"int8", 12, nil, tensors.Vector[int8](-128, -3, 0, 9, 127), tensors.Scalar[int8](-2), tensors.Scalar[int8](5), tensors.Vector[int8](-2, -2, 0, 5, 5), ""},
		{"uint64 max only", 13, nil, tensors.Vector[uint64](0, math.MaxUint64), nil, tensors.Scalar[uint64](10), tensors.Vector[uint64](0, 10), ""},
		{"int64 no bounds", 13, nil, tensors.Vector[int64](math.MinInt64, math.MaxInt64), nil, nil, tensors.Vector[int64](math.MinInt64, math.MaxInt64), ""},
		{"bound of shape [1]", 13, nil, f32(3), tensors.Vector[float32](1), nil, f32(3), ""},
		{"scalar input", 13, nil, tensors.Scalar[float32](7), nil, tensors.Scalar[float32](6), tensors.Scalar[float32](6), ""},
		{"empty input", 13, nil, must(tensors.New([]int{0, 2}, []int32{})), tensors.Scalar[int32](1), nil, must(tensors.New([]int{0, 2}, []int32{})), ""},
		{"bound type", 13, nil, f32(1), tensors.Scalar[float64](0), nil, nil, "dtype float64"},
		{"bound not scalar", 13, nil, f32(1), nil, tensors.Vector[float32](1, 2), nil, "scalar"},
		{"bool input", 13, nil, tensors.Vector(true), nil, nil, nil, "bool"},
		{"int attrs version", 6, nil, tensors.Vector[int32](1), nil, nil, nil, "int32"},
	}
	for _, c := range cases {
		var attrs []*onnxpb.AttributeProto
		for k, v := range c.attrs {
			attrs = append(attrs, ewFloatAttr(k, v))
		}
		in := []*tensors.Tensor{c.x}
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
		if err != nil || got.DType() != c.want.DType() || !tensors.SameShape(got.Shape(), c.want.Shape()) || !ewSame(ewValues(t, got), ewValues(t, c.want), 0) {
			t.Errorf("Clip %s = %v %v, %v; want %v", c.name, got, got.Data(), err, c.want.Data())
		}
		if c.want.DType().IsInteger() && fmt.Sprint(got.Data()) != fmt.Sprint(c.want.Data()) {
			t.Errorf("Clip %s = %v, want exactly %v", c.name, got.Data(), c.want.Data())
		}
	}
}
