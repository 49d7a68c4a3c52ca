package ops

import (
	"fmt"
	"math"
)

// Logical operators: Not, And, Or, Xor (bool, with broadcasting; version 1
// of the binary ones has the legacy broadcast and axis attributes), Where
// (select with three-way broadcasting), IsNaN, IsInf and BitShift.

func init() {
	Register(Op{
		Type:  "Not",
		Since: []int{1},
		Prepare: func(n *Node) (Kernel, error) {
			return func(in []*Tensor) ([]*Tensor, error) {
				if in[0].DType() != Bool {
					return nil, ErrDType("X", in[0].DType(), Bool)
				}
				y, err := Unary(in[0], func(v bool) bool { return !v })
				return []*Tensor{y}, err
			}, nil
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
			return func(in []*Tensor) ([]*Tensor, error) {
				y, err := floatPredicate(in[0], math.IsNaN)
				return []*Tensor{y}, err
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
			return func(in []*Tensor) ([]*Tensor, error) {
				y, err := floatPredicate(in[0], f)
				return []*Tensor{y}, err
			}, nil
		},
		Infer: inferBoolSame,
	})
	Register(Op{Type: "BitShift", Since: []int{11}, Prepare: prepareBitShift, Infer: InferBroadcast(Undefined)})
}

func inferBoolSame(n *Node, in []Type) ([]Type, error) {
	t := in[0]
	t.DType = Bool
	return []Type{t}, nil
}

// floatPredicate maps a float tensor to bool with f.
func floatPredicate(x *Tensor, f func(float64) bool) (*Tensor, error) {
	switch x.DType() {
	case Float32:
		return Unary(x, func(v float32) bool { return f(float64(v)) })
	case Float64:
		return Unary(x, f)
	}
	return nil, ErrDType("X", x.DType(), Float32, Float64)
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
			return func(in []*Tensor) ([]*Tensor, error) {
				a, b := in[0], in[1]
				if a.DType() != Bool || b.DType() != Bool {
					return nil, fmt.Errorf("inputs are %v and %v, want bool: %w", a.DType(), b.DType(), ErrUnsupported)
				}
				if legacy {
					var err error
					if b, err = LegacyBroadcast(a, b, bcast, axis, hasAxis); err != nil {
						return nil, err
					}
				}
				y, err := Binary(a, b, f)
				return []*Tensor{y}, err
			}, nil
		},
		Infer: inferLogical,
	})
}

func prepareWhere(n *Node) (Kernel, error) {
	return func(in []*Tensor) ([]*Tensor, error) {
		c, x, y := in[0], in[1], in[2]
		if c.DType() != Bool {
			return nil, ErrDType("condition", c.DType(), Bool)
		}
		if x.DType() != y.DType() {
			return nil, fmt.Errorf("inputs X (%v) and Y (%v) have different dtypes", x.DType(), y.DType())
		}
		var out *Tensor
		var err error
		switch x.DType() {
		case Float32:
			out, err = whereT[float32](c, x, y)
		case Float64:
			out, err = whereT[float64](c, x, y)
		case Int8:
			out, err = whereT[int8](c, x, y)
		case Int16:
			out, err = whereT[int16](c, x, y)
		case Int32:
			out, err = whereT[int32](c, x, y)
		case Int64:
			out, err = whereT[int64](c, x, y)
		case Uint8:
			out, err = whereT[uint8](c, x, y)
		case Uint16:
			out, err = whereT[uint16](c, x, y)
		case Uint32:
			out, err = whereT[uint32](c, x, y)
		case Uint64:
			out, err = whereT[uint64](c, x, y)
		case Bool:
			out, err = whereT[bool](c, x, y)
		case String:
			out, err = whereT[string](c, x, y)
		default:
			return nil, ErrDType("X", x.DType())
		}
		return []*Tensor{out}, err
	}, nil
}

func whereT[T Elem](c, x, y *Tensor) (*Tensor, error) {
	bc, err := NewBroadcast(c.Shape(), x.Shape(), y.Shape())
	if err != nil {
		return nil, err
	}
	out, dst, err := Make[T](bc.Shape())
	if err != nil {
		return nil, err
	}
	cs, xs, ys := Data[bool](c), Data[T](x), Data[T](y)
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

func inferWhere(n *Node, in []Type) ([]Type, error) {
	t, err := InferBroadcast(Undefined)(n, in)
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
	fns := NumericBinary{U8: shr[uint8], U16: shr[uint16], U32: shr[uint32], U64: shr[uint64]}
	if dir == "LEFT" {
		fns = NumericBinary{U8: shl[uint8], U16: shl[uint16], U32: shl[uint32], U64: shl[uint64]}
	}
	return func(in []*Tensor) ([]*Tensor, error) {
		y, err := fns.Apply(in[0], in[1])
		return []*Tensor{y}, err
	}, nil
}

// Shifts by the type's width or more give 0, as Go defines.
func shl[T Unsigned](a, b T) T { return a << b }
func shr[T Unsigned](a, b T) T { return a >> b }
