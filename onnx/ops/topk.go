package ops

import (
	"fmt"
	"slices"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// TopK returns the k largest (or, with largest=0, smallest) elements along
// an axis and their int64 indices. Version 1 takes k as an attribute, 10 as
// an input, 11 adds largest and sorted. Equal values keep their original
// order (the lower index first), as the spec requires; the result is
// always sorted, which sorted=0 permits. NaN counts as larger than any
// number.

func init() {
	Register(Op{Type: "TopK", Since: []int{1, 10, 11}, Prepare: prepareTopK})
}

func prepareTopK(n *Node) (Kernel, error) {
	axis := n.Attrs.Int("axis", -1)
	kAttr := -1
	if n.Since == 1 {
		kAttr = n.Attrs.RequiredInt("k")
	}
	largest := true
	if n.Since >= 11 {
		largest = n.Attrs.Bool("largest", true)
		n.Attrs.Bool("sorted", true) // results are always sorted
	}
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	kInput := n.Since >= 10
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		k := int64(kAttr)
		if kInput {
			kt := in[1]
			if kt.Len() != 1 || kt.Rank() > 1 {
				return nil, fmt.Errorf("input K %v must hold one value", kt)
			}
			v, err := tensors.AsInt64s(kt)
			if err != nil {
				return nil, fmt.Errorf("input K: %w", err)
			}
			k = v[0]
		}
		a, err := tensors.NormalizeAxis(axis, x.Rank())
		if err != nil {
			return nil, err
		}
		s := x.Shape()
		if k < 0 || k > int64(s[a]) {
			return nil, fmt.Errorf("k = %d is outside [0, %d] (axis %d of %v)", k, s[a], a, x)
		}
		shape := slices.Clone(s)
		shape[a] = int(k)
		if _, err := tensors.CheckSize(x.DType(), shape); err != nil {
			return nil, err
		}
		outer, size, inner := dimsProduct(s[:a]), s[a], dimsProduct(s[a+1:])
		orderOf, ok := topkOrderFor[x.DType()]
		if !ok {
			return nil, tensors.ErrDType("X", x.DType(), tensors.SortedDTypes(topkOrderFor)...)
		}
		order := orderOf(x, outer, size, inner, int(k), largest)
		vals, err := takeElems(x, shape, order)
		if err != nil {
			return nil, err
		}
		idxT, idx, err := tensors.Make[int64](shape)
		if err != nil {
			return nil, err
		}
		for i, src := range order {
			idx[i] = int64(src / inner % size)
		}
		return []*tensors.Tensor{vals, idxT}, nil
	}, nil
}

// topkOrder returns, in output order, the flat indices of the top k
// elements of every line along the axis.
//
//dtypes:numeric
func topkOrder[T tensors.Numeric](x *tensors.Tensor, outer, size, inner, k int, largest bool) []int {
	src := tensors.Data[T](x)
	out := make([]int, outer*k*inner)
	line := make([]int, size)
	isNaN := func(v T) bool { return v != v }
	for o := 0; o < outer; o++ {
		for in := 0; in < inner; in++ {
			base := o*size*inner + in
			for j := range line {
				line[j] = j
			}
			slices.SortStableFunc(line, func(i, j int) int {
				a, b := src[base+i*inner], src[base+j*inner]
				switch {
				case isNaN(a) && isNaN(b):
					return 0
				case isNaN(a): // NaN is the largest
					if largest {
						return -1
					}
					return 1
				case isNaN(b):
					if largest {
						return 1
					}
					return -1
				case a == b:
					return 0
				case (a > b) == largest:
					return -1
				}
				return 1
			})
			for r := 0; r < k; r++ {
				out[(o*k+r)*inner+in] = base + line[r]*inner
			}
		}
	}
	return out
}
