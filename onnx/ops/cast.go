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
	src := x.DType()
	switch {
	case to == tensors.Bool:
		return castToBoolFor[src](x)
	case src == tensors.Bool:
		return castFromBoolFor[to](x)
	case src.IsFloat() && to.IsInteger():
		return castTruncateFor[[2]tensors.DType{src, to}](x)
	}
	return castConvertFor[[2]tensors.DType{src, to}](x)
}

// castConvert is Go's numeric conversion, which matches C where C defines
// the result: integers wrap to narrower types, conversions to float round
// to nearest.
//
//dtypes:numeric numeric
func castConvert[S, D tensors.Numeric](x *tensors.Tensor) (*tensors.Tensor, error) {
	return tensors.Unary(x, func(v S) D { return D(v) })
}

// castTruncate converts a float to an integer type (see floatToIntSat).
//
//dtypes:float integer
func castTruncate[S tensors.Float, D tensors.Integer](x *tensors.Tensor) (*tensors.Tensor, error) {
	return tensors.Unary(x, func(v S) D { return floatToIntSat[D](float64(v)) })
}

// castFromBool converts false and true to 0 and 1.
//
//dtypes:numeric
func castFromBool[D tensors.Numeric](x *tensors.Tensor) (*tensors.Tensor, error) {
	return tensors.Unary(x, func(v bool) D {
		if v {
			return 1
		}
		return 0
	})
}

// castToBool is true for every non-zero value, NaN included (NaN != 0).
//
//dtypes:numeric
func castToBool[S tensors.Numeric](x *tensors.Tensor) (*tensors.Tensor, error) {
	return tensors.Unary(x, func(v S) bool { return v != 0 })
}
