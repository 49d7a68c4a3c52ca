package ops

import (
	"errors"
	"fmt"
	"slices"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Sequence operators: values that are ordered lists of tensors of one
// element type (tensors.SequenceKind). Sequences are immutable like
// tensors: SequenceInsert and SequenceErase return new sequences sharing
// the elements of their input. SequenceMap, which runs a subgraph per
// element, lives in package onnx with the other control flow operators.
func init() {
	Register(Op{Type: "SequenceEmpty", Since: []int{11}, Values: true, Prepare: prepareSequenceEmpty, Infer: inferSequenceEmpty})
	Register(Op{Type: "SequenceConstruct", Since: []int{11}, Values: true, Prepare: prepareSequenceConstruct, Infer: inferSequenceConstruct})
	Register(Op{Type: "SequenceAt", Since: []int{11}, Values: true, Prepare: prepareSequenceAt, Infer: inferSequenceAt})
	Register(Op{Type: "SequenceInsert", Since: []int{11}, Values: true, Prepare: prepareSequenceInsert, Infer: inferSequenceInsert})
	Register(Op{Type: "SequenceErase", Since: []int{11}, Values: true, Prepare: prepareSequenceErase, Infer: inferSequenceKeep})
	Register(Op{Type: "SequenceLength", Since: []int{11}, Values: true, Prepare: prepareSequenceLength, Infer: inferSequenceLength})
	Register(Op{Type: "SplitToSequence", Since: []int{11}, Values: true, Prepare: prepareSplitToSequence, Infer: inferSplitToSequence})
	Register(Op{Type: "ConcatFromSequence", Since: []int{11}, Values: true, Prepare: prepareConcatFromSequence, Infer: inferConcatFromSequence})
}

// sequenceInput returns input i, which must be a sequence.
func sequenceInput(in []*tensors.Tensor, i int) (*tensors.Tensor, error) {
	if i >= len(in) || in[i] == nil {
		return nil, fmt.Errorf("input %d (a sequence) is missing", i)
	}
	if k := in[i].Kind(); k != tensors.SequenceKind {
		return nil, fmt.Errorf("input %d is a %v value (%v), want a sequence", i, k, in[i])
	}
	return in[i], nil
}

// tensorInput returns input i, which must be a tensor.
func tensorInput(in []*tensors.Tensor, i int, what string) (*tensors.Tensor, error) {
	if i >= len(in) || in[i] == nil {
		return nil, fmt.Errorf("input %d (%s) is missing", i, what)
	}
	if k := in[i].Kind(); k != tensors.TensorKind {
		return nil, fmt.Errorf("input %d (%s) is a %v value, want a tensor", i, what, k)
	}
	return in[i], nil
}

// sequencePosition reads a position input (a scalar int32 or int64) and
// checks it against [-n, hi], returning it as an index in [0, hi].
func sequencePosition(t *tensors.Tensor, n, hi int) (int, error) {
	if t.DType() != tensors.Int32 && t.DType() != tensors.Int64 {
		return 0, fmt.Errorf("position %v must be an int32 or int64 scalar", t)
	}
	if t.Len() != 1 || t.Rank() > 1 {
		return 0, fmt.Errorf("position %v must hold one integer", t)
	}
	v, err := tensors.AsInt64s(t)
	if err != nil {
		return 0, err
	}
	p := v[0]
	if p < int64(-n) || p > int64(hi) {
		return 0, fmt.Errorf("position %d is out of range [%d, %d] for a sequence of %d tensors", p, -n, hi, n)
	}
	if p < 0 {
		p += int64(n)
	}
	return int(p), nil
}

// elemTypeOf returns the element type static type t gives a sequence's
// elements, or an unknown type.
func elemTypeOf(t tensors.Type) tensors.Type {
	if t.Kind == tensors.SequenceKind && t.Elem != nil {
		return *t.Elem
	}
	return tensors.Type{}
}

// dtypeAttr reads an element type attribute (SequenceEmpty's dtype).
func dtypeAttr(a *Attrs, name string, def tensors.DType) (tensors.DType, error) {
	dt := tensors.DType(a.Int(name, int(def)))
	if !dt.Supported() {
		return 0, fmt.Errorf("attribute %s: element type %v: %w", name, dt, tensors.ErrUnsupported)
	}
	return dt, nil
}

// ---- SequenceEmpty

func prepareSequenceEmpty(n *Node) (Kernel, error) {
	dt, err := dtypeAttr(n.Attrs, "dtype", tensors.Float32)
	if err != nil {
		return nil, err
	}
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	empty, err := tensors.NewSequence(tensors.Type{DType: dt}, nil)
	if err != nil {
		return nil, err
	}
	return func([]*tensors.Tensor) ([]*tensors.Tensor, error) {
		return []*tensors.Tensor{empty}, nil
	}, nil
}

func inferSequenceEmpty(n *Node, _ []tensors.Type) ([]tensors.Type, error) {
	dt, err := dtypeAttr(n.Attrs, "dtype", tensors.Float32)
	if err != nil {
		return nil, nil
	}
	return []tensors.Type{tensors.SequenceOf(tensors.Type{DType: dt})}, nil
}

// ---- SequenceConstruct

func prepareSequenceConstruct(n *Node) (Kernel, error) {
	if len(n.Inputs) == 0 {
		return nil, errors.New("SequenceConstruct takes at least one tensor")
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		items := make([]*tensors.Tensor, len(in))
		for i := range in {
			t, err := tensorInput(in, i, "a sequence element")
			if err != nil {
				return nil, err
			}
			items[i] = t
		}
		s, err := tensors.NewSequence(tensors.Type{DType: items[0].DType()}, items)
		if err != nil {
			return nil, err
		}
		return []*tensors.Tensor{s}, nil
	}, nil
}

// JoinTypes is what is known of a value that has type a or type b: the
// common kind and element type and the dimensions they agree on. The If
// operator's outputs, a loop's carried values and the elements of a
// sequence are typed with it.
func JoinTypes(a, b tensors.Type) tensors.Type {
	if a.Kind != b.Kind {
		return tensors.Type{}
	}
	if a.Kind != tensors.TensorKind {
		if a.Elem == nil || b.Elem == nil {
			return tensors.Type{Kind: a.Kind}
		}
		elem := JoinTypes(*a.Elem, *b.Elem)
		return tensors.Type{Kind: a.Kind, Elem: &elem}
	}
	out := tensors.Type{}
	if a.DType == b.DType {
		out.DType = a.DType
	}
	if a.RankKnown && b.RankKnown && len(a.Dims) == len(b.Dims) {
		out.RankKnown = true
		out.Dims = make([]tensors.Dim, len(a.Dims))
		for i := range a.Dims {
			switch {
			case a.Dims[i].Known() && a.Dims[i].Size == b.Dims[i].Size:
				out.Dims[i] = a.Dims[i]
			case !a.Dims[i].Known() && !b.Dims[i].Known() && a.Dims[i].Param != "" && a.Dims[i].Param == b.Dims[i].Param:
				out.Dims[i] = a.Dims[i]
			default:
				out.Dims[i] = tensors.UnknownDim
			}
		}
	}
	return out
}

func inferSequenceConstruct(_ *Node, in []tensors.Type) ([]tensors.Type, error) {
	if len(in) == 0 {
		return nil, nil
	}
	elem := in[0]
	for i, t := range in {
		if t.Kind != tensors.TensorKind {
			return nil, fmt.Errorf("input %d is a %v; sequence elements are tensors", i, t)
		}
		if t.DType != tensors.Undefined && elem.DType != tensors.Undefined && t.DType != elem.DType {
			return nil, fmt.Errorf("input %d is %v, input 0 is %v: a sequence holds tensors of one element type", i, t, in[0])
		}
		elem = JoinTypes(elem, t)
	}
	return []tensors.Type{tensors.SequenceOf(elem)}, nil
}

// ---- SequenceAt

func prepareSequenceAt(*Node) (Kernel, error) {
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		s, err := sequenceInput(in, 0)
		if err != nil {
			return nil, err
		}
		pos, err := tensorInput(in, 1, "position")
		if err != nil {
			return nil, err
		}
		items := s.Items()
		i, err := sequencePosition(pos, len(items), len(items)-1)
		if err != nil {
			return nil, err
		}
		return []*tensors.Tensor{items[i]}, nil
	}, nil
}

func inferSequenceAt(_ *Node, in []tensors.Type) ([]tensors.Type, error) {
	if in[0].Kind != tensors.SequenceKind && !in[0].Unknown() {
		return nil, fmt.Errorf("input 0 is a %v, want a sequence", in[0])
	}
	return []tensors.Type{elemTypeOf(in[0])}, nil
}

// inferSequenceKeep is the inference of SequenceErase, whose output
// sequence has the type of its input sequence.
func inferSequenceKeep(_ *Node, in []tensors.Type) ([]tensors.Type, error) {
	if in[0].Kind != tensors.SequenceKind {
		if !in[0].Unknown() {
			return nil, fmt.Errorf("input 0 is a %v, want a sequence", in[0])
		}
		return nil, nil
	}
	return []tensors.Type{in[0]}, nil
}

// inferSequenceInsert: the inserted tensor joins the input's elements.
func inferSequenceInsert(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	out, err := inferSequenceKeep(n, in)
	if len(out) == 0 || err != nil {
		return out, err
	}
	elem := elemTypeOf(in[0])
	if t := in[1]; t.Kind == tensors.TensorKind && t.DType != tensors.Undefined {
		if elem.DType != tensors.Undefined && t.DType != elem.DType {
			return nil, fmt.Errorf("inserting a %v tensor into a sequence of %v", t.DType, elem.DType)
		}
		elem = JoinTypes(elem, t)
	} else {
		elem = tensors.Type{DType: elem.DType}
	}
	return []tensors.Type{tensors.SequenceOf(elem)}, nil
}

// ---- SequenceInsert

func prepareSequenceInsert(*Node) (Kernel, error) {
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		s, err := sequenceInput(in, 0)
		if err != nil {
			return nil, err
		}
		t, err := tensorInput(in, 1, "tensor")
		if err != nil {
			return nil, err
		}
		items := s.Items()
		if dt := s.ElemType().DType; t.DType() != dt {
			return nil, fmt.Errorf("cannot insert %v into a sequence of %v tensors", t, dt)
		}
		at := len(items)
		if len(in) > 2 && in[2] != nil {
			if at, err = sequencePosition(in[2], len(items), len(items)); err != nil {
				return nil, err
			}
		}
		if len(items)+1 > tensors.MaxSequenceLength {
			return nil, fmt.Errorf("the sequence would have more than %d elements", tensors.MaxSequenceLength)
		}
		out := make([]*tensors.Tensor, 0, len(items)+1)
		out = append(append(append(out, items[:at]...), t), items[at:]...)
		seq, err := tensors.NewSequence(s.ElemType(), out)
		if err != nil {
			return nil, err
		}
		return []*tensors.Tensor{seq}, nil
	}, nil
}

// ---- SequenceErase

func prepareSequenceErase(*Node) (Kernel, error) {
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		s, err := sequenceInput(in, 0)
		if err != nil {
			return nil, err
		}
		items := s.Items()
		if len(items) == 0 {
			return nil, errors.New("cannot erase from an empty sequence")
		}
		at := len(items) - 1
		if len(in) > 1 && in[1] != nil {
			if at, err = sequencePosition(in[1], len(items), len(items)-1); err != nil {
				return nil, err
			}
		}
		out := slices.Delete(slices.Clone(items), at, at+1)
		seq, err := tensors.NewSequence(s.ElemType(), out)
		if err != nil {
			return nil, err
		}
		return []*tensors.Tensor{seq}, nil
	}, nil
}

// ---- SequenceLength

func prepareSequenceLength(*Node) (Kernel, error) {
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		s, err := sequenceInput(in, 0)
		if err != nil {
			return nil, err
		}
		return []*tensors.Tensor{tensors.Scalar(int64(len(s.Items())))}, nil
	}, nil
}

func inferSequenceLength(_ *Node, in []tensors.Type) ([]tensors.Type, error) {
	if in[0].Kind != tensors.SequenceKind && !in[0].Unknown() {
		return nil, fmt.Errorf("input 0 is a %v, want a sequence", in[0])
	}
	return []tensors.Type{tensors.KnownType(tensors.Int64, nil)}, nil
}

// ---- SplitToSequence

// splitToSequenceParts returns the sizes of the parts an axis of size dim
// is split into: given sizes (split is a 1-D tensor), parts of one size,
// the last one smaller (split is a scalar), or parts of 1 (no split).
func splitToSequenceParts(split *tensors.Tensor, dim int) ([]int, error) {
	if split == nil {
		parts := make([]int, dim)
		for i := range parts {
			parts[i] = 1
		}
		return parts, nil
	}
	if split.DType() != tensors.Int32 && split.DType() != tensors.Int64 {
		return nil, fmt.Errorf("split %v must be int32 or int64", split)
	}
	v, err := tensors.AsInt64s(split)
	if err != nil {
		return nil, err
	}
	switch split.Rank() {
	case 0:
		size := v[0]
		if size <= 0 {
			return nil, fmt.Errorf("split size %d must be positive", size)
		}
		var parts []int
		for left := int64(dim); left > 0; left -= size {
			parts = append(parts, int(min(size, left)))
		}
		return parts, nil
	case 1:
		return checkSplitSizes(v, dim)
	}
	return nil, fmt.Errorf("split %v must be a scalar or a 1-D tensor", split)
}

func prepareSplitToSequence(n *Node) (Kernel, error) {
	axis := n.Attrs.Int("axis", 0)
	keepdims := n.Attrs.Int("keepdims", 1)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	if keepdims != 0 && keepdims != 1 {
		return nil, fmt.Errorf("keepdims is %d, want 0 or 1", keepdims)
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x, err := tensorInput(in, 0, "input")
		if err != nil {
			return nil, err
		}
		if x.Rank() == 0 {
			return nil, errors.New("cannot split a scalar")
		}
		a, err := tensors.NormalizeAxis(axis, x.Rank())
		if err != nil {
			return nil, err
		}
		var split *tensors.Tensor
		if len(in) > 1 && in[1] != nil {
			if split, err = tensorInput(in, 1, "split"); err != nil {
				return nil, err
			}
		}
		parts, err := splitToSequenceParts(split, x.Shape()[a])
		if err != nil {
			return nil, err
		}
		if len(parts) > tensors.MaxSequenceLength {
			return nil, fmt.Errorf("splitting into %d parts: more than %d", len(parts), tensors.MaxSequenceLength)
		}
		squeeze := split == nil && keepdims == 0
		var squeezed []int
		if squeeze {
			squeezed = slices.Delete(slices.Clone(x.Shape()), a, a+1)
		}
		items := make([]*tensors.Tensor, len(parts))
		v := tensors.FullStridedView(x)
		for i, p := range parts {
			v.Shape[a] = p
			if items[i], err = v.Materialize(x, nil); err != nil {
				return nil, err
			}
			if squeeze {
				if items[i], err = items[i].Reshape(squeezed...); err != nil {
					return nil, err
				}
			}
			v.Off += p * v.Strides[a]
		}
		seq, err := tensors.NewSequence(tensors.Type{DType: x.DType()}, items)
		if err != nil {
			return nil, err
		}
		return []*tensors.Tensor{seq}, nil
	}, nil
}

func inferSplitToSequence(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	x := in[0]
	elem := tensors.Type{DType: x.DType}
	if x.RankKnown && len(x.Dims) > 0 {
		if a, err := tensors.NormalizeAxis(n.Attrs.Int("axis", 0), len(x.Dims)); err == nil {
			keep := n.Attrs.Int("keepdims", 1) != 0 || n.HasInput(1)
			elem.RankKnown = true
			elem.Dims = slices.Clone(x.Dims)
			elem.Dims[a] = tensors.UnknownDim
			if !n.HasInput(1) {
				elem.Dims[a] = tensors.Dim{Size: 1}
			}
			if !keep {
				elem.Dims = slices.Delete(elem.Dims, a, a+1)
			}
		}
	}
	return []tensors.Type{tensors.SequenceOf(elem)}, nil
}

// ---- ConcatFromSequence

func prepareConcatFromSequence(n *Node) (Kernel, error) {
	axis := n.Attrs.RequiredInt("axis")
	newAxis := n.Attrs.Int("new_axis", 0)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	if newAxis != 0 && newAxis != 1 {
		return nil, fmt.Errorf("new_axis is %d, want 0 or 1", newAxis)
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		s, err := sequenceInput(in, 0)
		if err != nil {
			return nil, err
		}
		items := s.Items()
		if len(items) == 0 {
			return nil, errors.New("cannot concatenate an empty sequence")
		}
		a := axis
		if newAxis == 1 {
			// Stack: each element gains a dimension of 1 at the axis,
			// which may be one past the last.
			r := items[0].Rank()
			if a < -r-1 || a > r {
				return nil, fmt.Errorf("axis %d is out of range for stacking rank-%d tensors", axis, r)
			}
			if a < 0 {
				a += r + 1
			}
			stacked := make([]*tensors.Tensor, len(items))
			for i, t := range items {
				if t.Rank() != r {
					return nil, fmt.Errorf("sequence element %d is %v, element 0 is %v: ranks differ", i, t, items[0])
				}
				shape := slices.Insert(slices.Clone(t.Shape()), a, 1)
				if stacked[i], err = t.Reshape(shape...); err != nil {
					return nil, err
				}
			}
			items = stacked
		}
		y, err := Concat(items, a)
		if err != nil {
			return nil, err
		}
		return []*tensors.Tensor{y}, nil
	}, nil
}

func inferConcatFromSequence(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	if in[0].Kind != tensors.SequenceKind {
		if !in[0].Unknown() {
			return nil, fmt.Errorf("input 0 is a %v, want a sequence", in[0])
		}
		return nil, nil
	}
	elem := elemTypeOf(in[0])
	out := tensors.Type{DType: elem.DType}
	if elem.RankKnown {
		r := len(elem.Dims)
		a := n.Attrs.Int("axis", 0)
		if n.Attrs.Int("new_axis", 0) == 1 {
			if a < -r-1 || a > r {
				return nil, fmt.Errorf("axis %d is out of range for stacking rank-%d tensors", a, r)
			}
			if a < 0 {
				a += r + 1
			}
			out.RankKnown = true
			out.Dims = slices.Insert(slices.Clone(elem.Dims), a, tensors.UnknownDim)
		} else if r > 0 {
			na, err := tensors.NormalizeAxis(a, r)
			if err != nil {
				return nil, err
			}
			out.RankKnown = true
			out.Dims = slices.Clone(elem.Dims)
			out.Dims[na] = tensors.UnknownDim
		}
	}
	return []tensors.Type{out}, nil
}
