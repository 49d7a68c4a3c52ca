package ops

import (
	"fmt"
	"math"
)

// Clip limits its input to [min, max]: y = min(max(x, lo), hi), so when lo
// > hi every element becomes hi, as the ONNX definition says. NaN inputs
// stay NaN. Versions 1 (with the inert consumed_inputs) and 6 take the
// bounds as float attributes and float tensors; 11, 12 and 13 take them
// as optional single-element inputs of the input's type (12 adds the
// integer types, 13 bfloat16). An omitted bound defaults to the type's
// numeric_limits lowest() or max(), so with float32 even an omitted bound
// maps ±Inf to ±MaxFloat32, as in the definition and onnxruntime.

func clipValue[T Numeric](v, lo, hi T) T {
	if v < lo {
		v = lo
	}
	if v > hi {
		v = hi
	}
	return v
}

func clipTensor[T Numeric](x *Tensor, lo, hi T) (*Tensor, error) {
	return Unary(x, func(v T) T { return clipValue(v, lo, hi) })
}

func init() {
	Register(Op{
		Type:  "Clip",
		Since: []int{1, 6},
		Prepare: func(n *Node) (Kernel, error) {
			n.Attrs.Ignore("consumed_inputs")
			lo := n.Attrs.Float("min", -math.MaxFloat32)
			hi := n.Attrs.Float("max", math.MaxFloat32)
			if err := n.Attrs.Err(); err != nil {
				return nil, err
			}
			return func(in []*Tensor) ([]*Tensor, error) {
				var y *Tensor
				var err error
				switch x := in[0]; x.DType() {
				case Float32:
					y, err = clipTensor(x, lo, hi)
				case Float64:
					y, err = clipTensor(x, float64(lo), float64(hi))
				default:
					err = ErrDType("input 0", x.DType(), Float32, Float64)
				}
				return []*Tensor{y}, err
			}, nil
		},
		Infer: InferSame,
	})
	Register(Op{
		Type:  "Clip",
		Since: []int{11, 12, 13},
		Prepare: func(n *Node) (Kernel, error) {
			return func(in []*Tensor) ([]*Tensor, error) {
				y, err := clipInputs(in[0], Input(in, 1), Input(in, 2))
				return []*Tensor{y}, err
			}, nil
		},
		Infer: InferSame,
	})
}

// clipInputs is Clip-11 and later: lo and hi are nil when omitted.
func clipInputs(x, lo, hi *Tensor) (*Tensor, error) {
	switch x.DType() {
	case Float32:
		return clipBounds[float32](x, lo, hi, -math.MaxFloat32, math.MaxFloat32)
	case Float64:
		return clipBounds[float64](x, lo, hi, -math.MaxFloat64, math.MaxFloat64)
	case Int8:
		return clipIntBounds[int8](x, lo, hi)
	case Int16:
		return clipIntBounds[int16](x, lo, hi)
	case Int32:
		return clipIntBounds[int32](x, lo, hi)
	case Int64:
		return clipIntBounds[int64](x, lo, hi)
	case Uint8:
		return clipIntBounds[uint8](x, lo, hi)
	case Uint16:
		return clipIntBounds[uint16](x, lo, hi)
	case Uint32:
		return clipIntBounds[uint32](x, lo, hi)
	case Uint64:
		return clipIntBounds[uint64](x, lo, hi)
	}
	return nil, ErrDType("input 0", x.DType(), Float32, Float64, Int8, Int16, Int32, Int64, Uint8, Uint16, Uint32, Uint64)
}

func clipIntBounds[T Integer](x, lo, hi *Tensor) (*Tensor, error) {
	l, h := integerLimits[T]()
	return clipBounds(x, lo, hi, l, h)
}

func clipBounds[T Numeric](x, lo, hi *Tensor, defLo, defHi T) (*Tensor, error) {
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
func clipBound[T Numeric](x, b *Tensor, name string, def T) (T, error) {
	if b == nil {
		return def, nil
	}
	if b.DType() != x.DType() {
		return def, fmt.Errorf("input %q has dtype %v, want %v like the input", name, b.DType(), x.DType())
	}
	if b.Len() != 1 {
		return def, fmt.Errorf("input %q must be a scalar, got %v", name, b)
	}
	return Data[T](b)[0], nil
}
