package ops

import (
	"fmt"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Gather picks slices of its data input along one axis by index. Version
// 11 documents negative axes and indices (counting from the back), 13 adds
// bfloat16; onnxkit accepts negative values in every version, as
// onnxruntime does.
func init() {
	Register(Op{Type: "Gather", Since: []int{1, 11, 13}, Prepare: prepareGather, Infer: inferGather, ShapeValue: shapeValueOfGather})
}

func prepareGather(n *Node) (Kernel, error) {
	axis := n.Attrs.Int("axis", 0)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	dataName, indName := n.Inputs[0], n.Inputs[1]
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		y, err := gatherAxis(in[0], in[1], axis, dataName, indName)
		return []*tensors.Tensor{y}, err
	}, nil
}

// gatherAxis implements Gather; dataName and indName name the inputs in
// errors.
func gatherAxis(data, indices *tensors.Tensor, axis int, dataName, indName string) (*tensors.Tensor, error) {
	if data.Rank() == 0 {
		return nil, fmt.Errorf("data %q must have rank >= 1, got %v", dataName, data)
	}
	a, err := tensors.NormalizeAxis(axis, data.Rank())
	if err != nil {
		return nil, err
	}
	if indices.DType() != tensors.Int32 && indices.DType() != tensors.Int64 {
		return nil, tensors.ErrDType(fmt.Sprintf("indices %q", indName), indices.DType(), tensors.Int32, tensors.Int64)
	}
	raw, err := tensors.AsInt64s(indices)
	if err != nil {
		return nil, err
	}
	size := data.Shape()[a]
	idx := make([]int, len(raw))
	for i, k := range raw {
		if k < -int64(size) || k >= int64(size) {
			return nil, fmt.Errorf("indices %q: element %d is %d, out of range [%d, %d] for axis %d of data %q %v",
				indName, i, k, -size, size-1, a, dataName, tensors.FormatShape(data.Shape()))
		}
		if k < 0 {
			k += int64(size)
		}
		idx[i] = int(k)
	}
	shape := make([]int, 0, data.Rank()-1+indices.Rank())
	shape = append(shape, data.Shape()[:a]...)
	shape = append(shape, indices.Shape()...)
	shape = append(shape, data.Shape()[a+1:]...)
	out, err := tensors.Alloc(data.DType(), shape)
	if err != nil {
		return nil, err
	}
	if out.Len() == 0 {
		return out, nil
	}
	mv, err := tensors.MoverFor(data.DType())
	if err != nil {
		return nil, err
	}
	outer, inner := tensors.DimsProd(data.Shape()[:a]), tensors.DimsProd(data.Shape()[a+1:])
	for o := 0; o < outer; o++ {
		if inner == 1 {
			mv.Gather(out.Data(), data.Data(), o*len(idx), o*size, idx)
			continue
		}
		for j, k := range idx {
			mv.Copy(out.Data(), data.Data(), (o*len(idx)+j)*inner, (o*size+k)*inner, inner)
		}
	}
	return out, nil
}

func inferGather(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	data, ind := in[0], in[1]
	if !data.RankKnown || !ind.RankKnown {
		return []tensors.Type{{DType: data.DType}}, nil
	}
	if len(data.Dims) == 0 {
		return nil, fmt.Errorf("data must have rank >= 1, got %v", data)
	}
	a, err := tensors.NormalizeAxis(n.Attrs.Int("axis", 0), len(data.Dims))
	if err != nil {
		return nil, err
	}
	out := tensors.Type{DType: data.DType, RankKnown: true}
	out.Dims = append(out.Dims, data.Dims[:a]...)
	out.Dims = append(out.Dims, ind.Dims...)
	out.Dims = append(out.Dims, data.Dims[a+1:]...)
	return []tensors.Type{out}, nil
}
