package ops

import "fmt"

// ArgMax returns, as int64, the index of the largest element along axis
// (keepdims, default 1, keeps the axis with size 1). Version 11 documents
// negative axes, 12 adds select_last_index (report the last of equal
// maxima instead of the first), 13 adds bfloat16. NaN counts as larger
// than any number, as in numpy. ArgMin is the same with the smallest
// element; a NaN is its result too, as in numpy.
func init() {
	Register(Op{Type: "ArgMax", Since: []int{1, 11, 12, 13}, Prepare: prepareArgMax, Infer: inferArgMax})
	Register(Op{Type: "ArgMin", Since: []int{1, 11, 12, 13}, Prepare: prepareArgMax, Infer: inferArgMax})
}

func prepareArgMax(n *Node) (Kernel, error) {
	minimum := n.Type == "ArgMin"
	axis := n.Attrs.Int("axis", 0)
	keep := n.Attrs.Bool("keepdims", true)
	last := false
	if n.Since >= 12 {
		last = n.Attrs.Bool("select_last_index", false)
	}
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	return func(in []*Tensor) ([]*Tensor, error) {
		y, err := argMax(in[0], axis, keep, last, minimum)
		return []*Tensor{y}, err
	}, nil
}

func argMax(x *Tensor, axis int, keep, last, minimum bool) (*Tensor, error) {
	a, err := NormalizeAxis(axis, x.Rank())
	if err != nil {
		return nil, err
	}
	size := x.shape[a]
	shape := []int{}
	for i, d := range x.shape {
		switch {
		case i != a:
			shape = append(shape, d)
		case keep:
			shape = append(shape, 1)
		}
	}
	out, dst, err := Make[int64](shape)
	if err != nil {
		return nil, err
	}
	if len(dst) == 0 {
		return out, nil
	}
	if size == 0 {
		return nil, fmt.Errorf("cannot take the arg max or min of an empty axis %d of %v", a, x)
	}
	outer, inner := dimsProd(x.shape[:a]), dimsProd(x.shape[a+1:])
	switch x.dtype {
	case Float32:
		argMaxT(Data[float32](x), dst, outer, size, inner, last, minimum)
	case Float64:
		argMaxT(Data[float64](x), dst, outer, size, inner, last, minimum)
	case Int8:
		argMaxT(Data[int8](x), dst, outer, size, inner, last, minimum)
	case Int16:
		argMaxT(Data[int16](x), dst, outer, size, inner, last, minimum)
	case Int32:
		argMaxT(Data[int32](x), dst, outer, size, inner, last, minimum)
	case Int64:
		argMaxT(Data[int64](x), dst, outer, size, inner, last, minimum)
	case Uint8:
		argMaxT(Data[uint8](x), dst, outer, size, inner, last, minimum)
	case Uint16:
		argMaxT(Data[uint16](x), dst, outer, size, inner, last, minimum)
	case Uint32:
		argMaxT(Data[uint32](x), dst, outer, size, inner, last, minimum)
	case Uint64:
		argMaxT(Data[uint64](x), dst, outer, size, inner, last, minimum)
	default:
		return nil, ErrDType("input", x.dtype, Float32, Float64, Int8, Int16, Int32, Int64, Uint8, Uint16, Uint32, Uint64)
	}
	return out, nil
}

func argMaxT[T Numeric](src []T, dst []int64, outer, size, inner int, last, minimum bool) {
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*size*inner + i
			best, at := src[base], 0
			for k := 1; k < size; k++ {
				v := src[base+k*inner]
				var better bool
				switch {
				case best != best: // NaN: only a later NaN replaces it
					better = last && v != v
				case v != v:
					better = true
				case minimum && last:
					better = v <= best
				case minimum:
					better = v < best
				case last:
					better = v >= best
				default:
					better = v > best
				}
				if better {
					best, at = v, k
				}
			}
			dst[o*inner+i] = int64(at)
		}
	}
}

func inferArgMax(n *Node, in []Type) ([]Type, error) {
	x := in[0]
	if !x.RankKnown {
		return []Type{{DType: Int64}}, nil
	}
	a, err := NormalizeAxis(n.Attrs.Int("axis", 0), len(x.Dims))
	if err != nil {
		return nil, err
	}
	keep := n.Attrs.Bool("keepdims", true)
	out := Type{DType: Int64, RankKnown: true, Dims: []Dim{}}
	for i, d := range x.Dims {
		switch {
		case i != a:
			out.Dims = append(out.Dims, d)
		case keep:
			out.Dims = append(out.Dims, Dim{Size: 1})
		}
	}
	return []Type{out}, nil
}
