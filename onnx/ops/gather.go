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
	return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
		y, err := gatherAxis(in[0], in[1], axis, dataName, indName, last)
		if err != nil {
			return nil, err
		}
		return Result(last, y), nil
	}), nil
}

// gatherAxis implements Gather, into last[0] when it fits; dataName and
// indName name the inputs in errors.
func gatherAxis(data, indices *tensors.Tensor, axis int, dataName, indName string, last []*tensors.Tensor) (*tensors.Tensor, error) {
	if data.Rank() == 0 {
		return nil, fmt.Errorf("data %q must have rank >= 1, got %v", dataName, data)
	}
	a, err := tensors.NormalizeAxis(axis, data.Rank())
	if err != nil {
		return nil, err
	}
	var at func(i int) int64
	switch indices.DType() {
	case tensors.Int32:
		d := tensors.Data[int32](indices)
		at = func(i int) int64 { return int64(d[i]) }
	case tensors.Int64:
		d := tensors.Data[int64](indices)
		at = func(i int) int64 { return d[i] }
	default:
		return nil, tensors.ErrDType(fmt.Sprintf("indices %q", indName), indices.DType(), tensors.Int32, tensors.Int64)
	}
	size := data.Shape()[a]
	nIdx := indices.Len()
	for i := range nIdx {
		if k := at(i); k < -int64(size) || k >= int64(size) {
			return nil, fmt.Errorf("indices %q: element %d is %d, out of range [%d, %d] for axis %d of data %q %v",
				indName, i, k, -size, size-1, a, dataName, tensors.FormatShape(data.Shape()))
		}
	}
	var buf [8]int
	shape := append(buf[:0], data.Shape()[:a]...)
	shape = append(shape, indices.Shape()...)
	shape = append(shape, data.Shape()[a+1:]...)
	out, err := RecycleAlloc(last, 0, data.DType(), shape)
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
	if inner == 1 && nIdx > 64 {
		// Many single elements: one Gather call per outer index.
		idx := make([]int, nIdx)
		for j := range idx {
			if idx[j] = int(at(j)); idx[j] < 0 {
				idx[j] += size
			}
		}
		for o := 0; o < outer; o++ {
			mv.Gather(out.Data(), data.Data(), o*nIdx, o*size, idx)
		}
		return out, nil
	}
	for o := 0; o < outer; o++ {
		for j := range nIdx {
			k := int(at(j))
			if k < 0 {
				k += size
			}
			mv.Copy(out.Data(), data.Data(), (o*nIdx+j)*inner, (o*size+k)*inner, inner)
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
