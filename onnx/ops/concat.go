package ops

import (
	"fmt"
	"slices"

	"github.com/onnxkit/onnxkit/internal/kernel"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Concat and Split.
func init() {
	// Concat: axis defaults to 1 in version 1 and is required from 4; 11
	// documents negative axes; 13 adds bfloat16.
	Register(Op{Type: "Concat", Since: []int{1, 4, 11, 13}, Prepare: prepareConcat, Infer: inferConcat, ShapeValue: shapeValueOfConcat})
	// Split: the part sizes come from the "split" attribute (1, 2, 11; 1
	// also accepts them as input 1) or input 1 (13, 18); without them the
	// axis is divided equally among the outputs. 18 adds num_outputs, with
	// which the last part may be smaller.
	Register(Op{Type: "Split", Since: []int{1, 2, 11, 13, 18}, Prepare: prepareSplit, Infer: inferSplit})
}

// ---- Concat

func prepareConcat(n *Node) (Kernel, error) {
	var axis int
	if n.Since == 1 {
		axis = n.Attrs.Int("axis", 1)
	} else {
		axis = n.Attrs.RequiredInt("axis")
	}
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	types := make([]tensors.Type, len(n.Inputs))
	for i := range types {
		types[i] = n.InputType(i)
	}
	if slices.Contains(emptyVectorInputs(types), true) {
		n.Warn("empty 1-D inputs next to inputs of another rank are skipped, as PyTorch and OpenCV do (the ONNX specification requires equal ranks)")
	}
	return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
		var buf [16]*tensors.Tensor
		y, err := concat(skipEmptyVectors(in, buf[:0]), axis, last)
		return Result(last, y), err
	}), nil
}

// Concat joins tensors of one element type and rank along axis; their other
// dimensions must be equal.
func Concat(in []*tensors.Tensor, axis int) (*tensors.Tensor, error) { return concat(in, axis, nil) }

// concat is Concat writing into last[0] when it can (see RecycleAlloc).
func concat(in []*tensors.Tensor, axis int, last []*tensors.Tensor) (*tensors.Tensor, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("no inputs")
	}
	for i, t := range in {
		if t == nil {
			return nil, fmt.Errorf("input %d is missing", i)
		}
	}
	first := in[0]
	if first.Rank() == 0 {
		return nil, fmt.Errorf("cannot concatenate scalars")
	}
	a, err := tensors.NormalizeAxis(axis, first.Rank())
	if err != nil {
		return nil, err
	}
	var sb [8]int
	shape := append(sb[:0], first.Shape()...)
	shape[a] = 0
	for i, t := range in {
		if t.DType() != first.DType() {
			return nil, fmt.Errorf("input %d is %v, input 0 is %v", i, t, first)
		}
		if t.Rank() != first.Rank() {
			return nil, fmt.Errorf("input %d is %v, input 0 is %v: ranks differ", i, t, first)
		}
		for j, d := range t.Shape() {
			if j != a && d != first.Shape()[j] {
				return nil, fmt.Errorf("input %d is %v, input 0 is %v: dimension %d differs", i, t, first, j)
			}
		}
		shape[a] += t.Shape()[a]
		if shape[a] > tensors.MaxElements {
			return nil, fmt.Errorf("concatenation along axis %d is too long", a)
		}
	}
	if len(in) == 1 {
		return first, nil // the same for every run of the node: last[0] is never written
	}
	out, err := RecycleAlloc(last, 0, first.DType(), shape) // every element is written below
	if err != nil {
		return nil, err
	}
	if out.Len() == 0 {
		return out, nil
	}
	mv, err := tensors.MoverFor(first.DType())
	if err != nil {
		return nil, err
	}
	outer, inner := tensors.DimsProd(shape[:a]), tensors.DimsProd(shape[a+1:])
	if dst, ok := out.Data().([]float32); ok && outer == 1 {
		// One block per input (feature maps joined along the channels
		// of one image): long copies, split across the workers.
		d := 0
		for _, t := range in {
			src := tensors.Data[float32](t)
			if len(src) > 0 && &src[0] != &dst[d] { // a session may have had it computed in place
				kernel.Copy(dst[d:], src)
			}
			d += len(src)
		}
		return out, nil
	}
	d := 0
	dst32, is32 := out.Data().([]float32)
	for o := 0; o < outer; o++ {
		for _, t := range in {
			block := t.Shape()[a] * inner
			if is32 {
				// Feature maps of a batch: each block in parts on the
				// workers when long (kernel.Copy).
				kernel.Copy(dst32[d:d+block], tensors.Data[float32](t)[o*block:(o+1)*block])
			} else {
				mv.Copy(out.Data(), t.Data(), d, o*block, block)
			}
			d += block
		}
	}
	return out, nil
}

// emptyVectorInputs marks the inputs known to be empty 1-D tensors when
// another input is known to have a different rank: torch.cat and OpenCV
// skip such operands, and exporters rely on it.
func emptyVectorInputs(in []tensors.Type) []bool {
	other := slices.ContainsFunc(in, func(t tensors.Type) bool { return t.RankKnown && len(t.Dims) != 1 })
	skip := make([]bool, len(in))
	for i, t := range in {
		skip[i] = other && t.RankKnown && len(t.Dims) == 1 && t.Dims[0].Size == 0
	}
	return skip
}

// skipEmptyVectors drops empty 1-D inputs when some input has another
// rank, appending the others to buf.
func skipEmptyVectors(in, buf []*tensors.Tensor) []*tensors.Tensor {
	isEmpty := func(t *tensors.Tensor) bool { return t != nil && t.Rank() == 1 && t.Len() == 0 }
	if !slices.ContainsFunc(in, isEmpty) || !slices.ContainsFunc(in, func(t *tensors.Tensor) bool { return t != nil && t.Rank() != 1 }) {
		return in
	}
	out := buf[:0]
	for _, t := range in {
		if !isEmpty(t) {
			out = append(out, t)
		}
	}
	return out
}

func inferConcat(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	skip := emptyVectorInputs(in)
	axis := 1
	if n.Since > 1 || n.Attrs.Has("axis") {
		axis = n.Attrs.Int("axis", 0)
	}
	out := tensors.Type{DType: tensors.Undefined}
	rank := -1
	for i, t := range in {
		if !n.HasInput(i) || skip[i] {
			continue
		}
		if out.DType == tensors.Undefined {
			out.DType = t.DType
		}
		if t.RankKnown {
			if rank >= 0 && rank != len(t.Dims) {
				return nil, fmt.Errorf("input %d is %v but another input has rank %d", i, t, rank)
			}
			rank = len(t.Dims)
		}
	}
	if rank < 0 {
		return []tensors.Type{out}, nil
	}
	if rank == 0 {
		return nil, fmt.Errorf("cannot concatenate scalars")
	}
	a, err := tensors.NormalizeAxis(axis, rank)
	if err != nil {
		return nil, err
	}
	out.RankKnown, out.Dims = true, tensors.UnknownDims(rank)
	sum, sumKnown := 0, true
	for i, t := range in {
		if !n.HasInput(i) || skip[i] {
			continue
		}
		if !t.RankKnown {
			sumKnown = false
			continue
		}
		for j, d := range t.Dims {
			if j == a {
				if d.Known() {
					sum += d.Size
				} else {
					sumKnown = false
				}
				continue
			}
			o := &out.Dims[j]
			switch {
			case !o.Known() && o.Param == "":
				*o = d
			case d.Known() && o.Known() && d.Size != o.Size:
				return nil, fmt.Errorf("input %d is %v: dimension %d differs from %d", i, t, j, o.Size)
			case d.Known() && !o.Known():
				*o = d
			}
		}
	}
	if sumKnown {
		out.Dims[a] = tensors.Dim{Size: sum}
	}
	return []tensors.Type{out}, nil
}

// ---- Split

type splitArgs struct {
	axis       int
	sizes      []int64 // from the attribute or a constant input
	dynamic    bool    // read the sizes from input 1 at run time
	numOutputs int     // version 18 num_outputs, 0 if not set
	outputs    int
}

func readSplitArgs(n *Node) (splitArgs, error) {
	a := n.Attrs
	s := splitArgs{axis: a.Int("axis", 0), outputs: len(n.Outputs)}
	if n.Since < 13 {
		s.sizes = toInt64s(a.Ints("split", nil))
	}
	if n.Since >= 18 {
		s.numOutputs = a.Int("num_outputs", 0)
		if a.Has("num_outputs") && s.numOutputs != s.outputs {
			return s, fmt.Errorf("num_outputs is %d but the node has %d outputs", s.numOutputs, s.outputs)
		}
	}
	if err := a.Err(); err != nil {
		return s, err
	}
	if (n.Since == 1 || n.Since >= 13) && n.HasInput(1) {
		if s.sizes != nil {
			return s, fmt.Errorf("split is given both as attribute and input")
		}
		if c := n.Const(1); c != nil {
			v, err := tensors.ReadIntsInput(c, "split")
			if err != nil {
				return s, err
			}
			s.sizes = v
		} else {
			s.dynamic = true
		}
	}
	if s.numOutputs > 0 && (s.sizes != nil || s.dynamic) {
		return s, fmt.Errorf("num_outputs and split are both given")
	}
	return s, nil
}

// partSizes returns the size of each part of an axis of size dim.
func (s splitArgs) partSizes(dim int, sizes []int64) ([]int, error) {
	out := make([]int, s.outputs)
	switch {
	case len(sizes) > 0:
		if len(sizes) != s.outputs {
			return nil, fmt.Errorf("split %v has %d entries for %d outputs", sizes, len(sizes), s.outputs)
		}
		return checkSplitSizes(sizes, dim)
	case s.numOutputs > 0:
		// Parts of ceil(dim/n), the last one smaller. Like onnxruntime,
		// refuse sizes where that leaves the last part empty or negative.
		chunk := (dim + s.outputs - 1) / s.outputs
		last := dim - chunk*(s.outputs-1)
		if last < 1 && dim > 0 {
			return nil, fmt.Errorf("cannot split an axis of size %d into %d parts of at most %d with a non-empty last part", dim, s.outputs, chunk)
		}
		for i := range out {
			out[i] = chunk
		}
		out[len(out)-1] = last
	default:
		if dim%s.outputs != 0 {
			return nil, fmt.Errorf("cannot split an axis of size %d into %d equal parts", dim, s.outputs)
		}
		for i := range out {
			out[i] = dim / s.outputs
		}
	}
	return out, nil
}

// checkSplitSizes checks part sizes that must add up to an axis of size
// dim (Split, SplitToSequence) and returns them as ints.
func checkSplitSizes(sizes []int64, dim int) ([]int, error) {
	out := make([]int, len(sizes))
	sum := int64(0)
	for i, v := range sizes {
		if v < 0 || v > int64(dim) {
			return nil, fmt.Errorf("split %v: invalid size %d for an axis of size %d", sizes, v, dim)
		}
		out[i] = int(v)
		sum += v
	}
	if sum != int64(dim) {
		return nil, fmt.Errorf("split %v adds up to %d, not the axis size %d", sizes, sum, dim)
	}
	return out, nil
}

func prepareSplit(n *Node) (Kernel, error) {
	s, err := readSplitArgs(n)
	if err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		sizes := s.sizes
		if s.dynamic {
			var err error
			if sizes, err = tensors.ReadIntsInput(in[1], "split"); err != nil {
				return nil, err
			}
		}
		if x.Rank() == 0 {
			return nil, fmt.Errorf("cannot split a scalar")
		}
		a, err := tensors.NormalizeAxis(s.axis, x.Rank())
		if err != nil {
			return nil, err
		}
		parts, err := s.partSizes(x.Shape()[a], sizes)
		if err != nil {
			return nil, err
		}
		out := make([]*tensors.Tensor, len(parts))
		v := tensors.FullStridedView(x)
		for i, p := range parts {
			v.Shape[a] = p
			if out[i], err = v.Materialize(x, nil); err != nil {
				return nil, err
			}
			v.Off += p * v.Strides[a]
		}
		return out, nil
	}, nil
}

func inferSplit(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	x := in[0]
	s, err := readSplitArgs(n)
	if err != nil || !x.RankKnown || len(x.Dims) == 0 {
		return nil, nil
	}
	a, err := tensors.NormalizeAxis(s.axis, len(x.Dims))
	if err != nil {
		return nil, err
	}
	out := make([]tensors.Type, s.outputs)
	var parts []int
	if d := x.Dims[a]; d.Known() && !s.dynamic {
		if parts, err = s.partSizes(d.Size, s.sizes); err != nil {
			return nil, err
		}
	}
	for i := range out {
		out[i] = tensors.Type{DType: x.DType, RankKnown: true, Dims: slices.Clone(x.Dims)}
		switch {
		case parts != nil:
			out[i].Dims[a] = tensors.Dim{Size: parts[i]}
		case len(s.sizes) == s.outputs:
			out[i].Dims[a] = tensors.Dim{Size: int(max(min(s.sizes[i], tensors.MaxElements), 0))}
		default:
			out[i].Dims[a] = tensors.UnknownDim
		}
	}
	return out, nil
}
