package ops

import (
	"fmt"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// DepthToSpace (1, 11, 13; mode DCR or CRD from 11) and SpaceToDepth (1,
// 13) rearrange N×C×H×W tensors of any element type between channels and
// blocksize×blocksize spatial blocks.
func init() {
	Register(Op{Type: "DepthToSpace", Since: []int{1, 11, 13}, Prepare: prepareDepthToSpace, Infer: inferRank4})
	Register(Op{Type: "SpaceToDepth", Since: []int{1, 13}, Prepare: prepareSpaceToDepth, Infer: inferRank4})
}

func readBlocksize(n *Node) (int, error) {
	b := n.Attrs.RequiredInt("blocksize")
	if err := n.Attrs.Err(); err != nil {
		return 0, err
	}
	if b < 1 || b > 1<<16 {
		return 0, fmt.Errorf("attribute blocksize = %d is out of range", b)
	}
	return b, nil
}

func prepareDepthToSpace(n *Node) (Kernel, error) {
	mode := "DCR"
	if n.Since >= 11 {
		mode = n.Attrs.Enum("mode", "DCR", "DCR", "CRD")
	}
	b, err := readBlocksize(n)
	if err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		xs := x.Shape()
		if len(xs) != 4 || xs[1]%(b*b) != 0 {
			return nil, fmt.Errorf("input %s must be 4-D with channels divisible by blocksize² = %d", tensors.FormatShape(xs), b*b)
		}
		nb, c, h, w := xs[0], xs[1], xs[2], xs[3]
		oc := c / (b * b)
		out := []int{nb, oc, h * b, w * b}
		src := make([]int, x.Len())
		i := 0
		for ni := 0; ni < nb; ni++ {
			for co := 0; co < oc; co++ {
				for y := 0; y < h*b; y++ {
					for xx := 0; xx < w*b; xx++ {
						by, bx := y%b, xx%b
						var ci int
						if mode == "DCR" {
							ci = (by*b+bx)*oc + co
						} else {
							ci = co*b*b + by*b + bx
						}
						src[i] = ((ni*c+ci)*h+y/b)*w + xx/b
						i++
					}
				}
			}
		}
		y, err := gatherElems(x, out, src, 0)
		return []*tensors.Tensor{y}, err
	}, nil
}

func prepareSpaceToDepth(n *Node) (Kernel, error) {
	b, err := readBlocksize(n)
	if err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		xs := x.Shape()
		if len(xs) != 4 || xs[2]%b != 0 || xs[3]%b != 0 {
			return nil, fmt.Errorf("input %s must be 4-D with height and width divisible by blocksize %d", tensors.FormatShape(xs), b)
		}
		nb, c, h, w := xs[0], xs[1], xs[2], xs[3]
		oh, ow := h/b, w/b
		out := []int{nb, c * b * b, oh, ow}
		src := make([]int, x.Len())
		i := 0
		for ni := 0; ni < nb; ni++ {
			for co := 0; co < c*b*b; co++ {
				by, bx, ci := co/(b*c), (co/c)%b, co%c
				for y := 0; y < oh; y++ {
					for xx := 0; xx < ow; xx++ {
						src[i] = ((ni*c+ci)*h+y*b+by)*w + xx*b + bx
						i++
					}
				}
			}
		}
		y, err := gatherElems(x, out, src, 0)
		return []*tensors.Tensor{y}, err
	}, nil
}

func inferRank4(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	return []tensors.Type{rankOf(in[0].DType, 4)}, nil
}
