package ops

import (
	"errors"
	"strconv"
	"strings"
)

// Dim is one dimension of a static shape: a known size (Size >= 0), or an
// unknown size (Size < 0), which may carry the symbolic name the model
// gives it (Param, e.g. "batch").
type Dim struct {
	Size  int
	Param string
}

// Known reports whether the size is known.
func (d Dim) Known() bool { return d.Size >= 0 }

// String returns the size, the symbolic name, or "?".
func (d Dim) String() string {
	switch {
	case d.Size >= 0:
		return strconv.Itoa(d.Size)
	case d.Param != "":
		return d.Param
	}
	return "?"
}

// Type is what is known about a value before running the model: its
// element type (Undefined if unknown) and its shape. Dims is nil when even
// the rank is unknown; a scalar has RankKnown true and no Dims.
type Type struct {
	DType     DType
	RankKnown bool
	Dims      []Dim
}

// UnknownDim is a dimension of unknown size.
var UnknownDim = Dim{Size: -1}

// TypeOf returns the fully known type of a concrete tensor.
func TypeOf(t *Tensor) Type {
	return KnownType(t.DType(), t.Shape())
}

// KnownType returns a type with element type dt and a fully known shape.
func KnownType(dt DType, shape []int) Type {
	dims := make([]Dim, len(shape))
	for i, s := range shape {
		dims[i] = Dim{Size: s}
	}
	return Type{DType: dt, RankKnown: true, Dims: dims}
}

// Rank returns the rank, or -1 if unknown.
func (t Type) Rank() int {
	if !t.RankKnown {
		return -1
	}
	return len(t.Dims)
}

// Shape returns the shape if every dimension is known.
func (t Type) Shape() ([]int, bool) {
	if !t.RankKnown {
		return nil, false
	}
	s := make([]int, len(t.Dims))
	for i, d := range t.Dims {
		if !d.Known() {
			return nil, false
		}
		s[i] = d.Size
	}
	return s, true
}

// String formats the type as "float32[N 1 28 28]", "int64[]" for a scalar,
// "float32[...]" for unknown rank and "?" for the element type if unknown.
func (t Type) String() string {
	var b strings.Builder
	if t.DType == Undefined {
		b.WriteString("?")
	} else {
		b.WriteString(t.DType.String())
	}
	if !t.RankKnown {
		b.WriteString("[...]")
		return b.String()
	}
	b.WriteByte('[')
	for i, d := range t.Dims {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(d.String())
	}
	b.WriteByte(']')
	return b.String()
}

// InferBroadcast is a ready-made Infer for elementwise operators: the output
// has the first input's element type (or out if not Undefined) and the
// broadcast of all present inputs' shapes, as far as they are known. Static
// shapes that cannot broadcast are an error.
func InferBroadcast(out DType) func(n *Node, in []Type) ([]Type, error) {
	return func(n *Node, in []Type) ([]Type, error) {
		t := Type{DType: out}
		rank := 0
		for i, x := range in {
			if !n.HasInput(i) {
				continue
			}
			if t.DType == Undefined {
				t.DType = x.DType
			}
			if !x.RankKnown {
				return []Type{{DType: t.DType}}, nil
			}
			rank = max(rank, len(x.Dims))
		}
		t.RankKnown = true
		t.Dims = make([]Dim, rank)
		for j := range t.Dims {
			t.Dims[j] = Dim{Size: 1}
		}
		for i, x := range in {
			if !n.HasInput(i) {
				continue
			}
			off := rank - len(x.Dims)
			for j, d := range x.Dims {
				o := &t.Dims[off+j]
				switch {
				case d.Size == 1:
				case o.Size == 1:
					*o = d
				case !d.Known():
					if o.Known() {
						// o > 1 forces d == o at run time.
						continue
					}
					if o.Param != d.Param {
						*o = UnknownDim
					}
				case !o.Known():
					*o = d // d > 1 forces the size
				case d.Size != o.Size:
					return nil, errBroadcastTypes(in)
				}
			}
		}
		return []Type{t}, nil
	}
}

func errBroadcastTypes(in []Type) error {
	parts := make([]string, len(in))
	for i, t := range in {
		parts[i] = t.String()
	}
	return errors.New("cannot broadcast " + strings.Join(parts, " and "))
}

// InferSame is a ready-made Infer for operators whose single output has the
// type of input 0 (Identity, Relu, Neg, ...).
func InferSame(n *Node, in []Type) ([]Type, error) {
	if len(in) == 0 {
		return nil, nil
	}
	return []Type{in[0]}, nil
}
