package ops

import (
	"fmt"
	"strings"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Cast and CastLike convert between the numeric element types and bool.
//
// Conversions follow C: float to integer truncates toward zero, integer to
// narrower integer keeps the low bits (wraps), to float rounds to nearest,
// anything non-zero (NaN included) becomes true and bools become 0 or 1.
// Where C is undefined, float to integer saturates to the target's limits
// and NaN becomes 0. String, float16 and bfloat16 are not supported.
//
// Cast-1 names the target type with a STRING attribute ("FLOAT", "INT64",
// ...); later versions use the TensorProto.DataType number (9 adds string,
// 13 bfloat16). Both spellings are accepted at every version.

func init() {
	Register(Op{
		Type:  "Cast",
		Since: []int{1, 6, 9, 13},
		Prepare: func(n *Node) (Kernel, error) {
			to, err := castTarget(n.Attrs)
			if err != nil {
				return nil, err
			}
			return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
				y, err := CastTensor(in[0], to)
				return []*tensors.Tensor{y}, err
			}, nil
		},
		Infer: func(n *Node, in []tensors.Type) ([]tensors.Type, error) {
			to, err := castTarget(n.Attrs)
			if err != nil {
				return nil, err
			}
			t := in[0]
			t.DType = to
			return []tensors.Type{t}, nil
		},
	})
	Register(Op{
		Type:  "CastLike",
		Since: []int{15},
		Prepare: func(n *Node) (Kernel, error) {
			return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
				y, err := CastTensor(in[0], in[1].DType())
				return []*tensors.Tensor{y}, err
			}, nil
		},
		Infer: func(n *Node, in []tensors.Type) ([]tensors.Type, error) {
			t := in[0]
			t.DType = in[1].DType
			return []tensors.Type{t}, nil
		},
	})
}

// castTarget reads Cast's "to" attribute (an INT data type number, or for
// Cast-1 a STRING data type name) and checks that onnxkit can produce it.
func castTarget(a *Attrs) (tensors.DType, error) {
	p := a.Proto("to")
	if p == nil {
		return tensors.Undefined, fmt.Errorf("required attribute \"to\" is missing")
	}
	var to tensors.DType
	switch p.GetType() {
	case onnxpb.AttributeProto_INT:
		v := p.GetI()
		if v < 0 || v > 1<<16 {
			return tensors.Undefined, fmt.Errorf("attribute \"to\": %d is not a data type", v)
		}
		to = tensors.DType(v)
	case onnxpb.AttributeProto_STRING:
		name := string(p.GetS())
		v, ok := onnxpb.TensorProto_DataType_value[strings.ToUpper(name)]
		if !ok {
			return tensors.Undefined, fmt.Errorf("attribute \"to\": %q is not a data type name", name)
		}
		to = tensors.DType(v)
	default:
		return tensors.Undefined, fmt.Errorf("attribute \"to\" has type %v, want INT (or STRING for Cast-1)", p.GetType())
	}
	if !to.Named() {
		return tensors.Undefined, fmt.Errorf("attribute \"to\": %d is not a data type", int(to))
	}
	if !castable(to) {
		return tensors.Undefined, fmt.Errorf("cast to %v: %w", to, tensors.ErrUnsupported)
	}
	return to, nil
}

// castable reports whether CastTensor converts to and from dt.
func castable(dt tensors.DType) bool { return dt.IsNumeric() || dt == tensors.Bool }

// CastTensor converts x to element type to (see Cast for the rules). A
// tensor that already has that type is returned as is.
func CastTensor(x *tensors.Tensor, to tensors.DType) (*tensors.Tensor, error) {
	if !castable(x.DType()) {
		return nil, fmt.Errorf("cast from %v: %w", x.DType(), tensors.ErrUnsupported)
	}
	if !castable(to) {
		return nil, fmt.Errorf("cast to %v: %w", to, tensors.ErrUnsupported)
	}
	if x.DType() == to {
		return x, nil
	}
	switch to {
	case tensors.Float32:
		return castTo[float32](x, castConvert[float32, float32], castConvert[float64, float32])
	case tensors.Float64:
		return castTo[float64](x, castConvert[float32, float64], castConvert[float64, float64])
	case tensors.Int8:
		return castTo[int8](x, castTruncate[float32, int8], castTruncate[float64, int8])
	case tensors.Int16:
		return castTo[int16](x, castTruncate[float32, int16], castTruncate[float64, int16])
	case tensors.Int32:
		return castTo[int32](x, castTruncate[float32, int32], castTruncate[float64, int32])
	case tensors.Int64:
		return castTo[int64](x, castTruncate[float32, int64], castTruncate[float64, int64])
	case tensors.Uint8:
		return castTo[uint8](x, castTruncate[float32, uint8], castTruncate[float64, uint8])
	case tensors.Uint16:
		return castTo[uint16](x, castTruncate[float32, uint16], castTruncate[float64, uint16])
	case tensors.Uint32:
		return castTo[uint32](x, castTruncate[float32, uint32], castTruncate[float64, uint32])
	case tensors.Uint64:
		return castTo[uint64](x, castTruncate[float32, uint64], castTruncate[float64, uint64])
	}
	return castToBool(x) // to == Bool
}

// castConvert is Go's numeric conversion, which matches C where C defines
// the result: integers wrap to narrower types, conversions to float round
// to nearest.
func castConvert[S, D tensors.Numeric](v S) D { return D(v) }

// castTruncate converts a float to an integer type (see floatToIntSat).
func castTruncate[S tensors.Float, D tensors.Integer](v S) D { return floatToIntSat[D](float64(v)) }

// castTo converts a numeric or bool tensor to element type D, using f32
// and f64 for float sources and Go's conversion for the others.
func castTo[D tensors.Numeric](x *tensors.Tensor, f32 func(float32) D, f64 func(float64) D) (*tensors.Tensor, error) {
	switch x.DType() {
	case tensors.Float32:
		return tensors.Unary(x, f32)
	case tensors.Float64:
		return tensors.Unary(x, f64)
	case tensors.Int8:
		return tensors.Unary(x, castConvert[int8, D])
	case tensors.Int16:
		return tensors.Unary(x, castConvert[int16, D])
	case tensors.Int32:
		return tensors.Unary(x, castConvert[int32, D])
	case tensors.Int64:
		return tensors.Unary(x, castConvert[int64, D])
	case tensors.Uint8:
		return tensors.Unary(x, castConvert[uint8, D])
	case tensors.Uint16:
		return tensors.Unary(x, castConvert[uint16, D])
	case tensors.Uint32:
		return tensors.Unary(x, castConvert[uint32, D])
	case tensors.Uint64:
		return tensors.Unary(x, castConvert[uint64, D])
	case tensors.Bool:
		return tensors.Unary(x, func(v bool) D {
			if v {
				return 1
			}
			return 0
		})
	}
	return nil, fmt.Errorf("cast from %v: %w", x.DType(), tensors.ErrUnsupported)
}

func castNonZero[T tensors.Numeric](v T) bool { return v != 0 } // NaN != 0 is true

func castToBool(x *tensors.Tensor) (*tensors.Tensor, error) {
	switch x.DType() {
	case tensors.Float32:
		return tensors.Unary(x, castNonZero[float32])
	case tensors.Float64:
		return tensors.Unary(x, castNonZero[float64])
	case tensors.Int8:
		return tensors.Unary(x, castNonZero[int8])
	case tensors.Int16:
		return tensors.Unary(x, castNonZero[int16])
	case tensors.Int32:
		return tensors.Unary(x, castNonZero[int32])
	case tensors.Int64:
		return tensors.Unary(x, castNonZero[int64])
	case tensors.Uint8:
		return tensors.Unary(x, castNonZero[uint8])
	case tensors.Uint16:
		return tensors.Unary(x, castNonZero[uint16])
	case tensors.Uint32:
		return tensors.Unary(x, castNonZero[uint32])
	case tensors.Uint64:
		return tensors.Unary(x, castNonZero[uint64])
	}
	return nil, fmt.Errorf("cast from %v to bool: %w", x.DType(), tensors.ErrUnsupported)
}
