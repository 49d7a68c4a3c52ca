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

// TestQuantizeHostile feeds the quantized operators wrong scales, zero
// points and data: each must fail with an error saying what is wrong,
// never panic.
func TestQuantizeHostile(t *testing.T) {
	x := tensors.Vector[float32](1, 2, 3)
	q := tensors.Vector[uint8](1, 2, 3)
	nan := float32(math.NaN())
	x2, _ := x.Reshape(1, 3)
	m := func(shape []int, v ...uint8) *tensors.Tensor {
		t, err := tensors.New(shape, v)
		if err != nil {
			panic(err)
		}
		return t
	}
	ms := DomainMicrosoft
	cases := []struct {
		domain, op string
		in         []*tensors.Tensor
		want       string
	}{
		{"", "QuantizeLinear", []*tensors.Tensor{x, tensors.Scalar[float32](0)}, "scale[0] = 0"},
		{"", "QuantizeLinear", []*tensors.Tensor{x, tensors.Scalar(nan)}, "finite and non-zero"},
		{"", "QuantizeLinear", []*tensors.Tensor{x, tensors.Scalar[float32](1), tensors.Scalar[int32](0)}, "zero point"},
		{"", "QuantizeLinear", []*tensors.Tensor{x2, tensors.Vector[float32](1, 2), tensors.Vector[uint8](0, 0)}, "want 3 scales"},
		{"", "QuantizeLinear", []*tensors.Tensor{x2, tensors.Vector[float32](1, 2, 3), tensors.Vector[uint8](0, 0)}, "does not match scale"},
		{"", "QuantizeLinear", []*tensors.Tensor{x, tensors.Vector[float32](1, 2, 3)}, "axis 1 is out of range"},
		{"", "QuantizeLinear", []*tensors.Tensor{x, tensors.Scalar[float64](1)}, "want float32"},
		{"", "QuantizeLinear", []*tensors.Tensor{tensors.Vector("1"), tensors.Scalar[float32](1)}, "x"},
		{"", "QuantizeLinear", []*tensors.Tensor{x, tensors.Vector[float32]()}, "scalar or a 1-D"},
		{"", "DequantizeLinear", []*tensors.Tensor{q, tensors.Scalar[float32](1), tensors.Scalar[int8](0)}, "zero point"},
		{"", "DequantizeLinear", []*tensors.Tensor{tensors.Vector[int32](1), tensors.Scalar[float32](1), tensors.Scalar[int32](4)}, "zero point 0"},
		{"", "DequantizeLinear", []*tensors.Tensor{x, tensors.Scalar[float32](1)}, "x"},
		{"", "DequantizeLinear", []*tensors.Tensor{q, tensors.Scalar[float32](float32(math.Inf(1)))}, "finite"},
		{"", "DynamicQuantizeLinear", []*tensors.Tensor{tensors.Vector[float32](1, nan)}, "NaN"},
		{"", "MatMulInteger", []*tensors.Tensor{m([]int{1, 3}, 1, 2, 3), m([]int{2, 2}, 1, 2, 3, 4)}, "inner dimensions"},
		{"", "MatMulInteger", []*tensors.Tensor{m([]int{1, 3}, 1, 2, 3), m([]int{3, 1}, 1, 2, 3), tensors.Scalar[int8](0)}, "element type"},
		{"", "MatMulInteger", []*tensors.Tensor{m([]int{1, 3}, 1, 2, 3), m([]int{3, 1}, 1, 2, 3), nil, tensors.Vector[uint8](1, 2)}, "one per channel"},
		{"", "QLinearMatMul", []*tensors.Tensor{m([]int{1, 3}, 1, 2, 3), tensors.Scalar[float32](1), tensors.Scalar[uint8](0), m([]int{3, 1}, 1, 2, 3),
			tensors.Scalar[float32](0), tensors.Scalar[uint8](0), tensors.Scalar[float32](1), tensors.Scalar[uint8](0)}, "b scale[0] = 0"},
		{"", "QLinearMatMul", []*tensors.Tensor{m([]int{1, 3}, 1, 2, 3), tensors.Vector[float32](1, 1), tensors.Scalar[uint8](0), m([]int{3, 1}, 1, 2, 3),
			tensors.Scalar[float32](1), tensors.Scalar[uint8](0), tensors.Scalar[float32](1), tensors.Scalar[uint8](0)}, "a scale"},
		{"", "QLinearConv", []*tensors.Tensor{m([]int{1, 1, 2, 2}, 1, 2, 3, 4), tensors.Scalar[float32](1), tensors.Scalar[uint8](0), m([]int{2, 1, 1, 1}, 1, 2),
			tensors.Vector[float32](1, 1, 1), tensors.Scalar[uint8](0), tensors.Scalar[float32](1), tensors.Scalar[uint8](0)}, "w scale"},
		{"", "QLinearConv", []*tensors.Tensor{m([]int{1, 1, 2, 2}, 1, 2, 3, 4), tensors.Scalar[float32](1), tensors.Scalar[uint8](0), m([]int{2, 1, 1, 1}, 1, 2),
			tensors.Scalar[float32](1), tensors.Scalar[uint8](0), tensors.Scalar[float32](1), tensors.Scalar[uint8](0), tensors.Vector[int32](1)}, "B"},
		{"", "QLinearConv", []*tensors.Tensor{m([]int{1, 2, 2}, 1, 2, 3, 4), tensors.Scalar[float32](1), tensors.Scalar[uint8](0), m([]int{2, 1, 1, 1}, 1, 2),
			tensors.Scalar[float32](1), tensors.Scalar[uint8](0), tensors.Scalar[float32](1), tensors.Scalar[uint8](0)}, "rank"},
		{"", "ConvInteger", []*tensors.Tensor{m([]int{1, 1, 2, 2}, 1, 2, 3, 4), m([]int{1, 2, 1, 1}, 1, 2)}, "group"},
		{ms, "QLinearAdd", []*tensors.Tensor{q, tensors.Scalar[float32](1), tensors.Scalar[uint8](0), tensors.Vector[int8](1),
			tensors.Scalar[float32](1), tensors.Scalar[int8](0), tensors.Scalar[float32](1), tensors.Scalar[uint8](0)}, "element type"},
		{ms, "QLinearMul", []*tensors.Tensor{q, tensors.Scalar[float32](1), tensors.Scalar[uint8](0), q,
			tensors.Scalar[float32](1), tensors.Scalar[uint8](0), tensors.Scalar(nan), tensors.Scalar[uint8](0)}, "C scale"},
		{ms, "QLinearGlobalAveragePool", []*tensors.Tensor{q, tensors.Scalar[float32](1), tensors.Scalar[uint8](0), tensors.Scalar[float32](1), tensors.Scalar[uint8](0)}, "N×C"},
		{ms, "QLinearSigmoid", []*tensors.Tensor{x, tensors.Scalar[float32](1), tensors.Scalar[uint8](0), tensors.Scalar[float32](1), tensors.Scalar[uint8](0)}, "X"},
	}
	for _, c := range cases {
		names := make([]string, len(c.in))
		for i, x := range c.in {
			if x != nil {
				names[i] = fmt.Sprintf("x%d", i)
			}
		}
		outs := []string{"y"}
		if c.op == "DynamicQuantizeLinear" {
			outs = append(outs, "s", "z")
		}
		np := node(c.op, names, outs)
		np.Domain = c.domain
		opset := 13
		if c.domain != "" {
			opset = 1
		}
		_, err := runNode(t, np, opset, c.in...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s%v: err %v, want %q", c.op, c.in, err, c.want)
		}
	}
	// Arity of com.microsoft operators is checked at load time.
	np := node("QLinearSigmoid", []string{"x"}, []string{"y"})
	np.Domain = ms
	if _, err := Compile(np, Env{Opset: 1}); err == nil || !strings.Contains(err.Error(), "at least 5") {
		t.Errorf("QLinearSigmoid with 1 input: %v", err)
	}
	np = node("QLinearConcat", []string{"x"}, []string{"y"})
	np.Domain = ms
	if _, err := Compile(np, Env{Opset: 1}); !errors.Is(err, tensors.ErrUnsupported) {
		t.Errorf("QLinearConcat: %v, want unsupported", err)
	}
	np = node("QLinearGlobalAveragePool", []string{"a", "b", "c", "d", "e"}, []string{"y"},
		&onnxpb.AttributeProto{Name: "bogus", Type: onnxpb.AttributeProto_INT})
	np.Domain = ms
	if _, err := Compile(np, Env{Opset: 1}); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("unknown attribute: %v", err)
	}
}

// TestQuantizeValues checks rounding half to even and saturation.
func TestQuantizeValues(t *testing.T) {
	x := tensors.Vector[float32](0.5, 1.5, 2.5, -0.5, -1.5, 1000, -1000, float32(math.NaN()))
	y, err := ewRun(t, "QuantizeLinear", 13, nil, x, tensors.Scalar[float32](1), tensors.Scalar[int8](0))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(y.Data()); got != "[0 2 2 0 -2 127 -128 0]" {
		t.Errorf("QuantizeLinear to int8: %s", got)
	}
	y, err = ewRun(t, "QuantizeLinear", 13, nil, x, tensors.Scalar[float32](1))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(y.Data()); got != "[0 2 2 0 0 255 0 0]" {
		t.Errorf("QuantizeLinear to uint8: %s", got)
	}
}
