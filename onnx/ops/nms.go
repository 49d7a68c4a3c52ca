package ops

import (
	"fmt"
	"math"
	"sort"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// NonMaxSuppression (10, 11): per batch and class, boxes whose score
// exceeds score_threshold are taken greedily in decreasing score order
// (ties by box index), each dropped when its IoU with a box already kept
// exceeds iou_threshold, up to max_output_boxes_per_class (0 or absent:
// none). Boxes are [y1, x1, y2, x2] with the corners in either order
// (center_point_box 0) or [x_center, y_center, width, height] (1). The
// output lists [batch, class, box] triples, batch-major then class-major.
func init() {
	Register(Op{Type: "NonMaxSuppression", Since: []int{10, 11}, Prepare: prepareNMS, Infer: inferNMS})
}

func prepareNMS(n *Node) (Kernel, error) {
	center := n.Attrs.Int("center_point_box", 0)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	if center != 0 && center != 1 {
		return nil, fmt.Errorf("attribute center_point_box = %d, want 0 or 1", center)
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		boxes, scores := in[0], in[1]
		bs, ss := boxes.Shape(), scores.Shape()
		if len(bs) != 3 || bs[2] != 4 {
			return nil, fmt.Errorf("input boxes %s must be [batches, boxes, 4]", tensors.FormatShape(bs))
		}
		if len(ss) != 3 || ss[0] != bs[0] || ss[2] != bs[1] {
			return nil, fmt.Errorf("input scores %s must be [batches, classes, boxes] for boxes %s", tensors.FormatShape(ss), tensors.FormatShape(bs))
		}
		bv, err := floatInput(boxes, "boxes")
		if err != nil {
			return nil, err
		}
		sv, err := floatInput(scores, "scores")
		if err != nil {
			return nil, err
		}
		maxOut := int64(0)
		if t := Input(in, 2); t != nil && t.Len() > 0 {
			v, err := tensors.AsInt64s(t)
			if err != nil || len(v) != 1 {
				return nil, fmt.Errorf("input max_output_boxes_per_class must be one integer (%v)", err)
			}
			maxOut = max(v[0], 0)
		}
		iou, err := nmsScalar(Input(in, 3), "iou_threshold", 0)
		if err != nil {
			return nil, err
		}
		scoreTh, err := nmsScalar(Input(in, 4), "score_threshold", math.Inf(-1))
		if err != nil {
			return nil, err
		}
		nb, nc, nbox := bs[0], ss[1], bs[1]
		// Corners as y1, x1, y2, x2 with y1 <= y2, x1 <= x2.
		corners := make([]float64, len(bv))
		for i := 0; i < len(bv); i += 4 {
			a, b, c, d := bv[i], bv[i+1], bv[i+2], bv[i+3]
			if center == 1 {
				a, b, c, d = b-d/2, a-c/2, b+d/2, a+c/2
			}
			corners[i], corners[i+1], corners[i+2], corners[i+3] = min(a, c), min(b, d), max(a, c), max(b, d)
		}
		var sel []int64
		order := make([]int, 0, nbox)
		var kept []int
		for bi := 0; bi < nb; bi++ {
			for ci := 0; ci < nc; ci++ {
				sc := sv[(bi*nc+ci)*nbox : (bi*nc+ci+1)*nbox]
				order = order[:0]
				for i, s := range sc {
					if s > scoreTh {
						order = append(order, i)
					}
				}
				sort.SliceStable(order, func(a, b int) bool { return sc[order[a]] > sc[order[b]] })
				kept = kept[:0]
				for _, i := range order {
					if int64(len(kept)) >= maxOut {
						break
					}
					bx := corners[(bi*nbox+i)*4 : (bi*nbox+i+1)*4]
					ok := true
					for _, k := range kept {
						if boxIoU(bx, corners[(bi*nbox+k)*4:(bi*nbox+k+1)*4]) > iou {
							ok = false
							break
						}
					}
					if ok {
						kept = append(kept, i)
						sel = append(sel, int64(bi), int64(ci), int64(i))
					}
				}
			}
		}
		y, err := tensors.New([]int{len(sel) / 3, 3}, sel)
		if sel == nil {
			y, err = tensors.New([]int{0, 3}, []int64{})
		}
		return []*tensors.Tensor{y}, err
	}, nil
}

func nmsScalar(t *tensors.Tensor, what string, def float64) (float64, error) {
	if t == nil || t.Len() == 0 {
		return def, nil
	}
	v, err := floatInput(t, what)
	if err != nil {
		return 0, err
	}
	if len(v) != 1 {
		return 0, fmt.Errorf("input %s must hold one value, got shape %s", what, tensors.FormatShape(t.Shape()))
	}
	return v[0], nil
}

// boxIoU is the intersection over union of two [y1, x1, y2, x2] boxes.
func boxIoU(a, b []float64) float64 {
	ih := min(a[2], b[2]) - max(a[0], b[0])
	iw := min(a[3], b[3]) - max(a[1], b[1])
	if ih <= 0 || iw <= 0 {
		return 0
	}
	inter := ih * iw
	union := (a[2]-a[0])*(a[3]-a[1]) + (b[2]-b[0])*(b[3]-b[1]) - inter
	if union <= 0 {
		return 0
	}
	return inter / union
}

func inferNMS(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	return []tensors.Type{{DType: tensors.Int64, RankKnown: true, Dims: []tensors.Dim{tensors.UnknownDim, {Size: 3}}}}, nil
}
