package ops

import (
	"fmt"
	"strings"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
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
			return func(in []*Tensor) ([]*Tensor, error) {
				y, err := CastTensor(in[0], to)
				return []*Tensor{y}, err
			}, nil
		},
		Infer: func(n *Node, in []Type) ([]Type, error) {
			to, err := castTarget(n.Attrs)
			if err != nil {
				return nil, err
			}
			t := in[0]
			t.DType = to
			return []Type{t}, nil
		},
	})
	Register(Op{
		Type:  "CastLike",
		Since: []int{15},
		Prepare: func(n *Node) (Kernel, error) {
			return func(in []*Tensor) ([]*Tensor, error) {
				y, err := CastTensor(in[0], in[1].DType())
				return []*Tensor{y}, err
			}, nil
		},
		Infer: func(n *Node, in []Type) ([]Type, error) {
			t := in[0]
			t.DType = in[1].DType
			return []Type{t}, nil
		},
	})
}

// castTarget reads Cast's "to" attribute (an INT data type number, or for
// Cast-1 a STRING data type name) and checks that onnxkit can produce it.
func castTarget(a *Attrs) (DType, error) {
	p := a.Proto("to")
	if p == nil {
		return Undefined, fmt.Errorf("required attribute \"to\" is missing")
	}
	var to DType
	switch p.GetType() {
	case onnxpb.AttributeProto_INT:
		v := p.GetI()
		if v < 0 || v > 1<<16 {
			return Undefined, fmt.Errorf("attribute \"to\": %d is not a data type", v)
		}
		to = DType(v)
	case onnxpb.AttributeProto_STRING:
		name := string(p.GetS())
		v, ok := onnxpb.TensorProto_DataType_value[strings.ToUpper(name)]
		if !ok {
			return Undefined, fmt.Errorf("attribute \"to\": %q is not a data type name", name)
		}
		to = DType(v)
	default:
		return Undefined, fmt.Errorf("attribute \"to\" has type %v, want INT (or STRING for Cast-1)", p.GetType())
	}
	if _, named := dtypeNames[to]; !named || to == Undefined {
		return Undefined, fmt.Errorf("attribute \"to\": %d is not a data type", int(to))
	}
	if !castable(to) {
		return Undefined, fmt.Errorf("cast to %v: %w", to, ErrUnsupported)
	}
	return to, nil
}

// castable reports whether CastTensor converts to and from dt.
func castable(dt DType) bool { return dt.IsNumeric() || dt == Bool }

// CastTensor converts x to element type to (see Cast for the rules). A
// tensor that already has that type is returned as is.
func CastTensor(x *Tensor, to DType) (*Tensor, error) {
	if !castable(x.DType()) {
		return nil, fmt.Errorf("cast from %v: %w", x.DType(), ErrUnsupported)
	}
	if !castable(to) {
		return nil, fmt.Errorf("cast to %v: %w", to, ErrUnsupported)
	}
	if x.DType() == to {
		return x, nil
	}
	switch to {
	case Float32:
		return castTo[float32](x, castConvert[float32, float32], castConvert[float64, float32])
	case Float64:
		return castTo[float64](x, castConvert[float32, float64], castConvert[float64, float64])
	case Int8:
		return castTo[int8](x, castTruncate[float32, int8], castTruncate[float64, int8])
	case Int16:
		return castTo[int16](x, castTruncate[float32, int16], castTruncate[float64, int16])
	case Int32:
		return castTo[int32](x, castTruncate[float32, int32], castTruncate[float64, int32])
	case Int64:
		return castTo[int64](x, castTruncate[float32, int64], castTruncate[float64, int64])
	case Uint8:
		return castTo[uint8](x, castTruncate[float32, uint8], castTruncate[float64, uint8])
	case Uint16:
		return castTo[uint16](x, castTruncate[float32, uint16], castTruncate[float64, uint16])
	case Uint32:
		return castTo[uint32](x, castTruncate[float32, uint32], castTruncate[float64, uint32])
	case Uint64:
		return castTo[uint64](x, castTruncate[float32, uint64], castTruncate[float64, uint64])
	}
	return castToBool(x) // to == Bool
}

// castConvert is Go's numeric conversion, which matches C where C defines
// the result: integers wrap to narrower types, conversions to float round
// to nearest.
func castConvert[S, D Numeric](v S) D { return D(v) }

// castTruncate converts a float to an integer type (see floatToIntSat).
func castTruncate[S Float, D Integer](v S) D { return floatToIntSat[D](float64(v)) }

// castTo converts a numeric or bool tensor to element type D, using f32
// and f64 for float sources and Go's conversion for the others.
func castTo[D Numeric](x *Tensor, f32 func(float32) D, f64 func(float64) D) (*Tensor, error) {
	switch x.DType() {
	case Float32:
		return Unary(x, f32)
	case Float64:
		return Unary(x, f64)
	case Int8:
		return Unary(x, castConvert[int8, D])
	case Int16:
		return Unary(x, castConvert[int16, D])
	case Int32:
		return Unary(x, castConvert[int32, D])
	case Int64:
		return Unary(x, castConvert[int64, D])
	case Uint8:
		return Unary(x, castConvert[uint8, D])
	case Uint16:
		return Unary(x, castConvert[uint16, D])
	case Uint32:
		return Unary(x, castConvert[uint32, D])
	case Uint64:
		return Unary(x, castConvert[uint64, D])
	case Bool:
		return Unary(x, func(v bool) D {
			if v {
				return 1
			}
			return 0
		})
	}
	return nil, fmt.Errorf("cast from %v: %w", x.DType(), ErrUnsupported)
}

func castNonZero[T Numeric](v T) bool { return v != 0 } // NaN != 0 is true

func castToBool(x *Tensor) (*Tensor, error) {
	switch x.DType() {
	case Float32:
		return Unary(x, castNonZero[float32])
	case Float64:
		return Unary(x, castNonZero[float64])
	case Int8:
		return Unary(x, castNonZero[int8])
	case Int16:
		return Unary(x, castNonZero[int16])
	case Int32:
		return Unary(x, castNonZero[int32])
	case Int64:
		return Unary(x, castNonZero[int64])
	case Uint8:
		return Unary(x, castNonZero[uint8])
	case Uint16:
		return Unary(x, castNonZero[uint16])
	case Uint32:
		return Unary(x, castNonZero[uint32])
	case Uint64:
		return Unary(x, castNonZero[uint64])
	}
	return nil, fmt.Errorf("cast from %v to bool: %w", x.DType(), ErrUnsupported)
}
