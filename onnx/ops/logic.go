package ops

import (
	"fmt"
	"math"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Logical operators: Not, And, Or, Xor (bool, with broadcasting; version 1
// of the binary ones has the legacy broadcast and axis attributes), Where
// (select with three-way broadcasting), IsNaN, IsInf, BitShift and the
// bitwise operators of opset 18.

func init() {
	Register(Op{
		Type:  "Not",
		Since: []int{1},
		Prepare: func(n *Node) (Kernel, error) {
			return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
				if in[0].DType() != tensors.Bool {
					return nil, tensors.ErrDType("X", in[0].DType(), tensors.Bool)
				}
				y, err := tensors.UnaryInto(in[0], not, lastOutput(last))
				if err != nil {
					return nil, err
				}
				return Result(last, y), nil
			}), nil
		},
		Infer: InferSame,
	})
	registerLogical("And", func(a, b bool) bool { return a && b })
	registerLogical("Or", func(a, b bool) bool { return a || b })
	registerLogical("Xor", func(a, b bool) bool { return a != b })
	Register(Op{Type: "Where", Since: []int{9, 16}, Prepare: prepareWhere, Infer: inferWhere})
	Register(Op{
		Type:  "IsNaN",
		Since: []int{9, 13},
		Prepare: func(n *Node) (Kernel, error) {
			return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
				y, err := floatPredicate(in[0], math.IsNaN)
				return []*tensors.Tensor{y}, err
			}, nil
		},
		Infer: inferBoolSame,
	})
	Register(Op{
		Type:  "IsInf",
		Since: []int{10},
		Prepare: func(n *Node) (Kernel, error) {
			neg := n.Attrs.Int("detect_negative", 1) != 0
			pos := n.Attrs.Int("detect_positive", 1) != 0
			if err := n.Attrs.Err(); err != nil {
				return nil, err
			}
			f := func(v float64) bool { return (pos && math.IsInf(v, 1)) || (neg && math.IsInf(v, -1)) }
			return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
				y, err := floatPredicate(in[0], f)
				return []*tensors.Tensor{y}, err
			}, nil
		},
		Infer: inferBoolSame,
	})
	Register(Op{Type: "BitShift", Since: []int{11}, Prepare: prepareBitShift, Infer: InferBroadcast(tensors.Undefined)})
	registerBitwise("BitwiseAnd", bitAndFns)
	registerBitwise("BitwiseOr", bitOrFns)
	registerBitwise("BitwiseXor", bitXorFns)
	Register(Op{
		Type:  "BitwiseNot",
		Since: []int{18},
		Prepare: func(n *Node) (Kernel, error) {
			return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
				y, err := bitNotFns.Apply(in[0])
				return []*tensors.Tensor{y}, err
			}, nil
		},
		Infer: InferSame,
	})
}

// registerBitwise registers one of the binary bitwise operators of opset
// 18 (integer tensors, multidirectional broadcasting).
func registerBitwise(name string, fns NumericBinary) {
	Register(Op{
		Type:  name,
		Since: []int{18},
		Prepare: func(n *Node) (Kernel, error) {
			return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
				y, err := fns.Apply(in[0], in[1])
				return []*tensors.Tensor{y}, err
			}, nil
		},
		Infer: InferBroadcast(tensors.Undefined),
	})
}

// The bitwise operators on every integer type.
//
//dtypes:integer
func bitAnd[T tensors.Integer](a, b T) T { return a & b }

//dtypes:integer
func bitOr[T tensors.Integer](a, b T) T { return a | b }

//dtypes:integer
func bitXor[T tensors.Integer](a, b T) T { return a ^ b }

//dtypes:integer
func bitNot[T tensors.Integer](v T) T { return ^v }

func inferBoolSame(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	t := in[0]
	t.DType = tensors.Bool
	return []tensors.Type{t}, nil
}

// floatPredicate maps a float tensor to bool with f.
func floatPredicate(x *tensors.Tensor, f func(float64) bool) (*tensors.Tensor, error) {
	switch x.DType() {
	case tensors.Float32:
		return tensors.Unary(x, func(v float32) bool { return f(float64(v)) })
	case tensors.Float64:
		return tensors.Unary(x, f)
	}
	return nil, tensors.ErrDType("X", x.DType(), tensors.Float32, tensors.Float64)
}

func registerLogical(name string, f func(a, b bool) bool) {
	Register(Op{
		Type:  name,
		Since: []int{1, 7},
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
			return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
				a, b := in[0], in[1]
				if a.DType() != tensors.Bool || b.DType() != tensors.Bool {
					return nil, fmt.Errorf("inputs are %v and %v, want bool: %w", a.DType(), b.DType(), tensors.ErrUnsupported)
				}
				if legacy {
					var err error
					if b, err = LegacyBroadcast(a, b, bcast, axis, hasAxis); err != nil {
						return nil, err
					}
				}
				y, err := tensors.Binary(a, b, f)
				return []*tensors.Tensor{y}, err
			}, nil
		},
		Infer: inferLogical,
	})
}

func prepareWhere(n *Node) (Kernel, error) {
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		c, x, y := in[0], in[1], in[2]
		if c.DType() != tensors.Bool {
			return nil, tensors.ErrDType("condition", c.DType(), tensors.Bool)
		}
		if x.DType() != y.DType() {
			return nil, fmt.Errorf("inputs X (%v) and Y (%v) have different dtypes", x.DType(), y.DType())
		}
		var out *tensors.Tensor
		var err error
		where, ok := whereTFor[x.DType()]
		if !ok {
			return nil, tensors.ErrDType("X", x.DType())
		}
		out, err = where(c, x, y)
		return []*tensors.Tensor{out}, err
	}, nil
}

//dtypes:elem
func whereT[T tensors.Elem](c, x, y *tensors.Tensor) (*tensors.Tensor, error) {
	bc, err := tensors.NewBroadcast(c.Shape(), x.Shape(), y.Shape())
	if err != nil {
		return nil, err
	}
	out, dst, err := tensors.Make[T](bc.Shape())
	if err != nil {
		return nil, err
	}
	cs, xs, ys := tensors.Data[bool](c), tensors.Data[T](x), tensors.Data[T](y)
	bc.Runs(func(o int, in []int, n int, step []int) {
		ic, ix, iy := in[0], in[1], in[2]
		for i := 0; i < n; i++ {
			if cs[ic] {
				dst[o+i] = xs[ix]
			} else {
				dst[o+i] = ys[iy]
			}
			ic += step[0]
			ix += step[1]
			iy += step[2]
		}
	})
	return out, nil
}

func inferWhere(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	t, err := InferBroadcast(tensors.Undefined)(n, in)
	if err != nil || len(t) == 0 {
		return t, err
	}
	t[0].DType = in[1].DType
	return t, nil
}

func prepareBitShift(n *Node) (Kernel, error) {
	dir := n.Attrs.Enum("direction", "", "LEFT", "RIGHT")
	if !n.Attrs.Has("direction") {
		n.Attrs.RequiredStr("direction")
	}
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	fns := shrFns
	if dir == "LEFT" {
		fns = shlFns
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		y, err := fns.Apply(in[0], in[1])
		return []*tensors.Tensor{y}, err
	}, nil
}

// Shifts by the type's width or more give 0, as Go defines.
//
//dtypes:unsigned
func shl[T tensors.Unsigned](a, b T) T { return a << b }

//dtypes:unsigned
func shr[T tensors.Unsigned](a, b T) T { return a >> b }

func not(v bool) bool { return !v }
