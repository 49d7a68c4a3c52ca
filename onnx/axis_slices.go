package onnx

import (
	"fmt"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Slicing a tensor along an axis and stacking tensors along a new axis:
// the data movement of Loop and Scan, for every element type.

// sliceAt returns t's slice at index i of axis, a tensor of rank one less.
func sliceAt(t *tensors.Tensor, axis, i int) (*tensors.Tensor, error) {
	shape := t.Shape()
	mv, err := tensors.MoverFor(t.DType())
	if err != nil {
		return nil, err
	}
	outer, inner := tensors.DimsProd(shape[:axis]), tensors.DimsProd(shape[axis+1:])
	d := shape[axis]
	out, err := tensors.Alloc(t.DType(), append(append([]int{}, shape[:axis]...), shape[axis+1:]...))
	if err != nil {
		return nil, err
	}
	for o := 0; o < outer; o++ {
		mv.Copy(out.Data(), t.Data(), o*inner, (o*d+i)*inner, inner)
	}
	return out, nil
}

// stackAt stacks tensors of one element type and shape along a new axis
// at position axis (0 <= axis <= their rank).
func stackAt(parts []*tensors.Tensor, axis int) (*tensors.Tensor, error) {
	first := parts[0]
	shape := first.Shape()
	for i, p := range parts {
		if p.Kind() != tensors.TensorKind {
			return nil, fmt.Errorf("value %d is a %v value; only tensors are stacked", i, p.Kind())
		}
		if p.DType() != first.DType() || !tensors.SameShape(p.Shape(), shape) {
			return nil, fmt.Errorf("value %d (%v) differs in element type or shape from value 0 (%v)", i, p, first)
		}
	}
	mv, err := tensors.MoverFor(first.DType())
	if err != nil {
		return nil, err
	}
	n := len(parts)
	outShape := append(append(append([]int{}, shape[:axis]...), n), shape[axis:]...)
	out, err := tensors.Alloc(first.DType(), outShape)
	if err != nil {
		return nil, err
	}
	outer, inner := tensors.DimsProd(shape[:axis]), tensors.DimsProd(shape[axis:])
	for j, p := range parts {
		for o := 0; o < outer; o++ {
			mv.Copy(out.Data(), p.Data(), (o*n+j)*inner, o*inner, inner)
		}
	}
	return out, nil
}

// stackedType is the static type of a subgraph output that is stacked:
// the type inferred for it when its shape is known, else the one the
// subgraph declares, when that agrees with the inferred element type.
func stackedType(br *branch, g *onnxpb.GraphProto, k int) tensors.Type {
	t := br.m.g.outputs[k].Type
	if _, ok := t.Shape(); ok || k >= len(g.GetOutput()) {
		return t
	}
	d, err := tensors.TypeFromProto(g.GetOutput()[k].GetType())
	if err == nil && (t.DType == tensors.Undefined || d.DType == t.DType) {
		if d.DType == tensors.Undefined {
			d.DType = t.DType
		}
		return d
	}
	return t
}

// emptyStack is the result of stacking no values along axis: the element
// type and shape come from a subgraph output's static type, with a 0
// inserted at axis; an unknown shape gives a 1-D empty tensor.
func emptyStack(t tensors.Type, axis int) (*tensors.Tensor, error) {
	if t.DType == tensors.Undefined {
		return nil, fmt.Errorf("no iteration ran and the body does not declare the element type of the output: %w", ErrUnsupported)
	}
	shape := []int{0}
	if dims, ok := t.Shape(); ok && axis <= len(dims) {
		shape = append(append(append([]int{}, dims[:axis]...), 0), dims[axis:]...)
	}
	return tensors.Alloc(t.DType, shape)
}

// stackType is the type of values of type t stacked along a new axis of
// size n inserted at axis (unknown beyond the element type when t's rank
// is unknown or the axis is out of range).
func stackType(t tensors.Type, axis int, n tensors.Dim) tensors.Type {
	if t.Kind != tensors.TensorKind || !t.RankKnown || axis < 0 || axis > len(t.Dims) {
		return tensors.Type{DType: t.DType}
	}
	dims := append(append(append(make([]tensors.Dim, 0, len(t.Dims)+1), t.Dims[:axis]...), n), t.Dims[axis:]...)
	return tensors.Type{DType: t.DType, RankKnown: true, Dims: dims}
}
