package ops

import (
	"math"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Unary math operators: Sqrt, Exp, Log, Neg, Abs, Reciprocal, Floor, Ceil,
// Sign, Sin, Cos.
//
// Version 1 of most of them has the inert consumed_inputs attribute; the
// later versions differ only in the element types they allow (float16 and
// bfloat16, which onnxkit does not hold). Each registration accepts the
// union of its versions' numeric types.

// viaFloat64 lifts a float64 function to float32 and float64 tensors; the
// float32 case is computed in float64 and rounded once.
func viaFloat64(f func(float64) float64) NumericUnary {
	return NumericUnary{
		F32: func(v float32) float32 { return float32(f(float64(v))) },
		F64: f,
	}
}

func unaryNeg[T tensors.Numeric](v T) T { return -v }

func absSigned[T tensors.Signed](v T) T {
	if v < 0 {
		return -v // the minimum wraps to itself, as in C
	}
	return v
}

func unaryIdentity[T tensors.Numeric](v T) T { return v }

func unarySign[T tensors.Numeric](v T) T {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -T(1) // unreachable for unsigned types
	}
	return v // 0, -0 or NaN
}

// registerMathUnary registers a one-input, one-output elementwise operator
// computed by fns in the given versions.
func registerMathUnary(name string, since []int, fns NumericUnary) {
	Register(Op{
		Type:  name,
		Since: since,
		Prepare: func(n *Node) (Kernel, error) {
			n.Attrs.Ignore("consumed_inputs") // version 1 only; no effect
			return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
				y, err := fns.Apply(in[0])
				return []*tensors.Tensor{y}, err
			}, nil
		},
		Infer: InferSame,
	})
}

func init() {
	registerMathUnary("Sqrt", []int{1, 6, 13}, viaFloat64(math.Sqrt))
	registerMathUnary("Exp", []int{1, 6, 13}, viaFloat64(math.Exp))
	registerMathUnary("Log", []int{1, 6, 13}, viaFloat64(math.Log))
	registerMathUnary("Floor", []int{1, 6, 13}, viaFloat64(math.Floor))
	registerMathUnary("Ceil", []int{1, 6, 13}, viaFloat64(math.Ceil))
	registerMathUnary("Sin", []int{7}, viaFloat64(math.Sin))
	registerMathUnary("Cos", []int{7}, viaFloat64(math.Cos))
	registerMathUnary("Reciprocal", []int{1, 6, 13}, NumericUnary{
		F32: func(v float32) float32 { return 1 / v },
		F64: func(v float64) float64 { return 1 / v },
	})
	// Neg: signed types from version 6.
	registerMathUnary("Neg", []int{1, 6, 13}, NumericUnary{
		F32: unaryNeg[float32], F64: unaryNeg[float64],
		I8: unaryNeg[int8], I16: unaryNeg[int16], I32: unaryNeg[int32], I64: unaryNeg[int64],
	})
	// Abs: every numeric type from version 6.
	registerMathUnary("Abs", []int{1, 6, 13}, NumericUnary{
		F32: func(v float32) float32 { return float32(math.Abs(float64(v))) },
		F64: math.Abs,
		I8:  absSigned[int8], I16: absSigned[int16], I32: absSigned[int32], I64: absSigned[int64],
		U8: unaryIdentity[uint8], U16: unaryIdentity[uint16], U32: unaryIdentity[uint32], U64: unaryIdentity[uint64],
	})
	// Sign: every numeric type; NaN stays NaN as in numpy.
	registerMathUnary("Sign", []int{9, 13}, NumericUnary{
		F32: unarySign[float32], F64: unarySign[float64],
		I8: unarySign[int8], I16: unarySign[int16], I32: unarySign[int32], I64: unarySign[int64],
		U8: unarySign[uint8], U16: unarySign[uint16], U32: unarySign[uint32], U64: unarySign[uint64],
	})
}
