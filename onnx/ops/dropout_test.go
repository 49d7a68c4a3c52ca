package ops

import (
	"errors"
	"fmt"
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
}

// TestDropoutTraining checks training-mode draws: every output element is
// 0 or the input scaled by 1/(1-ratio), the mask says which, about ratio
// of the elements are dropped, a seed repeats the draw and no seed draws
// afresh.
func TestDropoutTraining(t *testing.T) {
	const n = 20000
	xs := make([]float32, n)
	for i := range xs {
		xs[i] = float32(i%97) + 1
	}
	x, err := tensors.New([]int{n}, xs)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ratio float32
		seed  bool
	}{{0.3, true}, {0.75, false}, {0.5, true}} {
		var attrs []*onnxpb.AttributeProto
		if c.seed {
			attrs = append(attrs, nnInt("seed", 42))
		}
		nd := node("Dropout", []string{"x", "r", "t"}, []string{"y", "mask"}, attrs...)
		run := func() (*tensors.Tensor, *tensors.Tensor) {
			out, err := runNode(t, nd, 13, x, tensors.Scalar(c.ratio), tensors.Scalar(true))
			if err != nil {
				t.Fatalf("ratio %g: %v", c.ratio, err)
			}
			return out[0], out[1]
		}
		y, mask := run()
		yd, md := tensors.Data[float32](y), tensors.Data[bool](mask)
		dropped := 0
		scale := 1 / (1 - float64(c.ratio))
		for i := range xs {
			want := 0.0
			if md[i] {
				want = float64(xs[i]) * scale
			} else {
				dropped++
			}
			if d := float64(yd[i]) - want; d > 1e-4*want || d < -1e-4*want {
				t.Fatalf("ratio %g: y[%d] = %g with mask %v, want %g", c.ratio, i, yd[i], md[i], want)
			}
		}
		frac := float64(dropped) / n
		if frac < float64(c.ratio)-0.02 || frac > float64(c.ratio)+0.02 {
			t.Errorf("ratio %g: dropped %.3f of the elements", c.ratio, frac)
		}
		_, mask2 := run()
		same := fmt.Sprint(tensors.Data[bool](mask2)) == fmt.Sprint(md)
		if same != c.seed {
			t.Errorf("ratio %g, seeded %v: a second run drew the same mask: %v", c.ratio, c.seed, same)
		}
	}
	// A ratio outside [0, 1) in training mode is an error at load.
	consts := map[string]*tensors.Tensor{"r": tensors.Scalar[float32](1), "t": tensors.Scalar(true)}
	_, err = Compile(node("Dropout", []string{"x", "r", "t"}, []string{"y"}), Env{Opset: 13, Const: func(n string) *tensors.Tensor { return consts[n] }})
	if err == nil {
		t.Error("constant training mode with ratio 1: no error at load")
	}
}
