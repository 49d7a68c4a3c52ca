package onnx

import (
	"fmt"
	"math"
	"slices"

	"github.com/onnxkit/onnxkit/internal/kernel"
	"github.com/onnxkit/onnxkit/onnx/ops"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// fusion is a convolution and the nodes after it that it can compute in
// the same pass: an inference BatchNormalization and the Mul and Add of
// per-channel constants (folded into its weights and bias, see
// foldAffine) and a Relu, Clip, HardSwish or SiLU.
type fusion struct {
	step     int   // the fused step, or -1
	absorbed []int // the steps it stands for besides the convolution
	inner    []int // the values it does not compute: they must not be fetched
}

// fuse finds the convolutions that can compute, in the same pass, the
// nodes that alone read their output: a BatchNormalization with constant
// parameters and any Mul and Add of per-channel constants after it
// (folded into new constant weights and bias, see foldAffine; an Add
// alone only changes the bias) and then a Relu (ops.Compiled.WithRelu), or instead of the
// Relu a Clip, a HardSigmoid, a HardSwish (HardSigmoid(x)·x) or a SiLU (Sigmoid(x)·x; see activationAfter;
// ops.Compiled.WithActivation), and after those a 2-D float32 MaxPool that
// alone reads the result (ops.Compiled.WithPool: kernel.Conv2DPool pools
// chunks of images while their convolution output is in cache). For each
// it adds a step that does; plans run it in place of the separate steps
// when they do not fetch the values in between. onnxruntime fuses the
// same, but for the MaxPool. Then it runs the
// passes fusing a Gemm, Add or Sum with a Relu (fuseRelu), a MatMul with the Add
// of a bias and a Relu (fuseMatMulAdd), and a BatchNormalization with the
// Mul, Add and Relu after it (fuseBatchNorm).
func (g *graph) fuse() {
	g.fused = make([]fusion, len(g.steps))
	for i := range g.fused {
		g.fused[i].step = -1
	}
	readers := make([][]int, len(g.names))
	for i, st := range g.steps {
		for _, s := range st.in {
			if s >= 0 && !slices.Contains(readers[s], i) {
				readers[s] = append(readers[s], i)
			}
		}
	}
	isOut := make([]bool, len(g.names))
	for _, s := range g.outSlot {
		isOut[s] = true
	}
	next := func(s int, op string) (int, *step) { return g.soleReader(s, op, readers, isOut) }
	n0 := len(g.steps)
	for i, st := range g.steps { // the steps before the ones appended below
		if st.c.Node.Type != "Conv" || st.c.Node.Domain != "" || len(st.out) != 1 || st.out[0] < 0 {
			continue
		}
		f := fusion{step: -1}
		in, cur, kern := st.in, st.out[0], st.c.Recycling
		if m := g.channels(cur, in[1]); m > 0 {
			if a, ok := g.affineAfter(cur, m, true, readers, isOut); ok {
				if folded, baked, newW, ok := g.foldAffine(st, in, a); ok {
					for _, b := range baked {
						if !slices.Contains(g.baked, b) {
							g.baked = append(g.baked, b)
						}
					}
					in = folded
					if newW && st.c.ConstInput != nil {
						st.c.ConstInput(1, g.consts[in[1]])
					}
					f.absorbed, f.inner = append(f.absorbed, a.absorbed...), append(f.inner, a.inner...)
					cur = a.out
				}
			}
		}
		// Then the Add of a value computed before the convolution (a
		// ResNet's skip connection) and a Relu after it: added to each
		// tile of the output as it is computed.
		if r, j, add := g.residualAdd(st, i, cur, readers, isOut); add != nil {
			base := in
			if len(base) < 3 {
				base = append(slices.Clone(base), -1) // no bias
			}
			in = append(slices.Clone(base[:3]), r)
			f.absorbed, f.inner = append(f.absorbed, j), append(f.inner, cur)
			cur = add.out[0]
			relu := false
			if k, rl := next(cur, "Relu"); rl != nil && len(rl.in) == 1 {
				f.absorbed, f.inner = append(f.absorbed, k), append(f.inner, cur)
				cur, relu = rl.out[0], true
			}
			in = g.bakeAssumed(st, in)
			g.addFused(i, f, st.c.WithResidual(relu), in, cur)
			continue
		}
		activated, relued := false, false
		var act kernel.Activation
		if st.c.WithActivation != nil && !isOut[cur] {
			if a, absorbed, inner, out, ok := g.activationAfter(cur, readers, isOut); ok {
				kern, act = st.c.WithActivation(a), a
				f.absorbed, f.inner = append(f.absorbed, absorbed...), append(f.inner, inner...)
				cur, activated = out, true
			}
		}
		if st.c.WithRelu != nil && !activated {
			if j, relu := next(cur, "Relu"); relu != nil && len(relu.in) == 1 {
				kern, relued = st.c.WithRelu, true
				f.absorbed, f.inner = append(f.absorbed, j), append(f.inner, cur)
				cur = relu.out[0]
			}
		}
		// Then a MaxPool, pooled while the convolution's output is in
		// cache (kernel.Conv2DPool): float32 images only.
		if t := g.types[cur]; st.c.WithPool != nil && t.DType == tensors.Float32 && t.RankKnown && len(t.Dims) == 4 {
			if j, mp := next(cur, "MaxPool"); mp != nil && mp.c.Pool != nil {
				kern = st.c.WithPool(mp.c.Pool, relued, act)
				f.absorbed, f.inner = append(f.absorbed, j), append(f.inner, cur)
				cur = mp.out[0]
			}
		}
		if kern == nil || len(f.absorbed) == 0 && !g.readsAssumed(in[1:]) {
			continue
		}
		// Alone, a convolution whose weights an IR version 3 model
		// computes from defaults still gets a step holding them as
		// constants: packed once (and transformed for Winograd), not
		// computed and packed every run.
		in = g.bakeAssumed(st, in)
		g.addFused(i, f, kern, in, cur)
	}
	g.fuseRelu(n0, readers, isOut)
	g.fuseMatMulAdd(n0, readers, isOut)
	g.fuseBatchNorm(n0, readers, isOut)
	g.bakeLone(n0)
}

// residualAdd returns, when the sole reader of slot cur (the float32
// output of the convolution st, step i) is an Add or a Sum of cur and one
// other value r computed before step i (a skip connection: not a
// constant, not cur), r, that step's index and the step; else a nil step.
func (g *graph) residualAdd(st *step, i, cur int, readers [][]int, isOut []bool) (r, j int, add *step) {
	if st.c.WithResidual == nil || g.types[cur].DType != tensors.Float32 {
		return -1, -1, nil
	}
	for _, op := range []string{"Add", "Sum"} {
		j, a := g.soleReader(cur, op, readers, isOut)
		if a == nil || len(a.in) != 2 {
			continue
		}
		r := a.in[0]
		if r == cur {
			r = a.in[1]
		}
		if r < 0 || r == cur || g.consts[r] != nil || g.defaults[r] != nil || g.types[r].DType != tensors.Float32 {
			return -1, -1, nil
		}
		if p := g.producer[r]; p >= i {
			return -1, -1, nil // computed after the convolution's place in the plan
		}
		return r, j, a
	}
	return -1, -1, nil
}

// readsAssumed reports whether one of the slots in is a value computed
// at load from defaults of overridable inputs (graph.assumedConst) rather
// than a constant.
func (g *graph) readsAssumed(in []int) bool {
	for _, s := range in {
		if s < 0 || g.consts[s] != nil {
			continue
		}
		if t, roots := g.assumedConst(s); t != nil && len(roots) > 0 {
			return true
		}
	}
	return false
}

// bakeLone adds, for each of the first n steps that nothing fused and
// that is a BatchNormalization (inference), a Gemm or a MatMul reading
// values an IR version 3 model computes from the defaults of overridable
// inputs (as onnx_light_densenet121's BatchNormalization parameters after
// each concatenation, onnx_light_shufflenet's classifier weights: a
// ConstantOfShape of a default shape each), a step holding those as
// constants (bakeAssumed), told to the kernel at load: a
// BatchNormalization folds its parameters into one multiplier and offset
// per channel once and applies them across the workers, a Gemm or MatMul
// packs its weights once, and the plan no longer computes them. Runs that
// override a default take the unfused plan.
func (g *graph) bakeLone(n int) {
	for i, st := range g.steps[:n] {
		switch st.c.Node.Type {
		case "BatchNormalization", "Gemm", "MatMul":
		default:
			continue
		}
		if st.c.Node.Domain != "" || st.c.ConstInput == nil || len(st.in) < 2 || len(st.out) != 1 || st.out[0] < 0 ||
			g.fused[i].step >= 0 || !g.readsAssumed(st.in[1:]) {
			continue
		}
		in := g.bakeAssumed(st, st.in)
		if st.c.Node.Type == "BatchNormalization" {
			g.tellBatchNorm(st, in)
		}
		g.addFused(i, fusion{}, st.c.Recycling, in, st.out[0])
	}
}

// tellBatchNorm tells the BatchNormalization st the constants among its
// parameters in (scale, B, mean, var: all four, baked or the model's, let
// it fold them once).
func (g *graph) tellBatchNorm(st *step, in []int) {
	if st.c.ConstInput == nil || len(in) != 5 {
		return
	}
	for k := 1; k <= 4; k++ {
		if in[k] >= 0 && g.consts[in[k]] != nil {
			st.c.ConstInput(k, g.consts[in[k]])
		}
	}
}

// fuseBatchNorm fuses each of the first n steps that is an inference
// BatchNormalization (one not after a convolution, which folds it: after
// a concatenation or a pooling, as DenseNet's and Inception's) with the
// Mul and Add steps by per-channel constants after it (folded into its
// scale and B, see batchNormAffine) and the Relu after those
// (ops.Compiled.WithRelu: each plane passes through the Relu as it is
// computed), each the sole reader of the value before, holding as
// constants the parameters an IR version 3 model computes from defaults
// (bakeAssumed).
func (g *graph) fuseBatchNorm(n int, readers [][]int, isOut []bool) {
	for i, st := range g.steps[:n] {
		if st.c.Node.Type != "BatchNormalization" || st.c.Node.Domain != "" ||
			len(st.in) != 5 || len(st.out) != 1 || st.out[0] < 0 || g.fused[i].step >= 0 {
			continue
		}
		if dt := g.types[st.out[0]].DType; dt != tensors.Float32 && dt != tensors.Float64 {
			continue
		}
		var f fusion
		in, cur := st.in, st.out[0]
		if m := g.channels(cur, in[1]); m > 0 {
			if a, ok := g.affineAfter(cur, m, false, readers, isOut); ok {
				a.bn = st
				if folded, baked, ok := g.batchNormAffine(a); ok {
					for _, b := range baked {
						if !slices.Contains(g.baked, b) {
							g.baked = append(g.baked, b)
						}
					}
					in = folded
					f.absorbed, f.inner = a.absorbed, a.inner
					cur = a.out
				}
			}
		}
		kern := st.c.Recycling
		if st.c.WithRelu != nil {
			if j, relu := g.soleReader(cur, "Relu", readers, isOut); relu != nil && len(relu.in) == 1 {
				kern = st.c.WithRelu
				f.absorbed, f.inner = append(f.absorbed, j), append(f.inner, cur)
				cur = relu.out[0]
			}
		}
		if len(f.absorbed) == 0 {
			continue
		}
		in = g.bakeAssumed(st, in)
		g.tellBatchNorm(st, in)
		g.addFused(i, f, kern, in, cur)
	}
}

// bakeAssumed returns the inputs in of the convolution st's fused step
// with its weights and bias, when an IR version 3 model computes them from
// the defaults of overridable inputs (a ConstantOfShape of a default
// shape, see graph.assumedConst), replaced by constant slots holding the
// values those defaults give: the fused step then runs on weights packed
// at load (ops.Compiled.ConstInput) and the plan skips computing them.
// The defaults join g.baked, so that runs overriding one of them take the
// unfused plan.
func (g *graph) bakeAssumed(st *step, in []int) []int {
	cloned := false
	for k := 1; k < len(in); k++ {
		if in[k] < 0 || g.consts[in[k]] != nil {
			continue
		}
		t, roots := g.assumedConst(in[k])
		if t == nil || len(roots) == 0 {
			continue
		}
		if !cloned {
			in, cloned = slices.Clone(in), true
		}
		name := fmt.Sprintf("onnxkit/baked/%d", len(g.names))
		for _, taken := g.slots[name]; taken; _, taken = g.slots[name] {
			name += "'" // a model's own value of that name
		}
		s := g.newSlot(name)
		g.consts[s] = t
		g.types[s] = tensors.TypeOf(t)
		in[k] = s
		for _, r := range roots {
			if !slices.Contains(g.baked, r) {
				g.baked = append(g.baked, r)
			}
		}
		if k == 1 && st.c.ConstInput != nil {
			st.c.ConstInput(1, t)
		}
	}
	return in
}

// soleReader returns the one step reading slot s when it is a standard op
// of the given type with one output and s is no graph output, or -1, nil.
func (g *graph) soleReader(s int, op string, readers [][]int, isOut []bool) (int, *step) {
	if isOut[s] || len(readers[s]) != 1 {
		return -1, nil
	}
	r := g.steps[readers[s][0]]
	if r.c.Node.Type != op || r.c.Node.Domain != "" || len(r.out) != 1 || r.out[0] < 0 {
		return -1, nil
	}
	return readers[s][0], r
}

// addFused records f, whose absorbed and inner values are set, as the
// fusion of step i computing slot out with the kernel kern and the inputs
// in, and appends its step.
func (g *graph) addFused(i int, f fusion, kern ops.RecyclingKernel, in []int, out int) {
	st := g.steps[i]
	desc, kinds := st.desc, st.c.Node.Type
	for _, j := range f.absorbed {
		desc += " with " + g.steps[j].desc
		kinds += "+" + g.steps[j].c.Node.Type
	}
	f.step = len(g.steps)
	g.fused[i] = f
	g.steps = append(g.steps, &step{
		c:        &ops.Compiled{Node: st.c.Node, Op: st.c.Op, Recycling: kern, Kernel: withoutLast(kern), ConstInput: st.c.ConstInput},
		desc:     desc,
		fusedOps: kinds,
		in:       in,
		out:      []int{out},
	})
}

// fuseRelu fuses each of the first n steps that is a Gemm, or an Add or
// Sum (a residual connection), with the Relu that alone reads its float
// output (ops.Compiled.WithRelu), as onnxruntime fuses a Gemm and a Relu:
// the Relu is then applied to each block of the result as it is
// computed, not in a pass of its own.
func (g *graph) fuseRelu(n int, readers [][]int, isOut []bool) {
	for i, st := range g.steps[:n] {
		switch st.c.Node.Type {
		case "Gemm", "Add", "Sum":
		default:
			continue
		}
		if st.c.Node.Domain != "" || st.c.WithRelu == nil || len(st.out) != 1 || st.out[0] < 0 || g.fused[i].step >= 0 {
			continue
		}
		if dt := g.types[st.out[0]].DType; dt != tensors.Float32 && dt != tensors.Float64 {
			continue
		}
		j, relu := g.soleReader(st.out[0], "Relu", readers, isOut)
		if relu == nil || len(relu.in) != 1 {
			continue
		}
		g.addFused(i, fusion{absorbed: []int{j}, inner: []int{st.out[0]}}, st.c.WithRelu, g.bakeAssumed(st, st.in), relu.out[0])
	}
}

// fuseMatMulAdd fuses each of the first n steps that is a float32 or
// float64 MatMul with the Add that alone reads its output when the Add's
// other operand is a constant vector along the last axis (shape [N] or
// [1,…,1,N], no wider than the product, as the Linear layers of
// transformer and MLP exports have), and with a Relu that alone reads the
// sum (ops.Compiled.WithBias), as onnxruntime does.
func (g *graph) fuseMatMulAdd(n int, readers [][]int, isOut []bool) {
	for i, st := range g.steps[:n] {
		if st.c.Node.Type != "MatMul" || st.c.Node.Domain != "" || st.c.WithBias == nil || len(st.out) != 1 || st.out[0] < 0 {
			continue
		}
		mm := st.out[0]
		j, add := g.soleReader(mm, "Add", readers, isOut)
		if add == nil {
			continue
		}
		bias := g.rowBias(add, mm)
		if bias == nil {
			continue
		}
		f := fusion{absorbed: []int{j}, inner: []int{mm}}
		out, relu := add.out[0], false
		if k, r := g.soleReader(out, "Relu", readers, isOut); r != nil && len(r.in) == 1 {
			f.absorbed, f.inner = append(f.absorbed, k), append(f.inner, out)
			out, relu = r.out[0], true
		}
		g.addFused(i, f, st.c.WithBias(bias, relu), g.bakeAssumed(st, st.in), out)
	}
}

// rowBias returns the constant vector that add, an Add of the MatMul
// output in and a constant, adds along in's last axis, or nil: the
// constant must have in's float element type and shape [N] or [1,…,1,N]
// with no more axes than in, whose last dimension N static inference
// knows.
func (g *graph) rowBias(add *step, in int) *tensors.Tensor {
	if len(add.in) != 2 {
		return nil
	}
	other := add.in[0]
	if other == in {
		other = add.in[1]
	}
	if other < 0 || other == in {
		return nil
	}
	c, out := g.consts[other], g.types[in]
	if c == nil || !out.RankKnown || len(out.Dims) == 0 || c.DType() != out.DType ||
		(out.DType != tensors.Float32 && out.DType != tensors.Float64) {
		return nil
	}
	last := out.Dims[len(out.Dims)-1]
	shape := c.Shape()
	if len(shape) == 0 || len(shape) > len(out.Dims) || !last.Known() || shape[len(shape)-1] != last.Size || c.Len() != last.Size {
		return nil
	}
	return c
}

// activationAfter finds, after the float32 value in (a convolution's
// output), an activation the convolution can apply as it computes: a Clip
// with constant bounds, a HardSigmoid or a HardSwish that alone reads in, or HardSwish or SiLU as
// exporters write them, a HardSigmoid or Sigmoid of in and the Mul of in
// by that (the two alone reading in, the Mul alone reading the gate). It returns the
// activation, the steps it stands for, the values they compute that the
// fused step does not (in included), and the slot of the result.
func (g *graph) activationAfter(in int, readers [][]int, isOut []bool) (act kernel.Activation, absorbed, inner []int, out int, ok bool) {
	if t := g.types[in]; t.DType != tensors.Float32 {
		return act, nil, nil, -1, false
	}
	std := func(j int, op string, nin int) *step {
		r := g.steps[j]
		if r.c.Node.Type != op || r.c.Node.Domain != "" || len(r.out) != 1 || r.out[0] < 0 || len(r.in) < nin || r.in[0] < 0 {
			return nil
		}
		return r
	}
	switch rs := readers[in]; len(rs) {
	case 1:
		if h := std(rs[0], "HardSigmoid", 1); h != nil && len(h.in) == 1 && h.in[0] == in {
			// The gate of a squeeze-excite block.
			a := h.c.Node.Attrs
			alpha, beta := a.Float("alpha", 0.2), a.Float("beta", 0.5)
			if a.Err() != nil {
				return act, nil, nil, -1, false
			}
			return kernel.Activation{Kind: kernel.ActHardSigmoid, A: alpha, B: beta}, []int{rs[0]}, []int{in}, h.out[0], true
		}
		if h := std(rs[0], "HardSwish", 1); h != nil && len(h.in) == 1 && h.in[0] == in {
			// The operator (opset 14): HardSigmoid's alpha 1/6 and beta 0.5.
			return kernel.Activation{Kind: kernel.ActHardSwish, A: 1.0 / 6, B: 0.5}, []int{rs[0]}, []int{in}, h.out[0], true
		}
		c := std(rs[0], "Clip", 1)
		if c == nil || c.in[0] != in {
			return act, nil, nil, -1, false
		}
		lo, hi, ok := g.clipBounds(c)
		if !ok {
			return act, nil, nil, -1, false
		}
		return kernel.Activation{Kind: kernel.ActClip, A: lo, B: hi}, []int{rs[0]}, []int{in}, c.out[0], true
	case 2:
		// HardSwish (HardSigmoid(x)·x) or SiLU (Sigmoid(x)·x).
		hj, mj := rs[0], rs[1]
		if t := g.steps[hj].c.Node.Type; t != "HardSigmoid" && t != "Sigmoid" {
			hj, mj = mj, hj
		}
		gate := g.steps[hj].c.Node.Type
		if gate != "HardSigmoid" && gate != "Sigmoid" {
			return act, nil, nil, -1, false
		}
		h, m := std(hj, gate, 1), std(mj, "Mul", 2)
		if h == nil || m == nil || len(h.in) != 1 || h.in[0] != in || len(m.in) != 2 {
			return act, nil, nil, -1, false
		}
		hs := h.out[0]
		if isOut[hs] || len(readers[hs]) != 1 || !(m.in[0] == in && m.in[1] == hs || m.in[0] == hs && m.in[1] == in) {
			return act, nil, nil, -1, false
		}
		if gate == "Sigmoid" {
			return kernel.Activation{Kind: kernel.ActSiLU}, []int{hj, mj}, []int{in, hs}, m.out[0], true
		}
		a := h.c.Node.Attrs
		alpha, beta := a.Float("alpha", 0.2), a.Float("beta", 0.5)
		if a.Err() != nil {
			return act, nil, nil, -1, false
		}
		return kernel.Activation{Kind: kernel.ActHardSwish, A: alpha, B: beta}, []int{hj, mj}, []int{in, hs}, m.out[0], true
	}
	return act, nil, nil, -1, false
}

// clipBounds returns the bounds of the float32 Clip step c: its min and
// max attributes (versions 1 and 6) or constant single-element inputs
// (11 on), ±MaxFloat32 where omitted, as the Clip operator has them.
func (g *graph) clipBounds(c *step) (lo, hi float32, ok bool) {
	lo, hi = -math.MaxFloat32, math.MaxFloat32
	n := c.c.Node
	if n.Since < 11 {
		lo, hi = n.Attrs.Float("min", lo), n.Attrs.Float("max", hi)
		return lo, hi, n.Attrs.Err() == nil
	}
	for i, dst := range []*float32{&lo, &hi} {
		if len(c.in) <= i+1 || c.in[i+1] < 0 {
			continue
		}
		b := g.consts[c.in[i+1]]
		if b == nil || b.DType() != tensors.Float32 || b.Len() != 1 {
			return 0, 0, false
		}
		*dst = tensors.Data[float32](b)[0]
	}
	return lo, hi, true
}

// channelVector returns the constant that st, a Mul or Add of slot in
// (m channels) and a constant, applies per channel, reshaped to one value
// per channel, or nil: the constant must have in's element type and one
// value per channel (shape [m,1,…] or [1,m,1,…] against in's [N,m,…], so
// that the result has in's shape). It may be the default of an overridable input
// (an initializer listed as a graph input, as in IR version 3) or computed
// from such defaults (see graph.assumedConst): baked then lists those
// inputs' slots, for the plans without fusion to serve the runs that
// override them (see overridesBaked).
func (g *graph) channelVector(st *step, in, m int) (c *tensors.Tensor, baked []int) {
	if len(st.in) != 2 {
		return nil, nil
	}
	other := st.in[0]
	if other == in {
		other = st.in[1]
	}
	if other < 0 || other == in {
		return nil, nil
	}
	c, baked = g.assumedConst(other)
	out := g.types[in]
	if c == nil || !out.RankKnown || len(out.Dims) < 3 || out.Dims[1].Known() && out.Dims[1].Size != m || c.DType() != out.DType {
		return nil, nil
	}
	shape := c.Shape()
	if len(shape) > len(out.Dims) || len(shape) < len(out.Dims)-1 {
		return nil, nil
	}
	lead := len(out.Dims) - len(shape) // 0 or 1 missing leading axes
	for k, d := range shape {
		want := 1
		if k+lead == 1 {
			want = m
		}
		if d != want {
			return nil, nil
		}
	}
	v, err := c.Reshape(m)
	if err != nil {
		return nil, nil
	}
	return v, baked
}

// channels returns the number of channels (axis 1) of the image in slot
// s, of rank 3 or more, from its static type or else from the first axis
// of param, a constant (or a value computed from defaults: see
// graph.assumedConst) with one entry or row per channel (a convolution's
// weights, a BatchNormalization's scale); 0 when neither tells.
func (g *graph) channels(s, param int) int {
	t := g.types[s]
	if !t.RankKnown || len(t.Dims) < 3 {
		return 0
	}
	if t.Dims[1].Known() {
		return t.Dims[1].Size
	}
	if c, _ := g.assumedConst(param); c != nil && c.Rank() > 0 {
		return c.Shape()[0]
	}
	return 0
}

// withoutLast is the plain kernel of a recycling one.
func withoutLast(f ops.RecyclingKernel) ops.Kernel {
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) { return f(in, nil) }
}

// fusable reports whether a plan needing the steps need and fetching the
// values keep may run f in place of the steps it stands for.
func (g *graph) fusable(f fusion, need, keep []bool) bool {
	for _, j := range f.absorbed {
		if !need[j] {
			return false
		}
	}
	for _, s := range f.inner {
		if keep[s] {
			return false
		}
	}
	return true
}

// overridesBaked reports whether inputs override the default of an input
// that fused steps hold as a constant: such a run takes the plans without
// fusion.
func (g *graph) overridesBaked(inputs map[string]*tensors.Tensor) bool {
	for _, s := range g.baked {
		if _, ok := inputs[g.names[s]]; ok {
			return true
		}
	}
	return false
}
