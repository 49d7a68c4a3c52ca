package onnx

import (
	"fmt"
	"math"
	"slices"

	"github.com/onnxkit/onnxkit/onnx/ops"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// channelAffine is y = x·scale[c] + shift[c] per channel c (axis 1 of
// an image): what an inference BatchNormalization and the Mul and Add of
// per-channel constants after it (Caffe's BatchNorm and Scale layers, as
// onnx_light_densenet121 and Inception exports write them) compute
// together. It is folded into the convolution before it (foldAffine) or,
// after anything else, into that BatchNormalization's parameters
// (batchNormAffine).
type channelAffine struct {
	bn           *step     // the BatchNormalization it starts with, or nil
	bnMul, bnOff []float64 // bn's multiplier and offset (batchNormCoefs)
	// scale and shift are what the Mul and Add steps after bn compute
	// (nil: 1 and 0 everywhere).
	scale, shift []float64
	absorbed     []int // the steps it stands for
	inner        []int // the values they compute but the last
	out          int   // the slot of its result
	baked        []int // the overridable inputs its constants come from
}

// affineAfter collects the channelAffine computed from slot in (m channels
// along axis 1), each step the sole reader of the value before it: an
// inference BatchNormalization with constant parameters when withBN is
// set, then any number of Mul and Add steps by per-channel constants
// (channelVector). ok is false when there is none.
func (g *graph) affineAfter(in, m int, withBN bool, readers [][]int, isOut []bool) (a channelAffine, ok bool) {
	cur := in
	if withBN {
		if j, bn := g.soleReader(cur, "BatchNormalization", readers, isOut); bn != nil {
			if mul, off, baked, ok := g.batchNormCoefs(bn, m); ok {
				a.bn, a.bnMul, a.bnOff, a.baked = bn, mul, off, baked
				a.absorbed, a.inner = append(a.absorbed, j), append(a.inner, cur)
				cur = bn.out[0]
			}
		}
	}
	for {
		j, st := g.soleReader(cur, "Mul", readers, isOut)
		if st == nil {
			j, st = g.soleReader(cur, "Add", readers, isOut)
		}
		if st == nil {
			break
		}
		c, baked := g.channelVector(st, cur, m)
		if c == nil || c.Len() != m {
			break
		}
		v, err := tensors.AsFloat64s(c)
		if err != nil {
			break
		}
		if st.c.Node.Type == "Mul" {
			a.scale = mulInto(a.scale, v)
			if a.shift != nil {
				a.shift = mulInto(a.shift, v)
			}
		} else {
			a.shift = addInto(a.shift, v)
		}
		a.baked = append(a.baked, baked...)
		a.absorbed, a.inner = append(a.absorbed, j), append(a.inner, cur)
		cur = st.out[0]
	}
	a.out = cur
	return a, len(a.absorbed) > 0
}

// mulInto returns x·v elementwise (x nil: v), reusing x.
func mulInto(x, v []float64) []float64 {
	if x == nil {
		return slices.Clone(v)
	}
	for i := range x {
		x[i] *= v[i]
	}
	return x
}

// addInto returns x+v elementwise (x nil: v), reusing x.
func addInto(x, v []float64) []float64 {
	if x == nil {
		return slices.Clone(v)
	}
	for i := range x {
		x[i] += v[i]
	}
	return x
}

// total returns the multiplier and offset per channel of the whole of a:
// its BatchNormalization's then the steps' after it (nil: 1 or 0
// everywhere).
func (a *channelAffine) total() (scale, shift []float64) {
	if a.bn == nil {
		return a.scale, a.shift
	}
	scale, shift = slices.Clone(a.bnMul), slices.Clone(a.bnOff)
	if a.scale != nil {
		scale, shift = mulInto(scale, a.scale), mulInto(shift, a.scale)
	}
	if a.shift != nil {
		shift = addInto(shift, a.shift)
	}
	return scale, shift
}

// batchNormCoefs returns the multiplier scale/√(var+ε) and the offset
// B - mean·multiplier per channel of the inference BatchNormalization bn
// of m channels, when its four parameters are constants of one
// floating-point type (or values computed from the defaults of
// overridable inputs: baked lists those, see graph.assumedConst).
func (g *graph) batchNormCoefs(bn *step, m int) (mul, off []float64, baked []int, ok bool) {
	n := bn.c.Node
	if len(bn.in) != 5 || len(bn.out) != 1 || bn.in[0] < 0 {
		return nil, nil, nil, false
	}
	if n.Attrs.Int("training_mode", 0) != 0 || n.Attrs.Int("spatial", 1) != 1 {
		return nil, nil, nil, false
	}
	eps := float64(n.Attrs.Float("epsilon", 1e-5))
	if n.Attrs.Err() != nil {
		return nil, nil, nil, false
	}
	params := make([][]float64, 4) // scale, B, mean, var
	var dt tensors.DType
	for i := range params {
		c, roots := g.assumedConst(bn.in[1+i])
		if c == nil || !c.DType().IsFloat() || c.Len() != m || (i > 0 && c.DType() != dt) {
			return nil, nil, nil, false
		}
		dt = c.DType()
		v, err := tensors.AsFloat64s(c)
		if err != nil {
			return nil, nil, nil, false
		}
		params[i], baked = v, append(baked, roots...)
	}
	mul, off = make([]float64, m), make([]float64, m)
	for o := range m {
		mul[o] = params[0][o] / math.Sqrt(params[3][o]+eps)
		off[o] = params[1][o] - params[2][o]*mul[o]
	}
	return mul, off, baked, true
}

// foldAffine folds a, computed from the output of the convolution conv
// (inputs in), into the convolution, as onnxruntime folds a
// BatchNormalization at load: W' = W·scale and B' = B·scale + shift per
// output channel (only the bias when a scales nothing: B' = B + shift, or
// the shift alone as the bias of a convolution without one). The weights
// (when scaled) and the bias must be constants of the element type of the
// convolution's output, or values computed from defaults (baked lists
// those, see graph.assumedConst). It returns the convolution's inputs
// with the new constants and whether the weights are new; ok is false
// when a cannot be folded.
func (g *graph) foldAffine(conv *step, in []int, a channelAffine) (folded, baked []int, newW, ok bool) {
	constOf := func(s int) *tensors.Tensor {
		t, roots := g.assumedConst(s)
		baked = append(baked, roots...)
		return t
	}
	dt := g.types[conv.out[0]].DType
	m := g.channels(conv.out[0], in[1])
	if len(in) < 2 || in[1] < 0 || !dt.IsFloat() || m <= 0 {
		return nil, nil, false, false
	}
	scale, shift := a.total()
	if scale != nil && len(scale) != m || shift != nil && len(shift) != m {
		return nil, nil, false, false
	}
	var bv []float64
	if len(in) > 2 && in[2] >= 0 {
		b := constOf(in[2])
		if b == nil || b.DType() != dt || b.Len() != m {
			return nil, nil, false, false
		}
		var err error
		if bv, err = tensors.AsFloat64s(b); err != nil {
			return nil, nil, false, false
		}
	}
	nb := make([]float64, m)
	for o := range nb {
		if bv != nil {
			nb[o] = bv[o]
		}
		if scale != nil {
			nb[o] *= scale[o]
		}
		if shift != nil {
			nb[o] += shift[o]
		}
	}
	ws := in[1]
	if scale != nil {
		w := constOf(in[1])
		if w == nil || w.DType() != dt || w.Rank() < 3 || w.Shape()[0] != m {
			return nil, nil, false, false
		}
		wv, err := tensors.AsFloat64s(w)
		if err != nil {
			return nil, nil, false, false
		}
		per := len(wv) / m
		for o := range m {
			for i := o * per; i < (o+1)*per; i++ {
				wv[i] *= scale[o]
			}
		}
		if ws, err = g.newConst("folded-weights", dt, w.Shape(), wv); err != nil {
			return nil, nil, false, false
		}
	}
	bs, err := g.newConst("folded-bias", dt, []int{m}, nb)
	if err != nil {
		return nil, nil, false, false
	}
	return []int{in[0], ws, bs}, append(baked, a.baked...), scale != nil, true
}

// batchNormAffine returns the inputs of a BatchNormalization computing
// a (which starts with it) in one step: scale' = scale·s and B' = B·s + t
// for the Mul and Add after it (s, t), its mean and variance unchanged;
// ok is false when its scale and B are not constants (or values computed
// from defaults: baked lists those).
func (g *graph) batchNormAffine(a channelAffine) (in, baked []int, ok bool) {
	bn := a.bn
	if bn == nil || len(bn.in) != 5 {
		return nil, nil, false
	}
	dt := g.types[bn.out[0]].DType
	params := make([][]float64, 2)
	for i := range params {
		c, roots := g.assumedConst(bn.in[1+i])
		if c == nil || c.DType() != dt {
			return nil, nil, false
		}
		v, err := tensors.AsFloat64s(c)
		if err != nil {
			return nil, nil, false
		}
		params[i], baked = v, append(baked, roots...)
	}
	scale, shift := params[0], params[1]
	for o := range scale {
		if a.scale != nil {
			scale[o] *= a.scale[o]
			shift[o] *= a.scale[o]
		}
		if a.shift != nil {
			shift[o] += a.shift[o]
		}
	}
	m := len(scale)
	ss, err := g.newConst("folded-scale", dt, []int{m}, scale)
	if err != nil {
		return nil, nil, false
	}
	bs, err := g.newConst("folded-shift", dt, []int{m}, shift)
	if err != nil {
		return nil, nil, false
	}
	return []int{bn.in[0], ss, bs, bn.in[3], bn.in[4]}, append(baked, a.baked...), true
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
