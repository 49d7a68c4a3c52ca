package ops

import (
	"fmt"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Dropout in inference mode: the output is the input and the optional mask
// keeps everything (true; 1 of the input's type before version 10, when
// the mask had that type). Versions 1 and 6 say inference with is_test=1;
// 7 and 10 leave the mode to the runtime, which for onnxkit is inference;
// 12 and 13 take the mode as an optional training_mode input. Training
// with a non-zero ratio draws a random mask and is not supported;
// training with ratio 0 keeps everything, as inference does. The seed
// attribute (12, 13) only matters for training and is ignored.

func init() {
	Register(Op{
		Type:    "Dropout",
		Since:   []int{1, 6, 7, 10, 12, 13},
		Prepare: prepareDropout,
		Infer: func(n *Node, in []tensors.Type) ([]tensors.Type, error) {
			mask := in[0]
			if n.Since >= 10 {
				mask.DType = tensors.Bool
			}
			return []tensors.Type{in[0], mask}, nil
		},
	})
}

func prepareDropout(n *Node) (Kernel, error) {
	a := n.Attrs
	a.Ignore("consumed_inputs", "seed")
	if n.Since <= 10 {
		a.Float("ratio", 0.5) // only matters for training
	}
	if n.Since <= 6 && !a.Bool("is_test", false) {
		a.Fail("is_test", "training mode (is_test=0) of version %d is not supported: %w", n.Since, tensors.ErrUnsupported)
	}
	if err := a.Err(); err != nil {
		return nil, err
	}
	boolMask := n.Since >= 10
	wantMask := n.HasOutput(1)
	check := func(ratio, training *tensors.Tensor) error { return nil }
	if n.Since >= 12 {
		check = checkDropoutMode
		// Refuse training with constant inputs at load time already.
		if n.HasInput(2) && n.Const(2) != nil && (!n.HasInput(1) || n.Const(1) != nil) {
			if err := checkDropoutMode(n.Const(1), n.Const(2)); err != nil {
				return nil, err
			}
		}
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		if err := check(Input(in, 1), Input(in, 2)); err != nil {
			return nil, err
		}
		if !wantMask {
			return []*tensors.Tensor{x}, nil
		}
		var mask *tensors.Tensor
		var err error
		if boolMask {
			mask, err = onesLike[bool](x.Shape(), true)
		} else {
			mask, err = maskOfType(x)
		}
		return []*tensors.Tensor{x, mask}, err
	}, nil
}

// checkDropoutMode accepts the optional ratio and training_mode inputs of
// Dropout 12 and 13 when they ask for inference, or for training with
// ratio 0 (which drops nothing).
func checkDropoutMode(ratio, training *tensors.Tensor) error {
	if training == nil {
		return nil
	}
	if training.DType() != tensors.Bool || training.Len() != 1 {
		return fmt.Errorf("training_mode %v must be a bool scalar", training)
	}
	if !tensors.Data[bool](training)[0] {
		return nil
	}
	r := 0.5
	if ratio != nil {
		v, err := tensors.AsFloat64s(ratio)
		if err != nil || len(v) != 1 || !ratio.DType().IsFloat() {
			return fmt.Errorf("ratio %v must be a float scalar", ratio)
		}
		r = v[0]
	}
	if r < 0 || r >= 1 {
		return fmt.Errorf("ratio %g is not in [0, 1)", r)
	}
	if r != 0 {
		return fmt.Errorf("training mode with ratio %g draws a random mask: %w", r, tensors.ErrUnsupported)
	}
	return nil
}

// onesLike returns a tensor of the given shape filled with v.
func onesLike[T tensors.Elem](shape []int, v T) (*tensors.Tensor, error) {
	t, d, err := tensors.Make[T](shape)
	if err != nil {
		return nil, err
	}
	for i := range d {
		d[i] = v
	}
	return t, nil
}

// maskOfType returns the all-keeping mask of Dropout before version 10: 1
// in x's element type.
func maskOfType(x *tensors.Tensor) (*tensors.Tensor, error) {
	switch x.DType() {
	case tensors.Float32:
		return onesLike[float32](x.Shape(), 1)
	case tensors.Float64:
		return onesLike[float64](x.Shape(), 1)
	}
	return nil, tensors.ErrDType("data", x.DType(), tensors.Float32, tensors.Float64)
}
