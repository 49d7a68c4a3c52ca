package ops

import (
	"math"

	"github.com/onnxkit/onnxkit/internal/kernel"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Activation functions beyond Relu: LeakyRelu, Elu, Selu, Sigmoid,
// HardSigmoid, Tanh. All take float tensors; float attributes (stored as
// float32 in the model) are widened for float64 tensors. Relu, Sigmoid and
// Tanh run the kernels of package kernel (vector loops for float32, within
// 2.5 ulp for Sigmoid and Tanh), which the recurrent layers and the
// trainable layers share.

func actLeakyRelu[T tensors.Float](x, alpha T) T {
	if x < 0 {
		return alpha * x
	}
	return x // NaN stays NaN
}

func actHardSigmoid[T tensors.Float](x, alpha, beta T) T {
	return max(0, min(1, alpha*x+beta)) // builtin min/max propagate NaN
}

// actElu is x for x >= 0 and alpha*(e^x-1) below.
func actElu(x, alpha float64) float64 {
	if x >= 0 {
		return x
	}
	return alpha * math.Expm1(x) // also NaN for NaN
}

// actSelu is gamma*x for x > 0 and gamma*alpha*(e^x-1) otherwise.
func actSelu(x, alpha, gamma float64) float64 {
	if x > 0 {
		return gamma * x
	}
	return gamma * alpha * math.Expm1(x)
}

// registerFloatActivation registers a float activation whose functions depend
// on the node's float attributes: prep reads them (Prepare checks
// n.Attrs.Err afterwards) and returns the per-type functions.
func registerFloatActivation(name string, since []int, prep func(a *Attrs) NumericUnary) {
	Register(Op{
		Type:          name,
		HalfAsFloat32: true,
		Since:         since,
		Prepare: func(n *Node) (Kernel, error) {
			n.Attrs.Ignore("consumed_inputs") // version 1 only; no effect
			fns := prep(n.Attrs)
			if err := n.Attrs.Err(); err != nil {
				return nil, err
			}
			return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
				y, err := fns.ApplyRecycled(in[0], last)
				return Result(last, y), err
			}), nil
		},
		Infer: InferSame,
	})
}

func init() {
	// LeakyRelu: 16 adds bfloat16 only.
	registerFloatActivation("LeakyRelu", []int{1, 6, 16}, func(a *Attrs) NumericUnary {
		alpha := a.Float("alpha", 0.01)
		return NumericUnary{
			F32: func(x float32) float32 { return actLeakyRelu(x, alpha) },
			F64: func(x float64) float64 { return actLeakyRelu(x, float64(alpha)) },
		}
	})
	registerFloatActivation("Elu", []int{1, 6}, func(a *Attrs) NumericUnary {
		alpha := float64(a.Float("alpha", 1))
		return viaFloat64(func(x float64) float64 { return actElu(x, alpha) })
	})
	registerFloatActivation("Selu", []int{1, 6}, func(a *Attrs) NumericUnary {
		alpha := float64(a.Float("alpha", 1.67326319217681884765625))
		gamma := float64(a.Float("gamma", 1.05070102214813232421875))
		return viaFloat64(func(x float64) float64 { return actSelu(x, alpha, gamma) })
	})
	registerFloatActivation("HardSigmoid", []int{1, 6}, func(a *Attrs) NumericUnary {
		alpha, beta := a.Float("alpha", 0.2), a.Float("beta", 0.5)
		return NumericUnary{
			F32: func(x float32) float32 { return actHardSigmoid(x, alpha, beta) },
			F64: func(x float64) float64 { return actHardSigmoid(x, float64(alpha), float64(beta)) },
		}
	})
	registerKernelActivation("Sigmoid", []int{1, 6, 13}, kernel.Sigmoid[float32], kernel.Sigmoid[float64])
	registerKernelActivation("Tanh", []int{1, 6, 13}, kernel.Tanh[float32], kernel.Tanh[float64])
}

// registerKernelActivation registers a float activation without attributes
// that a kernel of package kernel computes over whole slices.
func registerKernelActivation(name string, since []int, f32 func(x, y []float32), f64 func(x, y []float64)) {
	Register(Op{
		Type:          name,
		HalfAsFloat32: true,
		Since:         since,
		Prepare: func(n *Node) (Kernel, error) {
			n.Attrs.Ignore("consumed_inputs") // version 1 only; no effect
			return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
				var y *tensors.Tensor
				var err error
				switch x := in[0]; x.DType() {
				case tensors.Float32:
					y, err = floatKernel(x, last, f32)
				case tensors.Float64:
					y, err = floatKernel(x, last, f64)
				default:
					err = tensors.ErrDType("X", x.DType(), tensors.Float32, tensors.Float64)
				}
				return Result(last, y), err
			}), nil
		},
		Infer: InferSame,
	})
}

// Activation functions.

func relu[T tensors.Numeric](v T) T {
	if v < 0 {
		return 0
	}
	return v // NaN stays NaN
}

func init() {
	// Relu-1 has a legacy consumed_inputs attribute without effect; 6 and
	// 13 take floats, 14 adds signed integers.
	reluFns := NumericUnary{
		F32: relu[float32], F64: relu[float64],
		I8: relu[int8], I16: relu[int16], I32: relu[int32], I64: relu[int64],
	}
	Register(Op{
		Type:          "Relu",
		HalfAsFloat32: true,
		Since:         []int{1, 6, 13, 14},
		Prepare: func(n *Node) (Kernel, error) {
			n.Attrs.Ignore("consumed_inputs")
			return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
				var y *tensors.Tensor
				var err error
				switch x := in[0]; x.DType() {
				case tensors.Float32:
					y, err = floatKernel(x, last, kernel.Relu[float32])
				case tensors.Float64:
					y, err = floatKernel(x, last, kernel.Relu[float64])
				default:
					y, err = reluFns.Apply(x)
				}
				return Result(last, y), err
			}), nil
		},
		Infer: InferSame,
	})
}

// floatKernel applies the elementwise kernel f (Relu, Sigmoid, Tanh of
// package kernel) to the float tensor x, into the recycled output.
func floatKernel[T tensors.Float](x *tensors.Tensor, last []*tensors.Tensor, f func(x, y []T)) (*tensors.Tensor, error) {
	y, dst, err := Recycle[T](last, 0, x.Shape())
	if err != nil {
		return nil, err
	}
	f(tensors.Data[T](x), dst)
	return y, nil
}
