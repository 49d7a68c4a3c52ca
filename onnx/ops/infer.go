package ops

import (
	"errors"
	"strings"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// InferBroadcast is a ready-made Infer for elementwise operators: the output
// has the first input's element type (or out if not Undefined) and the
// broadcast of all present inputs' shapes, as far as they are known. Static
// shapes that cannot broadcast are an error.
func InferBroadcast(out tensors.DType) func(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	return func(n *Node, in []tensors.Type) ([]tensors.Type, error) {
		t := tensors.Type{DType: out}
		rank := 0
		for i, x := range in {
			if !n.HasInput(i) {
				continue
			}
			if t.DType == tensors.Undefined {
				t.DType = x.DType
			}
			if !x.RankKnown {
				return []tensors.Type{{DType: t.DType}}, nil
			}
			rank = max(rank, len(x.Dims))
		}
		t.RankKnown = true
		t.Dims = make([]tensors.Dim, rank)
		for j := range t.Dims {
			t.Dims[j] = tensors.Dim{Size: 1}
		}
		for i, x := range in {
			if !n.HasInput(i) {
				continue
			}
			off := rank - len(x.Dims)
			for j, d := range x.Dims {
				o := &t.Dims[off+j]
				switch {
				case d.Size == 1:
				case o.Size == 1:
					*o = d
				case !d.Known():
					if o.Known() {
						// o > 1 forces d == o at run time.
						continue
					}
					if o.Param != d.Param {
						*o = tensors.UnknownDim
					}
				case !o.Known():
					*o = d // d > 1 forces the size
				case d.Size != o.Size:
					return nil, errBroadcastTypes(in)
				}
			}
		}
		return []tensors.Type{t}, nil
	}
}

func errBroadcastTypes(in []tensors.Type) error {
	parts := make([]string, len(in))
	for i, t := range in {
		parts[i] = t.String()
	}
	return errors.New("cannot broadcast " + strings.Join(parts, " and "))
}

// InferSame is a ready-made Infer for operators whose single output has the
// type of input 0 (Identity, Relu, Neg, ...).
func InferSame(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	if len(in) == 0 {
		return nil, nil
	}
	return []tensors.Type{in[0]}, nil
}

// constInts returns the value of input i as int64s when it is known at
// load time (nil, false otherwise, or when it cannot be read).
func constInts(n *Node, i int) ([]int64, bool) {
	c := n.Const(i)
	if c == nil || !c.DType().IsInteger() || c.Rank() > 1 {
		return nil, false
	}
	v, err := tensors.AsInt64s(c)
	if err != nil {
		return nil, false
	}
	return v, true
}

// Input returns in[i], or nil when the node has fewer inputs or omitted it
// (an empty input name). Kernels use it for optional inputs.
func Input(in []*tensors.Tensor, i int) *tensors.Tensor {
	if i < 0 || i >= len(in) {
		return nil
	}
	return in[i]
}
