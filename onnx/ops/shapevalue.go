package ops

import (
	"slices"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Shape values. Exporters compute shapes at run time: Shape of an input
// with a symbolic batch, Gather of one entry, Unsqueeze, Concat with
// constants, then ConstantOfShape or Reshape. Where such a value is not a
// constant, its entries may still be known one by one, as dimensions: a
// size, or a named symbol (the batch). Op.ShapeValue computes them for the
// operators that carry shapes along (Shape, Gather, Slice, Squeeze,
// Unsqueeze, Concat, Cast), the loader records them, and Infer functions
// read them with Node.ShapeValue, as ONNX's shape inference propagates
// data.

// maxShapeValue bounds the length of a shape value: shapes have at most
// this many axes in practice, and longer integer vectors are data.
const maxShapeValue = 64

// ShapeValue returns what is known at load time about the entries of
// input i, a 0-D or 1-D integer value such as a shape: one Dim per entry
// (a size, a named symbol or unknown), or nil if nothing is known. A
// constant input gives its entries (negative ones as unknown).
func (n *Node) ShapeValue(i int) []tensors.Dim {
	if !n.HasInput(i) {
		return nil
	}
	if c := n.Const(i); c != nil {
		if (c.DType() != tensors.Int64 && c.DType() != tensors.Int32) || c.Rank() > 1 || c.Len() > maxShapeValue {
			return nil
		}
		v, err := tensors.AsInt64s(c)
		if err != nil {
			return nil
		}
		dims := make([]tensors.Dim, len(v))
		for k, x := range v {
			dims[k] = tensors.UnknownDim
			if x >= 0 && x <= tensors.MaxElements {
				dims[k] = tensors.Dim{Size: int(x)}
			}
		}
		return dims
	}
	if n.env.ShapeValue == nil {
		return nil
	}
	return n.env.ShapeValue(n.Inputs[i])
}

// ShapeValue returns the shape value of the node's first output (see
// Op.ShapeValue), or nil.
func (c *Compiled) ShapeValue(in []tensors.Type) []tensors.Dim {
	if c.Op.ShapeValue == nil {
		return nil
	}
	v := c.Op.ShapeValue(c.Node, in)
	if len(v) > maxShapeValue || !slices.ContainsFunc(v, func(d tensors.Dim) bool { return d.Known() || d.Param != "" }) {
		return nil // nothing worth keeping
	}
	return v
}

// shapeValueOfShape: the dimensions of the input, from start to end.
func shapeValueOfShape(n *Node, in []tensors.Type) []tensors.Dim {
	if !in[0].RankKnown {
		return nil
	}
	lo, hi := shapeSlice(len(in[0].Dims), n.Attrs.Int("start", 0), n.Attrs.Int("end", len(in[0].Dims)))
	return slices.Clone(in[0].Dims[lo:hi])
}

// shapeValueOfGather: entries picked by constant indices along axis 0.
func shapeValueOfGather(n *Node, in []tensors.Type) []tensors.Dim {
	v := n.ShapeValue(0)
	idx := n.Const(1)
	if v == nil || idx == nil || idx.Rank() > 1 || idx.Len() > maxShapeValue || !in[0].RankKnown || len(in[0].Dims) != 1 {
		return nil
	}
	if a := n.Attrs.Int("axis", 0); a != 0 && a != -1 {
		return nil
	}
	ix, err := tensors.AsInt64s(idx)
	if err != nil {
		return nil
	}
	out := make([]tensors.Dim, len(ix))
	for k, i := range ix {
		if i < 0 {
			i += int64(len(v))
		}
		if i < 0 || i >= int64(len(v)) {
			return nil // the run reports it
		}
		out[k] = v[i]
	}
	return out
}

// shapeValueSame: operators that keep the entries as they are (Cast to
// an integer type, Squeeze of a 1-D value, Unsqueeze of a 0-D one).
func shapeValueSame(n *Node, in []tensors.Type) []tensors.Dim {
	switch n.Type {
	case "Cast":
		to, err := castTarget(n.Attrs)
		if err != nil || (to != tensors.Int64 && to != tensors.Int32) {
			return nil
		}
	case "Squeeze":
		if !in[0].RankKnown || len(in[0].Dims) != 1 {
			return nil
		}
	case "Unsqueeze":
		if !in[0].RankKnown || len(in[0].Dims) != 0 {
			return nil
		}
	}
	return n.ShapeValue(0)
}

// shapeValueOfConcat: the inputs' entries one after the other.
func shapeValueOfConcat(n *Node, in []tensors.Type) []tensors.Dim {
	var out []tensors.Dim
	for i := range in {
		v := n.ShapeValue(i)
		if v == nil || !in[i].RankKnown || len(in[i].Dims) != 1 || len(out)+len(v) > maxShapeValue {
			return nil
		}
		out = append(out, v...)
	}
	return out
}

// shapeValueOfSlice: the entries a Slice with static parameters selects.
func shapeValueOfSlice(n *Node, in []tensors.Type) []tensors.Dim {
	v := n.ShapeValue(0)
	if v == nil || !in[0].RankKnown || len(in[0].Dims) != 1 {
		return nil
	}
	s, ok, err := staticSliceArgs(n)
	if !ok || err != nil || s.check() != nil || len(s.starts) != 1 {
		return nil
	}
	if axes, err := s.normAxes(1); err != nil || axes[0] != 0 {
		return nil
	}
	step := int64(1)
	if s.steps != nil {
		step = s.steps[0]
	}
	first, count, stride := sliceRange(len(v), s.starts[0], s.ends[0], step)
	out := make([]tensors.Dim, count)
	for k := range out {
		out[k] = v[int64(first)+int64(k)*stride]
	}
	return out
}
