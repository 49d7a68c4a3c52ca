package ops

import (
	"fmt"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Dropout. In inference mode the output is the input and the optional
// mask keeps everything (true; 1 of the input's type before version 10,
// when the mask had that type). Versions 1 and 6 say inference with
// is_test=1; 7 and 10 leave the mode to the runtime, which for onnxkit is
// inference; 12 and 13 take the mode as an optional training_mode input.
// Training with ratio r > 0 keeps each element with probability 1 - r and
// scales what it keeps by 1/(1 - r); the mask says which were kept. The
// seed attribute (12, 13) makes every run draw the same mask; without it
// each run draws a fresh one. Dropout is Volatile, so a training-mode
// node is never evaluated once at load time.

func init() {
	Register(Op{
		Type:     "Dropout",
		Since:    []int{1, 6, 7, 10, 12, 13},
		Prepare:  prepareDropout,
		Volatile: true,
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
	a.Ignore("consumed_inputs")
	if n.Since <= 10 {
		a.Float("ratio", 0.5) // only matters for training
	}
	if n.Since <= 6 && !a.Bool("is_test", false) {
		a.Fail("is_test", "training mode (is_test=0) of version %d is not supported: %w", n.Since, tensors.ErrUnsupported)
	}
	var src rngSource
	if n.Since >= 12 && a.Has("seed") {
		src = rngSource{seeded: true, seed: uint64(a.Int("seed", 0))}
	}
	if err := a.Err(); err != nil {
		return nil, err
	}
	boolMask := n.Since >= 10
	wantMask := n.HasOutput(1)
	mode := func(ratio, training *tensors.Tensor) (float64, bool, error) { return 0, false, nil }
	if n.Since >= 12 {
		mode = dropoutMode
		// Check constant mode inputs at load time already.
		if n.HasInput(2) && n.Const(2) != nil && (!n.HasInput(1) || n.Const(1) != nil) {
			if _, _, err := dropoutMode(n.Const(1), n.Const(2)); err != nil {
				return nil, err
			}
		}
	}
	return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		ratio, train, err := mode(Input(in, 1), Input(in, 2))
		if err != nil {
			return nil, err
		}
		if train && ratio > 0 {
			return dropoutTrain(x, ratio, src, wantMask)
		}
		if !wantMask {
			return Result(last, x), nil // x itself: last is only reused as a slice
		}
		var mask *tensors.Tensor
		if boolMask {
			mask, err = onesLike[bool](x.Shape(), true, last)
		} else {
			mask, err = maskOfType(x, last)
		}
		if err != nil {
			return nil, err
		}
		if cap(last) >= 2 {
			last = last[:2]
			last[0], last[1] = x, mask
			return last, nil
		}
		return []*tensors.Tensor{x, mask}, nil
	}), nil
}

// dropoutMode reads the optional ratio and training_mode inputs of
// Dropout 12 and 13: the ratio (0.5 by default) and whether to train.
func dropoutMode(ratio, training *tensors.Tensor) (float64, bool, error) {
	if training == nil {
		return 0, false, nil
	}
	if training.DType() != tensors.Bool || training.Len() != 1 {
		return 0, false, fmt.Errorf("training_mode %v must be a bool scalar", training)
	}
	if !tensors.Data[bool](training)[0] {
		return 0, false, nil
	}
	r := 0.5
	if ratio != nil {
		v, err := tensors.AsFloat64s(ratio)
		if err != nil || len(v) != 1 || !ratio.DType().IsFloat() {
			return 0, false, fmt.Errorf("ratio %v must be a float scalar", ratio)
		}
		r = v[0]
	}
	if !(r >= 0 && r < 1) {
		return 0, false, fmt.Errorf("ratio %g is not in [0, 1)", r)
	}
	return r, true, nil
}

// dropoutTrain zeroes each element of x with probability ratio and scales
// the others by 1/(1 - ratio).
func dropoutTrain(x *tensors.Tensor, ratio float64, src rngSource, wantMask bool) ([]*tensors.Tensor, error) {
	var mask *tensors.Tensor
	var keep []bool
	var err error
	if mask, keep, err = tensors.Make[bool](x.Shape()); err != nil {
		return nil, err
	}
	r := src.rand()
	for i := range keep {
		keep[i] = r.Float64() >= ratio
	}
	scale := 1 / (1 - ratio)
	var y *tensors.Tensor
	switch x.DType() {
	case tensors.Float32:
		y, err = dropoutApply(tensors.Data[float32](x), x.Shape(), keep, float32(scale))
	case tensors.Float64:
		y, err = dropoutApply(tensors.Data[float64](x), x.Shape(), keep, scale)
	default:
		return nil, fmt.Errorf("training mode: %w", tensors.ErrDType("data", x.DType(), tensors.Float32, tensors.Float64))
	}
	if err != nil {
		return nil, err
	}
	if !wantMask {
		return []*tensors.Tensor{y}, nil
	}
	return []*tensors.Tensor{y, mask}, nil
}

func dropoutApply[T float32 | float64](x []T, shape []int, keep []bool, scale T) (*tensors.Tensor, error) {
	y, d, err := tensors.Make[T](shape)
	if err != nil {
		return nil, err
	}
	for i, k := range keep {
		if k {
			d[i] = x[i] * scale
		}
	}
	return y, nil
}

// onesLike returns a tensor of the given shape filled with v, writing into
// last[1] (Dropout's mask output) when it can (see Recycle).
func onesLike[T tensors.Elem](shape []int, v T, last []*tensors.Tensor) (*tensors.Tensor, error) {
	t, d, err := Recycle[T](last, 1, shape) // the mask is output 1; filled again
	if err != nil || len(d) == 0 {
		return t, err
	}
	d[0] = v
	for n := 1; n < len(d); n *= 2 {
		copy(d[n:], d[:n]) // doubling the filled part: memmove, not a store per element
	}
	return t, nil
}

// maskOfType returns the all-keeping mask of Dropout before version 10: 1
// in x's element type.
func maskOfType(x *tensors.Tensor, last []*tensors.Tensor) (*tensors.Tensor, error) {
	switch x.DType() {
	case tensors.Float32:
		return onesLike[float32](x.Shape(), 1, last)
	case tensors.Float64:
		return onesLike[float64](x.Shape(), 1, last)
	}
	return nil, tensors.ErrDType("data", x.DType(), tensors.Float32, tensors.Float64)
}
