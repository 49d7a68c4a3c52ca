package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Losses: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (12, 13).
//
// The input is N×C or N×C×d1×...×dk and the integer target N or
// N×d1×...×dk. Element loss is -input[n, t, d...] * weight[t] (weight 1
// without the weight input); targets equal to ignore_index contribute 0
// with weight 0. reduction none keeps the element losses, sum adds them,
// mean (the default) divides the sum by the sum of the weights used.
// SoftmaxCrossEntropyLoss applies this to the log-softmax of its scores
// over axis 1 and can also return that log-softmax (log_prob).
func init() {
	Register(Op{Type: "NegativeLogLikelihoodLoss", Since: []int{12, 13}, Prepare: prepareNLL, Infer: inferLoss})
	Register(Op{Type: "SoftmaxCrossEntropyLoss", Since: []int{12, 13}, Prepare: prepareSCE, Infer: inferLoss})
}

type lossAttrs struct {
	reduction string
	ignore    int64
	hasIgnore bool
}

func readLossAttrs(n *Node) (lossAttrs, error) {
	var l lossAttrs
	l.reduction = n.Attrs.Enum("reduction", "mean", "none", "sum", "mean")
	l.hasIgnore = n.Attrs.Has("ignore_index")
	l.ignore = int64(n.Attrs.Int("ignore_index", 0))
	return l, n.Attrs.Err()
}

// nll computes the loss from log-probabilities lp (shape N×C×D, D the
// product of the trailing axes) and the targets.
func (l lossAttrs) nll(lp []float64, shape []int, target, weight *tensors.Tensor) ([]float64, []int, error) {
	if len(shape) < 2 {
		return nil, nil, fmt.Errorf("input %s must have rank >= 2 (N, C, ...)", tensors.FormatShape(shape))
	}
	ts := target.Shape()
	want := append([]int{shape[0]}, shape[2:]...)
	if !slices.Equal(ts, want) {
		return nil, nil, fmt.Errorf("input target %s must have shape %s", tensors.FormatShape(ts), tensors.FormatShape(want))
	}
	tv, err := tensors.AsInt64s(target)
	if err != nil {
		return nil, nil, fmt.Errorf("input target: %w", err)
	}
	c := shape[1]
	var wv []float64
	if weight != nil {
		if ws := weight.Shape(); len(ws) != 1 || ws[0] != c {
			return nil, nil, fmt.Errorf("input weight %s must be [%d]", tensors.FormatShape(ws), c)
		}
		if wv, err = floatInput(weight, "weight"); err != nil {
			return nil, nil, err
		}
	}
	d := prodInts(shape[2:])
	loss := make([]float64, len(tv))
	wsum, sum := 0.0, 0.0
	for i, t := range tv {
		if l.hasIgnore && t == l.ignore {
			continue
		}
		if t < 0 || t >= int64(c) {
			return nil, nil, fmt.Errorf("target value %d at index %d is outside [0, %d)", t, i, c)
		}
		w := 1.0
		if wv != nil {
			w = wv[t]
		}
		nb, k := i/d, i%d
		loss[i] = -lp[(nb*c+int(t))*d+k] * w
		wsum += w
		sum += loss[i]
	}
	switch l.reduction {
	case "sum":
		return []float64{sum}, []int{}, nil
	case "mean":
		if wsum == 0 {
			return []float64{0}, []int{}, nil
		}
		return []float64{sum / wsum}, []int{}, nil
	}
	return loss, ts, nil
}

func prepareNLL(n *Node) (Kernel, error) {
	l, err := readLossAttrs(n)
	if err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		v, err := floatInput(x, "input")
		if err != nil {
			return nil, err
		}
		loss, shape, err := l.nll(v, x.Shape(), in[1], Input(in, 2))
		if err != nil {
			return nil, err
		}
		y, err := fromFloat64s(x.DType(), slices.Clone(shape), loss)
		return []*tensors.Tensor{y}, err
	}, nil
}

func prepareSCE(n *Node) (Kernel, error) {
	l, err := readLossAttrs(n)
	if err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		xs := x.Shape()
		v, err := floatInput(x, "scores")
		if err != nil {
			return nil, err
		}
		if len(xs) < 2 {
			return nil, fmt.Errorf("input scores %s must have rank >= 2 (N, C, ...)", tensors.FormatShape(xs))
		}
		c, d := xs[1], prodInts(xs[2:])
		for nb := 0; nb < xs[0]; nb++ {
			for k := 0; k < d; k++ {
				base := nb*c*d + k
				m := math.Inf(-1)
				for j := 0; j < c; j++ {
					m = max(m, v[base+j*d])
				}
				s := 0.0
				for j := 0; j < c; j++ {
					s += math.Exp(v[base+j*d] - m)
				}
				ls := m + math.Log(s)
				for j := 0; j < c; j++ {
					v[base+j*d] -= ls
				}
			}
		}
		loss, shape, err := l.nll(v, xs, in[1], Input(in, 2))
		if err != nil {
			return nil, err
		}
		y, err := fromFloat64s(x.DType(), slices.Clone(shape), loss)
		if err != nil {
			return nil, err
		}
		if !n.HasOutput(1) {
			out := []*tensors.Tensor{y, nil}
			return out[:len(n.Outputs)], nil
		}
		lp, err := fromFloat64s(x.DType(), slices.Clone(xs), v)
		return []*tensors.Tensor{y, lp}, err
	}, nil
}

func inferLoss(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	return []tensors.Type{{DType: in[0].DType}, in[0]}[:len(n.Outputs)], nil
}
