package ops

import (
	"fmt"
	"slices"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// MaxUnpool (9, 11): scatters X into a zero tensor at the flat indices I
// that MaxPool returned (indices into the whole unpooled tensor, N and C
// included, of N×C with spatial sizes (in-1)*strides + kernel_shape -
// pads). The optional input output_shape enlarges the output; each value
// keeps its coordinates.
func init() {
	Register(Op{Type: "MaxUnpool", Since: []int{9, 11}, Prepare: prepareMaxUnpool, Infer: inferMaxUnpool})
}

func prepareMaxUnpool(n *Node) (Kernel, error) {
	a := n.Attrs
	kernel := a.RequiredInts("kernel_shape")
	pads := a.Ints("pads", nil)
	strides := a.Ints("strides", nil)
	if err := a.Err(); err != nil {
		return nil, err
	}
	r := len(kernel)
	if (pads != nil && len(pads) != 2*r) || (strides != nil && len(strides) != r) {
		return nil, fmt.Errorf("attributes pads %v and strides %v do not match kernel_shape %v", pads, strides, kernel)
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x, idx := in[0], in[1]
		xs := x.Shape()
		if len(xs) != r+2 {
			return nil, fmt.Errorf("input X %s must have rank %d for kernel_shape %v", tensors.FormatShape(xs), r+2, kernel)
		}
		if !slices.Equal(idx.Shape(), xs) {
			return nil, fmt.Errorf("input I %s must have the shape of X %s", tensors.FormatShape(idx.Shape()), tensors.FormatShape(xs))
		}
		def := []int{xs[0], xs[1]}
		for i := 0; i < r; i++ {
			s, pb, pe := 1, 0, 0
			if strides != nil {
				s = strides[i]
			}
			if pads != nil {
				pb, pe = pads[i], pads[i+r]
			}
			if s < 1 || s > 1<<20 || kernel[i] < 1 || kernel[i] > 1<<20 || pb < 0 || pe < 0 {
				return nil, fmt.Errorf("kernel_shape, strides and pads are out of range on axis %d", i)
			}
			d := (xs[i+2]-1)*s + kernel[i] - pb - pe
			if d < 0 {
				return nil, fmt.Errorf("output size on spatial axis %d is negative (%d)", i, d)
			}
			def = append(def, d)
		}
		out := def
		if t := Input(in, 2); t != nil {
			v, err := tensors.AsInt64s(t)
			if err != nil {
				return nil, fmt.Errorf("input output_shape: %w", err)
			}
			if len(v) != len(xs) {
				return nil, fmt.Errorf("input output_shape has %d values, want %d", len(v), len(xs))
			}
			if out, err = tensors.ShapeFromInt64s(v); err != nil {
				return nil, fmt.Errorf("input output_shape: %w", err)
			}
			if out[0] != xs[0] || out[1] != xs[1] {
				return nil, fmt.Errorf("input output_shape %v must keep N and C of X %s", out, tensors.FormatShape(xs))
			}
		}
		total, err := tensors.CheckSize(x.DType(), out)
		if err != nil {
			return nil, fmt.Errorf("output: %w", err)
		}
		iv, err := tensors.AsInt64s(idx)
		if err != nil {
			return nil, fmt.Errorf("input I: %w", err)
		}
		src := make([]int, total)
		for i := range src {
			src[i] = -1
		}
		// Indices count positions in the default output shape; an
		// explicit output_shape keeps each at the same coordinates.
		defTotal := prodInts(def)
		defSt, outSt := tensors.Strides(def), tensors.Strides(out)
		for i, k := range iv {
			if k < 0 || k >= int64(defTotal) {
				return nil, fmt.Errorf("index I[%d] = %d is outside the unpooled tensor of shape %s", i, k, tensors.FormatShape(def))
			}
			rem, o := int(k), 0
			for a := range def {
				c := rem / defSt[a]
				rem %= defSt[a]
				if c >= out[a] {
					return nil, fmt.Errorf("index I[%d] = %d falls outside output_shape %v", i, k, out)
				}
				o += c * outSt[a]
			}
			src[o] = i
		}
		y, err := gatherElems(x, out, src, 0)
		return []*tensors.Tensor{y}, err
	}, nil
}

func inferMaxUnpool(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	x := in[0]
	if !x.RankKnown {
		return []tensors.Type{{DType: x.DType}}, nil
	}
	return []tensors.Type{rankOf(x.DType, len(x.Dims))}, nil
}
