package ops

import (
	"fmt"
	"slices"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// CenterCropPad (18) crops or zero-pads chosen axes of its input to the
// sizes of its shape input, keeping the input centered: a crop window
// starts at floor((in - out) / 2), and padding puts the odd pixel after
// the input. It moves elements of any type.
func init() {
	Register(Op{Type: "CenterCropPad", Since: []int{18}, Prepare: prepareCenterCropPad, Infer: inferCenterCropPad})
}

// centerCropPadShape returns the output shape: x's, with the axes given by
// axes (all when nil) set to the sizes in shape.
func centerCropPadShape(xShape []int, axes []int, shape []int64) ([]int, error) {
	r := len(xShape)
	if axes == nil {
		axes = make([]int, r)
		for i := range axes {
			axes[i] = i
		}
	}
	norm, err := tensors.NormalizeAxes(axes, r)
	if err != nil {
		return nil, err
	}
	if len(shape) != len(norm) {
		return nil, fmt.Errorf("shape has %d sizes for %d axes", len(shape), len(norm))
	}
	out := slices.Clone(xShape)
	for i, a := range norm {
		if shape[i] < 0 || shape[i] > tensors.MaxElements {
			return nil, fmt.Errorf("shape %v: invalid size %d", shape, shape[i])
		}
		out[a] = int(shape[i])
	}
	return out, nil
}

func prepareCenterCropPad(n *Node) (Kernel, error) {
	axes := n.Attrs.Ints("axes", nil)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		shape, err := tensors.ReadIntsInput(in[1], "shape")
		if err != nil {
			return nil, err
		}
		outShape, err := centerCropPadShape(x.Shape(), axes, shape)
		if err != nil {
			return nil, err
		}
		y, err := tensors.Alloc(x.DType(), outShape) // zero padding
		if err != nil {
			return nil, err
		}
		if y.Len() == 0 || x.Len() == 0 {
			return []*tensors.Tensor{y}, nil
		}
		mv, err := tensors.MoverFor(x.DType())
		if err != nil {
			return nil, err
		}
		// Per axis: the overlap of input and output, as a start in each
		// and a length.
		r := x.Rank()
		srcAt, dstAt, size := make([]int, r), make([]int, r), make([]int, r)
		for a := range r {
			i, o := x.Shape()[a], outShape[a]
			if i >= o {
				srcAt[a], size[a] = (i-o)/2, o
			} else {
				dstAt[a], size[a] = (o-i)/2, i
			}
		}
		if r == 0 {
			mv.Copy(y.Data(), x.Data(), 0, 0, 1)
			return []*tensors.Tensor{y}, nil
		}
		// Copy the overlap one run of the last axis at a time.
		xs, ys := tensors.Strides(x.Shape()), tensors.Strides(outShape)
		idx := make([]int, r-1)
		for {
			s, d := srcAt[r-1], dstAt[r-1]
			for a := range r - 1 {
				s += (srcAt[a] + idx[a]) * xs[a]
				d += (dstAt[a] + idx[a]) * ys[a]
			}
			mv.Copy(y.Data(), x.Data(), d, s, size[r-1])
			a := r - 2
			for ; a >= 0; a-- {
				if idx[a]++; idx[a] < size[a] {
					break
				}
				idx[a] = 0
			}
			if a < 0 {
				break
			}
		}
		return []*tensors.Tensor{y}, nil
	}, nil
}

func inferCenterCropPad(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	x := in[0]
	out := tensors.Type{DType: x.DType}
	if !x.RankKnown {
		return []tensors.Type{out}, nil
	}
	out.RankKnown, out.Dims = true, slices.Clone(x.Dims)
	axes := n.Attrs.Ints("axes", nil)
	if axes == nil {
		axes = make([]int, len(x.Dims))
		for i := range axes {
			axes[i] = i
		}
	}
	norm, err := tensors.NormalizeAxes(axes, len(x.Dims))
	if err != nil {
		return nil, err
	}
	var shape []int64
	if c := n.Const(1); c != nil {
		if shape, err = tensors.ReadIntsInput(c, "shape"); err != nil {
			return nil, err
		}
		if len(shape) != len(norm) {
			return nil, fmt.Errorf("shape has %d sizes for %d axes", len(shape), len(norm))
		}
	}
	for i, a := range norm {
		out.Dims[a] = tensors.UnknownDim
		if shape != nil && shape[i] >= 0 && shape[i] <= tensors.MaxElements {
			out.Dims[a] = tensors.Dim{Size: int(shape[i])}
		}
	}
	return []tensors.Type{out}, nil
}
