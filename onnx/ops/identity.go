package ops

import "github.com/onnxkit/onnxkit/onnx/tensors"

// Identity returns its input. Versions 14 and 16 add sequence and optional
// values, which onnxkit does not hold; for tensors every version is the
// same.
func init() {
	Register(Op{
		Type:  "Identity",
		Since: []int{1, 13, 14, 16},
		Prepare: func(n *Node) (Kernel, error) {
			return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
				return Result(last, in[0]), nil // tensors are immutable: sharing is safe
			}), nil
		},
		Infer: InferSame,
	})
}
