package ops

import (
	"fmt"
	"math"
	"reflect"
	"slices"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Slice. Version 1 takes starts, ends and axes as attributes; 10 takes
// them as inputs and adds steps (negative steps walk backwards); 11
// documents negative axes; 13 adds bfloat16. Starts and ends outside the
// axis (including INT64_MAX/INT64_MIN, used to mean "to the end") are
// clamped.
func init() {
	Register(Op{Type: "Slice", Since: []int{1, 10, 11, 13}, Prepare: prepareSlice, Infer: inferSlice, ShapeValue: shapeValueOfSlice})
}

// sliceArgs are Slice's parameters: one entry per sliced axis; axes nil
// means 0..len(starts)-1 and steps nil means all 1.
type sliceArgs struct {
	starts, ends, axes, steps []int64
}

func prepareSlice(n *Node) (Kernel, error) {
	if n.Since == 1 {
		a := n.Attrs
		args := sliceArgs{
			starts: toInt64s(a.RequiredInts("starts")),
			ends:   toInt64s(a.RequiredInts("ends")),
			axes:   toInt64s(a.Ints("axes", nil)),
		}
		if err := a.Err(); err != nil {
			return nil, err
		}
		if err := args.check(); err != nil {
			return nil, err
		}
		return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
			return sliceRecycled(in[0], args, last)
		}), nil
	}
	// Version 10+: inputs 1..4 (starts, ends, axes, steps); read once when
	// they are all constant.
	fixed, known := sliceArgs{}, true
	for i := 1; i <= 4; i++ {
		if !n.HasInput(i) {
			continue
		}
		c := n.Const(i)
		if c == nil {
			known = false
			break
		}
		if err := fixed.set(i, c); err != nil {
			return nil, err
		}
	}
	if known {
		if err := fixed.check(); err != nil {
			return nil, err
		}
	}
	return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
		args := fixed
		if !known {
			args = sliceArgs{}
			for i := 1; i <= 4; i++ {
				if t := Input(in, i); t != nil {
					if err := args.set(i, t); err != nil {
						return nil, err
					}
				}
			}
			if err := args.check(); err != nil {
				return nil, err
			}
		}
		return sliceRecycled(in[0], args, last)
	}), nil
}

func toInt64s(v []int) []int64 {
	if v == nil {
		return nil
	}
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

var sliceInputNames = [...]string{1: "starts", 2: "ends", 3: "axes", 4: "steps"}

// set reads input i (1 starts, 2 ends, 3 axes, 4 steps).
func (s *sliceArgs) set(i int, t *tensors.Tensor) error {
	name := sliceInputNames[i]
	if t.DType() != tensors.Int32 && t.DType() != tensors.Int64 {
		return tensors.ErrDType(name+" input", t.DType(), tensors.Int32, tensors.Int64)
	}
	if t.Rank() != 1 {
		return fmt.Errorf("%s input must be 1-D, got %v", name, t)
	}
	var v []int64
	if t.DType() == tensors.Int64 {
		v = tensors.Data[int64](t) // only read
	} else {
		var err error
		if v, err = tensors.AsInt64s(t); err != nil {
			return err
		}
	}
	switch i {
	case 1:
		s.starts = v
	case 2:
		s.ends = v
	case 3:
		s.axes = v
	case 4:
		s.steps = v
	}
	return nil
}

// check verifies what does not depend on the data: matching lengths and
// non-zero steps.
func (s sliceArgs) check() error {
	n := len(s.starts)
	switch {
	case len(s.ends) != n:
		return fmt.Errorf("starts %v and ends %v differ in length", s.starts, s.ends)
	case s.axes != nil && len(s.axes) != n:
		return fmt.Errorf("axes %v and starts %v differ in length", s.axes, s.starts)
	case s.steps != nil && len(s.steps) != n:
		return fmt.Errorf("steps %v and starts %v differ in length", s.steps, s.starts)
	}
	for _, st := range s.steps {
		if st == 0 {
			return fmt.Errorf("steps %v: a step is 0", s.steps)
		}
	}
	return nil
}

// normAxes returns the sliced axes normalized for rank.
func (s sliceArgs) normAxes(rank int) ([]int, error) {
	if s.axes == nil {
		if len(s.starts) > rank {
			return nil, fmt.Errorf("%d starts for an input of rank %d", len(s.starts), rank)
		}
		ax := make([]int, len(s.starts))
		for i := range ax {
			ax[i] = i
		}
		return ax, nil
	}
	ax := make([]int, len(s.axes))
	for i, a := range s.axes {
		if a < math.MinInt32 || a > math.MaxInt32 {
			return nil, fmt.Errorf("axis %d is out of range for rank %d", a, rank)
		}
		ax[i] = int(a)
	}
	return tensors.NormalizeAxes(ax, rank)
}

// sliceRange clamps one axis's start, end and step as ONNX specifies and
// returns the first index, the number of elements and the step.
func sliceRange(dim int, start, end, step int64) (first, count int, stride int64) {
	d := int64(dim)
	if start < 0 {
		start += d
	}
	if end < 0 {
		end += d
	}
	var n int64
	if step > 0 {
		start, end = min(max(start, 0), d), min(max(end, 0), d)
		if end > start {
			n = (end-start-1)/step + 1
		}
	} else {
		start, end = min(max(start, 0), d-1), min(max(end, -1), d-1)
		if start > end {
			n = (start-end-1)/(-max(step, -d-1)) + 1
		}
	}
	if n == 0 {
		return 0, 0, 1
	}
	if n == 1 {
		step = 1 // the stride does not matter, and must not overflow
	}
	return int(start), int(n), step
}

// sliceTensor applies Slice to x.
func sliceTensor(x *tensors.Tensor, s sliceArgs) (*tensors.Tensor, error) {
	axes, err := s.normAxes(x.Rank())
	if err != nil {
		return nil, err
	}
	v := tensors.FullStridedView(x)
	for i, a := range axes {
		step := int64(1)
		if s.steps != nil {
			step = s.steps[i]
		}
		first, count, stride := sliceRange(x.Shape()[a], s.starts[i], s.ends[i], step)
		v.Off += first * v.Strides[a]
		v.Strides[a] *= int(stride)
		v.Shape[a] = count
	}
	return v.Materialize(x, nil)
}

// staticSliceArgs returns a Slice node's parameters if they are known at
// load time (attributes, or constant inputs).
func staticSliceArgs(n *Node) (sliceArgs, bool, error) {
	var s sliceArgs
	if n.Since == 1 {
		return sliceArgs{
			starts: toInt64s(n.Attrs.Ints("starts", nil)),
			ends:   toInt64s(n.Attrs.Ints("ends", nil)),
			axes:   toInt64s(n.Attrs.Ints("axes", nil)),
		}, true, nil
	}
	for i := 1; i <= 4; i++ {
		if !n.HasInput(i) {
			continue
		}
		c := n.Const(i)
		if c == nil {
			return s, false, nil
		}
		if err := s.set(i, c); err != nil {
			return s, false, err
		}
	}
	return s, true, nil
}

func inferSlice(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	x := in[0]
	if !x.RankKnown {
		return []tensors.Type{{DType: x.DType}}, nil
	}
	s, ok, err := staticSliceArgs(n)
	if err != nil {
		return nil, err
	}
	if !ok {
		return []tensors.Type{tensors.RankType(x.DType, len(x.Dims))}, nil
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	axes, err := s.normAxes(len(x.Dims))
	if err != nil {
		return nil, err
	}
	out := tensors.Type{DType: x.DType, RankKnown: true, Dims: append([]tensors.Dim{}, x.Dims...)}
	for i, a := range axes {
		step := int64(1)
		if s.steps != nil {
			step = s.steps[i]
		}
		if !x.Dims[a].Known() {
			out.Dims[a] = tensors.UnknownDim
			continue
		}
		_, count, _ := sliceRange(x.Dims[a].Size, s.starts[i], s.ends[i], step)
		out.Dims[a] = tensors.Dim{Size: count}
	}
	return []tensors.Type{out}, nil
}

// sliceRecycled is sliceTensor for a recycling kernel: a slice that is a
// contiguous run of x's data is a view of it (a borrowed result, whose
// header is kept while it views the same elements), any other is copied
// into last[0] when it fits.
func sliceRecycled(x *tensors.Tensor, s sliceArgs, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
	const maxRank = 8
	r := x.Rank()
	if r > maxRank || len(s.starts) > maxRank {
		y, err := sliceTensor(x, s)
		if err != nil {
			return nil, err
		}
		return BorrowedResult(last, y), nil // perhaps a view: never written
	}
	var axBuf, shapeBuf, strideBuf, dimBuf, stBuf [maxRank]int
	axes := axBuf[:len(s.starts)]
	if s.axes == nil && len(s.starts) > r {
		return nil, fmt.Errorf("%d starts for an input of rank %d", len(s.starts), r)
	}
	for i := range axes {
		a := int64(i)
		if s.axes != nil {
			a = s.axes[i]
		}
		if a < -int64(r) || a >= int64(r) {
			return nil, fmt.Errorf("axis %d is out of range for rank %d", a, r)
		}
		if a < 0 {
			a += int64(r)
		}
		axes[i] = int(a)
		for _, b := range axes[:i] {
			if b == int(a) {
				return nil, fmt.Errorf("axis %d is repeated in %v", s.axes[i], s.axes)
			}
		}
	}
	shape, strides := shapeBuf[:r], strideBuf[:r]
	copy(shape, x.Shape())
	for i, st := r-1, 1; i >= 0; i-- {
		strides[i] = st
		st *= shape[i]
	}
	off := 0
	for i, a := range axes {
		step := int64(1)
		if s.steps != nil {
			step = s.steps[i]
		}
		first, count, stride := sliceRange(shape[a], s.starts[i], s.ends[i], step)
		off += first * strides[a]
		strides[a] *= int(stride)
		shape[a] = count
	}
	n := tensors.DimsProd(shape)
	dims, st := dimBuf[:0], stBuf[:0]
	for i, d := range shape {
		if d == 1 {
			continue
		}
		if k := len(dims) - 1; k >= 0 && st[k] == strides[i]*d {
			dims[k] *= d
			st[k] = strides[i]
			continue
		}
		dims = append(dims, d)
		st = append(st, strides[i])
	}
	if n > 0 && (len(dims) == 0 || len(dims) == 1 && st[0] == 1) {
		// One contiguous run: a view.
		if b := BorrowedLast(last); b != nil && b.DType() == x.DType() && slices.Equal(b.Shape(), shape) && viewsAt(b, x, off) {
			return last, nil
		}
		mv, err := tensors.MoverFor(x.DType())
		if err != nil {
			return nil, err
		}
		y, err := tensors.NewFromSlice(shape, mv.Sub(x.Data(), off, off+n))
		if err != nil {
			return nil, err
		}
		return BorrowedResult(last, y), nil
	}
	last = OwnLast(last)
	y, err := RecycleAlloc(last, 0, x.DType(), shape)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		mv, err := tensors.MoverFor(x.DType())
		if err != nil {
			return nil, err
		}
		tensors.CopyStrided(mv, y.Data(), x.Data(), off, n, dims, st)
	}
	return Result(last, y), nil
}

// viewsAt reports whether v's data starts at element off of x's.
func viewsAt(v, x *tensors.Tensor, off int) bool {
	xv, vv := reflect.ValueOf(x.Data()), reflect.ValueOf(v.Data())
	if xv.Kind() != reflect.Slice || vv.Kind() != reflect.Slice || off >= xv.Len() || vv.Len() == 0 {
		return false
	}
	return xv.Index(off).UnsafeAddr() == vv.Pointer()
}
