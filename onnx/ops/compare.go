package ops

import (
	"fmt"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Comparisons: Equal, Less, LessOrEqual, Greater, GreaterOrEqual. Each
// compares two tensors of one element type elementwise, with broadcasting,
// into a bool tensor. Version 1 of Equal, Less and Greater has the legacy
// broadcast and axis attributes; later versions broadcast
// multidirectionally and differ only in the element types they allow
// (onnxkit accepts every numeric type, and bool for Equal, in all).
// Comparisons with NaN are false, as in IEEE 754.

//
//dtypes:numeric
func cmpEq[T tensors.Numeric](a, b T) bool { return a == b }

//dtypes:numeric
func cmpLt[T tensors.Numeric](a, b T) bool { return a < b }

//dtypes:numeric
func cmpLe[T tensors.Numeric](a, b T) bool { return a <= b }

//dtypes:numeric
func cmpGt[T tensors.Numeric](a, b T) bool { return a > b }

//dtypes:numeric
func cmpGe[T tensors.Numeric](a, b T) bool { return a >= b }

func init() {
	registerCompare("Equal", []int{1, 7, 11, 13}, cmpEqFns, func(a, b bool) bool { return a == b })
	registerCompare("Less", []int{1, 7, 9, 13}, cmpLtFns, nil)
	registerCompare("LessOrEqual", []int{12, 16}, cmpLeFns, nil)
	registerCompare("Greater", []int{1, 7, 9, 13}, cmpGtFns, nil)
	registerCompare("GreaterOrEqual", []int{12, 16}, cmpGeFns, nil)
}

// registerCompare registers a comparison; onBool, when set, handles bool
// inputs.
func registerCompare(name string, since []int, fns NumericPredicate, onBool func(a, b bool) bool) {
	Register(Op{
		Type:  name,
		Since: since,
		Prepare: func(n *Node) (Kernel, error) {
			legacy := n.Since == 1
			var bcast, hasAxis bool
			var axis int
			if legacy {
				bcast = n.Attrs.Bool("broadcast", false)
				axis, hasAxis = n.Attrs.Int("axis", 0), n.Attrs.Has("axis")
			}
			if err := n.Attrs.Err(); err != nil {
				return nil, err
			}
			return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
				a, b := in[0], in[1]
				if legacy {
					var err error
					if b, err = LegacyBroadcast(a, b, bcast, axis, hasAxis); err != nil {
						return nil, err
					}
				}
				y, err := comparePairInto(a, b, fns, onBool, lastOutput(last))
				if err != nil {
					return nil, err
				}
				return Result(last, y), nil
			}), nil
		},
		Infer: inferLogical,
	})
}

// inferLogical is the static type of a comparison or logical operator:
// bool, broadcast multidirectionally, or A's shape for the legacy version 1.
func inferLogical(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	if n.Since == 1 {
		t := in[0]
		t.DType = tensors.Bool
		return []tensors.Type{t}, nil
	}
	return InferBroadcast(tensors.Bool)(n, in)
}

func comparePair(a, b *tensors.Tensor, fns NumericPredicate, onBool func(a, b bool) bool) (*tensors.Tensor, error) {
	if a.DType() == tensors.Bool && onBool != nil {
		if b.DType() != tensors.Bool {
			return nil, fmt.Errorf("inputs have different dtypes %v and %v", a.DType(), b.DType())
		}
		return tensors.Binary(a, b, onBool)
	}
	return fns.Apply(a, b)
}

// comparePairInto is comparePair computing into into when it fits (see
// tensors.BinaryInto).
func comparePairInto(a, b *tensors.Tensor, fns NumericPredicate, onBool func(a, b bool) bool, into *tensors.Tensor) (*tensors.Tensor, error) {
	if a.DType() != b.DType() {
		return comparePair(a, b, fns, onBool)
	}
	switch {
	case a.DType() == tensors.Bool && onBool != nil:
		return tensors.BinaryInto(a, b, onBool, into)
	case a.DType() == tensors.Float32 && fns.F32 != nil:
		return tensors.BinaryInto(a, b, fns.F32, into)
	case a.DType() == tensors.Float64 && fns.F64 != nil:
		return tensors.BinaryInto(a, b, fns.F64, into)
	case a.DType() == tensors.Int32 && fns.I32 != nil:
		return tensors.BinaryInto(a, b, fns.I32, into)
	case a.DType() == tensors.Int64 && fns.I64 != nil:
		return tensors.BinaryInto(a, b, fns.I64, into)
	}
	return comparePair(a, b, fns, onBool)
}
