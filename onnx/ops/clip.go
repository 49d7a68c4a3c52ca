package ops

import (
	"fmt"
	"math"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

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
		Type:  "Clip",
		Since: []int{1, 6},
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
		Type:  "Clip",
		Since: []int{11, 12, 13},
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
	switch x.DType() {
	case tensors.Float32:
		return clipBounds[float32](x, lo, hi, -math.MaxFloat32, math.MaxFloat32)
	case tensors.Float64:
		return clipBounds[float64](x, lo, hi, -math.MaxFloat64, math.MaxFloat64)
	case tensors.Int8:
		return clipIntBounds[int8](x, lo, hi)
	case tensors.Int16:
		return clipIntBounds[int16](x, lo, hi)
	case tensors.Int32:
		return clipIntBounds[int32](x, lo, hi)
	case tensors.Int64:
		return clipIntBounds[int64](x, lo, hi)
	case tensors.Uint8:
		return clipIntBounds[uint8](x, lo, hi)
	case tensors.Uint16:
		return clipIntBounds[uint16](x, lo, hi)
	case tensors.Uint32:
		return clipIntBounds[uint32](x, lo, hi)
	case tensors.Uint64:
		return clipIntBounds[uint64](x, lo, hi)
	}
	return nil, tensors.ErrDType("input 0", x.DType(), tensors.Float32, tensors.Float64, tensors.Int8, tensors.Int16, tensors.Int32, tensors.Int64, tensors.Uint8, tensors.Uint16, tensors.Uint32, tensors.Uint64)
}

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
