package ops

import (
	"fmt"

	"github.com/onnxkit/onnxkit/internal/kernel"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Conv: N-d convolution (cross-correlation) of X (N×C×D1×…×Dk) with
// weights W (M×C/group×K1×…×Kk) plus an optional bias B (M). One and two
// spatial axes run the 2-D kernel of package kernel, more the N-d kernel.
// Versions 1 and 11 differ only in how the definition words auto_pad.

var convOpts = windowOpts{dilations: true}

func init() {
	Register(Op{
		Type:          "Conv",
		HalfAsFloat32: true,
		Since:         []int{1, 11},
		Prepare:       prepareConv,
		Infer:         inferConv,
	})
}

func prepareConv(n *Node) (Kernel, error) {
	spec, err := readWindowSpec(n, convOpts)
	if err != nil {
		return nil, err
	}
	group := n.Attrs.Int("group", 1)
	if err := n.Attrs.Err(); err != nil {
		return nil, err
	}
	if group < 1 || group > maxWindowAttr {
		return nil, fmt.Errorf("attribute \"group\": %d is not a positive group count", group)
	}
	if err := checkConvTypes(&spec, group, n.InputType(0), n.InputType(1)); err != nil {
		return nil, err
	}
	packed := convPacked{}
	if w := n.Const(1); w != nil {
		packed.add(w, group, &spec)
	}
	n.OnConstInput(func(i int, t *tensors.Tensor) {
		if i == 1 {
			packed.add(t, group, &spec)
		}
	})
	n.FusedRelu(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
		y, err := conv(in[0], in[1], Input(in, 2), nil, &spec, group, true, kernel.Activation{}, packed[in[1]], nil, last)
		return Result(last, y), err
	})
	n.FusedActivation(func(act kernel.Activation) RecyclingKernel {
		return func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
			y, err := conv(in[0], in[1], Input(in, 2), nil, &spec, group, false, act, packed[in[1]], nil, last)
			return Result(last, y), err
		}
	})
	n.FusedPool(func(ps *PoolSpec, relu bool, act kernel.Activation) RecyclingKernel {
		return func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
			y, err := conv(in[0], in[1], Input(in, 2), nil, &spec, group, relu, act, packed[in[1]], ps, last)
			return Result(last, y), err
		}
	})
	n.FusedResidual(func(relu bool) RecyclingKernel {
		return func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
			y, err := conv(in[0], in[1], Input(in, 2), in[3], &spec, group, relu, kernel.Activation{}, packed[in[1]], nil, last)
			return Result(last, y), err
		}
	})
	return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
		y, err := conv(in[0], in[1], Input(in, 2), nil, &spec, group, false, kernel.Activation{}, packed[in[1]], nil, last)
		return Result(last, y), err
	}), nil
}

// convPacked holds the constant weights of a Conv node (its own, and those
// fused steps feed it) packed once at load for the GEMM, by tensor. It is
// written only while the model loads.
type convPacked map[*tensors.Tensor]*kernel.ConvWeights

// add packs the float32 weights w of a convolution with 1 or 2 spatial
// axes (the others do not run on packed weights) and the attributes s, a
// matrix per group (and the Winograd transforms of a 3×3 kernel at
// stride 1). Depthwise convolutions, which run a stencil on the weights as
// they are, are not packed.
func (c convPacked) add(w *tensors.Tensor, group int, s *windowSpec) {
	if w.DType() != tensors.Float32 || (w.Rank() != 3 && w.Rank() != 4) || w.Len() == 0 {
		return
	}
	ws := w.Shape()
	m := ws[0]
	if m%group != 0 || (group > 1 && ws[1] == 1) {
		return
	}
	// The attribute along spatial axis i (1 when absent).
	at := func(v []int, i int) int {
		if i < len(v) {
			return v[i]
		}
		return 1
	}
	p := kernel.ConvParams{M: m, C: ws[1] * group, KH: 1, KW: ws[len(ws)-1], StrideH: 1, DilH: 1, Group: group,
		StrideW: at(s.strides, len(ws)-3), DilW: at(s.dilations, len(ws)-3)}
	if len(ws) == 4 {
		p.KH, p.StrideH, p.DilH = ws[2], at(s.strides, 0), at(s.dilations, 0)
	}
	if pw := kernel.PackConvWeights(p, tensors.Data[float32](w)); pw != nil {
		c[w] = pw
	}
}

// checkConvTypes checks what the static types of X and W tell before the
// model runs: ranks, the kernel shape and the channel counts.
func checkConvTypes(s *windowSpec, group int, x, w tensors.Type) error {
	for _, t := range []struct {
		name string
		t    tensors.Type
	}{{"X", x}, {"W", w}} {
		if t.t.RankKnown {
			if err := s.checkRank(len(t.t.Dims)); err != nil {
				return fmt.Errorf("%s %v: %w", t.name, t.t, err)
			}
		}
	}
	if !w.RankKnown {
		return nil
	}
	if x.RankKnown && len(x.Dims) != len(w.Dims) {
		return fmt.Errorf("W %v does not have the rank of X %v", w, x)
	}
	if m := w.Dims[0]; m.Known() && m.Size%group != 0 {
		return fmt.Errorf("W %v: %d output channels are not a multiple of group %d", w, m.Size, group)
	}
	if x.RankKnown && x.Dims[1].Known() && w.Dims[1].Known() && w.Dims[1].Size*group != x.Dims[1].Size {
		return fmt.Errorf("W %v has %d input channels per group; X %v with group %d has %d channels",
			w, w.Dims[1].Size, x, group, x.Dims[1].Size)
	}
	if s.kernel != nil {
		for i, d := range w.Dims[2:] {
			if d.Known() && d.Size != s.kernel[i] {
				return fmt.Errorf("kernel_shape %v does not match W %v", s.kernel, w)
			}
		}
	}
	return nil
}

// conv checks the operands of a Conv node and runs it, writing into last[0]
// when it can (see Recycle): Conv, plus res when it is not nil (a residual
// Add, see Compiled.WithResidual), followed by a Relu when relu is set.
// act is applied after (see kernel.ConvParams.Act); pw, when not nil, is w
// packed (see convPacked); ps, when not nil, is a MaxPool applied last
// (the step returns its output; see Compiled.WithPool).
func conv(x, w, b, res *tensors.Tensor, s *windowSpec, group int, relu bool, act kernel.Activation, pw *kernel.ConvWeights, ps *PoolSpec, last []*tensors.Tensor) (*tensors.Tensor, error) {
	if w.DType() != x.DType() || (b != nil && b.DType() != x.DType()) {
		return nil, fmt.Errorf("X is %v but W is %v (and B %v): element types must match", x, w, b)
	}
	xs, ws := x.Shape(), w.Shape()
	if err := s.checkRank(len(xs)); err != nil {
		return nil, fmt.Errorf("X %v: %w", x, err)
	}
	if len(ws) != len(xs) {
		return nil, fmt.Errorf("W %v does not have the rank of X %v", w, x)
	}
	c, m := xs[1], ws[0]
	if ws[1]*group != c {
		return nil, fmt.Errorf("W %v has %d input channels per group; X %v with group %d needs %d", w, ws[1], x, group, c/group)
	}
	if m%group != 0 {
		return nil, fmt.Errorf("W %v: %d output channels are not a multiple of group %d", w, m, group)
	}
	if s.kernel != nil && !tensors.SameShape(s.kernel, ws[2:]) {
		return nil, fmt.Errorf("kernel_shape %v does not match W %v", s.kernel, w)
	}
	if b != nil && (b.Rank() != 1 || b.Shape()[0] != m) {
		return nil, fmt.Errorf("B %v must be a vector of the %d output channels", b, m)
	}
	g, err := s.resolve(xs[2:], ws[2:])
	if err != nil {
		return nil, err
	}
	if res != nil {
		return convResidual(x, w, b, res, s, group, relu, act, pw, last)
	}
	if ps != nil {
		if x.DType() == tensors.Float32 && len(xs) == 4 && c > 0 {
			return convPool(x, w, b, g, group, relu, act, pw, ps, last)
		}
		// Other cases: the convolution, then the pooling.
		y, err := conv(x, w, b, nil, s, group, relu, act, pw, nil, nil)
		if err != nil {
			return nil, err
		}
		return poolAfter(ps, y, last)
	}
	switch x.DType() {
	case tensors.Float32:
		return convTyped[float32](x, w, b, g, group, relu, act, pw, last)
	case tensors.Float64:
		return convTyped[float64](x, w, b, g, group, relu, act, nil, last)
	}
	return nil, tensors.ErrDType("X", x.DType(), tensors.Float32, tensors.Float64)
}

// convResidual is conv with res added to its output before the Relu
// (relu) and act: in the kernel's tile epilogue for a float32 2-D
// convolution and a res of the output's shape (kernel.Conv2DPackedResidual),
// else in a pass after the convolution (broadcasting res as Add does).
func convResidual(x, w, b, res *tensors.Tensor, s *windowSpec, group int, relu bool, act kernel.Activation, pw *kernel.ConvWeights, last []*tensors.Tensor) (*tensors.Tensor, error) {
	if x.DType() == tensors.Float32 && res.DType() == tensors.Float32 && x.Rank() == 4 && x.Shape()[1] > 0 {
		xs, m := x.Shape(), w.Shape()[0]
		g, err := s.resolve(xs[2:], w.Shape()[2:])
		if err != nil {
			return nil, err
		}
		var sb [8]int
		if shape := g.outShape(sb[:], xs[0], m); tensors.SameShape(shape, res.Shape()) {
			out, dst, err := Recycle[float32](last, 0, shape) // overwritten
			if err != nil || len(dst) == 0 {
				return out, err
			}
			if err := checkConvWorkspace(x, g, group); err != nil {
				return nil, err
			}
			p := g.convParams(xs[0], xs[1], xs[2], xs[3], m, group)
			p.Relu, p.Act = relu, act
			var bias []float32
			if b != nil {
				bias = tensors.Data[float32](b)
			}
			kernel.Conv2DPackedResidual(p, tensors.Data[float32](x), tensors.Data[float32](w), pw, bias, tensors.Data[float32](res), dst)
			return out, nil
		}
	}
	y, err := conv(x, w, b, nil, s, group, false, kernel.Activation{}, pw, nil, nil)
	if err != nil {
		return nil, err
	}
	if y, err = addFns.Apply(y, res); err != nil {
		return nil, fmt.Errorf("residual Add: %w", err)
	}
	if relu {
		reluInPlace(y)
	}
	if d, ok := y.Data().([]float32); ok {
		kernel.ApplyActivation(act, d)
	}
	return y, nil
}

// convPool is conv with a MaxPool after it for a float32 2-D
// convolution with its weights packed (kernel.Conv2DPool).
func convPool(x, w, b *tensors.Tensor, g *windowGeom, group int, relu bool, act kernel.Activation, pw *kernel.ConvWeights, ps *PoolSpec, last []*tensors.Tensor) (*tensors.Tensor, error) {
	xs, m := x.Shape(), w.Shape()[0]
	if err := ps.spec.checkRank(len(xs)); err != nil {
		return nil, fmt.Errorf("MaxPool input: %w", err)
	}
	gp, err := ps.spec.resolve(g.out, ps.spec.kernel)
	if err != nil {
		return nil, fmt.Errorf("MaxPool: %w", err)
	}
	var sb [8]int
	out, dst, err := Recycle[float32](last, 0, gp.outShape(sb[:], xs[0], m)) // the pooling writes every output
	if err != nil {
		return nil, err
	}
	if len(dst) == 0 {
		return out, nil
	}
	if err := checkConvWorkspace(x, g, group); err != nil {
		return nil, err
	}
	p := g.convParams(xs[0], xs[1], xs[2], xs[3], m, group)
	p.Relu, p.Act = relu, act
	pp := gp.poolParams(xs[0], m, p.OutH(), p.OutW())
	if pp.OutH*pp.OutW*xs[0]*m != len(dst) {
		return nil, fmt.Errorf("internal: pooled output %dx%d disagrees with %v", pp.OutH, pp.OutW, out)
	}
	var bias []float32
	if b != nil {
		bias = tensors.Data[float32](b)
	}
	kernel.Conv2DPool(p, tensors.Data[float32](x), tensors.Data[float32](w), pw, bias, pp, dst)
	return out, nil
}

func convTyped[T tensors.Float](x, w, b *tensors.Tensor, g *windowGeom, group int, relu bool, act kernel.Activation, pw *kernel.ConvWeights, last []*tensors.Tensor) (*tensors.Tensor, error) {
	xs, m := x.Shape(), w.Shape()[0]
	var sb [8]int
	out, dst, err := Recycle[T](last, 0, g.outShape(sb[:], xs[0], m)) // overwritten below
	if err != nil {
		return nil, err
	}
	if len(dst) == 0 {
		return out, nil
	}
	var bias []T
	if b != nil {
		bias = tensors.Data[T](b)
	}
	if xs[1] == 0 {
		// No input channel: every output is its bias (or 0).
		clear(dst)
		if bias != nil {
			plane := len(dst) / (xs[0] * m)
			for i := range dst {
				dst[i] = bias[i/plane%m]
			}
		}
		if relu {
			kernel.Relu(dst, dst)
		}
		kernel.ApplyActivation(act, dst)
		return out, nil
	}
	if err := checkConvWorkspace(x, g, group); err != nil {
		return nil, err
	}
	xd, wd := tensors.Data[T](x), tensors.Data[T](w)
	switch len(xs) {
	case 3, 4:
		h := 1
		if len(xs) == 4 {
			h = xs[2]
		}
		p := g.convParams(xs[0], xs[1], h, xs[len(xs)-1], m, group)
		if p.OutH()*p.OutW() != len(dst)/(xs[0]*m) {
			return nil, fmt.Errorf("internal: convolution output %dx%d disagrees with %v", p.OutH(), p.OutW(), out)
		}
		p.Relu, p.Act = relu, act
		kernel.Conv2DPacked(p, xd, wd, pw, bias, dst)
	default:
		clear(dst) // a recycled output holds the last run's values
		kernel.ConvND(g.windowParams(xs[0], xs[1], xs[2:]), m, group, xd, wd, bias, dst)
		if relu {
			kernel.Relu(dst, dst)
		}
		kernel.ApplyActivation(act, dst)
	}
	return out, nil
}

func inferConv(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	spec, err := readWindowSpec(n, convOpts)
	if err != nil {
		return nil, nil
	}
	m := tensors.UnknownDim
	if w := in[1]; w.RankKnown && len(w.Dims) > 0 {
		m = w.Dims[0]
	}
	t := inferSpatial(&spec, in[0], m, staticKernel(&spec, in[1]))
	if t.DType == tensors.Undefined {
		t.DType = in[1].DType
	}
	return []tensors.Type{t}, nil
}

// checkConvWorkspace bounds like a tensor the (C/group·∏K)×(∏out) matrix
// of receptive fields the kernels lay an image of x out as.
func checkConvWorkspace(x *tensors.Tensor, g *windowGeom, group int) error {
	var wb [8]int
	work := append(append(append(wb[:0], x.Shape()[1]/group), g.kernel...), g.out...)
	if _, err := tensors.CheckSize(x.DType(), work); err != nil {
		return fmt.Errorf("convolution workspace: %w", err)
	}
	return nil
}
