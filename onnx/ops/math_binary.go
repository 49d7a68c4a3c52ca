package ops

import (
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Binary arithmetic: Sub, Mul (through registerArith, like Add), Div with
// a run-time check for integer division by zero, and Pow with its mixed
// base and exponent element types.

//dtypes:numeric
func arithSub[T tensors.Numeric](a, b T) T { return a - b }

//dtypes:numeric
func arithMul[T tensors.Numeric](a, b T) T { return a * b }

func init() {
	registerArith("Sub", arithSubFns.WithOp('-'))
	registerArith("Mul", arithMulFns.WithOp('*'))

	// Div: versions 1 and 6 use the legacy broadcast/axis attributes (1
	// also has the inert consumed_inputs); 7, 13 and 14 broadcast
	// multidirectionally and differ only in element types.
	Register(Op{
		Type:          "Div",
		HalfAsFloat32: true,
		Since:         []int{1, 6},
		Prepare: func(n *Node) (Kernel, error) {
			n.Attrs.Ignore("consumed_inputs")
			bcast := n.Attrs.Bool("broadcast", false)
			axis, hasAxis := n.Attrs.Int("axis", 0), n.Attrs.Has("axis")
			return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
				b, err := LegacyBroadcast(in[0], in[1], bcast, axis, hasAxis)
				if err != nil {
					return nil, err
				}
				y, err := Divide(in[0], b)
				return []*tensors.Tensor{y}, err
			}, nil
		},
		Infer: InferSame, // the result has A's shape
	})
	Register(Op{
		Type:          "Div",
		HalfAsFloat32: true,
		Since:         []int{7, 13, 14},
		Prepare: func(n *Node) (Kernel, error) {
			return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
				a, b := in[0], in[1]
				if dt := a.DType(); (dt == tensors.Float32 || dt == tensors.Float64) && b.DType() == dt {
					y, err := divFloat.ApplyRecycled(a, b, last)
					return Result(last, y), err
				}
				y, err := Divide(a, b)
				return Result(last, y), err
			}), nil
		},
		Infer: InferBroadcast(tensors.Undefined),
	})

	// Pow: version 1 has the legacy broadcast/axis attributes, 7
	// broadcasts; both take a float base and exponent of the same type.
	// From 12 the exponent may have any numeric type and the base may
	// also be int32 or int64 (13 and 15 add bfloat16 only). The result
	// has the base's type.
	Register(Op{
		Type:          "Pow",
		HalfAsFloat32: true,
		Since:         []int{1},
		Prepare: func(n *Node) (Kernel, error) {
			bcast := n.Attrs.Bool("broadcast", false)
			axis, hasAxis := n.Attrs.Int("axis", 0), n.Attrs.Has("axis")
			return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
				if err := checkSameFloat(in[0], in[1]); err != nil {
					return nil, err
				}
				b, err := LegacyBroadcast(in[0], in[1], bcast, axis, hasAxis)
				if err != nil {
					return nil, err
				}
				y, err := Power(in[0], b)
				return []*tensors.Tensor{y}, err
			}, nil
		},
		Infer: InferSame,
	})
	Register(Op{
		Type:          "Pow",
		HalfAsFloat32: true,
		Since:         []int{7, 12, 13, 15},
		Prepare: func(n *Node) (Kernel, error) {
			mixed := n.Since >= 12
			return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
				if !mixed {
					if err := checkSameFloat(in[0], in[1]); err != nil {
						return nil, err
					}
				}
				var y *tensors.Tensor
				var err error
				switch x, e := in[0], in[1]; {
				case x.DType() == tensors.Float32 && e.DType() == tensors.Float32:
					y, err = powFloatInto[float32, float32](x, e, lastOutput(last))
				case x.DType() == tensors.Float64 && e.DType() == tensors.Float64:
					y, err = powFloatInto[float64, float64](x, e, lastOutput(last))
				default:
					y, err = Power(x, e)
				}
				if err != nil {
					return nil, err
				}
				return Result(last, y), nil
			}), nil
		},
		Infer: InferBroadcast(tensors.Undefined),
	})
}

// checkSameFloat enforces the type constraint of Pow before version 12:
// base and exponent share one float type.
func checkSameFloat(x, y *tensors.Tensor) error {
	if !x.DType().IsFloat() {
		return tensors.ErrDType("input 0 (X)", x.DType(), tensors.Float32, tensors.Float64)
	}
	if y.DType() != x.DType() {
		return fmt.Errorf("exponent has dtype %v, want %v like the base (mixed types need Pow version 12 or later)", y.DType(), x.DType())
	}
	return nil
}

// ErrDivideByZero is returned (wrapped) by integer Div when a divisor is 0.
var ErrDivideByZero = errors.New("integer division by zero")

// Divide computes a / b elementwise with multidirectional broadcasting. a
// and b must share a numeric element type. Integer division truncates
// toward zero, as in C and Go; an integer division by zero is an error
// wrapping ErrDivideByZero (float division follows IEEE 754: ±Inf or NaN).
// The most negative integer divided by -1 wraps to itself.
func Divide(a, b *tensors.Tensor) (*tensors.Tensor, error) {
	if a.DType() != b.DType() {
		return nil, fmt.Errorf("inputs have different dtypes %v and %v", a.DType(), b.DType())
	}
	if f, ok := divideFor[a.DType()]; ok {
		return f(a, b)
	}
	return nil, tensors.ErrDType("input", a.DType(), tensors.SortedDTypes(divideFor)...)
}

// divFloat is Div of float32 and float64 tensors (IEEE division), for
// the recycling fast paths.
var divFloat = NumericBinary{
	F32: func(x, y float32) float32 { return x / y },
	F64: func(x, y float64) float64 { return x / y },
}

// divide is Div for element type T: IEEE division for floats, truncating
// division refusing zero divisors for integers.
//
//dtypes:numeric
func divide[T tensors.Numeric](a, b *tensors.Tensor) (*tensors.Tensor, error) {
	if tensors.DTypeOf[T]().IsFloat() {
		return tensors.Binary(a, b, func(x, y T) T { return x / y })
	}
	return divIntegerFor[a.DType()](a, b)
}

// divInteger is Div for an integer element type T.
//
//dtypes:integer
func divInteger[T tensors.Integer](a, b *tensors.Tensor) (*tensors.Tensor, error) {
	zero := false // local to this call: kernels stay stateless
	out, err := tensors.Binary(a, b, func(x, y T) T {
		if y == 0 {
			zero = true
			return 0
		}
		return x / y // Go defines min / -1 as min (wrapping), no trap
	})
	if err != nil {
		return nil, err
	}
	if zero {
		return nil, fmt.Errorf("%v divided by %v: %w", a, b, ErrDivideByZero)
	}
	return out, nil
}

// integerIsSigned reports whether T is a signed integer type.
func integerIsSigned[T tensors.Integer]() bool {
	var z T
	return z-1 < 0
}

// integerBits returns the width of an integer type in bits.
func integerBits[T tensors.Integer]() int {
	var z T
	return int(unsafe.Sizeof(z)) * 8
}

// integerLimits returns the smallest and largest values of T.
func integerLimits[T tensors.Integer]() (lo, hi T) {
	if integerIsSigned[T]() {
		lo = T(1) << (integerBits[T]() - 1) // wraps to the minimum
		return lo, ^lo
	}
	return 0, ^T(0)
}

// floatToIntSat converts f to T truncating toward zero, as C does for values
// in range. Out-of-range values saturate to T's limits and NaN becomes 0
// (C leaves both undefined).
func floatToIntSat[T tensors.Integer](f float64) T {
	if f != f {
		return 0
	}
	lo, hi := integerLimits[T]()
	bits := integerBits[T]()
	if integerIsSigned[T]() {
		limit := math.Ldexp(1, bits-1) // -limit is exactly lo; limit is hi+1
		switch {
		case f <= -limit:
			return lo
		case f >= limit:
			return hi
		}
		return T(f)
	}
	switch {
	case f <= 0:
		return 0
	case f >= math.Ldexp(1, bits):
		return hi
	}
	return T(f)
}

// ErrZeroNegativePower is returned (wrapped) by integer Pow when 0 is
// raised to a negative integer power.
var ErrZeroNegativePower = errors.New("integer zero raised to a negative power")

// Power computes x ** y elementwise with multidirectional broadcasting, as
// Pow from version 12 does: the result has x's element type (float32,
// float64, int32 or int64) and y may have any numeric type.
//
// With a float base, or an integer base and a float exponent, the power is
// computed in float64 and converted to x's type (integers truncate toward
// zero and saturate). With integer base and exponent it is exact, wrapping
// on overflow like repeated multiplication; a negative exponent gives the
// truncated reciprocal (1, ±1 for base -1, 0 for |base| > 1), and 0 to a
// negative power is an error wrapping ErrZeroNegativePower.
func Power(x, y *tensors.Tensor) (*tensors.Tensor, error) {
	key := [2]tensors.DType{x.DType(), y.DType()}
	var f func(x, y *tensors.Tensor) (*tensors.Tensor, error)
	switch x.DType() {
	case tensors.Float32, tensors.Float64:
		f = powFloatFor[key]
	case tensors.Int32, tensors.Int64:
		if y.DType().IsFloat() {
			f = powIntFloatFor[key]
		} else {
			f = powIntIntFor[key]
		}
	default:
		return nil, tensors.ErrDType("input 0 (X)", x.DType(), tensors.Float32, tensors.Float64, tensors.Int32, tensors.Int64)
	}
	if f == nil {
		return nil, tensors.ErrDType("input 1 (Y)", y.DType())
	}
	return f(x, y)
}

// powFloat, powIntFloat and powIntInt are Pow for a base of element type T
// and an exponent of element type E.
//
//dtypes:float numeric
func powFloat[T tensors.Float, E tensors.Numeric](x, y *tensors.Tensor) (*tensors.Tensor, error) {
	return powFloatInto[T, E](x, y, nil)
}

// powFloatInto is powFloat computing into into when it fits (see
// tensors.BinaryInto).
func powFloatInto[T tensors.Float, E tensors.Numeric](x, y, into *tensors.Tensor) (*tensors.Tensor, error) {
	if y.Len() == 1 && y.Rank() <= x.Rank() && float64(tensors.Data[E](y)[0]) == 2 {
		// x², the power models mostly raise to (squared magnitudes,
		// variances), as x·x: the correctly rounded square, which is what
		// math.Pow returns too (for float32, exactly; for float64, but
		// perhaps for the last bit of a subnormal result).
		out, dst, err := recycleInto[T](into, x.Shape())
		if err != nil {
			return nil, err
		}
		for i, v := range tensors.Data[T](x) {
			dst[i] = v * v
		}
		return out, nil
	}
	return tensors.BinaryInto(x, y, powFF[T, E], into)
}

//dtypes:signed float
func powIntFloat[T tensors.Signed, E tensors.Float](x, y *tensors.Tensor) (*tensors.Tensor, error) {
	return tensors.Binary(x, y, powIF[T, E])
}

//dtypes:signed integer
func powIntInt[T tensors.Signed, E tensors.Integer](x, y *tensors.Tensor) (*tensors.Tensor, error) {
	return powII[T, E](x, y)
}

func powFF[T tensors.Float, E tensors.Numeric](b T, e E) T {
	return T(math.Pow(float64(b), float64(e)))
}

func powIF[T tensors.Signed, E tensors.Float](b T, e E) T {
	return floatToIntSat[T](math.Pow(float64(b), float64(e)))
}

func powII[T tensors.Signed, E tensors.Integer](x, y *tensors.Tensor) (*tensors.Tensor, error) {
	bad := false // local to this call: kernels stay stateless
	out, err := tensors.Binary(x, y, func(b T, e E) T {
		unaryNeg := e < 0
		mag := uint64(e)
		if unaryNeg {
			mag = -mag // two's complement magnitude, exact even for the minimum
		}
		if !unaryNeg {
			return intPow(b, mag)
		}
		switch b {
		case 0:
			bad = true
			return 0
		case 1:
			return 1
		case -1:
			if mag&1 == 1 {
				return -1
			}
			return 1
		}
		return 0
	})
	if err != nil {
		return nil, err
	}
	if bad {
		return nil, fmt.Errorf("%v ** %v: %w", x, y, ErrZeroNegativePower)
	}
	return out, nil
}

// intPow returns b**e by repeated squaring, wrapping on overflow.
func intPow[T tensors.Signed](b T, e uint64) T {
	r := T(1)
	for e > 0 {
		if e&1 == 1 {
			r *= b
		}
		b *= b
		e >>= 1
	}
	return r
}

// Binary arithmetic operators (Add; Sub, Mul, Div, ... follow the same
// pattern through registerArith).

//dtypes:numeric
func add[T tensors.Numeric](a, b T) T { return a + b }

func init() {
	registerArith("Add", addFns.WithOp('+'))
}

// registerArith registers a binary arithmetic operator in all its versions:
// 1 and 6 with the legacy broadcast/axis attributes (1 also has the inert
// consumed_inputs), 7, 13 and 14 with multidirectional broadcasting. The
// versions differ otherwise only in the element types they allow, which fns
// covers.
func registerArith(name string, fns NumericBinary) {
	Register(Op{
		Type:          name,
		HalfAsFloat32: true,
		Since:         []int{1, 6},
		Prepare: func(n *Node) (Kernel, error) {
			n.Attrs.Ignore("consumed_inputs")
			bcast := n.Attrs.Bool("broadcast", false)
			axis, hasAxis := n.Attrs.Int("axis", 0), n.Attrs.Has("axis")
			return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
				b, err := LegacyBroadcast(in[0], in[1], bcast, axis, hasAxis)
				if err != nil {
					return nil, err
				}
				y, err := fns.Apply(in[0], b)
				return []*tensors.Tensor{y}, err
			}, nil
		},
		Infer: func(n *Node, in []tensors.Type) ([]tensors.Type, error) {
			return []tensors.Type{in[0]}, nil // the result has A's shape
		},
	})
	Register(Op{
		Type:          name,
		HalfAsFloat32: true,
		Since:         []int{7, 13, 14},
		Prepare: func(n *Node) (Kernel, error) {
			// With the Relu that alone reads the result (a residual
			// connection's): in the same pass where the kernel can.
			n.FusedRelu(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
				y, err := fns.ApplyRecycledRelu(in[0], in[1], last)
				return Result(last, y), err
			})
			return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
				y, err := fns.ApplyRecycled(in[0], in[1], last)
				return Result(last, y), err
			}), nil
		},
		Infer: InferBroadcast(tensors.Undefined),
	})
}

// LegacyBroadcast implements the broadcasting of opset 1-6 binary operators
// (Add, Sub, Mul, Div, Pow, And, ...): without broadcast=1 the shapes must
// be equal; with it, B's shape must match a contiguous run of A's
// dimensions, ending at A's last axis or, when axis is set, starting at
// axis (1-sized dimensions of B also match). It returns B reshaped so that
// multidirectional broadcasting to A's shape gives the legacy result.
func LegacyBroadcast(a, b *tensors.Tensor, broadcast bool, axis int, hasAxis bool) (*tensors.Tensor, error) {
	as, bs := a.Shape(), b.Shape()
	if !broadcast {
		if !tensors.SameShape(as, bs) {
			return nil, fmt.Errorf("shapes %v and %v differ and broadcast is not set", tensors.FormatShape(as), tensors.FormatShape(bs))
		}
		return b, nil
	}
	start := len(as) - len(bs)
	if hasAxis {
		var err error
		if start, err = tensors.NormalizeAxis(axis, len(as)); err != nil {
			return nil, err
		}
	}
	if start < 0 || start+len(bs) > len(as) {
		return nil, fmt.Errorf("cannot broadcast %v to %v at axis %d", tensors.FormatShape(bs), tensors.FormatShape(as), start)
	}
	shape := make([]int, len(as))
	for i := range shape {
		shape[i] = 1
	}
	for i, d := range bs {
		if d != 1 && d != as[start+i] {
			return nil, fmt.Errorf("cannot broadcast %v to %v at axis %d", tensors.FormatShape(bs), tensors.FormatShape(as), start)
		}
		shape[start+i] = d
	}
	return b.Reshape(shape...)
}
