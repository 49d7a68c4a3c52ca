package onnx

import (
	"fmt"
	"math"

	"github.com/onnxkit/onnxkit/onnx/ops"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// foldBatchNorm folds an inference BatchNormalization bn that alone reads
// the output of the convolution conv into the convolution's weights and
// bias, as onnxruntime does at load: with s = scale/√(var+ε) per output
// channel, W' = W·s and B' = (B - mean)·s + bias. It needs W, the
// convolution's bias (if any) and bn's four parameters to be constants
// of one floating-point type, and returns the convolution's inputs with W'
// and B' in new constant slots; ok is false when bn cannot be folded. A
// constant may be the default of an overridable input (an initializer
// listed as a graph input, as PyTorch's IR version 3 exports have it) or a
// value computed from such defaults (see graph.assumedConst): baked then
// lists those inputs' slots, for the plans without fusion to
// serve the runs that override them (see overridesBaked).
func (g *graph) foldBatchNorm(conv, bn *step) (in, baked []int, ok bool) {
	constOf := func(s int) *tensors.Tensor {
		t, roots := g.assumedConst(s)
		baked = append(baked, roots...)
		return t
	}
	n := bn.c.Node
	if len(bn.in) != 5 || len(bn.out) != 1 || len(conv.in) < 2 {
		return nil, nil, false
	}
	if n.Attrs.Int("training_mode", 0) != 0 || n.Attrs.Int("spatial", 1) != 1 {
		return nil, nil, false
	}
	eps := float64(n.Attrs.Float("epsilon", 1e-5))
	if n.Attrs.Err() != nil || bn.in[0] != conv.out[0] {
		return nil, nil, false
	}
	w := constOf(conv.in[1])
	if w == nil || !w.DType().IsFloat() || w.Rank() < 3 {
		return nil, nil, false
	}
	m := w.Shape()[0]
	var b *tensors.Tensor
	if len(conv.in) > 2 && conv.in[2] >= 0 {
		if b = constOf(conv.in[2]); b == nil {
			return nil, nil, false
		}
	}
	params := make([][]float64, 4) // scale, bias, mean, var
	for i := range params {
		c := constOf(bn.in[1+i])
		if c == nil || c.DType() != w.DType() || c.Len() != m {
			return nil, nil, false
		}
		v, err := tensors.AsFloat64s(c)
		if err != nil {
			return nil, nil, false
		}
		params[i] = v
	}
	wv, err := tensors.AsFloat64s(w)
	if err != nil {
		return nil, nil, false
	}
	bv := make([]float64, m)
	if b != nil {
		if b.DType() != w.DType() || b.Len() != m {
			return nil, nil, false
		}
		if bv, err = tensors.AsFloat64s(b); err != nil {
			return nil, nil, false
		}
	}
	scale, shift, mean, vari := params[0], params[1], params[2], params[3]
	per := len(wv) / max(m, 1)
	nw, nb := make([]float64, len(wv)), make([]float64, m)
	for o := 0; o < m; o++ {
		s := scale[o] / math.Sqrt(vari[o]+eps)
		for i := o * per; i < (o+1)*per; i++ {
			nw[i] = wv[i] * s
		}
		nb[o] = (bv[o]-mean[o])*s + shift[o]
	}
	ws, err := g.newConst("folded-weights", w.DType(), w.Shape(), nw)
	if err != nil {
		return nil, nil, false
	}
	bs, err := g.newConst("folded-bias", w.DType(), []int{m}, nb)
	if err != nil {
		return nil, nil, false
	}
	return []int{conv.in[0], ws, bs}, baked, true
}

// newConst adds a constant slot of element type dt and the given shape
// holding vals, under a name no model value has.
func (g *graph) newConst(what string, dt tensors.DType, shape []int, vals []float64) (int, error) {
	t, err := tensors.New(shape, vals)
	if err != nil {
		return -1, err
	}
	if dt != tensors.Float64 {
		if t, err = ops.CastTensor(t, dt); err != nil {
			return -1, err
		}
	}
	name := fmt.Sprintf("onnxkit/%s/%d", what, len(g.names))
	for _, taken := g.slots[name]; taken; _, taken = g.slots[name] {
		name += "'"
	}
	s := g.newSlot(name)
	g.consts[s] = t
	g.types[s] = tensors.KnownType(dt, shape)
	return s, nil
}
