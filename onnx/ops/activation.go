package ops

// Activation functions.

import (
	"github.com/onnxkit/onnxkit/internal/kernel"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

func relu[T tensors.Numeric](v T) T {
	if v < 0 {
		return 0
	}
	return v // NaN stays NaN
}

func init() {
	// Relu-1 has a legacy consumed_inputs attribute without effect; 6 and
	// 13 take floats, 14 adds signed integers.
	reluFns := NumericUnary{
		F32: relu[float32], F64: relu[float64],
		I8: relu[int8], I16: relu[int16], I32: relu[int32], I64: relu[int64],
	}
	Register(Op{
		Type:  "Relu",
		Since: []int{1, 6, 13, 14},
		Prepare: func(n *Node) (Kernel, error) {
			n.Attrs.Ignore("consumed_inputs")
			return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
				var y *tensors.Tensor
				var err error
				switch x := in[0]; x.DType() {
				case tensors.Float32:
					y, err = reluFloat[float32](x, last)
				case tensors.Float64:
					y, err = reluFloat[float64](x, last)
				default:
					y, err = reluFns.Apply(x)
				}
				return Result(last, y), err
			}), nil
		},
		Infer: InferSame,
	})
}

// reluFloat is Relu on floats, through the kernel the layers use.
func reluFloat[T tensors.Float](x *tensors.Tensor, last []*tensors.Tensor) (*tensors.Tensor, error) {
	y, dst, err := Recycle[T](last, 0, x.Shape())
	if err != nil {
		return nil, err
	}
	kernel.Relu(tensors.Data[T](x), dst)
	return y, nil
}
