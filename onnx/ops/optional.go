package ops

import (
	"errors"
	"fmt"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Optional operators: values that hold a tensor, a sequence or nothing
// (tensors.OptionalKind). Version 18 of OptionalHasElement and
// OptionalGetElement also accept a plain tensor or sequence (which is
// there) and, for OptionalHasElement, an omitted input (which is not).
func init() {
	Register(Op{Type: "Optional", Since: []int{15}, Values: true, Prepare: prepareOptional, Infer: inferOptional})
	Register(Op{Type: "OptionalHasElement", Since: []int{15, 18}, Values: true, Prepare: prepareOptionalHasElement,
		Infer: func(*Node, []tensors.Type) ([]tensors.Type, error) {
			return []tensors.Type{tensors.KnownType(tensors.Bool, nil)}, nil
		}})
	Register(Op{Type: "OptionalGetElement", Since: []int{15, 18}, Values: true, Prepare: prepareOptionalGetElement, Infer: inferOptionalGetElement})
}

// optionalTypeAttr reads Optional's "type" attribute, the type of the
// value an empty optional would hold.
func optionalTypeAttr(n *Node) (tensors.Type, bool, error) {
	p := n.Attrs.Proto("type")
	if p == nil {
		return tensors.Type{}, false, nil
	}
	if p.GetTp() == nil {
		return tensors.Type{}, false, errors.New("attribute type must be a type (TYPE_PROTO)")
	}
	t, err := tensors.TypeFromProto(p.GetTp())
	if err != nil {
		return tensors.Type{}, false, fmt.Errorf("attribute type: %w", err)
	}
	if t.Kind == tensors.OptionalKind {
		return tensors.Type{}, false, fmt.Errorf("attribute type: nested optional values: %w", tensors.ErrUnsupported)
	}
	return t, true, nil
}

// ---- Optional

func prepareOptional(n *Node) (Kernel, error) {
	elem, hasType, err := optionalTypeAttr(n)
	if err != nil {
		return nil, err
	}
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	if !n.HasInput(0) && !hasType {
		return nil, errors.New("an Optional without input needs the type attribute")
	}
	if !n.HasInput(0) {
		none, err := tensors.NewOptional(elem, nil)
		if err != nil {
			return nil, err
		}
		return func([]*tensors.Tensor) ([]*tensors.Tensor, error) { return []*tensors.Tensor{none}, nil }, nil
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		if in[0] == nil {
			return nil, errors.New("input 0 is missing")
		}
		o, err := tensors.NewOptional(elem, in[0])
		if err != nil {
			return nil, err
		}
		return []*tensors.Tensor{o}, nil
	}, nil
}

func inferOptional(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	elem, hasType, err := optionalTypeAttr(n)
	if err != nil {
		return nil, err
	}
	if len(in) > 0 && n.HasInput(0) {
		if in[0].Kind == tensors.OptionalKind {
			return nil, errors.New("input 0 is already an optional value")
		}
		if !hasType {
			elem = in[0]
		}
	}
	return []tensors.Type{tensors.OptionalOf(elem)}, nil
}

// ---- OptionalHasElement

func prepareOptionalHasElement(n *Node) (Kernel, error) {
	if n.Since < 18 && !n.HasInput(0) {
		return nil, errors.New("input 0 is required before version 18")
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		var has bool
		switch {
		case len(in) == 0 || in[0] == nil:
			has = false
		case in[0].Kind() == tensors.OptionalKind:
			has = len(in[0].Items()) > 0
		case n.Since >= 18:
			has = true // a tensor or sequence is there
		default:
			return nil, fmt.Errorf("input 0 is a %v value, want an optional value", in[0].Kind())
		}
		return []*tensors.Tensor{tensors.Scalar(has)}, nil
	}, nil
}

// ---- OptionalGetElement

func prepareOptionalGetElement(n *Node) (Kernel, error) {
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		if len(in) == 0 || in[0] == nil {
			return nil, errors.New("input 0 is missing")
		}
		x := in[0]
		if x.Kind() != tensors.OptionalKind {
			if n.Since >= 18 {
				return []*tensors.Tensor{x}, nil
			}
			return nil, fmt.Errorf("input 0 is a %v value, want an optional value", x.Kind())
		}
		if len(x.Items()) == 0 {
			return nil, errors.New("the optional value is empty")
		}
		return []*tensors.Tensor{x.Items()[0]}, nil
	}, nil
}

func inferOptionalGetElement(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	switch {
	case in[0].Kind == tensors.OptionalKind && in[0].Elem != nil:
		return []tensors.Type{*in[0].Elem}, nil
	case in[0].Kind != tensors.OptionalKind && !in[0].Unknown():
		if n.Since < 18 {
			return nil, fmt.Errorf("input 0 is a %v, want an optional value", in[0])
		}
		return []tensors.Type{in[0]}, nil
	}
	return nil, nil
}
