package layers

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/kernel"
)

// Param is one trainable tensor of a layer. Its Value is shared by every
// graph the model is placed in, so an optimizer that updates Value in place
// updates them all.
type Param struct {
	Name  string // Keras-style, e.g. "conv2d/kernel"
	Value *tensor.Dense
}

// Layer is one layer of a Sequential model.
type Layer interface {
	// Name is the layer's Keras-style unique name, e.g. "conv2d_1".
	Name() string
	// Kind is the layer's type name as Keras prints it, e.g. "Conv2D".
	Kind() string
	// OutputShape is the per-sample output shape for a per-sample input
	// shape (no batch axis).
	OutputShape(in []int) ([]int, error)
	// Params are the layer's trainable tensors (nil before the layer is
	// part of a model).
	Params() []*Param

	base() *layerBase
	// build creates the parameters for a per-sample input shape.
	build(in []int, dt tensor.Dtype) error
	// apply adds the layer to a graph.
	apply(b *builder, x *G.Node) (*G.Node, error)
	// init draws the initial parameter values.
	init(r *rand.Rand)
}

type layerBase struct {
	name   string
	params []*Param
}

func (l *layerBase) base() *layerBase { return l }
func (l *layerBase) Name() string     { return l.name }
func (l *layerBase) Params() []*Param { return l.params }
func (l *layerBase) init(*rand.Rand)  {}

func (l *layerBase) newParam(suffix string, dt tensor.Dtype, shape ...int) *Param {
	p := &Param{Name: l.name + "/" + suffix, Value: tensor.New(tensor.Of(dt), tensor.WithShape(shape...))}
	l.params = append(l.params, p)
	return p
}

// builder places layers in one graph, creating one node per parameter.
type builder struct {
	g     *G.ExprGraph
	nodes map[*Param]*G.Node
}

func (b *builder) param(p *Param) *G.Node {
	if n, ok := b.nodes[p]; ok {
		return n
	}
	n := G.NodeFromAny(b.g, p.Value, G.WithName(p.Name))
	b.nodes[p] = n
	return n
}

// activation applies a Keras activation by name ("" or "linear" is none).
func activation(name string, x *G.Node) (*G.Node, error) {
	switch name {
	case "", "linear":
		return x, nil
	case "relu":
		return G.ApplyOp(&reluOp{newBase("relu", 1), x.Dims()}, x)
	case "softmax":
		if x.Dims() != 2 {
			return nil, fmt.Errorf("softmax activation needs a [N, K] input, got rank %d", x.Dims())
		}
		return G.ApplyOp(&softmaxOp{newBase("softmax", 1)}, x)
	}
	return nil, fmt.Errorf("unknown activation %q (want relu, softmax or linear)", name)
}

func checkActivation(name string) error {
	switch name {
	case "", "linear", "relu", "softmax":
		return nil
	}
	return fmt.Errorf("unknown activation %q (want relu, softmax or linear)", name)
}

// glorotUniform fills t with U(−l, l), l = √(6/(fanIn+fanOut)), Keras's
// default kernel initializer.
func glorotUniform(r *rand.Rand, t *tensor.Dense, fanIn, fanOut int) {
	limit := math.Sqrt(6 / float64(fanIn+fanOut))
	switch d := t.Data().(type) {
	case []float32:
		for i := range d {
			d[i] = float32((r.Float64()*2 - 1) * limit)
		}
	case []float64:
		for i := range d {
			d[i] = (r.Float64()*2 - 1) * limit
		}
	}
}

// samePads returns Keras/TensorFlow "same" padding for one axis: the total
// padding that keeps ceil(in/stride) outputs, with the odd pixel at the end.
func samePads(in, k, stride int) (begin, end int) {
	out := (in + stride - 1) / stride
	total := max((out-1)*stride+k-in, 0)
	return total / 2, total - total/2
}

// ---- Conv2D ----

// Conv2D is a 2-D convolution layer, like keras.layers.Conv2D with
// data_format channels_first.
type Conv2D struct {
	layerBase
	Filters    int
	Kernel     [2]int // kh, kw
	Strides    [2]int // default 1, 1
	Padding    string // "valid" (default) or "same"
	Activation string // "", "relu", ...

	inC  int
	w, b *Param
}

// Kind implements Layer.
func (l *Conv2D) Kind() string { return "Conv2D" }

func (l *Conv2D) strides() (int, int) {
	if l.Strides == [2]int{} {
		return 1, 1
	}
	return l.Strides[0], l.Strides[1]
}

func (l *Conv2D) convParams(in []int) (kernel.ConvParams, error) {
	if len(in) != 3 {
		return kernel.ConvParams{}, fmt.Errorf("needs a [C, H, W] input, got %v", in)
	}
	if l.Filters <= 0 || l.Kernel[0] <= 0 || l.Kernel[1] <= 0 {
		return kernel.ConvParams{}, fmt.Errorf("needs positive filters and kernel size, got %d and %v", l.Filters, l.Kernel)
	}
	sh, sw := l.strides()
	if sh <= 0 || sw <= 0 {
		return kernel.ConvParams{}, fmt.Errorf("needs positive strides, got %v", l.Strides)
	}
	p := kernel.ConvParams{C: in[0], H: in[1], W: in[2], M: l.Filters, KH: l.Kernel[0], KW: l.Kernel[1],
		StrideH: sh, StrideW: sw, DilH: 1, DilW: 1, Group: 1}
	switch l.Padding {
	case "", "valid":
	case "same":
		p.PadTop, p.PadBottom = samePads(p.H, p.KH, sh)
		p.PadLeft, p.PadRight = samePads(p.W, p.KW, sw)
	default:
		return p, fmt.Errorf("unknown padding %q (want same or valid)", l.Padding)
	}
	if p.OutH() <= 0 || p.OutW() <= 0 {
		return p, fmt.Errorf("kernel %v larger than input %v", l.Kernel, in[1:])
	}
	return p, checkActivation(l.Activation)
}

// ConvParams returns the kernel parameters of the layer for a per-sample
// input shape (batch size 0).
func (l *Conv2D) ConvParams(in []int) (kernel.ConvParams, error) { return l.convParams(in) }

// OutputShape implements Layer.
func (l *Conv2D) OutputShape(in []int) ([]int, error) {
	p, err := l.convParams(in)
	if err != nil {
		return nil, err
	}
	return []int{p.M, p.OutH(), p.OutW()}, nil
}

func (l *Conv2D) build(in []int, dt tensor.Dtype) error {
	l.inC = in[0]
	l.layerBase.params = nil
	l.w = l.newParam("kernel", dt, l.Filters, l.inC, l.Kernel[0], l.Kernel[1])
	l.b = l.newParam("bias", dt, l.Filters)
	return nil
}

func (l *Conv2D) init(r *rand.Rand) {
	k := l.Kernel[0] * l.Kernel[1]
	glorotUniform(r, l.w.Value, k*l.inC, k*l.Filters)
	l.b.Value.Zero()
}

func (l *Conv2D) apply(b *builder, x *G.Node) (*G.Node, error) {
	s := x.Shape()
	p, err := l.convParams([]int{s[1], s[2], s[3]})
	if err != nil {
		return nil, err
	}
	if l.Activation == "relu" {
		// The kernel applies the ReLU as it computes each image's output
		// (no pass of its own over the output); the op's gradient takes
		// it into account.
		p.Relu = true
	}
	y, err := G.ApplyOp(newConvOp(p), x, b.param(l.w), b.param(l.b))
	if err != nil || p.Relu {
		return y, err
	}
	return activation(l.Activation, y)
}

// ---- MaxPool2D ----

// MaxPool2D is 2-D max pooling, like keras.layers.MaxPooling2D.
type MaxPool2D struct {
	layerBase
	Pool    [2]int // default 2, 2
	Strides [2]int // default = Pool
	Padding string // "valid" (default) or "same"
}

// Kind implements Layer.
func (l *MaxPool2D) Kind() string { return "MaxPooling2D" }

// PoolParams returns the kernel parameters for a per-sample input shape
// (batch size 0).
func (l *MaxPool2D) PoolParams(in []int) (kernel.PoolParams, error) {
	if len(in) != 3 {
		return kernel.PoolParams{}, fmt.Errorf("needs a [C, H, W] input, got %v", in)
	}
	pool := l.Pool
	if pool == [2]int{} {
		pool = [2]int{2, 2}
	}
	st := l.Strides
	if st == [2]int{} {
		st = pool
	}
	if pool[0] <= 0 || pool[1] <= 0 || st[0] <= 0 || st[1] <= 0 {
		return kernel.PoolParams{}, fmt.Errorf("needs positive pool size and strides, got %v and %v", pool, st)
	}
	p := kernel.PoolParams{C: in[0], H: in[1], W: in[2], KH: pool[0], KW: pool[1], StrideH: st[0], StrideW: st[1], DilH: 1, DilW: 1}
	switch l.Padding {
	case "", "valid":
	case "same":
		p.PadTop, p.PadBottom = samePads(p.H, p.KH, p.StrideH)
		p.PadLeft, p.PadRight = samePads(p.W, p.KW, p.StrideW)
	default:
		return p, fmt.Errorf("unknown padding %q (want same or valid)", l.Padding)
	}
	p.OutH = kernel.PoolOut(p.H, p.KH, 1, p.StrideH, p.PadTop, p.PadBottom, false)
	p.OutW = kernel.PoolOut(p.W, p.KW, 1, p.StrideW, p.PadLeft, p.PadRight, false)
	if p.OutH <= 0 || p.OutW <= 0 {
		return p, fmt.Errorf("pool %v larger than input %v", pool, in[1:])
	}
	return p, nil
}

// OutputShape implements Layer.
func (l *MaxPool2D) OutputShape(in []int) ([]int, error) {
	p, err := l.PoolParams(in)
	if err != nil {
		return nil, err
	}
	return []int{p.C, p.OutH, p.OutW}, nil
}

func (l *MaxPool2D) build([]int, tensor.Dtype) error { return nil }

func (l *MaxPool2D) apply(b *builder, x *G.Node) (*G.Node, error) {
	s := x.Shape()
	p, err := l.PoolParams([]int{s[1], s[2], s[3]})
	if err != nil {
		return nil, err
	}
	return G.ApplyOp(&maxPoolOp{opBase: newBase("maxpool2d", 1), p: p}, x)
}

// ---- Flatten ----

// Flatten turns each sample into a vector, in NCHW (c, h, w) order.
type Flatten struct{ layerBase }

// Kind implements Layer.
func (l *Flatten) Kind() string { return "Flatten" }

// OutputShape implements Layer.
func (l *Flatten) OutputShape(in []int) ([]int, error) {
	n := 1
	for _, d := range in {
		n *= d
	}
	return []int{n}, nil
}

func (l *Flatten) build([]int, tensor.Dtype) error { return nil }

func (l *Flatten) apply(_ *builder, x *G.Node) (*G.Node, error) {
	s := x.Shape()
	n := 1
	for _, d := range s[1:] {
		n *= d
	}
	return G.Reshape(x, tensor.Shape{s[0], n})
}

// ---- Dense ----

// Dense is a fully connected layer y = activation(x·kernel + bias) with a
// Keras-layout [in, units] kernel.
type Dense struct {
	layerBase
	Units      int
	Activation string

	in   int
	w, b *Param
}

// Kind implements Layer.
func (l *Dense) Kind() string { return "Dense" }

// OutputShape implements Layer.
func (l *Dense) OutputShape(in []int) ([]int, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("needs a flat input, got %v (add a Flatten)", in)
	}
	if l.Units <= 0 {
		return nil, fmt.Errorf("needs positive units, got %d", l.Units)
	}
	return []int{l.Units}, checkActivation(l.Activation)
}

func (l *Dense) build(in []int, dt tensor.Dtype) error {
	l.in = in[0]
	l.layerBase.params = nil
	l.w = l.newParam("kernel", dt, l.in, l.Units)
	l.b = l.newParam("bias", dt, l.Units)
	return nil
}

func (l *Dense) init(r *rand.Rand) {
	glorotUniform(r, l.w.Value, l.in, l.Units)
	l.b.Value.Zero()
}

func (l *Dense) linear(b *builder, x *G.Node) (*G.Node, error) {
	return G.ApplyOp(&denseOp{newBase("dense", 3)}, x, b.param(l.w), b.param(l.b))
}

func (l *Dense) apply(b *builder, x *G.Node) (*G.Node, error) {
	y, err := l.linear(b, x)
	if err != nil {
		return nil, err
	}
	return activation(l.Activation, y)
}

// ---- ReLU and Softmax ----

// ReLU is the rectifier max(x, 0) as a layer of its own.
type ReLU struct{ layerBase }

// Kind implements Layer.
func (l *ReLU) Kind() string { return "ReLU" }

// OutputShape implements Layer.
func (l *ReLU) OutputShape(in []int) ([]int, error) { return in, nil }

func (l *ReLU) build([]int, tensor.Dtype) error { return nil }

func (l *ReLU) apply(_ *builder, x *G.Node) (*G.Node, error) { return activation("relu", x) }

// Softmax is the softmax over the last axis of a flat input, as a layer of
// its own (Keras's Activation("softmax") or Softmax()).
type Softmax struct{ layerBase }

// Kind implements Layer.
func (l *Softmax) Kind() string { return "Softmax" }

// OutputShape implements Layer.
func (l *Softmax) OutputShape(in []int) ([]int, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("needs a flat input, got %v", in)
	}
	return in, nil
}

func (l *Softmax) build([]int, tensor.Dtype) error { return nil }

func (l *Softmax) apply(_ *builder, x *G.Node) (*G.Node, error) { return activation("softmax", x) }
