package ops

import "fmt"

// Gather picks slices of its data input along one axis by index. Version
// 11 documents negative axes and indices (counting from the back), 13 adds
// bfloat16; onnxkit accepts negative values in every version, as
// onnxruntime does.
func init() {
	Register(Op{Type: "Gather", Since: []int{1, 11, 13}, Prepare: prepareGather, Infer: inferGather})
}

func prepareGather(n *Node) (Kernel, error) {
	axis := n.Attrs.Int("axis", 0)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	dataName, indName := n.Inputs[0], n.Inputs[1]
	return func(in []*Tensor) ([]*Tensor, error) {
		y, err := gatherAxis(in[0], in[1], axis, dataName, indName)
		return []*Tensor{y}, err
	}, nil
}

// gatherAxis implements Gather; dataName and indName name the inputs in
// errors.
func gatherAxis(data, indices *Tensor, axis int, dataName, indName string) (*Tensor, error) {
	if data.Rank() == 0 {
		return nil, fmt.Errorf("data %q must have rank >= 1, got %v", dataName, data)
	}
	a, err := NormalizeAxis(axis, data.Rank())
	if err != nil {
		return nil, err
	}
	if indices.dtype != Int32 && indices.dtype != Int64 {
		return nil, ErrDType(fmt.Sprintf("indices %q", indName), indices.dtype, Int32, Int64)
	}
	raw, err := AsInt64s(indices)
	if err != nil {
		return nil, err
	}
	size := data.shape[a]
	idx := make([]int, len(raw))
	for i, k := range raw {
		if k < -int64(size) || k >= int64(size) {
			return nil, fmt.Errorf("indices %q: element %d is %d, out of range [%d, %d] for axis %d of data %q %v",
				indName, i, k, -size, size-1, a, dataName, FormatShape(data.shape))
		}
		if k < 0 {
			k += int64(size)
		}
		idx[i] = int(k)
	}
	shape := make([]int, 0, data.Rank()-1+indices.Rank())
	shape = append(shape, data.shape[:a]...)
	shape = append(shape, indices.shape...)
	shape = append(shape, data.shape[a+1:]...)
	out, err := Alloc(data.dtype, shape)
	if err != nil {
		return nil, err
	}
	if out.Len() == 0 {
		return out, nil
	}
	mv, err := moverFor(data.dtype)
	if err != nil {
		return nil, err
	}
	outer, inner := dimsProd(data.shape[:a]), dimsProd(data.shape[a+1:])
	for o := 0; o < outer; o++ {
		if inner == 1 {
			mv.gather(out.data, data.data, o*len(idx), o*size, idx)
			continue
		}
		for j, k := range idx {
			mv.copy(out.data, data.data, (o*len(idx)+j)*inner, (o*size+k)*inner, inner)
		}
	}
	return out, nil
}

func inferGather(n *Node, in []Type) ([]Type, error) {
	data, ind := in[0], in[1]
	if !data.RankKnown || !ind.RankKnown {
		return []Type{{DType: data.DType}}, nil
	}
	if len(data.Dims) == 0 {
		return nil, fmt.Errorf("data must have rank >= 1, got %v", data)
	}
	a, err := NormalizeAxis(n.Attrs.Int("axis", 0), len(data.Dims))
	if err != nil {
		return nil, err
	}
	out := Type{DType: data.DType, RankKnown: true}
	out.Dims = append(out.Dims, data.Dims[:a]...)
	out.Dims = append(out.Dims, ind.Dims...)
	out.Dims = append(out.Dims, data.Dims[a+1:]...)
	return []Type{out}, nil
}
