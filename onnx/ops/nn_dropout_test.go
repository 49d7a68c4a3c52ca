package ops

import (
	"errors"
	"testing"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
)

func TestDropout(t *testing.T) {
	x := nnTo32(nnRand(1, 2, 3))
	ones := []float64{1, 1, 1, 1, 1, 1}
	xd, _ := AsFloat64s(x)
	cases := []struct {
		name   string
		opset  int
		in     []string
		attrs  []*onnxpb.AttributeProto
		extra  []*Tensor
		mask   DType // Undefined: no mask output
		errUns bool
		errAny bool
	}{
		{"version 6 inference", 6, []string{"x"}, []*onnxpb.AttributeProto{nnInt("is_test", 1), nnFloat("ratio", 0.3)}, nil, Float32, false, false},
		{"version 6 training", 6, []string{"x"}, []*onnxpb.AttributeProto{nnInt("is_test", 0)}, nil, Undefined, true, false},
		{"version 7", 7, []string{"x"}, []*onnxpb.AttributeProto{nnFloat("ratio", 0.9)}, nil, Float32, false, false},
		{"version 10 bool mask", 10, []string{"x"}, nil, nil, Bool, false, false},
		{"version 12 without mode", 12, []string{"x", "r"}, []*onnxpb.AttributeProto{nnInt("seed", 3)}, []*Tensor{Scalar[float32](0.5)}, Bool, false, false},
		{"version 13 inference", 13, []string{"x", "r", "t"}, nil, []*Tensor{Scalar[float32](0.5), Scalar(false)}, Bool, false, false},
		{"version 13 training, ratio 0", 13, []string{"x", "r", "t"}, nil, []*Tensor{Scalar[float64](0), Scalar(true)}, Bool, false, false},
		{"version 13 training", 13, []string{"x", "r", "t"}, nil, []*Tensor{Scalar[float32](0.5), Scalar(true)}, Bool, true, false},
		{"version 13 training, default ratio", 13, []string{"x", "", "t"}, nil, []*Tensor{nil, Scalar(true)}, Undefined, true, false},
		{"training_mode not bool", 13, []string{"x", "r", "t"}, nil, []*Tensor{Scalar[float32](0.5), Scalar[int64](1)}, Undefined, false, true},
		{"ratio out of range", 13, []string{"x", "r", "t"}, nil, []*Tensor{Scalar[float32](1.5), Scalar(true)}, Undefined, false, true},
	}
	for _, c := range cases {
		outs := []string{"y"}
		if c.mask != Undefined {
			outs = append(outs, "mask")
		}
		out, err := runNode(t, node("Dropout", c.in, outs, c.attrs...), c.opset, append([]*Tensor{x}, c.extra...)...)
		switch {
		case c.errUns || c.errAny:
			if err == nil || errors.Is(err, ErrUnsupported) != c.errUns {
				t.Errorf("%s: %v, want an error (unsupported: %v)", c.name, err, c.errUns)
			}
			continue
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		nnClose(t, c.name, out[0], x.Shape(), xd, 0)
		if c.mask != Undefined {
			if out[1].DType() != c.mask {
				t.Errorf("%s: mask is %v, want %v", c.name, out[1], c.mask)
			}
			nnClose(t, c.name+" mask", out[1], x.Shape(), ones, 0)
		}
	}
	// Constant training inputs are refused when the model loads.
	consts := map[string]*Tensor{"r": Scalar[float32](0.2), "t": Scalar(true)}
	_, err := Compile(node("Dropout", []string{"x", "r", "t"}, []string{"y"}), Env{Opset: 13, Const: func(n string) *Tensor { return consts[n] }})
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("constant training mode: %v, want unsupported at load", err)
	}
}
