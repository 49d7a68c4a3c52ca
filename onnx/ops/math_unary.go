package ops

import (
	"math"

	"fmt"

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

//dtypes:numeric
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
		Type:          name,
		HalfAsFloat32: true,
		Since:         since,
		Prepare: func(n *Node) (Kernel, error) {
			n.Attrs.Ignore("consumed_inputs") // version 1 only; no effect
			return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
				y, err := fns.ApplyRecycled(in[0], last)
				return Result(last, y), err
			}), nil
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
	registerMathUnary("Sign", []int{9, 13}, unarySignFns)
}

// Clip limits its input to [min, max]: y = min(max(x, lo), hi), so when lo
// > hi every element becomes hi, as the ONNX definition says. NaN inputs
// stay NaN. Versions 1 (with the inert consumed_inputs) and 6 take the
// bounds as float attributes and float tensors; 11, 12 and 13 take them
// as optional single-element inputs of the input's type (12 adds the
// integer types, 13 bfloat16). An omitted bound defaults to the type's
// numeric_limits lowest() or max(), so with float32 even an omitted bound
// maps ±Inf to ±MaxFloat32, as in the definition and onnxruntime.

func clipValue[T tensors.Numeric](v, lo, hi T) T {
	if v < lo {
		v = lo
	}
	if v > hi {
		v = hi
	}
	return v
}

func clipTensor[T tensors.Numeric](x *tensors.Tensor, lo, hi T) (*tensors.Tensor, error) {
	return tensors.Unary(x, func(v T) T { return clipValue(v, lo, hi) })
}

func init() {
	Register(Op{
		Type:          "Clip",
		HalfAsFloat32: true,
		Since:         []int{1, 6},
		Prepare: func(n *Node) (Kernel, error) {
			n.Attrs.Ignore("consumed_inputs")
			lo := n.Attrs.Float("min", -math.MaxFloat32)
			hi := n.Attrs.Float("max", math.MaxFloat32)
			if err := n.Attrs.Err(); err != nil {
				return nil, err
			}
			return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
				var y *tensors.Tensor
				var err error
				switch x := in[0]; x.DType() {
				case tensors.Float32:
					y, err = clipTensor(x, lo, hi)
				case tensors.Float64:
					y, err = clipTensor(x, float64(lo), float64(hi))
				default:
					err = tensors.ErrDType("input 0", x.DType(), tensors.Float32, tensors.Float64)
				}
				return []*tensors.Tensor{y}, err
			}, nil
		},
		Infer: InferSame,
	})
	Register(Op{
		Type:          "Clip",
		HalfAsFloat32: true,
		Since:         []int{11, 12, 13},
		Prepare: func(n *Node) (Kernel, error) {
			return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
				y, err := clipInputs(in[0], Input(in, 1), Input(in, 2))
				return []*tensors.Tensor{y}, err
			}, nil
		},
		Infer: InferSame,
	})
}

// clipInputs is Clip-11 and later: lo and hi are nil when omitted.
func clipInputs(x, lo, hi *tensors.Tensor) (*tensors.Tensor, error) {
	if f, ok := clipTypedFor[x.DType()]; ok {
		return f(x, lo, hi)
	}
	return nil, tensors.ErrDType("input 0", x.DType(), tensors.SortedDTypes(clipTypedFor)...)
}

// clipTyped is Clip for element type T: omitted bounds are the type's
// extremes (the largest finite values for floats).
//
//dtypes:numeric
func clipTyped[T tensors.Numeric](x, lo, hi *tensors.Tensor) (*tensors.Tensor, error) {
	big32, big64 := float32(math.MaxFloat32), math.MaxFloat64
	switch tensors.DTypeOf[T]() {
	case tensors.Float32:
		return clipBounds(x, lo, hi, T(-big32), T(big32))
	case tensors.Float64:
		return clipBounds(x, lo, hi, T(-big64), T(big64))
	}
	return clipIntBoundsFor[x.DType()](x, lo, hi)
}

//dtypes:integer
func clipIntBounds[T tensors.Integer](x, lo, hi *tensors.Tensor) (*tensors.Tensor, error) {
	l, h := integerLimits[T]()
	return clipBounds(x, lo, hi, l, h)
}

func clipBounds[T tensors.Numeric](x, lo, hi *tensors.Tensor, defLo, defHi T) (*tensors.Tensor, error) {
	l, err := clipBound(x, lo, "min", defLo)
	if err != nil {
		return nil, err
	}
	h, err := clipBound(x, hi, "max", defHi)
	if err != nil {
		return nil, err
	}
	return clipTensor(x, l, h)
}

// clipBound reads the min or max input: a single element of x's type.
func clipBound[T tensors.Numeric](x, b *tensors.Tensor, name string, def T) (T, error) {
	if b == nil {
		return def, nil
	}
	if b.DType() != x.DType() {
		return def, fmt.Errorf("input %q has dtype %v, want %v like the input", name, b.DType(), x.DType())
	}
	if b.Len() != 1 {
		return def, fmt.Errorf("input %q must be a scalar, got %v", name, b)
	}
	return tensors.Data[T](b)[0], nil
}
