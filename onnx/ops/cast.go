package ops

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Cast and CastLike convert between all element types onnxkit holds:
// numbers, float16, bfloat16, bool and string.
//
// Conversions follow C: float to integer truncates toward zero, integer to
// narrower integer keeps the low bits (wraps), to float rounds to nearest,
// anything non-zero (NaN included) becomes true and bools become 0 or 1.
// Where C is undefined, float to integer saturates to the target's limits
// and NaN becomes 0. float16 and bfloat16 convert through float32 (exact
// when widening, rounded to nearest even when narrowing: see
// tensors.F16FromFloat32); strings are parsed and formatted as decimal
// numbers (see castFromString, castToString).
//
// Cast-1 names the target type with a STRING attribute ("FLOAT", "INT64",
// ...); later versions use the TensorProto.DataType number (9 adds string,
// 13 bfloat16). Both spellings are accepted at every version.

func init() {
	Register(Op{
		Type:       "Cast",
		Since:      []int{1, 6, 9, 13},
		ShapeValue: shapeValueSame,
		Prepare: func(n *Node) (Kernel, error) {
			to, err := castTarget(n.Attrs)
			if err != nil {
				return nil, err
			}
			return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
				return castRecycled(in[0], to, last)
			}), nil
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
func castable(dt tensors.DType) bool {
	return dt.IsNumeric() || dt.IsHalf() || dt == tensors.Bool || dt == tensors.String
}

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
	case src == tensors.String:
		return castFromString(x, to)
	case to == tensors.String:
		return castToString(x)
	case src.IsHalf():
		// Every half-precision value is a float32: widen exactly, then cast.
		return CastTensor(tensors.HalfToFloat32(x), to)
	case to.IsHalf() && src == tensors.Float64:
		return castFloat64ToHalfFor[to](x)
	case to.IsHalf():
		// Integers and bools that float32 rounds are beyond the range of
		// float16 and do not round twice differently for bfloat16 (which
		// onnxruntime too reaches through float32).
		x32, err := CastTensor(x, tensors.Float32)
		if err != nil {
			return nil, err
		}
		return tensors.Float32ToHalf(x32, to)
	case to == tensors.Bool:
		return castToBoolFor[src](x)
	case src == tensors.Bool:
		return castFromBoolFor[to](x)
	case src.IsFloat() && to.IsInteger():
		return castTruncateFor[[2]tensors.DType{src, to}](x)
	}
	return castConvertFor[[2]tensors.DType{src, to}](x)
}

// castFloat64ToHalf rounds float64 values to float16 (once, to nearest
// even, as the ONNX reference does) or to bfloat16 (through float32, as
// onnxruntime does).
//
//dtypes:half
func castFloat64ToHalf[T tensors.Half](x *tensors.Tensor) (*tensors.Tensor, error) {
	var z T
	if _, ok := any(z).(tensors.F16); ok {
		return tensors.Unary(x, func(v float64) T { return T(tensors.F16FromFloat64(v)) })
	}
	return tensors.Unary(x, func(v float64) T { return T(tensors.BF16FromFloat64(v)) })
}

// castFromString parses decimal numbers ("1.5", "-3", "1e-3", "NaN",
// "INF", "-inf") into any numeric type (through float64, or int64 for
// integer text bound for an integer type) and "true"/"false" as well as
// numbers into bool. Text that is no number is an error naming the
// element.
func castFromString(x *tensors.Tensor, to tensors.DType) (*tensors.Tensor, error) {
	src := tensors.Data[string](x)
	if to.IsInteger() {
		ints := make([]int64, len(src))
		fits := true
		for i, s := range src {
			v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil {
				fits = false
				break
			}
			ints[i] = v
		}
		if fits {
			t, err := tensors.New(x.Shape(), ints)
			if err != nil {
				return nil, err
			}
			return CastTensor(t, to)
		}
	}
	vals := make([]float64, len(src))
	for i, s := range src {
		s = strings.TrimSpace(s)
		switch strings.ToLower(s) {
		case "true":
			vals[i] = 1
			continue
		case "false":
			vals[i] = 0
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, fmt.Errorf("cast from string: element %d (%q) is not a number", i, trimText(s))
		}
		vals[i] = v
	}
	t, err := tensors.New(x.Shape(), vals)
	if err != nil {
		return nil, err
	}
	if to == tensors.Float32 {
		// Parse again in single precision: one rounding, as strtof.
		out := make([]float32, len(src))
		for i, v := range vals {
			out[i] = float32(v)
			if f, err := strconv.ParseFloat(strings.TrimSpace(src[i]), 32); err == nil {
				out[i] = float32(f)
			}
		}
		return tensors.New(x.Shape(), out)
	}
	return CastTensor(t, to)
}

// castToString formats numbers in the shortest decimal form that reads
// back as the same value of the source type ("0.039187793", "1e-05",
// "NaN", "INF", "-INF"), integers in decimal and bools as "1" or "0".
func castToString(x *tensors.Tensor) (*tensors.Tensor, error) {
	if x.DType().IsHalf() {
		x = tensors.HalfToFloat32(x)
	}
	return formatElemsFor[x.DType()](x)
}

// formatElems formats each element of a numeric or bool tensor.
//
//dtypes:fixednohalf
func formatElems[T tensors.Numeric | bool](x *tensors.Tensor) (*tensors.Tensor, error) {
	return tensors.Unary(x, func(v T) string { return formatNumber(any(v)) })
}

func formatNumber(v any) string {
	switch v := v.(type) {
	case float32:
		return formatFloat(float64(v), 32)
	case float64:
		return formatFloat(v, 64)
	case bool:
		if v {
			return "1"
		}
		return "0"
	}
	return fmt.Sprint(v)
}

func formatFloat(v float64, bits int) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "INF"
	case math.IsInf(v, -1):
		return "-INF"
	}
	return strconv.FormatFloat(v, 'g', -1, bits)
}

// trimText shortens text quoted in an error message.
func trimText(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
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
