package tensors

import (
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
//
// Sequences and optional values have Kind SequenceKind or OptionalKind and
// the type of their elements (or content) in Elem; their own DType, Dims
// and RankKnown are unset.
type Type struct {
	DType     DType
	RankKnown bool
	Dims      []Dim
	Kind      Kind
	Elem      *Type
}

// UnknownDim is a dimension of unknown size.
var UnknownDim = Dim{Size: -1}

// TypeOf returns the fully known type of a concrete tensor.
func TypeOf(t *Tensor) Type {
	if t.Kind() != TensorKind {
		return Type{Kind: t.Kind(), Elem: &t.box.elem}
	}
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
// "float32[...]" for unknown rank and "?" for the element type if unknown;
// "sequence<float32[...]>" and "optional<int64[]>" for other kinds.
func (t Type) String() string {
	var b strings.Builder
	if t.Kind != TensorKind {
		b.WriteString(t.Kind.String())
		b.WriteByte('<')
		if t.Elem != nil {
			b.WriteString(t.Elem.String())
		} else {
			b.WriteByte('?')
		}
		b.WriteByte('>')
		return b.String()
	}
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
