package ops

import (
	"fmt"
	"math"

	"github.com/onnxkit/onnxkit/internal/kernel"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Pooling: MaxPool, AveragePool, GlobalMaxPool, GlobalAveragePool over the
// spatial axes of an N×C×D1×…×Dk input. One and two spatial axes run the
// 2-D kernels of package kernel, more the N-d kernels.
//
// MaxPool: version 8 adds the optional Indices output and storage_order,
// 10 ceil_mode and dilations, 11 only rewords the padding rules, 12 allows
// int8 and uint8. AveragePool: 7 adds count_include_pad, 10 ceil_mode, 11
// rewords the padding rules.

func init() {
	Register(Op{
		Type:          "MaxPool",
		HalfAsFloat32: true,
		Since:         []int{1, 8, 10, 11, 12},
		Prepare:       prepareMaxPool,
		Infer:         inferMaxPool,
	})
	Register(Op{
		Type:          "AveragePool",
		HalfAsFloat32: true,
		Since:         []int{1, 7, 10, 11},
		Prepare:       prepareAveragePool,
		Infer:         inferAveragePool,
	})
	for _, name := range []string{"GlobalAveragePool", "GlobalMaxPool"} {
		avg := name == "GlobalAveragePool"
		Register(Op{
			Type:          name,
			HalfAsFloat32: true,
			Since:         []int{1},
			Prepare: func(n *Node) (Kernel, error) {
				if t := n.InputType(0); t.RankKnown && len(t.Dims) < 3 {
					return nil, fmt.Errorf("input has rank %d, want at least 3 (N, C and a spatial axis)", len(t.Dims))
				}
				return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
					y, err := globalPool(in[0], avg, last)
					return Result(last, y), err
				}), nil
			},
			Infer: inferGlobalPool,
		})
	}
}

func maxPoolOpts(since int) windowOpts {
	return windowOpts{kernelRequired: true, dilations: since >= 10, ceil: since >= 10}
}

func prepareMaxPool(n *Node) (Kernel, error) {
	spec, err := readWindowSpec(n, maxPoolOpts(n.Since))
	if err != nil {
		return nil, err
	}
	colMajor := false
	if n.Since >= 8 {
		switch order := n.Attrs.Int("storage_order", 0); order {
		case 0:
		case 1:
			colMajor = true
		default:
			return nil, fmt.Errorf("attribute \"storage_order\": %d is neither 0 (row major) nor 1 (column major)", order)
		}
	}
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	if t := n.InputType(0); t.RankKnown {
		if err := spec.checkRank(len(t.Dims)); err != nil {
			return nil, err
		}
	}
	wantIdx := n.HasOutput(1)
	ints := n.Since >= 12
	if !wantIdx && len(spec.kernel) == 2 {
		n.pool = &PoolSpec{spec: spec}
	}
	return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		if err := spec.checkRank(x.Rank()); err != nil {
			return nil, fmt.Errorf("X %v: %w", x, err)
		}
		g, err := spec.resolve(x.Shape()[2:], spec.kernel)
		if err != nil {
			return nil, err
		}
		var y *tensors.Tensor
		var argmax []int
		switch dt := x.DType(); {
		case dt == tensors.Float32:
			y, argmax, err = pool[float32](x, g, poolMax, wantIdx, last)
		case dt == tensors.Float64:
			y, argmax, err = pool[float64](x, g, poolMax, wantIdx, last)
		case dt == tensors.Int8 && ints:
			y, argmax, err = maxPoolInt[int8](x, g, wantIdx)
		case dt == tensors.Uint8 && ints:
			y, argmax, err = maxPoolInt[uint8](x, g, wantIdx)
		default:
			types := []tensors.DType{tensors.Float32, tensors.Float64}
			if ints {
				types = append(types, tensors.Int8, tensors.Uint8)
			}
			return nil, tensors.ErrDType("X", dt, types...)
		}
		if err != nil || !wantIdx {
			return Result(last, y), err
		}
		idx, err := poolIndices(argmax, y.Shape(), x.Shape(), colMajor)
		return []*tensors.Tensor{y, idx}, err
	}), nil
}

func prepareAveragePool(n *Node) (Kernel, error) {
	spec, err := readWindowSpec(n, windowOpts{kernelRequired: true, ceil: n.Since >= 10})
	if err != nil {
		return nil, err
	}
	kind := poolAvg
	if n.Since >= 7 && n.Attrs.Bool("count_include_pad", false) {
		kind = poolAvgIncludePad
	}
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	if t := n.InputType(0); t.RankKnown {
		if err := spec.checkRank(len(t.Dims)); err != nil {
			return nil, err
		}
	}
	return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		if err := spec.checkRank(x.Rank()); err != nil {
			return nil, fmt.Errorf("X %v: %w", x, err)
		}
		g, err := spec.resolve(x.Shape()[2:], spec.kernel)
		if err != nil {
			return nil, err
		}
		var y *tensors.Tensor
		switch x.DType() {
		case tensors.Float32:
			y, _, err = pool[float32](x, g, kind, false, last)
		case tensors.Float64:
			y, _, err = pool[float64](x, g, kind, false, last)
		default:
			return nil, tensors.ErrDType("X", x.DType(), tensors.Float32, tensors.Float64)
		}
		return Result(last, y), err
	}), nil
}

type poolKind int

const (
	poolMax           poolKind = 0
	poolAvg           poolKind = 1
	poolAvgIncludePad poolKind = 2
)

// pool runs a pooling kernel on x, whose rank has been checked against g.
// For max pooling with wantIdx it also returns the flat index into x of
// each output's source element (-1 for a window entirely in padding).
func pool[T tensors.Float](x *tensors.Tensor, g *windowGeom, kind poolKind, wantIdx bool, last []*tensors.Tensor) (*tensors.Tensor, []int, error) {
	xs := x.Shape()
	var sb [8]int
	out, dst, err := Recycle[T](last, 0, g.outShape(sb[:], xs[0], xs[1])) // the kernels write every output
	if err != nil {
		return nil, nil, err
	}
	var argmax []int
	if wantIdx {
		argmax = make([]int, len(dst))
	}
	if len(dst) == 0 {
		return out, argmax, nil
	}
	xd := tensors.Data[T](x)
	if len(xs) <= 4 {
		h := 1
		if len(xs) == 4 {
			h = xs[2]
		}
		p := g.poolParams(xs[0], xs[1], h, xs[len(xs)-1])
		switch kind {
		case poolMax:
			kernel.MaxPool2D(p, xd, dst, argmax)
		default:
			p.CountIncludePad = kind == poolAvgIncludePad
			kernel.AvgPool2D(p, xd, dst)
		}
		return out, argmax, nil
	}
	p := g.windowParams(xs[0], xs[1], xs[2:])
	switch kind {
	case poolMax:
		kernel.MaxPoolND(p, xd, dst, argmax)
	default:
		kernel.AvgPoolND(p, kind == poolAvgIncludePad, xd, dst)
	}
	return out, argmax, nil
}

// maxPoolInt max-pools an 8-bit integer tensor through float32, which
// holds every 8-bit value exactly and preserves their order. A window
// entirely in padding yields the type's least value.
func maxPoolInt[T int8 | uint8](x *tensors.Tensor, g *windowGeom, wantIdx bool) (*tensors.Tensor, []int, error) {
	xd := tensors.Data[T](x)
	f := make([]float32, len(xd))
	for i, v := range xd {
		f[i] = float32(v)
	}
	xf, err := tensors.New(x.Shape(), f)
	if err != nil {
		return nil, nil, err
	}
	yf, argmax, err := pool[float32](xf, g, poolMax, wantIdx, nil)
	if err != nil {
		return nil, nil, err
	}
	out, dst, err := tensors.Make[T](yf.Shape())
	if err != nil {
		return nil, nil, err
	}
	least := float32(0)
	if tensors.DTypeOf[T]() == tensors.Int8 {
		least = math.MinInt8
	}
	for i, v := range tensors.Data[float32](yf) {
		dst[i] = T(max(v, least))
	}
	return out, argmax, nil
}

// poolIndices converts MaxPool's source indices to the Indices output: int64
// flat indices into X, in row-major order or, with colMajor, with the
// spatial axes of each N, C plane laid out column-major.
func poolIndices(argmax []int, yshape, xshape []int, colMajor bool) (*tensors.Tensor, error) {
	out, dst, err := tensors.Make[int64](yshape)
	if err != nil {
		return nil, err
	}
	spatial := xshape[2:]
	plane := 1
	for _, d := range spatial {
		plane *= d
	}
	rowStride := tensors.Strides(spatial)
	colStride := make([]int, len(spatial))
	s := 1
	for a := range spatial {
		colStride[a] = s
		s *= spatial[a]
	}
	for i, j := range argmax {
		if j < 0 || !colMajor {
			dst[i] = int64(j)
			continue
		}
		base, in := j/plane*plane, j%plane
		cm := 0
		for a := range spatial {
			cm += in / rowStride[a] * colStride[a]
			in %= rowStride[a]
		}
		dst[i] = int64(base + cm)
	}
	return out, nil
}

// globalPool averages or maximizes each N, C plane of x (N×C×D1×…×Dk),
// writing into last[0] when it can (see Recycle), into
// an N×C×1×…×1 result.
func globalPool(x *tensors.Tensor, avg bool, last []*tensors.Tensor) (*tensors.Tensor, error) {
	if x.Rank() < 3 {
		return nil, fmt.Errorf("X %v: want rank 3 or more (N, C and a spatial axis)", x)
	}
	switch x.DType() {
	case tensors.Float32:
		return globalPoolTyped[float32](x, avg, last)
	case tensors.Float64:
		return globalPoolTyped[float64](x, avg, last)
	}
	return nil, tensors.ErrDType("X", x.DType(), tensors.Float32, tensors.Float64)
}

func globalPoolTyped[T tensors.Float](x *tensors.Tensor, avg bool, last []*tensors.Tensor) (*tensors.Tensor, error) {
	xs := x.Shape()
	var sb [8]int
	shape := append(sb[:0], xs...)
	for i := range shape {
		shape[i] = 1
	}
	shape[0], shape[1] = xs[0], xs[1]
	out, dst, err := Recycle[T](last, 0, shape) // every element is written
	if err != nil {
		return nil, err
	}
	if len(dst) == 0 {
		return out, nil
	}
	xd := tensors.Data[T](x)
	if avg {
		kernel.PlaneMeans(xd, dst)
		return out, nil
	}
	plane := len(xd) / len(dst)
	for i := range dst {
		m := T(math.Inf(-1))
		for _, v := range xd[i*plane : (i+1)*plane] {
			if v > m || v != v {
				m = v
			}
		}
		dst[i] = m
	}
	return out, nil
}

func inferMaxPool(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	spec, err := readWindowSpec(n, maxPoolOpts(n.Since))
	if err != nil {
		return nil, nil
	}
	x := in[0]
	c := tensors.UnknownDim
	if x.RankKnown && len(x.Dims) > 1 {
		c = x.Dims[1]
	}
	y := inferSpatial(&spec, x, c, spec.kernel)
	idx := y
	idx.DType = tensors.Int64
	return []tensors.Type{y, idx}, nil
}

func inferAveragePool(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	spec, err := readWindowSpec(n, windowOpts{kernelRequired: true, ceil: n.Since >= 10})
	if err != nil {
		return nil, nil
	}
	x := in[0]
	c := tensors.UnknownDim
	if x.RankKnown && len(x.Dims) > 1 {
		c = x.Dims[1]
	}
	return []tensors.Type{inferSpatial(&spec, x, c, spec.kernel)}, nil
}

func inferGlobalPool(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	x := in[0]
	if !x.RankKnown || len(x.Dims) < 3 {
		return []tensors.Type{{DType: x.DType}}, nil
	}
	t := tensors.Type{DType: x.DType, RankKnown: true, Dims: make([]tensors.Dim, len(x.Dims))}
	for i := range t.Dims {
		t.Dims[i] = tensors.Dim{Size: 1}
	}
	t.Dims[0], t.Dims[1] = x.Dims[0], x.Dims[1]
	return []tensors.Type{t}, nil
}

// poolAfter max-pools y, a float tensor, as ps does (a fused step's
// fallback for what Conv2DPool does not cover).
func poolAfter(ps *PoolSpec, y *tensors.Tensor, last []*tensors.Tensor) (*tensors.Tensor, error) {
	if err := ps.spec.checkRank(y.Rank()); err != nil {
		return nil, fmt.Errorf("MaxPool input %v: %w", y, err)
	}
	g, err := ps.spec.resolve(y.Shape()[2:], ps.spec.kernel)
	if err != nil {
		return nil, fmt.Errorf("MaxPool: %w", err)
	}
	var out *tensors.Tensor
	switch y.DType() {
	case tensors.Float32:
		out, _, err = pool[float32](y, g, poolMax, false, last)
	case tensors.Float64:
		out, _, err = pool[float64](y, g, poolMax, false, last)
	default:
		return nil, tensors.ErrDType("MaxPool input", y.DType(), tensors.Float32, tensors.Float64)
	}
	return out, err
}
