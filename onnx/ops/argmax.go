package ops

import (
	"fmt"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// ArgMax returns, as int64, the index of the largest element along axis
// (keepdims, default 1, keeps the axis with size 1). Version 11 documents
// negative axes, 12 adds select_last_index (report the last of equal
// maxima instead of the first), 13 adds bfloat16. NaN counts as larger
// than any number, as in numpy. ArgMin is the same with the smallest
// element; a NaN is its result too, as in numpy.
func init() {
	Register(Op{Type: "ArgMax", Since: []int{1, 11, 12, 13}, Prepare: prepareArgMax, Infer: inferArgMax, HalfAsFloat32: true})
	Register(Op{Type: "ArgMin", Since: []int{1, 11, 12, 13}, Prepare: prepareArgMax, Infer: inferArgMax, HalfAsFloat32: true})
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
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		y, err := argMax(in[0], axis, keep, last, minimum)
		return []*tensors.Tensor{y}, err
	}, nil
}

func argMax(x *tensors.Tensor, axis int, keep, last, minimum bool) (*tensors.Tensor, error) {
	a, err := tensors.NormalizeAxis(axis, x.Rank())
	if err != nil {
		return nil, err
	}
	size := x.Shape()[a]
	shape := []int{}
	for i, d := range x.Shape() {
		switch {
		case i != a:
			shape = append(shape, d)
		case keep:
			shape = append(shape, 1)
		}
	}
	out, dst, err := tensors.Make[int64](shape)
	if err != nil {
		return nil, err
	}
	if len(dst) == 0 {
		return out, nil
	}
	if size == 0 {
		return nil, fmt.Errorf("cannot take the arg max or min of an empty axis %d of %v", a, x)
	}
	outer, inner := tensors.DimsProd(x.Shape()[:a]), tensors.DimsProd(x.Shape()[a+1:])
	f, ok := argMaxTFor[x.DType()]
	if !ok {
		return nil, tensors.ErrDType("input", x.DType(), tensors.SortedDTypes(argMaxTFor)...)
	}
	f(x, dst, outer, size, inner, last, minimum)
	return out, nil
}

// argMaxT is ArgMax's loop over a tensor of element type T.
//
//dtypes:numeric
func argMaxT[T tensors.Numeric](x *tensors.Tensor, dst []int64, outer, size, inner int, last, minimum bool) {
	src := tensors.Data[T](x)
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

func inferArgMax(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	x := in[0]
	if !x.RankKnown {
		return []tensors.Type{{DType: tensors.Int64}}, nil
	}
	a, err := tensors.NormalizeAxis(n.Attrs.Int("axis", 0), len(x.Dims))
	if err != nil {
		return nil, err
	}
	keep := n.Attrs.Bool("keepdims", true)
	out := tensors.Type{DType: tensors.Int64, RankKnown: true, Dims: []tensors.Dim{}}
	for i, d := range x.Dims {
		switch {
		case i != a:
			out.Dims = append(out.Dims, d)
		case keep:
			out.Dims = append(out.Dims, tensors.Dim{Size: 1})
		}
	}
	return []tensors.Type{out}, nil
}
