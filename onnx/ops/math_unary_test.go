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

var (
	ewNaN  = math.NaN()
	ewInf  = math.Inf(1)
	ewNInf = math.Inf(-1)
)

func TestUnaryMath(t *testing.T) {
	cases := []struct {
		op    string
		opset int
		x     *tensors.Tensor
		want  []float64
	}{
		{"Sqrt", 13, tensors.Vector[float32](4, 2, 0, -1, float32(ewInf), float32(ewNaN)), []float64{2, math.Sqrt2, 0, ewNaN, ewInf, ewNaN}},
		{"Sqrt", 1, tensors.Vector[float64](9, 1e-300), []float64{3, 1e-150}},
		{"Exp", 6, tensors.Vector[float32](0, 1, -1, 89, -104, float32(ewNInf)), []float64{1, math.E, 1 / math.E, ewInf, 0, 0}},
		{"Exp", 13, tensors.Vector[float64](710, 2), []float64{ewInf, math.Exp(2)}},
		{"Log", 13, tensors.Vector[float32](1, float32(math.E), 0, -1, float32(ewInf)), []float64{0, 1, ewNInf, ewNaN, ewInf}},
		{"Log", 6, tensors.Vector[float64](1e-300), []float64{math.Log(1e-300)}},
		{"Neg", 13, tensors.Vector[float32](1, -2, 0), []float64{-1, 2, 0}},
		{"Neg", 6, tensors.Vector[int8](5, -128, 127), []float64{-5, -128, -127}},
		{"Neg", 13, tensors.Vector[int64](math.MinInt64+1, 3), []float64{math.MaxInt64, -3}},
		{"Abs", 13, tensors.Vector[float32](-1.5, 2, float32(ewNInf), float32(ewNaN)), []float64{1.5, 2, ewInf, ewNaN}},
		{"Abs", 6, tensors.Vector[int16](-7, 7, math.MinInt16), []float64{7, 7, math.MinInt16}},
		{"Abs", 13, tensors.Vector[uint8](0, 255), []float64{0, 255}},
		{"Abs", 1, tensors.Vector[float64](-3), []float64{3}},
		{"Reciprocal", 13, tensors.Vector[float32](2, -4, 0, float32(ewInf)), []float64{0.5, -0.25, ewInf, 0}},
		{"Reciprocal", 6, tensors.Vector[float64](3), []float64{1.0 / 3}},
		{"Floor", 13, tensors.Vector[float32](1.5, -1.5, 2, float32(ewNaN)), []float64{1, -2, 2, ewNaN}},
		{"Ceil", 13, tensors.Vector[float64](1.5, -1.5, 2, -0.5), []float64{2, -1, 2, 0}},
		{"Sign", 13, tensors.Vector[float32](3, -0.1, 0, float32(ewNaN), float32(ewNInf)), []float64{1, -1, 0, ewNaN, -1}},
		{"Sign", 9, tensors.Vector[int32](-5, 0, 9), []float64{-1, 0, 1}},
		{"Sign", 13, tensors.Vector[uint64](0, 7), []float64{0, 1}},
		{"Sin", 7, tensors.Vector[float32](0, math.Pi/2, -math.Pi/6), []float64{0, 1, -0.5}},
		{"Cos", 7, tensors.Vector[float64](0, math.Pi, math.Pi/3), []float64{1, -1, 0.5}},
	}
	for _, c := range cases {
		got, err := ewRun(t, c.op, c.opset, nil, c.x)
		if err != nil {
			t.Errorf("%s-%d(%v): %v", c.op, c.opset, c.x.Data(), err)
			continue
		}
		if got.DType() != c.x.DType() || !tensors.SameShape(got.Shape(), c.x.Shape()) || !ewSame(ewValues(t, got), c.want, 1e-6) {
			t.Errorf("%s-%d(%v) = %v %v, want %v", c.op, c.opset, c.x.Data(), got, got.Data(), c.want)
		}
	}
	// -0 and +0: Abs clears the sign bit, Neg flips it.
	got := must(ewRun(t, "Abs", 13, nil, tensors.Vector(math.Copysign(0, -1))))
	if math.Signbit(tensors.Data[float64](got)[0]) {
		t.Error("Abs(-0) kept the sign bit")
	}
	// Shapes are preserved, including rank 0 and zero-size dimensions.
	for _, shape := range [][]int{{}, {0}, {2, 0, 3}, {2, 3}} {
		n := must(tensors.NumElements(shape))
		x := must(tensors.New(shape, make([]float32, n)))
		got, err := ewRun(t, "Exp", 13, nil, x)
		if err != nil || !tensors.SameShape(got.Shape(), shape) || got.Len() != n {
			t.Errorf("Exp of %v = %v, %v", tensors.FormatShape(shape), got, err)
		}
	}
}

func TestUnaryMathRejects(t *testing.T) {
	cases := []struct {
		op string
		x  *tensors.Tensor
	}{
		{"Sqrt", tensors.Vector[int32](4)},
		{"Exp", tensors.Vector(true)},
		{"Log", tensors.Vector[int64](1)},
		{"Neg", tensors.Vector[uint8](1)},
		{"Abs", tensors.Vector("x")},
		{"Reciprocal", tensors.Vector[int32](2)},
		{"Floor", tensors.Vector[int8](1)},
		{"Sign", tensors.Vector(false)},
		{"Sigmoid", tensors.Vector[int32](0)},
		{"LeakyRelu", tensors.Vector[int64](-1)},
	}
	for _, c := range cases {
		if _, err := ewRun(t, c.op, 13, nil, c.x); !errors.Is(err, tensors.ErrUnsupported) {
			t.Errorf("%s of %v: err %v, want ErrUnsupported", c.op, c.x, err)
		}
	}
}

func TestActivations(t *testing.T) {
	type attrs = []*onnxpb.AttributeProto
	selu := func(x float64) float64 {
		const a, g = 1.67326319217681884765625, 1.05070102214813232421875
		if x > 0 {
			return float64(float32(g)) * x
		}
		return float64(float32(g)) * float64(float32(a)) * (math.Exp(x) - 1)
	}
	cases := []struct {
		op    string
		opset int
		attrs attrs
		x     []float64
		want  []float64
	}{
		{"Sigmoid", 13, nil, []float64{0, 1, -1, 1000, -1000, 40, -40, ewInf, ewNInf, ewNaN},
			[]float64{0.5, 1 / (1 + math.Exp(-1)), 1 / (1 + math.E), 1, 0, 1, math.Exp(-40), 1, 0, ewNaN}},
		{"Sigmoid", 6, nil, []float64{-745, 745}, []float64{5e-324, 1}},
		{"Tanh", 13, nil, []float64{0, 0.5, -0.5, 50, -50, ewNaN}, []float64{0, math.Tanh(0.5), -math.Tanh(0.5), 1, -1, ewNaN}},
		{"LeakyRelu", 16, nil, []float64{-2, 0, 3, ewNaN}, []float64{-0.02, 0, 3, ewNaN}},
		{"LeakyRelu", 6, attrs{ewFloatAttr("alpha", 0.5)}, []float64{-2, 4}, []float64{-1, 4}},
		{"LeakyRelu", 1, attrs{ewFloatAttr("alpha", -1), ewIntAttr("consumed_inputs", 0)}, []float64{-2}, []float64{2}},
		{"Elu", 6, nil, []float64{-1, 0, 2, -1000, ewNaN}, []float64{math.Exp(-1) - 1, 0, 2, -1, ewNaN}},
		{"Elu", 6, attrs{ewFloatAttr("alpha", 2)}, []float64{-1e-10, -1}, []float64{-2e-10, 2 * (math.Exp(-1) - 1)}},
		{"Selu", 6, nil, []float64{-1, 0, 1, -100}, []float64{selu(-1), 0, selu(1), selu(-100)}},
		{"Selu", 6, attrs{ewFloatAttr("alpha", 2), ewFloatAttr("gamma", 3)}, []float64{-1, 1}, []float64{6 * (math.Exp(-1) - 1), 3}},
		{"HardSigmoid", 6, nil, []float64{-3, -2.5, 0, 1, 2.5, 3, ewNaN}, []float64{0, 0, 0.5, 0.7, 1, 1, ewNaN}},
		{"HardSigmoid", 6, attrs{ewFloatAttr("alpha", 1), ewFloatAttr("beta", 0)}, []float64{-0.5, 0.25, 2}, []float64{0, 0.25, 1}},
	}
	for _, c := range cases {
		for _, dt := range []tensors.DType{tensors.Float32, tensors.Float64} {
			x := ewTensor(t, dt, []int{len(c.x)}, c.x)
			got, err := ewRun(t, c.op, c.opset, c.attrs, x)
			if err != nil {
				t.Errorf("%s-%d %v: %v", c.op, c.opset, dt, err)
				continue
			}
			want := c.want
			if dt == tensors.Float32 { // the expected values as float32 holds them
				want = ewValues(t, ewTensor(t, tensors.Float32, []int{len(c.want)}, c.want))
			}
			if got.DType() != dt || !ewSame(ewValues(t, got), want, 1e-6) {
				t.Errorf("%s-%d %v(%v) = %v, want %v", c.op, c.opset, dt, c.x, got.Data(), want)
			}
		}
	}
	// Attribute errors are reported at load time.
	for _, c := range []struct {
		op string
		a  *onnxpb.AttributeProto
	}{
		{"LeakyRelu", ewIntAttr("alpha", 1)},
		{"Elu", ewIntAttr("alpha", 1)},
		{"HardSigmoid", ewIntAttr("beta", 1)},
		{"Selu", ewFloatAttr("beta", 1)},
	} {
		_, err := Compile(node(c.op, []string{"x"}, []string{"y"}, c.a), Env{Opset: 13})
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", c.a.GetName())) {
			t.Errorf("%s with bad attribute %s: err %v", c.op, c.a.GetName(), err)
		}
	}
}

func TestUnaryKeepsInput(t *testing.T) {
	for _, op := range []string{"Neg", "Abs", "Sqrt", "Sigmoid", "Elu", "Clip", "Cast"} {
		x := tensors.Vector[float32](-1, 4)
		var attrs []*onnxpb.AttributeProto
		if op == "Cast" {
			attrs = append(attrs, ewIntAttr("to", int64(tensors.Int32)))
		}
		if _, err := ewRun(t, op, 13, attrs, x); err != nil {
			t.Errorf("%s: %v", op, err)
		}
		if d := tensors.Data[float32](x); d[0] != -1 || d[1] != 4 {
			t.Errorf("%s modified its input: %v", op, d)
		}
	}
}
