package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Index and shape helpers: Size, Range, NonZero, EyeLike, OneHot, Trilu,
// Compress and ReverseSequence. Output sizes computed from input values
// (Range's length, OneHot's depth) are checked against the tensor size
// limits before anything is allocated.

func init() {
	Register(Op{
		Type:  "Size",
		Since: []int{1, 13},
		Prepare: func(n *Node) (Kernel, error) {
			return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
				y, d, err := Recycle[int64](last, 0, nil)
				if err != nil {
					return nil, err
				}
				d[0] = int64(in[0].Len())
				return Result(last, y), nil
			}), nil
		},
		Infer: func(n *Node, in []tensors.Type) ([]tensors.Type, error) {
			return []tensors.Type{tensors.KnownType(tensors.Int64, []int{})}, nil
		},
	})
	Register(Op{Type: "Range", Since: []int{11}, Prepare: prepareRange})
	Register(Op{Type: "NonZero", Since: []int{9, 13}, Prepare: prepareNonZero})
	Register(Op{Type: "EyeLike", Since: []int{9}, Prepare: prepareEyeLike})
	Register(Op{Type: "OneHot", Since: []int{9, 11}, Prepare: prepareOneHot})
	Register(Op{Type: "Trilu", Since: []int{14}, Prepare: prepareTrilu, Infer: InferSame})
	Register(Op{Type: "Compress", Since: []int{9, 11}, Prepare: prepareCompress})
	Register(Op{Type: "ReverseSequence", Since: []int{10}, Prepare: prepareReverseSequence, Infer: InferSame})
}

func scalarInput(what string, t *tensors.Tensor) error {
	if t.Len() != 1 {
		return fmt.Errorf("input %s %v must hold exactly one value", what, t)
	}
	return nil
}

func prepareRange(n *Node) (Kernel, error) {
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		start, limit, delta := in[0], in[1], in[2]
		for i, t := range in[:3] {
			if err := scalarInput([...]string{"start", "limit", "delta"}[i], t); err != nil {
				return nil, err
			}
			if t.DType() != start.DType() {
				return nil, fmt.Errorf("inputs start (%v) and %s (%v) have different dtypes", start.DType(), [...]string{"start", "limit", "delta"}[i], t.DType())
			}
		}
		var y *tensors.Tensor
		var err error
		switch start.DType() {
		case tensors.Float32:
			y, err = rangeFloat[float32](start, limit, delta)
		case tensors.Float64:
			y, err = rangeFloat[float64](start, limit, delta)
		case tensors.Int16:
			y, err = rangeInt[int16](start, limit, delta)
		case tensors.Int32:
			y, err = rangeInt[int32](start, limit, delta)
		case tensors.Int64:
			y, err = rangeInt[int64](start, limit, delta)
		default:
			return nil, tensors.ErrDType("start", start.DType(), tensors.Float32, tensors.Float64, tensors.Int16, tensors.Int32, tensors.Int64)
		}
		return []*tensors.Tensor{y}, err
	}, nil
}

func rangeFloat[T tensors.Float](start, limit, delta *tensors.Tensor) (*tensors.Tensor, error) {
	s, l, d := tensors.Data[T](start)[0], tensors.Data[T](limit)[0], tensors.Data[T](delta)[0]
	if d == 0 {
		return nil, fmt.Errorf("input delta is 0")
	}
	c := math.Ceil((float64(l) - float64(s)) / float64(d))
	if math.IsNaN(c) {
		return nil, fmt.Errorf("range from %v to %v by %v has no defined length", s, l, d)
	}
	c = math.Max(c, 0)
	if c > tensors.MaxElements {
		return nil, limitErr(tensors.DTypeOf[T](), c)
	}
	out, dst, err := tensors.Make[T]([]int{int(c)})
	if err != nil {
		return nil, err
	}
	for i := range dst {
		dst[i] = s + T(i)*d
	}
	return out, nil
}

// limitErr is the size-limit error for an output of n elements, more than
// MaxElements (it wraps ErrMemoryLimit).
func limitErr(dt tensors.DType, n float64) error {
	_, err := tensors.CheckSize(dt, []int{tensors.MaxElements + 1})
	return fmt.Errorf("output of %.0f elements: %w", n, err)
}

func rangeInt[T tensors.Signed](start, limit, delta *tensors.Tensor) (*tensors.Tensor, error) {
	s, l, d := int64(tensors.Data[T](start)[0]), int64(tensors.Data[T](limit)[0]), int64(tensors.Data[T](delta)[0])
	if d == 0 {
		return nil, fmt.Errorf("input delta is 0")
	}
	// The count in uint64: l-s and -d wrap in int64 but not as unsigned
	// differences.
	var diff, step uint64
	switch {
	case d > 0 && l > s:
		diff, step = uint64(l-s), uint64(d)
	case d < 0 && l < s:
		diff, step = uint64(s-l), uint64(-d)
	}
	var c uint64
	if step > 0 {
		c = diff / step
		if diff%step != 0 {
			c++
		}
	}
	if c > tensors.MaxElements {
		return nil, limitErr(tensors.DTypeOf[T](), float64(c))
	}
	out, dst, err := tensors.Make[T]([]int{int(c)})
	if err != nil {
		return nil, err
	}
	for i := range dst {
		dst[i] = T(s + int64(i)*d)
	}
	return out, nil
}

func prepareNonZero(n *Node) (Kernel, error) {
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		nonZero, ok := nonZeroTFor[x.DType()]
		if !ok {
			return nil, tensors.ErrDType("X", x.DType())
		}
		nz := nonZero(x)
		count := 0
		for _, v := range nz {
			if v {
				count++
			}
		}
		r := x.Rank()
		out, dst, err := tensors.Make[int64]([]int{r, count})
		if err != nil {
			return nil, err
		}
		str := rowMajorStrides(x.Shape())
		k := 0
		for i, v := range nz {
			if !v {
				continue
			}
			rem := i
			for d := 0; d < r; d++ {
				dst[d*count+k] = int64(rem / str[d])
				rem %= str[d]
			}
			k++
		}
		return []*tensors.Tensor{out}, nil
	}, nil
}

// nonZeroT marks the elements of x that are not zero (false, "").
//
//dtypes:elem
func nonZeroT[T tensors.Elem](x *tensors.Tensor) []bool {
	var zero T
	s := tensors.Data[T](x)
	out := make([]bool, len(s))
	for i, v := range s {
		out[i] = v != zero
	}
	return out
}

// zeroOne returns the rank-1 tensor [0, 1] of a numeric or bool type.
func zeroOne(dt tensors.DType) (*tensors.Tensor, error) {
	if !castable(dt) {
		return nil, tensors.ErrDType("output", dt)
	}
	return CastTensor(tensors.Vector(false, true), dt)
}

func prepareEyeLike(n *Node) (Kernel, error) {
	dt := tensors.DType(n.Attrs.Int("dtype", 0))
	k := n.Attrs.Int("k", 0)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	if n.Attrs.Has("dtype") {
		if _, err := zeroOne(dt); err != nil {
			return nil, fmt.Errorf("attribute \"dtype\": %w", err)
		}
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		if x.Rank() != 2 {
			return nil, fmt.Errorf("input %v must have rank 2", x)
		}
		t := dt
		if t == 0 {
			t = x.DType()
		}
		src, err := zeroOne(t)
		if err != nil {
			return nil, err
		}
		if _, err := tensors.CheckSize(t, x.Shape()); err != nil {
			return nil, err
		}
		rows, cols := x.Shape()[0], x.Shape()[1]
		idx := make([]int, rows*cols)
		for i := 0; i < rows; i++ {
			if j := i + k; j >= 0 && j < cols {
				idx[i*cols+j] = 1
			}
		}
		y, err := takeElems(src, x.Shape(), idx)
		return []*tensors.Tensor{y}, err
	}, nil
}

func prepareOneHot(n *Node) (Kernel, error) {
	axis := n.Attrs.Int("axis", -1)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		indices, depthT, values := in[0], in[1], in[2]
		if err := scalarInput("depth", depthT); err != nil {
			return nil, err
		}
		dv, err := tensors.AsFloat64s(depthT)
		if err != nil || depthT.DType() == tensors.Bool {
			return nil, fmt.Errorf("input depth %v must be numeric", depthT)
		}
		if values.Rank() != 1 || values.Len() != 2 {
			return nil, fmt.Errorf("input values %v must hold [off_value, on_value]", values)
		}
		if !(dv[0] >= 1) {
			return nil, fmt.Errorf("input depth %v is not positive", dv[0])
		}
		if dv[0] > tensors.MaxElements {
			return nil, fmt.Errorf("input depth: %w", limitErr(values.DType(), dv[0]))
		}
		depth := int(dv[0])
		r := indices.Rank()
		a, err := tensors.NormalizeAxis(axis, r+1)
		if err != nil {
			return nil, err
		}
		shape := slices.Insert(slices.Clone(indices.Shape()), a, depth)
		if _, err := tensors.CheckSize(values.DType(), shape); err != nil {
			return nil, err
		}
		iv, err := tensors.AsFloat64s(indices)
		if err != nil || indices.DType() == tensors.Bool {
			return nil, fmt.Errorf("input indices %v must be numeric", indices)
		}
		outer := dimsProduct(indices.Shape()[:a])
		inner := dimsProduct(indices.Shape()[a:])
		idx := make([]int, outer*depth*inner)
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				v := math.Trunc(iv[o*inner+i])
				if v < 0 {
					v += float64(depth)
				}
				if v >= 0 && v < float64(depth) {
					idx[(o*depth+int(v))*inner+i] = 1
				}
			}
		}
		y, err := takeElems(values, shape, idx)
		return []*tensors.Tensor{y}, err
	}, nil
}

func prepareTrilu(n *Node) (Kernel, error) {
	upper := n.Attrs.Bool("upper", true)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		k := int64(0)
		if kt := Input(in, 1); kt != nil {
			if err := scalarInput("k", kt); err != nil {
				return nil, err
			}
			v, err := tensors.AsInt64s(kt)
			if err != nil {
				return nil, fmt.Errorf("input k: %w", err)
			}
			k = v[0]
		}
		if x.Rank() < 2 {
			return nil, fmt.Errorf("input %v must have rank at least 2", x)
		}
		s := x.Shape()
		rows, cols := s[len(s)-2], s[len(s)-1]
		idx := make([]int, x.Len())
		for i := range idx {
			r, c := int64(i/cols%rows), int64(i%cols)
			keep := c-r >= k
			if !upper {
				keep = c-r <= k
			}
			if keep {
				idx[i] = i
			} else {
				idx[i] = -1
			}
		}
		y, err := takeElems(x, s, idx)
		return []*tensors.Tensor{y}, err
	}, nil
}

func prepareCompress(n *Node) (Kernel, error) {
	axis, hasAxis := n.Attrs.Int("axis", 0), n.Attrs.Has("axis")
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x, cond := in[0], in[1]
		if cond.DType() != tensors.Bool || cond.Rank() != 1 {
			return nil, fmt.Errorf("input condition %v must be a rank-1 bool tensor", cond)
		}
		c := tensors.Data[bool](cond)
		shape := []int{x.Len()}
		a := 0
		if hasAxis {
			var err error
			if a, err = tensors.NormalizeAxis(axis, x.Rank()); err != nil {
				return nil, err
			}
			shape = x.Shape()
		}
		if len(c) > shape[a] {
			return nil, fmt.Errorf("input condition %v is longer than axis %d (%d)", cond, a, shape[a])
		}
		var keep []int
		for i, v := range c {
			if v {
				keep = append(keep, i)
			}
		}
		outer, inner := dimsProduct(shape[:a]), dimsProduct(shape[a+1:])
		out := slices.Clone(shape)
		out[a] = len(keep)
		idx := make([]int, 0, outer*len(keep)*inner)
		for o := 0; o < outer; o++ {
			for _, k := range keep {
				for i := 0; i < inner; i++ {
					idx = append(idx, (o*shape[a]+k)*inner+i)
				}
			}
		}
		y, err := takeElems(x, out, idx)
		return []*tensors.Tensor{y}, err
	}, nil
}

func prepareReverseSequence(n *Node) (Kernel, error) {
	batchAxis := n.Attrs.Int("batch_axis", 1)
	timeAxis := n.Attrs.Int("time_axis", 0)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	if !((batchAxis == 0 && timeAxis == 1) || (batchAxis == 1 && timeAxis == 0)) {
		return nil, fmt.Errorf("batch_axis %d and time_axis %d must be 0 and 1 in some order", batchAxis, timeAxis)
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x, lensT := in[0], in[1]
		if x.Rank() < 2 {
			return nil, fmt.Errorf("input %v must have rank at least 2", x)
		}
		s := x.Shape()
		batch, seq := s[batchAxis], s[timeAxis]
		lens, err := tensors.AsInt64s(lensT)
		if err != nil {
			return nil, fmt.Errorf("input sequence_lens: %w", err)
		}
		if lensT.Rank() != 1 || len(lens) != batch {
			return nil, fmt.Errorf("input sequence_lens %v must have shape [%d]", lensT, batch)
		}
		for b, l := range lens {
			if l < 0 || l > int64(seq) {
				return nil, fmt.Errorf("input sequence_lens: length %d of batch %d is outside [0, %d]", l, b, seq)
			}
		}
		inner := dimsProduct(s[2:])
		str := rowMajorStrides(s)
		idx := make([]int, x.Len())
		for b := 0; b < batch; b++ {
			for t := 0; t < seq; t++ {
				src := t
				if int64(t) < lens[b] {
					src = int(lens[b]) - 1 - t
				}
				o := b*str[batchAxis] + t*str[timeAxis]
				from := b*str[batchAxis] + src*str[timeAxis]
				for i := 0; i < inner; i++ {
					idx[o+i] = from + i
				}
			}
		}
		y, err := takeElems(x, s, idx)
		return []*tensors.Tensor{y}, err
	}, nil
}
