package ops

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Unique (version 11) finds the distinct elements of a tensor, or with the
// axis attribute its distinct slices along that axis. Outputs: Y, the
// distinct values (sorted ascending with sorted=1, else in order of first
// occurrence); indices, the first occurrence of each in the input;
// inverse_indices, for each input element (slice) its position in Y; and
// counts.

func init() {
	Register(Op{Type: "Unique", Since: []int{11}, Prepare: prepareUnique})
}

func prepareUnique(n *Node) (Kernel, error) {
	axis, hasAxis := n.Attrs.Int("axis", 0), n.Attrs.Has("axis")
	sorted := n.Attrs.Bool("sorted", true)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		shape := []int{x.Len()}
		a := 0
		if hasAxis {
			var err error
			if a, err = tensors.NormalizeAxis(axis, x.Rank()); err != nil {
				return nil, err
			}
			shape = x.Shape()
		}
		outer, size, inner := dimsProduct(shape[:a]), shape[a], dimsProduct(shape[a+1:])
		var first []int
		var inverse []int64
		var counts []int64
		keys := x
		switch x.DType() {
		case tensors.Bool, tensors.Float16, tensors.BFloat16:
			// Compare bools as 0/1 and half floats as float32, in order.
			to := tensors.Uint8
			if x.DType() != tensors.Bool {
				to = tensors.Float32
			}
			var err error
			if keys, err = CastTensor(x, to); err != nil {
				return nil, err
			}
		case tensors.String:
			first, inverse, counts = uniqueSlices(tensors.Data[string](x), outer, size, inner, sorted)
		}
		if x.DType() != tensors.String {
			unique, ok := uniqueTypedFor[keys.DType()]
			if !ok {
				return nil, tensors.ErrDType("X", x.DType())
			}
			first, inverse, counts = unique(keys, outer, size, inner, sorted)
		}
		yShape := slices.Clone(shape)
		yShape[a] = len(first)
		idx := make([]int, 0, outer*len(first)*inner)
		for o := 0; o < outer; o++ {
			for _, k := range first {
				for i := 0; i < inner; i++ {
					idx = append(idx, (o*size+k)*inner+i)
				}
			}
		}
		y, err := takeElems(x, yShape, idx)
		if err != nil {
			return nil, fmt.Errorf("output Y: %w", err)
		}
		firstT, fd, err := tensors.Make[int64]([]int{len(first)})
		if err != nil {
			return nil, err
		}
		for i, k := range first {
			fd[i] = int64(k)
		}
		return []*tensors.Tensor{y, firstT, tensors.Vector(inverse...), tensors.Vector(counts...)}, nil
	}, nil
}

// uniqueSlices groups the size slices of src (outer×size×inner, slice k
// made of the elements (o*size+k)*inner+i) into distinct values.
// uniqueTyped is uniqueSlices on a tensor of element type T.
//
//dtypes:numeric
func uniqueTyped[T tensors.Numeric](x *tensors.Tensor, outer, size, inner int, sorted bool) (first []int, inverse, counts []int64) {
	return uniqueSlices(tensors.Data[T](x), outer, size, inner, sorted)
}

func uniqueSlices[T cmp.Ordered](src []T, outer, size, inner int, sorted bool) (first []int, inverse, counts []int64) {
	compare := func(p, q int) int {
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				if c := cmp.Compare(src[(o*size+p)*inner+i], src[(o*size+q)*inner+i]); c != 0 {
					return c
				}
			}
		}
		return 0
	}
	order := make([]int, size)
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, compare)
	group := make([]int, size) // group number of each slice, in sorted order
	var groupFirst []int
	var groupCount []int64
	for j, k := range order {
		if j == 0 || compare(order[j-1], k) != 0 {
			groupFirst = append(groupFirst, k)
			groupCount = append(groupCount, 0)
		}
		group[k] = len(groupFirst) - 1
		groupCount[len(groupCount)-1]++
	}
	pos := make([]int, len(groupFirst)) // output position of each group
	for g := range pos {
		pos[g] = g
	}
	if !sorted {
		byFirst := make([]int, len(groupFirst))
		for g := range byFirst {
			byFirst[g] = g
		}
		slices.SortFunc(byFirst, func(a, b int) int { return groupFirst[a] - groupFirst[b] })
		for p, g := range byFirst {
			pos[g] = p
		}
	}
	first = make([]int, len(groupFirst))
	counts = make([]int64, len(groupFirst))
	for g, p := range pos {
		first[p] = groupFirst[g]
		counts[p] = groupCount[g]
	}
	inverse = make([]int64, size)
	for k := range inverse {
		inverse[k] = int64(pos[group[k]])
	}
	return first, inverse, counts
}
