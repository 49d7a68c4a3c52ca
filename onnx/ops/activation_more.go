package ops

import (
	"fmt"
	"math"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// More activations: Softplus, Softsign, Celu, ThresholdedRelu, Mish,
// HardSwish, Shrink and PRelu. Float tensors (Shrink and PRelu-9+ also take
// integers); float attributes are widened for float64 tensors and the
// functions are computed in float64.

// actSoftplus is log(1+e^x) without overflow.
func actSoftplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

func init() {
	registerFloatActivation("Softplus", []int{1}, func(*Attrs) NumericUnary { return viaFloat64(actSoftplus) })
	registerFloatActivation("Softsign", []int{1}, func(*Attrs) NumericUnary {
		return viaFloat64(func(x float64) float64 { return x / (1 + math.Abs(x)) })
	})
	registerFloatActivation("Celu", []int{12}, func(a *Attrs) NumericUnary {
		alpha := float64(a.Float("alpha", 1))
		return viaFloat64(func(x float64) float64 {
			return max(0, x) + min(0, alpha*math.Expm1(x/alpha))
		})
	})
	registerFloatActivation("ThresholdedRelu", []int{10}, func(a *Attrs) NumericUnary {
		alpha := float64(a.Float("alpha", 1))
		return viaFloat64(func(x float64) float64 {
			if x > alpha || x != x {
				return x
			}
			return 0
		})
	})
	registerFloatActivation("Mish", []int{18}, func(*Attrs) NumericUnary {
		return viaFloat64(func(x float64) float64 { return x * math.Tanh(actSoftplus(x)) })
	})
	registerFloatActivation("HardSwish", []int{14}, func(*Attrs) NumericUnary {
		return viaFloat64(func(x float64) float64 { return x * max(0, min(1, x/6+0.5)) })
	})
	Register(Op{Type: "Shrink", Since: []int{9}, Prepare: prepareShrink, Infer: InferSame})
	Register(Op{Type: "PRelu", Since: []int{1, 6, 7, 9, 16}, Prepare: preparePRelu, Infer: InferSame})
}

func shrink[T tensors.Numeric](bias, lambd float64) func(T) T {
	return func(v T) T {
		x := float64(v)
		switch {
		case x < -lambd:
			return T(x + bias)
		case x > lambd:
			return T(x - bias)
		case x != x:
			return v
		}
		return 0
	}
}

func prepareShrink(n *Node) (Kernel, error) {
	bias := float64(n.Attrs.Float("bias", 0))
	lambd := float64(n.Attrs.Float("lambd", 0.5))
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	fns := NumericUnary{
		F32: shrink[float32](bias, lambd), F64: shrink[float64](bias, lambd),
		I8: shrink[int8](bias, lambd), I16: shrink[int16](bias, lambd), I32: shrink[int32](bias, lambd), I64: shrink[int64](bias, lambd),
		U8: shrink[uint8](bias, lambd), U16: shrink[uint16](bias, lambd), U32: shrink[uint32](bias, lambd), U64: shrink[uint64](bias, lambd),
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		y, err := fns.Apply(in[0])
		return []*tensors.Tensor{y}, err
	}, nil
}

func prelu[T tensors.Numeric](x, slope T) T {
	if x < 0 {
		return slope * x
	}
	return x
}

func preparePRelu(n *Node) (Kernel, error) {
	n.Attrs.Ignore("consumed_inputs")
	fns := NumericBinary{F32: prelu[float32], F64: prelu[float64]}
	if n.Since >= 9 {
		fns.I32, fns.I64 = prelu[int32], prelu[int64]
		fns.U32, fns.U64 = prelu[uint32], prelu[uint64]
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x, slope := in[0], in[1]
		if x.DType() != slope.DType() {
			return nil, fmt.Errorf("input slope (%v) must have the element type of X (%v)", slope.DType(), x.DType())
		}
		// Versions 1 and 6 also take a 1-D slope of one value per
		// channel (axis 1), as Caffe and the PyTorch exporter use.
		if xs := x.Shape(); n.Since < 7 && slope.Rank() == 1 && len(xs) > 1 && slope.Shape()[0] == xs[1] && !tensors.CanBroadcastTo(slope.Shape(), xs) {
			shape := make([]int, len(xs)-1)
			for i := range shape {
				shape[i] = 1
			}
			shape[0] = xs[1]
			var err error
			if slope, err = slope.Reshape(shape...); err != nil {
				return nil, err
			}
		}
		if !tensors.CanBroadcastTo(slope.Shape(), x.Shape()) {
			return nil, fmt.Errorf("input slope %s does not broadcast to X %s", tensors.FormatShape(slope.Shape()), tensors.FormatShape(x.Shape()))
		}
		y, err := fns.Apply(x, slope)
		return []*tensors.Tensor{y}, err
	}, nil
}
