package ops

import (
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/onnxkit/onnxkit/internal/kernel"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Shape operators that only rearrange or replicate elements: Flatten,
// Transpose, Squeeze, Unsqueeze, Expand, Tile, ConstantOfShape. Reshape and
// Shape are in shape.go.

func init() {
	// Flatten: 1 takes axis in [0, rank], 9 widens the types, 11 allows a
	// negative axis, 13 adds bfloat16.
	Register(Op{Type: "Flatten", Since: []int{1, 9, 11, 13}, Prepare: prepareFlatten, Infer: inferFlatten})
	// Transpose: 13 only adds bfloat16.
	Register(Op{Type: "Transpose", Since: []int{1, 13}, Prepare: prepareTranspose, Infer: inferTranspose})
	// Squeeze/Unsqueeze: axes is an attribute up to 11 (which allows
	// negative axes) and an input from 13.
	Register(Op{Type: "Squeeze", Since: []int{1, 11, 13}, Prepare: prepareSqueeze, Infer: inferSqueeze, ShapeValue: shapeValueSame})
	Register(Op{Type: "Unsqueeze", Since: []int{1, 11, 13}, Prepare: prepareUnsqueeze, Infer: inferUnsqueeze, ShapeValue: shapeValueSame})
	// Expand: 13 only adds bfloat16.
	Register(Op{Type: "Expand", Since: []int{8, 13}, Prepare: prepareExpand, Infer: inferExpand})
	// Tile-1 (a single axis and count as inputs) is not implemented; 6 and
	// 13 take one repeat count per axis.
	Register(Op{Type: "Tile", Since: []int{6, 13}, Prepare: prepareTile, Infer: inferTile})
	// Tile-1 repeats along one axis: inputs tiles and axis are scalars.
	Register(Op{Type: "Tile", Since: []int{1}, Prepare: prepareTile1})
	Register(Op{Type: "ConstantOfShape", Since: []int{9}, Prepare: prepareConstantOfShape, Infer: inferConstantOfShape})
}

// ---- Flatten

// flattenAxis normalizes Flatten's axis attribute for an input of this
// rank. It takes the attribute's value rather than the node because
// kernels run concurrently and must not touch n.Attrs, which records the
// attributes read.
func flattenAxis(attr, since, rank int) (int, error) {
	axis := attr
	if axis < 0 && since >= 11 {
		axis += rank
	}
	if axis < 0 || axis > rank {
		return 0, fmt.Errorf("axis %d is out of range for rank %d", attr, rank)
	}
	return axis, nil
}

func prepareFlatten(n *Node) (Kernel, error) {
	axis := n.Attrs.Int("axis", 1)
	if axis < 0 && n.Since < 11 {
		return nil, fmt.Errorf("negative axis %d needs Flatten version 11", axis)
	}
	since := n.Since
	return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		a, err := flattenAxis(axis, since, x.Rank())
		if err != nil {
			return nil, err
		}
		shape := [2]int{tensors.DimsProd(x.Shape()[:a]), tensors.DimsProd(x.Shape()[a:])}
		y, err := RecycleView(last, 0, x, shape[:])
		return Result(last, y), err
	}), nil
}

func inferFlatten(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	x := in[0]
	if !x.RankKnown {
		return []tensors.Type{tensors.RankType(x.DType, 2)}, nil
	}
	a, err := flattenAxis(n.Attrs.Int("axis", 1), n.Since, len(x.Dims))
	if err != nil {
		return nil, err
	}
	return []tensors.Type{{DType: x.DType, RankKnown: true, Dims: []tensors.Dim{tensors.StaticDimsProduct(x.Dims[:a]), tensors.StaticDimsProduct(x.Dims[a:])}}}, nil
}

// ---- Transpose

func prepareTranspose(n *Node) (Kernel, error) {
	perm := n.Attrs.Ints("perm", nil)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	if perm != nil {
		if err := checkPerm(perm); err != nil {
			return nil, err
		}
	}
	var memo atomic.Pointer[transposePlan] // for the last input shape
	return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		tp := memo.Load()
		if tp == nil || !slices.Equal(tp.in, x.Shape()) {
			var err error
			if tp, err = planTranspose(x.Shape(), perm); err != nil {
				return nil, err
			}
			memo.Store(tp)
		}
		y, err := tp.run(x, last)
		return Result(last, y), err
	}), nil
}

// transposePlan is a Transpose worked out for one input shape: the output
// shape and the input's layout as seen in output order, coalesced.
type transposePlan struct {
	in, out  []int
	dims, st []int
	view     bool // the output is the input's data as it is (no copy)
}

// planTranspose works out a Transpose of an input of the given shape (a
// nil perm reverses the axes).
func planTranspose(shape, perm []int) (*transposePlan, error) {
	r := len(shape)
	if perm == nil {
		perm = make([]int, r)
		for i := range perm {
			perm[i] = r - 1 - i
		}
	}
	if len(perm) != r {
		return nil, fmt.Errorf("perm %v has %d entries for an input of rank %d (%v)", perm, len(perm), r, tensors.FormatShape(shape))
	}
	if err := checkPerm(perm); err != nil {
		return nil, err
	}
	xs := tensors.Strides(shape)
	tp := &transposePlan{in: slices.Clone(shape), out: make([]int, r)}
	st := make([]int, r)
	for i, p := range perm {
		tp.out[i], st[i] = shape[p], xs[p]
	}
	if _, err := tensors.NumElements(tp.out); err != nil {
		return nil, err
	}
	tp.dims, tp.st = tensors.CoalesceStrides(tp.out, st)
	tp.view = len(tp.dims) == 0 || (len(tp.dims) == 1 && tp.st[0] == 1)
	return tp, nil
}

// run transposes x, writing into last[0] when it can (see Recycle; a
// plan's output is always a view or always a copy, so last[0] was made the
// same way).
func (tp *transposePlan) run(x *tensors.Tensor, last []*tensors.Tensor) (*tensors.Tensor, error) {
	if tp.view || x.Len() == 0 {
		return RecycleView(last, 0, x, tp.out)
	}
	mv, err := tensors.MoverFor(x.DType())
	if err != nil {
		return nil, err
	}
	y, err := RecycleAlloc(last, 0, x.DType(), tp.out)
	if err != nil {
		return nil, err
	}
	if dst, ok := y.Data().([]float32); ok && tp.st[len(tp.st)-1] == 1 && tp.dims[len(tp.dims)-1] >= 16 {
		// Runs of consecutive floats (a channel shuffle's planes): split
		// across the workers.
		kernel.CopyRuns(dst, tensors.Data[float32](x), 0, len(dst), tp.dims, tp.st)
		return y, nil
	}
	tensors.CopyStrided(mv, y.Data(), x.Data(), 0, x.Len(), tp.dims, tp.st)
	return y, nil
}

// checkPerm checks that perm is a permutation of 0..len(perm)-1.
func checkPerm(perm []int) error {
	seen := make([]bool, len(perm))
	for _, p := range perm {
		if p < 0 || p >= len(perm) || seen[p] {
			return fmt.Errorf("perm %v is not a permutation of 0..%d", perm, len(perm)-1)
		}
		seen[p] = true
	}
	return nil
}

// Transpose returns x with its axes permuted: output axis i is input axis
// perm[i]. A nil perm reverses the axes.
func Transpose(x *tensors.Tensor, perm []int) (*tensors.Tensor, error) {
	r := x.Rank()
	if perm == nil {
		perm = make([]int, r)
		for i := range perm {
			perm[i] = r - 1 - i
		}
	}
	if len(perm) != r {
		return nil, fmt.Errorf("perm %v has %d entries for an input of rank %d (%v)", perm, len(perm), r, x)
	}
	if err := checkPerm(perm); err != nil {
		return nil, err
	}
	xs := tensors.Strides(x.Shape())
	v := tensors.StridedView{Shape: make([]int, r), Strides: make([]int, r)}
	for i, p := range perm {
		v.Shape[i], v.Strides[i] = x.Shape()[p], xs[p]
	}
	return v.Materialize(x, nil)
}

func inferTranspose(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	x := in[0]
	perm := n.Attrs.Ints("perm", nil)
	if !x.RankKnown {
		if perm != nil {
			return []tensors.Type{tensors.RankType(x.DType, len(perm))}, nil
		}
		return []tensors.Type{{DType: x.DType}}, nil
	}
	r := len(x.Dims)
	if perm == nil {
		perm = make([]int, r)
		for i := range perm {
			perm[i] = r - 1 - i
		}
	}
	if len(perm) != r {
		return nil, fmt.Errorf("perm %v has %d entries for an input of type %v", perm, len(perm), x)
	}
	out := tensors.Type{DType: x.DType, RankKnown: true, Dims: make([]tensors.Dim, r)}
	for i, p := range perm {
		out.Dims[i] = x.Dims[p]
	}
	return []tensors.Type{out}, nil
}

// ---- Squeeze and Unsqueeze

// axesArg gives the axes of Squeeze, Unsqueeze and the Reduce operators,
// from the attribute (older versions) or input 1 (newer ones). When the
// axes come from an input that is not constant, get reads them at run time.
type axesArg struct {
	fixed   []int // the axes, when known at load time
	present bool  // axes were given (attribute set or input present)
	dynamic bool  // read input 1 at run time
}

func readAxesArg(n *Node, fromInput bool, input int) (axesArg, error) {
	if !fromInput {
		if !n.Attrs.Has("axes") {
			return axesArg{}, nil
		}
		return axesArg{fixed: n.Attrs.Ints("axes", nil), present: true}, n.Attrs.Err()
	}
	if !n.HasInput(input) {
		return axesArg{}, nil
	}
	if c := n.Const(input); c != nil {
		v, err := tensors.ReadIntsInput(c, "axes")
		if err != nil {
			return axesArg{}, err
		}
		a, err := tensors.ToInts(v)
		return axesArg{fixed: a, present: true}, err
	}
	return axesArg{present: true, dynamic: true}, nil
}

// get returns the axes for one run.
func (a axesArg) get(in []*tensors.Tensor, input int) ([]int, error) {
	if !a.dynamic {
		return a.fixed, nil
	}
	t := Input(in, input)
	if t == nil {
		return nil, fmt.Errorf("axes input is missing")
	}
	v, err := tensors.ReadIntsInput(t, "axes")
	if err != nil {
		return nil, err
	}
	return tensors.ToInts(v)
}

// static returns the axes if known at load time.
func (a axesArg) static() ([]int, bool) { return a.fixed, !a.dynamic }

func prepareSqueeze(n *Node) (Kernel, error) {
	axes, err := readAxesArg(n, n.Since >= 13, 1)
	if err != nil {
		return nil, err
	}
	return axesViewKernel(n, axes, squeezeShape), nil
}

// squeezeShape removes the given axes (which must have size 1) from shape,
// or every axis of size 1 when axes is empty.
func squeezeShape(shape []int, axes []int) ([]int, error) {
	drop := make([]bool, len(shape))
	if len(axes) == 0 {
		for i, d := range shape {
			drop[i] = d == 1
		}
	} else {
		norm, err := tensors.NormalizeAxes(axes, len(shape))
		if err != nil {
			return nil, err
		}
		for _, a := range norm {
			if shape[a] != 1 {
				return nil, fmt.Errorf("cannot squeeze axis %d of shape %v: size %d is not 1", a, tensors.FormatShape(shape), shape[a])
			}
			drop[a] = true
		}
	}
	out := []int{}
	for i, d := range shape {
		if !drop[i] {
			out = append(out, d)
		}
	}
	return out, nil
}

func inferSqueeze(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	x := in[0]
	axes, err := readAxesArg(n, n.Since >= 13, 1)
	ax, ok := axes.static()
	if err != nil || !ok || !x.RankKnown {
		return []tensors.Type{{DType: x.DType}}, nil
	}
	out := tensors.Type{DType: x.DType, RankKnown: true, Dims: []tensors.Dim{}}
	if len(ax) == 0 {
		for _, d := range x.Dims {
			switch {
			case !d.Known():
				return []tensors.Type{{DType: x.DType}}, nil // might be 1
			case d.Size != 1:
				out.Dims = append(out.Dims, d)
			}
		}
		return []tensors.Type{out}, nil
	}
	norm, err := tensors.NormalizeAxes(ax, len(x.Dims))
	if err != nil {
		return nil, err
	}
	for i, d := range x.Dims {
		if slices.Contains(norm, i) {
			if d.Known() && d.Size != 1 {
				return nil, fmt.Errorf("cannot squeeze axis %d of %v: size %d is not 1", i, x, d.Size)
			}
			continue
		}
		out.Dims = append(out.Dims, d)
	}
	return []tensors.Type{out}, nil
}

func prepareUnsqueeze(n *Node) (Kernel, error) {
	axes, err := readAxesArg(n, n.Since >= 13, 1)
	if err != nil {
		return nil, err
	}
	if !axes.present {
		if n.Since >= 13 {
			return nil, fmt.Errorf("axes input is missing")
		}
		n.Attrs.RequiredInts("axes")
		return nil, n.Attrs.Err()
	}
	return axesViewKernel(n, axes, unsqueezeShape), nil
}

// unsqueezeInserted returns, for an output of rank, which axes are the
// inserted size-1 axes.
func unsqueezeInserted(rank int, axes []int) ([]bool, error) {
	norm, err := tensors.NormalizeAxes(axes, rank)
	if err != nil {
		return nil, err
	}
	ins := make([]bool, rank)
	for _, a := range norm {
		ins[a] = true
	}
	return ins, nil
}

// unsqueezeShape inserts size-1 axes at the given positions of the output.
func unsqueezeShape(shape []int, axes []int) ([]int, error) {
	ins, err := unsqueezeInserted(len(shape)+len(axes), axes)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(ins))
	j := 0
	for i := range out {
		if ins[i] {
			out[i] = 1
		} else {
			out[i] = shape[j]
			j++
		}
	}
	return out, nil
}

func inferUnsqueeze(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	x := in[0]
	axes, err := readAxesArg(n, n.Since >= 13, 1)
	ax, ok := axes.static()
	if err != nil || !ok || !x.RankKnown {
		return []tensors.Type{{DType: x.DType}}, nil
	}
	ins, err := unsqueezeInserted(len(x.Dims)+len(ax), ax)
	if err != nil {
		return nil, err
	}
	out := tensors.Type{DType: x.DType, RankKnown: true, Dims: make([]tensors.Dim, len(ins))}
	j := 0
	for i := range ins {
		if ins[i] {
			out.Dims[i] = tensors.Dim{Size: 1}
		} else {
			out.Dims[i] = x.Dims[j]
			j++
		}
	}
	return []tensors.Type{out}, nil
}

// ---- Expand

func prepareExpand(n *Node) (Kernel, error) {
	var fixed []int
	if c := n.Const(1); c != nil {
		s, err := shapeInput(c, "shape")
		if err != nil {
			return nil, err
		}
		fixed = s
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		shape := fixed
		if shape == nil {
			var err error
			if shape, err = shapeInput(in[1], "shape"); err != nil {
				return nil, err
			}
		}
		y, err := Expand(in[0], shape)
		return []*tensors.Tensor{y}, err
	}, nil
}

// shapeInput reads a 1-D integer tensor of dimensions (Expand's shape,
// ConstantOfShape's input), refusing negative ones.
func shapeInput(t *tensors.Tensor, what string) ([]int, error) {
	if t.Rank() != 1 {
		return nil, fmt.Errorf("%s input must be 1-D, got %v", what, t)
	}
	v, err := tensors.ReadIntsInput(t, what+" input")
	if err != nil {
		return nil, err
	}
	s, err := tensors.ShapeFromInt64s(v)
	if err != nil {
		return nil, fmt.Errorf("%s input %v: %w", what, v, err)
	}
	return s, nil
}

// Expand broadcasts x with shape (ONNX bidirectional broadcasting: the
// result has the broadcast of both shapes).
func Expand(x *tensors.Tensor, shape []int) (*tensors.Tensor, error) {
	out, err := tensors.BroadcastShapes(x.Shape(), shape)
	if err != nil {
		return nil, fmt.Errorf("cannot expand %v to %v: %w", x, tensors.FormatShape(shape), err)
	}
	if _, err := tensors.NumElements(out); err != nil {
		return nil, fmt.Errorf("cannot expand %v to %v: %w", x, tensors.FormatShape(shape), err)
	}
	xs := tensors.Strides(x.Shape())
	v := tensors.StridedView{Shape: out, Strides: make([]int, len(out))}
	off := len(out) - x.Rank()
	for i, d := range x.Shape() {
		if d != 1 {
			v.Strides[off+i] = xs[i]
		}
	}
	return v.Materialize(x, nil)
}

func inferExpand(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	x := in[0]
	if c := n.Const(1); c != nil {
		s, err := shapeInput(c, "shape")
		if err != nil {
			return nil, err
		}
		both := &Node{Inputs: []string{"x", "shape"}}
		return InferBroadcast(x.DType)(both, []tensors.Type{x, tensors.KnownType(tensors.Undefined, s)})
	}
	if x.RankKnown && in[1].RankKnown && len(in[1].Dims) == 1 && in[1].Dims[0].Known() {
		return []tensors.Type{tensors.RankType(x.DType, max(len(x.Dims), in[1].Dims[0].Size))}, nil
	}
	return []tensors.Type{{DType: x.DType}}, nil
}

// ---- Tile

func prepareTile(n *Node) (Kernel, error) {
	var fixed []int64
	if c := n.Const(1); c != nil {
		v, err := tensors.ReadIntsInput(c, "repeats")
		if err != nil {
			return nil, err
		}
		fixed = v
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		reps := fixed
		if reps == nil {
			var err error
			if reps, err = tensors.ReadIntsInput(in[1], "repeats"); err != nil {
				return nil, err
			}
		}
		y, err := Tile(in[0], reps)
		return []*tensors.Tensor{y}, err
	}, nil
}

func prepareTile1(n *Node) (Kernel, error) {
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		var tv []int64
		for i, what := range []string{"tiles", "axis"} {
			v, err := tensors.AsInt64s(in[1+i])
			if err != nil || len(v) != 1 {
				return nil, fmt.Errorf("%s %v must be one integer", what, in[1+i])
			}
			tv = append(tv, v[0])
		}
		a, err := tensors.NormalizeAxis(int(tv[1]), x.Rank())
		if err != nil || int64(int(tv[1])) != tv[1] {
			return nil, fmt.Errorf("axis %d is out of range for %v", tv[1], x)
		}
		reps := make([]int64, x.Rank())
		for i := range reps {
			reps[i] = 1
		}
		reps[a] = tv[0]
		y, err := Tile(x, reps)
		return []*tensors.Tensor{y}, err
	}, nil
}

// Tile repeats x reps[i] times along each axis i.
func Tile(x *tensors.Tensor, reps []int64) (*tensors.Tensor, error) {
	r := x.Rank()
	if len(reps) != r {
		return nil, fmt.Errorf("repeats %v has %d entries for an input of rank %d (%v)", reps, len(reps), r, x)
	}
	// The result is a view of x with shape [reps0, d0, reps1, d1, ...] and
	// strides [0, s0, 0, s1, ...], reshaped to [reps0*d0, reps1*d1, ...].
	xs := tensors.Strides(x.Shape())
	v := tensors.StridedView{Shape: make([]int, 2*r), Strides: make([]int, 2*r)}
	for i, k := range reps {
		if k < 0 || int64(int(k)) != k {
			return nil, fmt.Errorf("repeats %v: invalid count %d for axis %d", reps, k, i)
		}
		v.Shape[2*i], v.Shape[2*i+1], v.Strides[2*i+1] = int(k), x.Shape()[i], xs[i]
	}
	if _, err := tensors.NumElements(v.Shape); err != nil {
		return nil, fmt.Errorf("cannot tile %v by %v: %w", x, reps, err)
	}
	out := make([]int, r)
	for i := range out {
		out[i] = v.Shape[2*i] * v.Shape[2*i+1]
	}
	return v.Materialize(x, out)
}

func inferTile(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	x := in[0]
	reps, ok := constInts(n, 1)
	if !ok || !x.RankKnown {
		if x.RankKnown {
			return []tensors.Type{tensors.RankType(x.DType, len(x.Dims))}, nil
		}
		return []tensors.Type{{DType: x.DType}}, nil
	}
	if len(reps) != len(x.Dims) {
		return nil, fmt.Errorf("repeats %v has %d entries for an input of type %v", reps, len(reps), x)
	}
	out := tensors.RankType(x.DType, len(reps))
	for i, k := range reps {
		switch d := x.Dims[i]; {
		case k < 0:
			return nil, fmt.Errorf("repeats %v: invalid count %d for axis %d", reps, k, i)
		case k == 1:
			out.Dims[i] = d
		case k == 0 || d.Size == 0:
			out.Dims[i] = tensors.Dim{Size: 0}
		case d.Known() && int64(d.Size) <= tensors.MaxElements/k:
			out.Dims[i] = tensors.Dim{Size: d.Size * int(k)}
		}
	}
	return []tensors.Type{out}, nil
}

// ---- ConstantOfShape

func prepareConstantOfShape(n *Node) (Kernel, error) {
	value := n.Attrs.Tensor("value")
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	if value == nil {
		value = tensors.Scalar[float32](0)
	}
	if value.Len() != 1 {
		return nil, fmt.Errorf("attribute \"value\" must hold one element, got %v", value)
	}
	mv, err := tensors.MoverFor(value.DType())
	if err != nil {
		return nil, fmt.Errorf("attribute \"value\": %w", err)
	}
	return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
		if y := recycledForShape(last, value.DType(), in[0]); y != nil {
			// The previous run's tensor has the shape: filled again, as a
			// caller may have written into a fetched output.
			mv.Splat(y.Data(), value.Data(), 0, 0, y.Len())
			return Result(last, y), nil
		}
		shape, err := shapeInput(in[0], "shape")
		if err != nil {
			return nil, err
		}
		y, err := Full(shape, value)
		if err == nil && y.Len() == 1 {
			y = y.Clone() // Full shares value's data when there is one element
		}
		return Result(last, y), err
	}), nil
}

// recycledForShape returns last[0] when it has element type dt and the
// shape that the 1-D integer tensor shape lists, without allocating, or
// nil.
func recycledForShape(last []*tensors.Tensor, dt tensors.DType, shape *tensors.Tensor) *tensors.Tensor {
	if len(last) == 0 || last[0] == nil || last[0].DType() != dt || shape.Rank() != 1 {
		return nil
	}
	have := last[0].Shape()
	if shape.Len() != len(have) {
		return nil
	}
	switch d := shape.Data().(type) {
	case []int64:
		for i, v := range d {
			if v != int64(have[i]) {
				return nil
			}
		}
	case []int32:
		for i, v := range d {
			if v != int32(have[i]) {
				return nil
			}
		}
	default:
		return nil
	}
	return last[0]
}

// Full returns a tensor of the given shape with every element equal to the
// single element of value (and value's element type).
func Full(shape []int, value *tensors.Tensor) (*tensors.Tensor, error) {
	if value.Len() != 1 {
		return nil, fmt.Errorf("fill value %v must hold one element", value)
	}
	v := tensors.StridedView{Shape: append([]int{}, shape...), Strides: make([]int, len(shape))}
	return v.Materialize(value, nil)
}

func inferConstantOfShape(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	dt := tensors.Float32
	if v := n.Attrs.Tensor("value"); v != nil {
		dt = v.DType()
	}
	if c := n.Const(0); c != nil {
		s, err := shapeInput(c, "shape")
		if err != nil {
			return nil, err
		}
		if _, err := tensors.NumElements(s); err != nil {
			return nil, err
		}
		return []tensors.Type{tensors.KnownType(dt, s)}, nil
	}
	if v := n.ShapeValue(0); v != nil {
		return []tensors.Type{{DType: dt, RankKnown: true, Dims: v}}, nil
	}
	if s := in[0]; s.RankKnown && len(s.Dims) == 1 && s.Dims[0].Known() {
		return []tensors.Type{tensors.RankType(dt, s.Dims[0].Size)}, nil
	}
	return []tensors.Type{{DType: dt}}, nil
}

// axesViewKernel is the kernel of Squeeze and Unsqueeze: a view of input 0
// with the shape reshape gives for the axes, remembered for the last input
// shape when the axes are static.
func axesViewKernel(n *Node, axes axesArg, reshape func(shape, axes []int) ([]int, error)) Kernel {
	var memo shapeMemo
	return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
		shape := memo.get(in[0].Shape(), nil)
		if shape == nil || axes.dynamic {
			ax, err := axes.get(in, 1)
			if err != nil {
				return nil, err
			}
			if shape, err = reshape(in[0].Shape(), ax); err != nil {
				return nil, err
			}
			if !axes.dynamic {
				memo.put(in[0].Shape(), nil, shape)
			}
		}
		y, err := RecycleView(last, 0, in[0], shape)
		return Result(last, y), err
	})
}

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
			return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
				s := in[0].Shape()
				lo, hi := shapeSlice(len(s), start, end)
				y, dims, err := Recycle[int64](last, 0, []int{hi - lo})
				if err != nil {
					return nil, err
				}
				for i := range dims {
					dims[i] = int64(s[lo+i])
				}
				return Result(last, y), nil
			}), nil
		},
		ShapeValue: shapeValueOfShape,
		Static: func(n *Node, in []tensors.Type) []*tensors.Tensor {
			if !in[0].RankKnown {
				return nil
			}
			lo, hi := shapeSlice(len(in[0].Dims), n.Attrs.Int("start", 0), n.Attrs.Int("end", len(in[0].Dims)))
			dims := make([]int64, hi-lo)
			for i, d := range in[0].Dims[lo:hi] {
				if !d.Known() {
					return nil
				}
				dims[i] = int64(d.Size)
			}
			return []*tensors.Tensor{tensors.Vector(dims...)}
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
	infer := -1 // the axis of the -1 entry
	for i, d := range spec {
		switch {
		case d > 0 || (d == 0 && allowZero):
			t.Dims[i] = tensors.Dim{Size: int(d)}
		case d == 0 && x.RankKnown && i < len(x.Dims):
			t.Dims[i] = x.Dims[i]
		default:
			t.Dims[i] = tensors.UnknownDim
			if d == -1 && infer == -1 {
				infer = i
			} else if d == -1 {
				infer = -2 // two -1 entries: the run reports it
			}
		}
	}
	// A -1 is known when the input dimensions that no 0 entry copies are:
	// the copied ones, known or not, appear on both sides.
	if infer >= 0 && x.RankKnown {
		left, right := 1, 1
		for i, d := range x.Dims {
			if i < len(spec) && spec[i] == 0 && !allowZero {
				continue
			}
			if !d.Known() || d.Size > tensors.MaxElements {
				return []tensors.Type{t}, nil
			}
			left *= d.Size
			if left > tensors.MaxElements {
				return []tensors.Type{t}, nil
			}
		}
		for i, d := range spec {
			if d > 0 || (d == 0 && allowZero) {
				right *= int(d)
				if right > tensors.MaxElements {
					return []tensors.Type{t}, nil
				}
			} else if d == 0 && i >= len(x.Dims) {
				return []tensors.Type{t}, nil
			}
		}
		if right > 0 && left%right == 0 {
			t.Dims[infer] = tensors.Dim{Size: left / right}
		}
	}
	return []tensors.Type{t}, nil
}

// Identity returns its input. Versions 14 and 16 add sequence and optional
// values; for tensors every version is the same.
func init() {
	Register(Op{
		Type:   "Identity",
		Since:  []int{1, 13, 14, 16},
		Values: true,
		Prepare: func(n *Node) (Kernel, error) {
			return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
				return Result(last, in[0]), nil // tensors are immutable: sharing is safe
			}), nil
		},
		Infer: InferSame,
	})
}
