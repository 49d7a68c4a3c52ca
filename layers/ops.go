package layers

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"
	"sync/atomic"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/internal/kernel"
)

// This file holds the Gorgonia operations behind the layers. Each one runs
// a kernel of package onnx/kernel (the same code the ONNX runtime runs) and
// has a matching gradient operation, so Gorgonia's symbolic differentiation
// (G.Grad) can build the backward graph.

var opSerial atomic.Uint64

// opBase supplies the Op methods that are the same for every operation
// here. Each op instance gets a serial number in its hash: Gorgonia merges
// nodes with equal hashes and equal children, and the pooling ops share
// state between forward and backward.
type opBase struct {
	name   string
	arity  int
	serial uint64
	// last is the output of the previous run, reused by the next one.
	last *tensor.Dense
}

func newBase(name string, arity int) opBase {
	return opBase{name: name, arity: arity, serial: opSerial.Add(1)}
}

func (o *opBase) Arity() int            { return o.arity }
func (o *opBase) ReturnsPtr() bool      { return false }
func (o *opBase) CallsExtern() bool     { return false }
func (o *opBase) OverwritesInput() int  { return -1 }
func (o *opBase) String() string        { return o.name }
func (o *opBase) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s#%d", o.name, o.serial) }
func (o *opBase) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}

func tensorType(dims int) G.TensorType {
	return G.TensorType{Dims: dims, Of: hm.TypeVariable('a')}
}

// fnType builds a type signature from input/output ranks; rank 0 is a scalar.
func fnType(ranks ...int) hm.Type {
	ts := make([]hm.Type, len(ranks))
	for i, r := range ranks {
		if r == 0 {
			ts[i] = hm.TypeVariable('a')
		} else {
			ts[i] = tensorType(r)
		}
	}
	return hm.NewFnType(ts...)
}

func shapeOf(d G.DimSizer) (tensor.Shape, error) {
	s, ok := d.(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("layers: expected a shape, got %T", d)
	}
	return s, nil
}

// dense returns v as a *tensor.Dense.
func dense(v G.Value) (*tensor.Dense, error) {
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("layers: expected a dense tensor, got %T", v)
	}
	return d, nil
}

// scalarOf reads a scalar value (a gradient seed, say) as float64.
func scalarOf(v G.Value) (float64, error) {
	switch s := v.(type) {
	case *G.F32:
		return float64(*s), nil
	case *G.F64:
		return float64(*s), nil
	case *tensor.Dense:
		if s.Size() == 1 {
			switch d := s.Data().(type) {
			case float32:
				return float64(d), nil
			case float64:
				return d, nil
			case []float32:
				return float64(d[0]), nil
			case []float64:
				return d[0], nil
			}
		}
	}
	return 0, fmt.Errorf("layers: expected a scalar, got %T", v)
}

// output returns the tensor an op writes its result to: prealloc when it
// is a tensor of the wanted shape and dtype, else the op's output of its
// previous run when that fits, else a new tensor, kept for the next run.
// Gorgonia's tape machine hands these ops no prealloc, and a graph is run
// by one goroutine at a time, each run overwriting every output in full;
// reusing outputs spares a training step tens of megabytes of allocation
// and clearing. So an op's output is valid until the graph runs again,
// as with Gorgonia's own preallocated values.
func (o *opBase) output(prealloc G.Value, dt tensor.Dtype, shape ...int) *tensor.Dense {
	if d, ok := prealloc.(*tensor.Dense); ok && d.Dtype() == dt && d.Shape().Eq(tensor.Shape(shape)) {
		return d
	}
	if d := o.last; d != nil && d.Dtype() == dt && d.Shape().Eq(tensor.Shape(shape)) && !d.IsView() {
		return d
	}
	o.last = output(nil, dt, shape...)
	return o.last
}

// output returns prealloc when it is a tensor of the wanted shape and
// dtype, and a new zeroed tensor otherwise.
func output(prealloc G.Value, dt tensor.Dtype, shape ...int) *tensor.Dense {
	if d, ok := prealloc.(*tensor.Dense); ok && d.Dtype() == dt && d.Shape().Eq(tensor.Shape(shape)) {
		return d
	}
	return tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
}

// slices is the float32 or float64 backing of each tensor, by type T.
func backing[T kernel.Float](ts ...*tensor.Dense) operands[T] {
	var out operands[T]
	for i, t := range ts {
		if t != nil {
			out[i] = denseData[T](t)
		}
	}
	return out
}

// operands holds the backing slices of an op's tensors (see backing), in
// an array so that getting them allocates nothing.
type operands[T kernel.Float] [4][]T

// denseData returns t's elements as a []T without allocating (Dense.Data
// boxes a new slice header on every call). T must be t's element type.
func denseData[T kernel.Float](t *tensor.Dense) []T {
	var s []T
	switch p := any(&s).(type) {
	case *[]float32:
		*p = t.Float32s()
	case *[]float64:
		*p = t.Float64s()
	}
	return s
}

// floatDispatch runs f32 or f64 by the dtype of t.
func floatDispatch(t *tensor.Dense, f32, f64 func() error) error {
	switch t.Dtype() {
	case tensor.Float32:
		return f32()
	case tensor.Float64:
		return f64()
	}
	return fmt.Errorf("layers: unsupported dtype %v (float32 and float64 only)", t.Dtype())
}

// ---- Conv2D ----

// convOp is y = conv(x, w) + b over NCHW x, OIHW w and bias b.
type convOp struct {
	opBase
	p kernel.ConvParams // N is taken from x at run time
}

// newConvOp returns the op of a convolution, with the ReLU applied to its
// output when p.Relu.
func newConvOp(p kernel.ConvParams) *convOp {
	name := "conv2d"
	if p.Relu {
		name = "conv2d_relu"
	}
	return &convOp{newBase(name, 3), p}
}

func (o *convOp) Type() hm.Type { return fnType(4, 4, 1, 4) }
func (o *convOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(in[0])
	if err != nil {
		return nil, err
	}
	p := o.p
	p.H, p.W = s[2], s[3]
	return tensor.Shape{s[0], p.M, p.OutH(), p.OutW()}, nil
}
func (o *convOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }
func (o *convOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	x, err := dense(in[0])
	if err != nil {
		return nil, err
	}
	w, _ := dense(in[1])
	b, _ := dense(in[2])
	p := o.p
	p.N = x.Shape()[0]
	y := o.output(prealloc, x.Dtype(), p.N, p.M, p.OutH(), p.OutW())
	return y, floatDispatch(x, func() error {
		s := backing[float32](x, w, b, y)
		kernel.Conv2D(p, s[0], s[1], s[2], s[3])
		return nil
	}, func() error {
		s := backing[float64](x, w, b, y)
		kernel.Conv2D(p, s[0], s[1], s[2], s[3])
		return nil
	})
}
func (o *convOp) DiffWRT(int) []bool { return []bool{true, true, true} }
func (o *convOp) SymDiff(in G.Nodes, y, grad *G.Node) (G.Nodes, error) {
	p := o.p
	if p.Relu {
		// The gradient through the ReLU first: dy where y > 0.
		g, err := G.ApplyOp(&reluGradOp{newBase("relu_grad", 2), 4}, y, grad)
		if err != nil {
			return nil, err
		}
		grad, p.Relu = g, false
	}
	out := make(G.Nodes, 3)
	for i := range out {
		n, err := G.ApplyOp(&convGradOp{newBase(fmt.Sprintf("conv2d_grad%d", i), 3), p, i}, in[0], in[1], grad)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// convGradOp computes one of the three gradients of convOp from (x, w, dy):
// wrt 0 the input, 1 the kernel, 2 the bias.
type convGradOp struct {
	opBase
	p   kernel.ConvParams
	wrt int
}

func (o *convGradOp) Type() hm.Type {
	out := []int{4, 4, 1}[o.wrt]
	return fnType(4, 4, 4, out)
}
func (o *convGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(in[o.wrt])
	if err != nil {
		return nil, err
	}
	if o.wrt == 2 {
		return tensor.Shape{o.p.M}, nil
	}
	return s.Clone(), nil
}
func (o *convGradOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }
func (o *convGradOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	x, err := dense(in[0])
	if err != nil {
		return nil, err
	}
	w, _ := dense(in[1])
	dy, _ := dense(in[2])
	p := o.p
	p.N = x.Shape()[0]
	var res *tensor.Dense
	switch o.wrt {
	case 0:
		res = o.output(prealloc, x.Dtype(), x.Shape()...)
	case 1:
		res = o.output(prealloc, x.Dtype(), w.Shape()...)
	default:
		res = o.output(prealloc, x.Dtype(), p.M)
	}
	return res, floatDispatch(x, func() error {
		convBackward(p, o.wrt, backing[float32](x, w, dy, res))
		return nil
	}, func() error {
		convBackward(p, o.wrt, backing[float64](x, w, dy, res))
		return nil
	})
}

func convBackward[T kernel.Float](p kernel.ConvParams, wrt int, s operands[T]) {
	x, w, dy, res := s[0], s[1], s[2], s[3]
	switch wrt {
	case 0:
		kernel.Conv2DBackward(p, x, w, dy, res, nil, nil)
	case 1:
		kernel.Conv2DBackward(p, x, w, dy, nil, res, nil)
	default:
		kernel.Conv2DBackward(p, x, w, dy, nil, nil, res)
	}
}

// ---- MaxPool2D ----

// maxPoolOp keeps the argmax of its last run for maxPoolGradOp, as a graph
// is run by one goroutine at a time.
type maxPoolOp struct {
	opBase
	p      kernel.PoolParams // N, H, W, OutH, OutW taken at run time
	argmax []int
}

func (o *maxPoolOp) params(s tensor.Shape) kernel.PoolParams {
	p := o.p
	p.N, p.C, p.H, p.W = s[0], s[1], s[2], s[3]
	p.OutH = kernel.PoolOut(p.H, p.KH, p.DilH, p.StrideH, p.PadTop, p.PadBottom, false)
	p.OutW = kernel.PoolOut(p.W, p.KW, p.DilW, p.StrideW, p.PadLeft, p.PadRight, false)
	return p
}

func (o *maxPoolOp) Type() hm.Type { return fnType(4, 4) }
func (o *maxPoolOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(in[0])
	if err != nil {
		return nil, err
	}
	p := o.params(s)
	return tensor.Shape{p.N, p.C, p.OutH, p.OutW}, nil
}
func (o *maxPoolOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }
func (o *maxPoolOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	x, err := dense(in[0])
	if err != nil {
		return nil, err
	}
	p := o.params(x.Shape())
	y := o.output(prealloc, x.Dtype(), p.N, p.C, p.OutH, p.OutW)
	if n := y.Size(); cap(o.argmax) < n {
		o.argmax = make([]int, n)
	} else {
		o.argmax = o.argmax[:n]
	}
	return y, floatDispatch(x, func() error {
		s := backing[float32](x, y)
		kernel.MaxPool2D(p, s[0], s[1], o.argmax)
		return nil
	}, func() error {
		s := backing[float64](x, y)
		kernel.MaxPool2D(p, s[0], s[1], o.argmax)
		return nil
	})
}
func (o *maxPoolOp) DiffWRT(int) []bool { return []bool{true} }
func (o *maxPoolOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	n, err := G.ApplyOp(&maxPoolGradOp{newBase("maxpool2d_grad", 2), o}, in[0], grad)
	return G.Nodes{n}, err
}

// maxPoolGradOp routes dy back through the argmax of its forward op.
type maxPoolGradOp struct {
	opBase
	fwd *maxPoolOp
}

func (o *maxPoolGradOp) Type() hm.Type { return fnType(4, 4, 4) }
func (o *maxPoolGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(in[0])
	return s.Clone(), err
}
func (o *maxPoolGradOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }
func (o *maxPoolGradOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	x, err := dense(in[0])
	if err != nil {
		return nil, err
	}
	dy, _ := dense(in[1])
	if dy.Size() != len(o.fwd.argmax) {
		return nil, fmt.Errorf("layers: maxpool gradient of %d values for %d outputs", dy.Size(), len(o.fwd.argmax))
	}
	dx := o.output(prealloc, x.Dtype(), x.Shape()...)
	planes := x.Shape()[0] * x.Shape()[1]
	return dx, floatDispatch(x, func() error {
		s := backing[float32](dy, dx)
		kernel.MaxPool2DBackward(planes, s[0], o.fwd.argmax, s[1])
		return nil
	}, func() error {
		s := backing[float64](dy, dx)
		kernel.MaxPool2DBackward(planes, s[0], o.fwd.argmax, s[1])
		return nil
	})
}

// ---- Dense ----

// denseOp is y = x·w + b with x [N, in], w [in, out] (Keras layout), b [out].
type denseOp struct{ opBase }

func (o *denseOp) Type() hm.Type { return fnType(2, 2, 1, 2) }
func (o *denseOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	x, err := shapeOf(in[0])
	if err != nil {
		return nil, err
	}
	w, err := shapeOf(in[1])
	if err != nil {
		return nil, err
	}
	return tensor.Shape{x[0], w[1]}, nil
}
func (o *denseOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }
func (o *denseOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	x, err := dense(in[0])
	if err != nil {
		return nil, err
	}
	w, _ := dense(in[1])
	b, _ := dense(in[2])
	n, k, m := x.Shape()[0], w.Shape()[0], w.Shape()[1]
	y := o.output(prealloc, x.Dtype(), n, m)
	return y, floatDispatch(x, func() error {
		denseForward(n, k, m, backing[float32](x, w, b, y))
		return nil
	}, func() error {
		denseForward(n, k, m, backing[float64](x, w, b, y))
		return nil
	})
}

func denseForward[T kernel.Float](n, k, m int, s operands[T]) {
	x, w, b, y := s[0], s[1], s[2], s[3]
	for i := 0; i < n; i++ {
		copy(y[i*m:(i+1)*m], b)
	}
	kernel.Gemm(false, false, n, m, k, 1, x, k, w, m, 1, y, m)
}

func (o *denseOp) DiffWRT(int) []bool { return []bool{true, true, true} }
func (o *denseOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	out := make(G.Nodes, 3)
	for i := range out {
		n, err := G.ApplyOp(&denseGradOp{newBase(fmt.Sprintf("dense_grad%d", i), 3), i}, in[0], in[1], grad)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// denseGradOp computes from (x, w, dy) the gradient wrt x (0), w (1) or b (2).
type denseGradOp struct {
	opBase
	wrt int
}

func (o *denseGradOp) Type() hm.Type { return fnType(2, 2, 2, []int{2, 2, 1}[o.wrt]) }
func (o *denseGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if o.wrt == 2 {
		w, err := shapeOf(in[1])
		if err != nil {
			return nil, err
		}
		return tensor.Shape{w[1]}, nil
	}
	s, err := shapeOf(in[o.wrt])
	return s.Clone(), err
}
func (o *denseGradOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }
func (o *denseGradOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	x, err := dense(in[0])
	if err != nil {
		return nil, err
	}
	w, _ := dense(in[1])
	dy, _ := dense(in[2])
	n, k, m := x.Shape()[0], w.Shape()[0], w.Shape()[1]
	var res *tensor.Dense
	switch o.wrt {
	case 0:
		res = o.output(prealloc, x.Dtype(), n, k)
	case 1:
		res = o.output(prealloc, x.Dtype(), k, m)
	default:
		res = o.output(prealloc, x.Dtype(), m)
	}
	return res, floatDispatch(x, func() error {
		denseBackward(o.wrt, n, k, m, backing[float32](x, w, dy, res))
		return nil
	}, func() error {
		denseBackward(o.wrt, n, k, m, backing[float64](x, w, dy, res))
		return nil
	})
}

func denseBackward[T kernel.Float](wrt, n, k, m int, s operands[T]) {
	x, w, dy, res := s[0], s[1], s[2], s[3]
	switch wrt {
	case 0: // dx = dy · wᵀ
		kernel.Gemm(false, true, n, k, m, 1, dy, m, w, m, 0, res, k)
	case 1: // dw = xᵀ · dy
		kernel.Gemm(true, false, k, m, n, 1, x, k, dy, m, 0, res, m)
	default: // db = Σ_rows dy
		clear(res)
		for i := 0; i < n; i++ {
			for j, v := range dy[i*m : (i+1)*m] {
				res[j] += v
			}
		}
	}
}

// ---- ReLU ----

type reluOp struct {
	opBase
	rank int
}

func (o *reluOp) Type() hm.Type { return fnType(o.rank, o.rank) }
func (o *reluOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(in[0])
	return s.Clone(), err
}
func (o *reluOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }
func (o *reluOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	x, err := dense(in[0])
	if err != nil {
		return nil, err
	}
	y := o.output(prealloc, x.Dtype(), x.Shape()...)
	return y, floatDispatch(x, func() error {
		relu(backing[float32](x, y))
		return nil
	}, func() error {
		relu(backing[float64](x, y))
		return nil
	})
}

func relu[T kernel.Float](s operands[T]) { kernel.Relu(s[0], s[1]) }

func (o *reluOp) DiffWRT(int) []bool { return []bool{true} }
func (o *reluOp) SymDiff(_ G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	n, err := G.ApplyOp(&reluGradOp{newBase("relu_grad", 2), o.rank}, out, grad)
	return G.Nodes{n}, err
}

// reluGradOp is dx = dy where y > 0, from (y, dy).
type reluGradOp struct {
	opBase
	rank int
}

func (o *reluGradOp) Type() hm.Type { return fnType(o.rank, o.rank, o.rank) }
func (o *reluGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(in[0])
	return s.Clone(), err
}
func (o *reluGradOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }
func (o *reluGradOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	y, err := dense(in[0])
	if err != nil {
		return nil, err
	}
	dy, _ := dense(in[1])
	dx := o.output(prealloc, y.Dtype(), y.Shape()...)
	return dx, floatDispatch(y, func() error {
		reluGrad(backing[float32](y, dy, dx))
		return nil
	}, func() error {
		reluGrad(backing[float64](y, dy, dx))
		return nil
	})
}

func reluGrad[T kernel.Float](s operands[T]) { kernel.ReluGrad(s[0], s[1], s[2]) }

// ---- Softmax (last axis of a matrix) ----

type softmaxOp struct{ opBase }

func (o *softmaxOp) Type() hm.Type { return fnType(2, 2) }
func (o *softmaxOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(in[0])
	return s.Clone(), err
}
func (o *softmaxOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }
func (o *softmaxOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	x, err := dense(in[0])
	if err != nil {
		return nil, err
	}
	y := o.output(prealloc, x.Dtype(), x.Shape()...)
	k := x.Shape()[1]
	return y, floatDispatch(x, func() error {
		s := backing[float32](x, y)
		softmaxRows(s[0], s[1], k)
		return nil
	}, func() error {
		s := backing[float64](x, y)
		softmaxRows(s[0], s[1], k)
		return nil
	})
}

// softmaxRows writes the softmax of each row of length k of x into y.
func softmaxRows[T kernel.Float](x, y []T, k int) {
	for r := 0; r+k <= len(x); r += k {
		row, out := x[r:r+k], y[r:r+k]
		m := row[0]
		for _, v := range row {
			m = max(m, v)
		}
		var sum float64
		for i, v := range row {
			e := math.Exp(float64(v - m))
			out[i] = T(e)
			sum += e
		}
		for i := range out {
			out[i] = T(float64(out[i]) / sum)
		}
	}
}

func (o *softmaxOp) DiffWRT(int) []bool { return []bool{true} }
func (o *softmaxOp) SymDiff(_ G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	n, err := G.ApplyOp(&softmaxGradOp{newBase("softmax_grad", 2)}, out, grad)
	return G.Nodes{n}, err
}

// softmaxGradOp is dx = y ⊙ (dy − Σ dy⊙y) per row, from (y, dy).
type softmaxGradOp struct{ opBase }

func (o *softmaxGradOp) Type() hm.Type { return fnType(2, 2, 2) }
func (o *softmaxGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(in[0])
	return s.Clone(), err
}
func (o *softmaxGradOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }
func (o *softmaxGradOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	y, err := dense(in[0])
	if err != nil {
		return nil, err
	}
	dy, _ := dense(in[1])
	dx := o.output(prealloc, y.Dtype(), y.Shape()...)
	k := y.Shape()[1]
	return dx, floatDispatch(y, func() error {
		softmaxGrad(k, backing[float32](y, dy, dx))
		return nil
	}, func() error {
		softmaxGrad(k, backing[float64](y, dy, dx))
		return nil
	})
}

func softmaxGrad[T kernel.Float](k int, s operands[T]) {
	y, dy, dx := s[0], s[1], s[2]
	for r := 0; r+k <= len(y); r += k {
		var dot T
		for i := r; i < r+k; i++ {
			dot += dy[i] * y[i]
		}
		for i := r; i < r+k; i++ {
			dx[i] = y[i] * (dy[i] - dot)
		}
	}
}
