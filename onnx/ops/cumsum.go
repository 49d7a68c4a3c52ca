package ops

import (
	"fmt"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// CumSum (versions 11 and 14) computes running sums along the axis given
// by its second input: exclusive=1 leaves the current element out of its
// own sum, reverse=1 sums from the end of the axis.

func init() {
	Register(Op{Type: "CumSum", Since: []int{11, 14}, Prepare: prepareCumSum, Infer: InferSame})
}

func prepareCumSum(n *Node) (Kernel, error) {
	exclusive := n.Attrs.Bool("exclusive", false)
	reverse := n.Attrs.Bool("reverse", false)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x, at := in[0], in[1]
		if at.Len() != 1 || at.Rank() > 1 {
			return nil, fmt.Errorf("input axis %v must hold one value", at)
		}
		av, err := tensors.AsInt64s(at)
		if err != nil {
			return nil, fmt.Errorf("input axis: %w", err)
		}
		if av[0] < -int64(x.Rank()) || av[0] >= int64(x.Rank()) {
			return nil, fmt.Errorf("input axis %d is out of range for rank %d", av[0], x.Rank())
		}
		a, err := tensors.NormalizeAxis(int(av[0]), x.Rank())
		if err != nil {
			return nil, err
		}
		s := x.Shape()
		outer, size, inner := dimsProduct(s[:a]), s[a], dimsProduct(s[a+1:])
		cumsum, ok := cumsumTFor[x.DType()]
		if !ok || x.DType().Size() < 4 { // the spec's types: 32- and 64-bit numbers
			return nil, tensors.ErrDType("x", x.DType(), tensors.Float32, tensors.Float64, tensors.Int32, tensors.Int64, tensors.Uint32, tensors.Uint64)
		}
		y, err := cumsum(x, outer, size, inner, exclusive, reverse)
		return []*tensors.Tensor{y}, err
	}, nil
}

//dtypes:numeric
func cumsumT[T tensors.Numeric](x *tensors.Tensor, outer, size, inner int, exclusive, reverse bool) (*tensors.Tensor, error) {
	out, dst, err := tensors.Make[T](x.Shape())
	if err != nil {
		return nil, err
	}
	src := tensors.Data[T](x)
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			var sum T
			for j := 0; j < size; j++ {
				k := j
				if reverse {
					k = size - 1 - j
				}
				p := (o*size+k)*inner + i
				if exclusive {
					dst[p] = sum
					sum += src[p]
				} else {
					sum += src[p]
					dst[p] = sum
				}
			}
		}
	}
	return out, nil
}
