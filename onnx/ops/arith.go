package ops

import (
	"fmt"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Binary arithmetic operators (Add; Sub, Mul, Div, ... follow the same
// pattern through registerArith).

func add[T tensors.Numeric](a, b T) T { return a + b }

func init() {
	registerArith("Add", NumericBinary{
		F32: add[float32], F64: add[float64],
		I8: add[int8], I16: add[int16], I32: add[int32], I64: add[int64],
		U8: add[uint8], U16: add[uint16], U32: add[uint32], U64: add[uint64],
		Op: '+',
	})
}

// registerArith registers a binary arithmetic operator in all its versions:
// 1 and 6 with the legacy broadcast/axis attributes (1 also has the inert
// consumed_inputs), 7, 13 and 14 with multidirectional broadcasting. The
// versions differ otherwise only in the element types they allow, which fns
// covers.
func registerArith(name string, fns NumericBinary) {
	Register(Op{
		Type:  name,
		Since: []int{1, 6},
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
		Type:  name,
		Since: []int{7, 13, 14},
		Prepare: func(n *Node) (Kernel, error) {
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
