package tensors

import (
	"errors"
	"fmt"
	"strings"
)

// Kind tells what an ONNX value is. Most values are dense tensors; ONNX
// also has sequences of tensors (SequenceConstruct, SplitToSequence, ...)
// and optional values (Optional, OptionalGetElement, ...), which onnxkit
// holds as a *Tensor of another kind, so that they travel through graphs,
// subgraphs and sessions like tensors do. Operators that do not declare
// that they take such values never see them: the runtime refuses them
// with an error naming the node.
type Kind uint8

const (
	// TensorKind is a dense tensor (the zero value). In a Type whose
	// element type and rank are both unknown, it also stands for "nothing
	// known", since a declaration may leave the kind out.
	TensorKind Kind = iota
	// SequenceKind is an ordered list of tensors of one element type.
	SequenceKind
	// OptionalKind holds a tensor, a sequence or nothing.
	OptionalKind
)

// String names the kind as ONNX's type syntax does.
func (k Kind) String() string {
	switch k {
	case TensorKind:
		return "tensor"
	case SequenceKind:
		return "sequence"
	case OptionalKind:
		return "optional"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// MaxSequenceLength bounds the number of elements of a sequence, like
// MaxElements bounds a tensor's, so that a hostile length is an error
// rather than an out-of-memory crash.
const MaxSequenceLength = 1 << 24

// container holds what a sequence or optional value is made of.
type container struct {
	kind  Kind
	elem  Type      // a sequence's element type, an optional's value type
	items []*Tensor // a sequence's elements; an optional's value, if any
}

// NewSequence returns a sequence of the given tensors (not copied), whose
// elements are of type elem: elem.DType, when known, is every element's
// element type; elem's shape, when known, is not checked (elements of one
// sequence may differ in shape). Without a known element type, the first
// element sets it; an empty sequence needs one.
func NewSequence(elem Type, items []*Tensor) (*Tensor, error) {
	if elem.Kind != TensorKind {
		return nil, fmt.Errorf("a sequence of %v values: %w", elem.Kind, ErrUnsupported)
	}
	if len(items) > MaxSequenceLength {
		return nil, fmt.Errorf("a sequence of %d elements is longer than the limit of %d", len(items), MaxSequenceLength)
	}
	if elem.DType == Undefined && len(items) > 0 && items[0] != nil {
		elem = Type{DType: items[0].DType()}
	}
	if elem.DType == Undefined || !elem.DType.Supported() {
		return nil, fmt.Errorf("a sequence needs a supported element type, not %v", elem.DType)
	}
	for i, t := range items {
		if t == nil {
			return nil, fmt.Errorf("sequence element %d is missing", i)
		}
		if t.Kind() != TensorKind {
			return nil, fmt.Errorf("sequence element %d is a %v; sequence elements are tensors", i, t.Kind())
		}
		if t.DType() != elem.DType {
			return nil, fmt.Errorf("sequence element %d is %v; the sequence holds %v tensors", i, t, elem.DType)
		}
	}
	return &Tensor{dtype: Undefined, box: &container{kind: SequenceKind, elem: elem, items: items}}, nil
}

// NewOptional returns an optional value holding v (a tensor or a sequence),
// or nothing when v is nil. elem is the type of the value it may hold; when
// v is given, its kind must agree.
func NewOptional(elem Type, v *Tensor) (*Tensor, error) {
	if elem.Kind == OptionalKind || v.Kind() == OptionalKind {
		return nil, errors.New("an optional value cannot hold an optional value")
	}
	if v == nil {
		return &Tensor{dtype: Undefined, box: &container{kind: OptionalKind, elem: elem}}, nil
	}
	vt := Type{DType: v.DType()}
	if v.Kind() == SequenceKind {
		vt = SequenceOf(Type{DType: v.ElemType().DType})
	}
	if !elem.Unknown() {
		if elem.Kind != v.Kind() {
			return nil, fmt.Errorf("an optional %v cannot hold a %v", elem, v.Kind())
		}
		if want, have := elem.ElemDType(), vt.ElemDType(); want != Undefined && want != have {
			return nil, fmt.Errorf("an optional %v cannot hold %v", elem, v)
		}
	}
	return &Tensor{dtype: Undefined, box: &container{kind: OptionalKind, elem: vt, items: []*Tensor{v}}}, nil
}

// Kind tells whether t is a dense tensor, a sequence or an optional value.
func (t *Tensor) Kind() Kind {
	if t == nil || t.box == nil {
		return TensorKind
	}
	return t.box.kind
}

// Items returns a sequence's elements, or an optional value's content (one
// value, or none). The slice belongs to t: callers must not modify it. A
// dense tensor has none.
func (t *Tensor) Items() []*Tensor {
	if t == nil || t.box == nil {
		return nil
	}
	return t.box.items
}

// ElemType returns the type of a sequence's elements or of the value an
// optional may hold (zero for a dense tensor).
func (t *Tensor) ElemType() Type {
	if t == nil || t.box == nil {
		return Type{}
	}
	return t.box.elem
}

// checkContainer is Check for sequences and optional values.
func (t *Tensor) checkContainer() error {
	c := t.box
	switch c.kind {
	case SequenceKind:
		for i, e := range c.items {
			if e == nil || e.Kind() != TensorKind {
				return fmt.Errorf("sequence element %d is not a tensor", i)
			}
			if e.DType() != c.elem.DType {
				return fmt.Errorf("sequence element %d is %v; the sequence holds %v tensors", i, e, c.elem.DType)
			}
			if err := e.Check(); err != nil {
				return fmt.Errorf("sequence element %d: %w", i, err)
			}
		}
	case OptionalKind:
		if len(c.items) > 1 {
			return fmt.Errorf("optional value holds %d values", len(c.items))
		}
		for _, e := range c.items {
			if e == nil || e.Kind() == OptionalKind {
				return errors.New("optional value holds an invalid value")
			}
			if err := e.Check(); err != nil {
				return fmt.Errorf("optional value: %w", err)
			}
		}
	default:
		return fmt.Errorf("value of unknown kind %d", c.kind)
	}
	return nil
}

// containerString is String for sequences and optional values:
// "sequence<float32>[3 items]", "optional<float32>(float32[2 3])",
// "optional<float32>(none)".
func (t *Tensor) containerString() string {
	c := t.box
	var b strings.Builder
	b.WriteString(c.kind.String())
	b.WriteByte('<')
	b.WriteString(c.elem.String())
	b.WriteByte('>')
	switch c.kind {
	case SequenceKind:
		fmt.Fprintf(&b, "[%d items]", len(c.items))
	case OptionalKind:
		if len(c.items) == 0 {
			b.WriteString("(none)")
		} else {
			fmt.Fprintf(&b, "(%v)", c.items[0])
		}
	}
	return b.String()
}

// SequenceOf returns the type of a sequence whose elements have type elem.
func SequenceOf(elem Type) Type {
	return Type{Kind: SequenceKind, Elem: &elem}
}

// OptionalOf returns the type of an optional value of type elem.
func OptionalOf(elem Type) Type {
	return Type{Kind: OptionalKind, Elem: &elem}
}

// ElemDType returns a tensor type's element type, or a sequence type's
// elements' element type.
func (t Type) ElemDType() DType {
	if t.Kind == SequenceKind && t.Elem != nil {
		return t.Elem.DType
	}
	return t.DType
}

// Unknown reports whether nothing is known of the type, not even its kind.
func (t Type) Unknown() bool {
	return t.Kind == TensorKind && t.DType == Undefined && !t.RankKnown
}
