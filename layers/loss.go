package layers

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/kernel"
)

// Epsilon is Keras's backend epsilon: categorical cross-entropy clips
// probabilities to [Epsilon, 1-Epsilon] before taking their logarithm.
const Epsilon = 1e-7

// SoftmaxCrossEntropy adds to logits' graph the Keras categorical
// cross-entropy of softmax(logits) against one-hot (or soft) labels: the
// mean over the batch of −Σ labels·log(clip(softmax(logits), ε, 1−ε)).
// Its gradient honours the clipping (zero where a probability is clipped),
// as TensorFlow's clip_by_value does. logits and labels are [N, K].
//
// correct reports, after each run of the graph, how many rows of that run
// had their largest probability at the largest label (Keras's categorical
// accuracy), which spares reading the logits back.
func SoftmaxCrossEntropy(logits, labels *G.Node) (loss *G.Node, correct func() int, err error) {
	if logits.Dims() != 2 || !logits.Shape().Eq(labels.Shape()) {
		return nil, nil, fmt.Errorf("layers: cross-entropy needs logits and labels of one [N, K] shape, got %v and %v", logits.Shape(), labels.Shape())
	}
	op := &cceOp{opBase: newBase("softmax_cce", 2)}
	loss, err = G.ApplyOp(op, logits, labels)
	return loss, func() int { return op.correct }, err
}

type cceOp struct {
	opBase
	correct int // rows classified right in the last run
}

func (o *cceOp) Type() hm.Type { return fnType(2, 2, 0) }
func (o *cceOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.ScalarShape(), nil
}
func (o *cceOp) Do(in ...G.Value) (G.Value, error) {
	z, err := dense(in[0])
	if err != nil {
		return nil, err
	}
	y, err := dense(in[1])
	if err != nil {
		return nil, err
	}
	k := z.Shape()[1]
	switch z.Dtype() {
	case tensor.Float32:
		s := backing[float32](z, y)
		var l float64
		l, o.correct = cceLoss(s[0], s[1], k)
		return G.NewF32(float32(l)), nil
	case tensor.Float64:
		s := backing[float64](z, y)
		var l float64
		l, o.correct = cceLoss(s[0], s[1], k)
		return G.NewF64(l), nil
	}
	return nil, fmt.Errorf("layers: cross-entropy: unsupported dtype %v", z.Dtype())
}

// cceLoss is the batch mean of the clipped cross-entropy, computed in float64
// from probabilities rounded to T as Keras holds them, and the number of rows
// whose most probable class is the labels' largest entry.
func cceLoss[T kernel.Float](z, y []T, k int) (loss float64, correct int) {
	p := make([]T, k)
	var total float64
	n := len(z) / k
	for r := 0; r < n; r++ {
		softmaxRows(z[r*k:(r+1)*k], p, k)
		if argmax(p) == argmax(y[r*k:(r+1)*k]) {
			correct++
		}
		for i, q := range p {
			if y[r*k+i] == 0 {
				continue
			}
			c := min(max(float64(q), Epsilon), 1-Epsilon)
			total -= float64(y[r*k+i]) * math.Log(c)
		}
	}
	return total / float64(n), correct
}

// argmax is the index of the first largest element.
func argmax[T kernel.Float](v []T) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

func (o *cceOp) DiffWRT(int) []bool { return []bool{true, false} }
func (o *cceOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	n, err := G.ApplyOp(&cceGradOp{newBase("softmax_cce_grad", 3)}, in[0], in[1], grad)
	return G.Nodes{n, nil}, err
}

// cceGradOp is the gradient of cceOp wrt the logits, from (z, y, dL).
type cceGradOp struct{ opBase }

func (o *cceGradOp) Type() hm.Type { return fnType(2, 2, 0, 2) }
func (o *cceGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(in[0])
	return s.Clone(), err
}
func (o *cceGradOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }
func (o *cceGradOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	z, err := dense(in[0])
	if err != nil {
		return nil, err
	}
	y, _ := dense(in[1])
	g, err := scalarOf(in[2])
	if err != nil {
		return nil, err
	}
	dz := output(prealloc, z.Dtype(), z.Shape()...)
	k := z.Shape()[1]
	return dz, floatDispatch(z, func() error {
		cceGrad(k, g, backing[float32](z, y, dz))
		return nil
	}, func() error {
		cceGrad(k, g, backing[float64](z, y, dz))
		return nil
	})
}

func cceGrad[T kernel.Float](k int, g float64, s operands[T]) {
	z, y, dz := s[0], s[1], s[2]
	n := len(z) / k
	scale := g / float64(n)
	p := make([]T, k)
	dp := make([]float64, k)
	for r := 0; r < n; r++ {
		softmaxRows(z[r*k:(r+1)*k], p, k)
		var dot float64
		for i, q := range p {
			dp[i] = 0
			if qv := float64(q); qv >= Epsilon && qv <= 1-Epsilon {
				dp[i] = -float64(y[r*k+i]) / qv
			}
			dot += dp[i] * float64(q)
		}
		for i, q := range p {
			dz[r*k+i] = T(scale * float64(q) * (dp[i] - dot))
		}
	}
}
