package ops

import (
	"errors"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func TestDropout(t *testing.T) {
	x := nnTo32(nnRand(1, 2, 3))
	ones := []float64{1, 1, 1, 1, 1, 1}
	xd, _ := tensors.AsFloat64s(x)
	cases := []struct {
		name   string
		opset  int
		in     []string
		attrs  []*onnxpb.AttributeProto
		extra  []*tensors.Tensor
		mask   tensors.DType // Undefined: no mask output
		errUns bool
		errAny bool
	}{
		{"version 6 inference", 6, []string{"x"}, []*onnxpb.AttributeProto{nnInt("is_test", 1), nnFloat("ratio", 0.3)}, nil, tensors.Float32, false, false},
		{"version 6 training", 6, []string{"x"}, []*onnxpb.AttributeProto{nnInt("is_test", 0)}, nil, tensors.Undefined, true, false},
		{"version 7", 7, []string{"x"}, []*onnxpb.AttributeProto{nnFloat("ratio", 0.9)}, nil, tensors.Float32, false, false},
		{"version 10 bool mask", 10, []string{"x"}, nil, nil, tensors.Bool, false, false},
		{"version 12 without mode", 12, []string{"x", "r"}, []*onnxpb.AttributeProto{nnInt("seed", 3)}, []*tensors.Tensor{tensors.Scalar[float32](0.5)}, tensors.Bool, false, false},
		{"version 13 inference", 13, []string{"x", "r", "t"}, nil, []*tensors.Tensor{tensors.Scalar[float32](0.5), tensors.Scalar(false)}, tensors.Bool, false, false},
		{"version 13 training, ratio 0", 13, []string{"x", "r", "t"}, nil, []*tensors.Tensor{tensors.Scalar[float64](0), tensors.Scalar(true)}, tensors.Bool, false, false},
		{"version 13 training", 13, []string{"x", "r", "t"}, nil, []*tensors.Tensor{tensors.Scalar[float32](0.5), tensors.Scalar(true)}, tensors.Bool, true, false},
		{"version 13 training, default ratio", 13, []string{"x", "", "t"}, nil, []*tensors.Tensor{nil, tensors.Scalar(true)}, tensors.Undefined, true, false},
		{"training_mode not bool", 13, []string{"x", "r", "t"}, nil, []*tensors.Tensor{tensors.Scalar[float32](0.5), tensors.Scalar[int64](1)}, tensors.Undefined, false, true},
		{"ratio out of range", 13, []string{"x", "r", "t"}, nil, []*tensors.Tensor{tensors.Scalar[float32](1.5), tensors.Scalar(true)}, tensors.Undefined, false, true},
	}
	for _, c := range cases {
		outs := []string{"y"}
		if c.mask != tensors.Undefined {
			outs = append(outs, "mask")
		}
		out, err := runNode(t, node("Dropout", c.in, outs, c.attrs...), c.opset, append([]*tensors.Tensor{x}, c.extra...)...)
		switch {
		case c.errUns || c.errAny:
			if err == nil || errors.Is(err, tensors.ErrUnsupported) != c.errUns {
				t.Errorf("%s: %v, want an error (unsupported: %v)", c.name, err, c.errUns)
			}
			continue
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		nnClose(t, c.name, out[0], x.Shape(), xd, 0)
		if c.mask != tensors.Undefined {
			if out[1].DType() != c.mask {
				t.Errorf("%s: mask is %v, want %v", c.name, out[1], c.mask)
			}
			nnClose(t, c.name+" mask", out[1], x.Shape(), ones, 0)
		}
	}
	// Constant training inputs are refused when the model loads.
	consts := map[string]*tensors.Tensor{"r": tensors.Scalar[float32](0.2), "t": tensors.Scalar(true)}
	_, err := Compile(node("Dropout", []string{"x", "r", "t"}, []string{"y"}), Env{Opset: 13, Const: func(n string) *tensors.Tensor { return consts[n] }})
	if !errors.Is(err, tensors.ErrUnsupported) {
		t.Errorf("constant training mode: %v, want unsupported at load", err)
	}
}
