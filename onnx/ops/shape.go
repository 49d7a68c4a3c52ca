package ops

import (
	"fmt"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Shape manipulation: Shape, Reshape.

func init() {
	Register(Op{
		Type:  "Shape",
		Since: []int{1, 13, 15},
		Prepare: func(n *Node) (Kernel, error) {
			start, end := 0, int(^uint(0)>>1) // version 15: optional start/end
			if n.Since >= 15 {
				start = n.Attrs.Int("start", 0)
				end = n.Attrs.Int("end", end)
			}
			return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
				s := in[0].Shape()
				lo, hi := shapeSlice(len(s), start, end)
				dims := make([]int64, hi-lo)
				for i := range dims {
					dims[i] = int64(s[lo+i])
				}
				return []*tensors.Tensor{tensors.Vector(dims...)}, nil
			}, nil
		},
		Infer: func(n *Node, in []tensors.Type) ([]tensors.Type, error) {
			if !in[0].RankKnown {
				return []tensors.Type{{DType: tensors.Int64, RankKnown: true, Dims: []tensors.Dim{tensors.UnknownDim}}}, nil
			}
			lo, hi := shapeSlice(len(in[0].Dims), n.Attrs.Int("start", 0), n.Attrs.Int("end", len(in[0].Dims)))
			return []tensors.Type{tensors.KnownType(tensors.Int64, []int{hi - lo})}, nil
		},
	})

	Register(Op{
		Type:    "Reshape",
		Since:   []int{1, 5, 13, 14},
		Prepare: prepareReshape,
		Infer:   inferReshape,
	})
}

// shapeSlice clamps Shape-15's start and end (negative values count from
// the back) to [0, rank] and returns an empty range if start >= end.
func shapeSlice(rank, start, end int) (int, int) {
	clamp := func(v int) int {
		if v < 0 {
			v += rank
		}
		return min(max(v, 0), rank)
	}
	lo, hi := clamp(start), clamp(end)
	if lo > hi {
		hi = lo
	}
	return lo, hi
}

func prepareReshape(n *Node) (Kernel, error) {
	var fixed []int64 // the requested shape when known now
	allowZero := false
	switch {
	case n.Since == 1:
		n.Attrs.Ignore("consumed_inputs")
		for _, d := range n.Attrs.RequiredInts("shape") {
			fixed = append(fixed, int64(d))
		}
	default:
		if n.Since >= 14 {
			allowZero = n.Attrs.Bool("allowzero", false)
		}
		if c := n.Const(1); c != nil {
			spec, err := reshapeSpec(c)
			if err != nil {
				return nil, err
			}
			fixed = spec
		}
	}
	if fixed != nil {
		if err := checkReshapeSpec(fixed, allowZero); err != nil {
			return nil, err
		}
	}
	var memo shapeMemo // target for the last input shape and spec
	return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
		var dyn []int64 // the spec input's values, when it has int64 ones
		if fixed == nil {
			dyn, _ = in[1].Data().([]int64)
		}
		if fixed != nil || dyn != nil {
			if shape := memo.get(in[0].Shape(), dyn); shape != nil {
				y, err := RecycleView(last, 0, in[0], shape)
				return Result(last, y), err
			}
		}
		spec := fixed
		if spec == nil {
			var err error
			if spec, err = reshapeSpec(in[1]); err != nil {
				return nil, err
			}
			if err := checkReshapeSpec(spec, allowZero); err != nil {
				return nil, err
			}
		}
		shape, err := ReshapeTarget(in[0].Shape(), spec, allowZero)
		if err != nil {
			return nil, err
		}
		y, err := RecycleView(last, 0, in[0], shape)
		if err == nil && (fixed != nil || dyn != nil) {
			memo.put(in[0].Shape(), dyn, shape)
		}
		return Result(last, y), err
	}), nil
}

// reshapeSpec reads Reshape's shape input, a 1-D integer tensor.
func reshapeSpec(t *tensors.Tensor) ([]int64, error) {
	if t.Rank() != 1 {
		return nil, fmt.Errorf("shape input must be 1-D, got %v", t)
	}
	if t.DType() != tensors.Int64 {
		return nil, tensors.ErrDType("shape input", t.DType(), tensors.Int64)
	}
	return tensors.AsInt64s(t)
}

func checkReshapeSpec(spec []int64, allowZero bool) error {
	infer, zero := 0, false
	for _, d := range spec {
		switch {
		case d == -1:
			infer++
		case d == 0:
			zero = true
		case d < -1:
			return fmt.Errorf("shape %v: invalid dimension %d", spec, d)
		}
	}
	if infer > 1 {
		return fmt.Errorf("shape %v: more than one -1", spec)
	}
	if allowZero && zero && infer > 0 {
		return fmt.Errorf("shape %v: -1 together with 0 when allowzero=1", spec)
	}
	return nil
}

// ReshapeTarget computes the shape that ONNX Reshape produces from an input
// shape and a requested shape: 0 copies the input's dimension at the same
// index (unless allowZero, when it means an empty dimension), and one -1 is
// inferred from the element count.
func ReshapeTarget(in []int, spec []int64, allowZero bool) ([]int, error) {
	total, err := tensors.NumElements(in)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(spec))
	known, inferAt := 1, -1
	for i, d := range spec {
		switch {
		case d == -1:
			inferAt = i
			continue
		case d == 0 && !allowZero:
			if i >= len(in) {
				return nil, fmt.Errorf("shape %v: 0 at index %d copies a dimension the input %v does not have", spec, i, tensors.FormatShape(in))
			}
			out[i] = in[i]
		case d < 0 || int64(int(d)) != d || d > tensors.MaxElements:
			return nil, fmt.Errorf("shape %v: invalid dimension %d", spec, d)
		default:
			out[i] = int(d)
		}
		if out[i] != 0 && known > tensors.MaxElements/out[i] {
			return nil, fmt.Errorf("cannot reshape %v to %v: too many elements", tensors.FormatShape(in), spec)
		}
		known *= out[i]
	}
	if inferAt >= 0 {
		if known == 0 || total%known != 0 {
			return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", tensors.FormatShape(in), total, spec)
		}
		out[inferAt] = total / known
	} else if known != total {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v (%d elements)", tensors.FormatShape(in), total, spec, known)
	}
	return out, nil
}

func inferReshape(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	var spec []int64
	allowZero := n.Since >= 14 && n.Attrs.Bool("allowzero", false)
	if n.Since == 1 {
		for _, d := range n.Attrs.Ints("shape", nil) {
			spec = append(spec, int64(d))
		}
	} else if c := n.Const(1); c != nil {
		spec, _ = tensors.AsInt64s(c)
	}
	x := in[0]
	if spec == nil {
		t := tensors.Type{DType: x.DType}
		if n.Since > 1 && in[1].RankKnown && len(in[1].Dims) == 1 && in[1].Dims[0].Known() {
			t.RankKnown = true
			t.Dims = make([]tensors.Dim, in[1].Dims[0].Size)
			for i := range t.Dims {
				t.Dims[i] = tensors.UnknownDim
			}
		}
		return []tensors.Type{t}, nil
	}
	if s, ok := x.Shape(); ok {
		out, err := ReshapeTarget(s, spec, allowZero)
		if err != nil {
			return nil, err
		}
		return []tensors.Type{tensors.KnownType(x.DType, out)}, nil
	}
	t := tensors.Type{DType: x.DType, RankKnown: true, Dims: make([]tensors.Dim, len(spec))}
	for i, d := range spec {
		switch {
		case d > 0 || (d == 0 && allowZero):
			t.Dims[i] = tensors.Dim{Size: int(d)}
		case d == 0 && x.RankKnown && i < len(x.Dims):
			t.Dims[i] = x.Dims[i]
		default:
			t.Dims[i] = tensors.UnknownDim
		}
	}
	return []tensors.Type{t}, nil
}
