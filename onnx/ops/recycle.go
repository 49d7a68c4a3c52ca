package ops

import (
	"math"
	"slices"
	"sync/atomic"

	"github.com/onnxkit/onnxkit/internal/kernel"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Recycling kernels let a runtime that runs a model again and again (an
// onnx.Session) reuse the memory of one run for the next, so that a run
// in steady state allocates nothing.
//
// A RecyclingKernel receives, besides its inputs, last: the slice it
// returned from its previous call in the same session (nil on a first call
// and whenever the caller does not recycle). By then the previous run is
// over and nothing reads those tensors any more, so the kernel may
//
//   - overwrite the data of the tensors of last that it allocated itself
//     (with Recycle), and
//   - repoint the tensor headers of last that are views of its inputs
//     (with RecycleView),
//
// and return last itself as its result slice (with Results). A kernel
// must use each entry of last the way it created it: a kernel that returns
// views must never write into a view's data, which belongs to its input.
type RecyclingKernel func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error)

// Recycling registers f as the node's recycling kernel and returns the
// plain Kernel for it (f with no last results), for Prepare to return:
//
//	return n.Recycling(func(in, last []*Tensor) ([]*Tensor, error) { ... }), nil
func (n *Node) Recycling(f RecyclingKernel) Kernel {
	n.recycling = f
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) { return f(in, nil) }
}

// FusedRelu registers f as the node's kernel fused with a Relu after it
// (see Compiled.WithRelu): f must compute what the node's recycling kernel
// computes with max(·, 0) applied to its one output, NaNs kept.
func (n *Node) FusedRelu(f RecyclingKernel) { n.withRelu = f }

// FusedActivation registers f as the maker of the node's kernel fused with
// an activation after it (see Compiled.WithActivation): f(a) must compute
// what the node's recycling kernel computes with a applied to its one
// output (kernel.ApplyActivation).
func (n *Node) FusedActivation(f func(a kernel.Activation) RecyclingKernel) { n.withAct = f }

// FusedBias registers f as the maker of the node's kernel fused with the
// Add of a bias after it (see Compiled.WithBias): f(bias, relu) must
// compute what the node's recycling kernel computes plus the vector bias
// along the last axis of its one output, then max(·, 0) when relu is set.
func (n *Node) FusedBias(f func(bias *tensors.Tensor, relu bool) RecyclingKernel) { n.withBias = f }

// FusedResidual registers f as the maker of the node's kernel fused with
// the Add of another value to its one output and a Relu after it (see
// Compiled.WithResidual): f(relu) must compute what the node's recycling
// kernel computes plus its last input (broadcast as Add does), then
// max(·, 0) when relu is set.
func (n *Node) FusedResidual(f func(relu bool) RecyclingKernel) { n.withRes = f }

// FusedPool registers f as the maker of the node's kernel fused with a Relu
// (relu), an activation (act) and then the MaxPool ps after it (see
// Compiled.WithPool): f must compute the MaxPool of what the node's
// recycling kernel computes with relu and act applied.
func (n *Node) FusedPool(f func(ps *PoolSpec, relu bool, act kernel.Activation) RecyclingKernel) {
	n.withPool = f
}

// PoolSpec is the pooling a MaxPool node does (2-D, float, no indices),
// for a runtime to fuse into the node computing its input (see
// Compiled.Pool).
type PoolSpec struct {
	spec windowSpec
}

// Recycle returns a tensor of element type T and the given shape for a
// kernel's i-th output: last[i] when it has that type and shape (its data
// then holds the previous run's values, not zeros), otherwise a new zeroed
// tensor from Make. shape is copied, never kept.
func Recycle[T tensors.Elem](last []*tensors.Tensor, i int, shape []int) (*tensors.Tensor, []T, error) {
	if i < len(last) {
		if t := last[i]; t != nil && t.DType() == tensors.DTypeOf[T]() && slices.Equal(t.Shape(), shape) {
			if d, ok := t.Data().([]T); ok {
				return t, d, nil
			}
		}
	}
	return tensors.Make[T](shape)
}

// RecycleZeroed is Recycle for kernels that accumulate into their output:
// the data it returns is all zeros.
func RecycleZeroed[T tensors.Elem](last []*tensors.Tensor, i int, shape []int) (*tensors.Tensor, []T, error) {
	t, d, err := Recycle[T](last, i, shape)
	if err == nil && i < len(last) && t == last[i] {
		clear(d)
	}
	return t, d, err
}

// RecycleAlloc is Recycle for an element type known only at run time.
func RecycleAlloc(last []*tensors.Tensor, i int, dt tensors.DType, shape []int) (*tensors.Tensor, error) {
	if i < len(last) {
		if t := last[i]; t != nil && t.DType() == dt && slices.Equal(t.Shape(), shape) {
			return t, nil
		}
	}
	return tensors.Alloc(dt, shape)
}

// RecycleView returns x viewed with the given shape (which must hold as
// many elements as x; see Reshape) for a kernel's i-th output, reusing the
// tensor header last[i] when it is a view of the same shape and type.
func RecycleView(last []*tensors.Tensor, i int, x *tensors.Tensor, shape []int) (*tensors.Tensor, error) {
	if i < len(last) {
		if t := last[i]; t != nil && t.DType() == x.DType() && slices.Equal(t.Shape(), shape) {
			if x.Len() == t.Len() {
				t.ShareData(x)
				return t, nil
			}
		}
	}
	return x.Reshape(shape...)
}

// Results returns a kernel's result slice holding ys, reusing last's array
// when it is long enough.
func Results(last []*tensors.Tensor, ys ...*tensors.Tensor) []*tensors.Tensor {
	if cap(last) >= len(ys) {
		last = last[:len(ys)]
		copy(last, ys)
		return last
	}
	return append([]*tensors.Tensor(nil), ys...)
}

// Result is Results for a kernel with one output; it does not allocate when
// last has room.
func Result(last []*tensors.Tensor, y *tensors.Tensor) []*tensors.Tensor {
	if cap(last) >= 1 {
		last = last[:1]
		last[0] = y
		return last
	}
	return []*tensors.Tensor{y}
}

// ApplyRecycled is Apply for a recycling kernel: float tensors of the same
// shape, or whose second operand repeats along the leading axes of the
// first (a bias row added to a batch), are computed into last[0] when it
// fits; anything else goes through Apply.
func (f NumericBinary) ApplyRecycled(a, b *tensors.Tensor, last []*tensors.Tensor) (*tensors.Tensor, error) {
	y, _, err := f.applyRecycled(a, b, false, last)
	return y, err
}

// ApplyRecycledRelu is ApplyRecycled followed by a Relu (a residual
// connection's Add and the Relu after it): in the same pass for two
// float32 or float64 operands of one shape, else after.
func (f NumericBinary) ApplyRecycledRelu(a, b *tensors.Tensor, last []*tensors.Tensor) (*tensors.Tensor, error) {
	y, done, err := f.applyRecycled(a, b, true, last)
	if err == nil && !done {
		reluInPlace(y)
	}
	return y, err
}

// applyRecycled is ApplyRecycled; with relu, a same-shape float addition
// applies the Relu too and reports it in reluDone.
func (f NumericBinary) applyRecycled(a, b *tensors.Tensor, relu bool, last []*tensors.Tensor) (y *tensors.Tensor, reluDone bool, err error) {
	if (f.Op == '+' || f.Op == '*') && b.Len() > a.Len() {
		a, b = b, a // commutative: the larger operand first (a scale times a feature map)
	}
	switch {
	case a.DType() == tensors.Float32 && b.DType() == tensors.Float32 && f.F32 != nil:
		if y, ok, done, err := binaryRows(a, b, f.F32, f.Op, relu, last); ok {
			return y, done, err
		}
	case a.DType() == tensors.Float64 && b.DType() == tensors.Float64 && f.F64 != nil:
		if y, ok, done, err := binaryRows(a, b, f.F64, f.Op, relu, last); ok {
			return y, done, err
		}
	}
	y, err = f.Apply(a, b)
	return y, false, err
}

// binaryRows computes f(a, b) (with relu and two operands of one shape
// added, max(a+b, 0), reporting reluDone) when b broadcasts to a's shape along a's
// outer and inner axes only: b's dimensions, aligned to a's last axes, are
// 1 except for one contiguous run that equals a's dimensions there (a bias
// row added to a batch, a per-channel bias [C,1,1] added to [N,C,H,W], a
// scalar). The result has a's shape. ok is false for other shapes.
func binaryRows[T tensors.Float](a, b *tensors.Tensor, f func(x, y T) T, op byte, relu bool, last []*tensors.Tensor) (y *tensors.Tensor, ok, reluDone bool, err error) {
	as, bs := a.Shape(), b.Shape()
	if len(bs) > len(as) {
		return nil, false, false, nil // the result has b's rank
	}
	off := len(as) - len(bs)
	lo, hi := len(bs), len(bs) // the run of b's dimensions that are not 1
	for i, d := range bs {
		if d != 1 {
			if lo == len(bs) {
				lo = i
			}
			hi = i + 1
		}
	}
	inner := 1
	for i := lo; i < len(bs); i++ {
		if i < hi && bs[i] != as[off+i] {
			return nil, false, false, nil
		}
		if i >= hi {
			inner *= as[off+i]
		}
	}
	out, dst, err := Recycle[T](last, 0, as)
	if err != nil {
		return nil, true, false, err
	}
	x, r := a.Data().([]T), b.Data().([]T)
	if len(dst) == 0 {
		return out, true, false, nil
	}
	if inner == 1 {
		if op == '+' && len(r) == len(dst) {
			// Same shapes (a residual connection): vector loops on the
			// workers, with relu the Relu after it in the same pass.
			if relu {
				kernel.AddRelu(dst, x, r)
			} else {
				kernel.Add(dst, x, r)
			}
			return out, true, relu, nil
		}
		for o := 0; o < len(dst); o += len(r) {
			binaryVec(dst[o:o+len(r)], x[o:o+len(r)], r, f, op)
		}
		return out, true, false, nil
	}
	switch op {
	case '+':
		// Per-channel addition or product (a BatchNormalization written
		// out): the planes split across the workers.
		kernel.ScaleShiftRows(x, dst, inner, nil, r)
	case '*':
		kernel.ScaleShiftRows(x, dst, inner, r, nil)
	default:
		for o, j := 0, 0; o < len(dst); o, j = o+inner, j+1 {
			binaryScalar(dst[o:o+inner], x[o:o+inner], r[j%len(r)], f, op)
		}
	}
	return out, true, false, nil
}

// binaryVec sets d[i] = f(x[i], r[i]), inlining the arithmetic op names.
func binaryVec[T tensors.Float](d, x, r []T, f func(x, y T) T, op byte) {
	d, x = d[:len(r)], x[:len(r)]
	switch op {
	case '+':
		for i, v := range r {
			d[i] = x[i] + v
		}
	case '-':
		for i, v := range r {
			d[i] = x[i] - v
		}
	case '*':
		for i, v := range r {
			d[i] = x[i] * v
		}
	default:
		for i, v := range r {
			d[i] = f(x[i], v)
		}
	}
}

// binaryScalar sets d[i] = f(x[i], v), inlining the arithmetic op names.
func binaryScalar[T tensors.Float](d, x []T, v T, f func(x, y T) T, op byte) {
	x = x[:len(d)]
	switch op {
	case '+':
		kernel.ScaleShift(x, d, 1, v)
	case '-':
		kernel.ScaleShift(x, d, 1, -v)
	case '*':
		kernel.ScaleShift(x, d, v, T(math.Copysign(0, -1)))
	default:
		for i, xi := range x {
			d[i] = f(xi, v)
		}
	}
}

// shapeMemo remembers one shape computed from another and from the
// values of a shape input (a Reshape's target for its input shape and
// spec), so that runs repeating the last ones compute and allocate
// nothing. Safe for concurrent use: entries are immutable and swapped
// atomically.
type shapeMemo struct{ last atomic.Pointer[memoShape] }

type memoShape struct {
	in   []int
	spec []int64
	out  []int
}

// get returns the shape remembered for in and spec, or nil.
func (m *shapeMemo) get(in []int, spec []int64) []int {
	if e := m.last.Load(); e != nil && slices.Equal(e.in, in) && slices.Equal(e.spec, spec) {
		return e.out
	}
	return nil
}

// put remembers out for in and spec (all are copied).
func (m *shapeMemo) put(in []int, spec []int64, out []int) {
	m.last.Store(&memoShape{in: slices.Clone(in), spec: slices.Clone(spec), out: slices.Clone(out)})
}

// ApplyRecycled is Apply for a recycling kernel: float32 and float64
// tensors are computed into last[0] when it fits; anything else goes
// through Apply.
func (f NumericUnary) ApplyRecycled(x *tensors.Tensor, last []*tensors.Tensor) (*tensors.Tensor, error) {
	switch {
	case x.DType() == tensors.Float32 && f.F32 != nil:
		return unaryInto(x, f.F32, last)
	case x.DType() == tensors.Float64 && f.F64 != nil:
		return unaryInto(x, f.F64, last)
	}
	return f.Apply(x)
}

func unaryInto[T tensors.Float](x *tensors.Tensor, f func(T) T, last []*tensors.Tensor) (*tensors.Tensor, error) {
	out, dst, err := Recycle[T](last, 0, x.Shape()) // every element is written
	if err != nil {
		return nil, err
	}
	for i, v := range tensors.Data[T](x)[:len(dst)] {
		dst[i] = f(v)
	}
	return out, nil
}

// Kernels with one output that is sometimes their own tensor and
// sometimes not (an input handed on unchanged, a view of an input) mark
// the result slices of the second kind by their capacity, 2: OwnLast then
// hides such a slice, so that the kernel never writes into a tensor it did
// not allocate.

// BorrowedResult is Result for a kernel's one output y that is not its own
// (an input, or a view of one); the next call must get last through
// OwnLast before recycling it. It does not allocate when last is such a
// slice already.
func BorrowedResult(last []*tensors.Tensor, y *tensors.Tensor) []*tensors.Tensor {
	if len(last) == 1 && cap(last) == 2 {
		last[0] = y
		return last
	}
	r := make([]*tensors.Tensor, 1, 2)
	r[0] = y
	return r
}

// OwnLast returns last unless BorrowedResult made it, nil then.
func OwnLast(last []*tensors.Tensor) []*tensors.Tensor {
	if len(last) == 1 && cap(last) == 2 {
		return nil
	}
	return last
}

// BorrowedLast returns the tensor of last when BorrowedResult made it, nil
// otherwise.
func BorrowedLast(last []*tensors.Tensor) *tensors.Tensor {
	if len(last) == 1 && cap(last) == 2 {
		return last[0]
	}
	return nil
}

// lastOutput returns last[0], or nil: the tensor a recycling kernel whose
// one output is always its own may compute into (see
// tensors.BinaryInto).
func lastOutput(last []*tensors.Tensor) *tensors.Tensor {
	if len(last) > 0 {
		return last[0]
	}
	return nil
}

// recycleInto is Recycle for a kernel given the tensor it may compute into
// (see lastOutput), nil for none.
func recycleInto[T tensors.Elem](into *tensors.Tensor, shape []int) (*tensors.Tensor, []T, error) {
	if into == nil {
		return tensors.Make[T](shape)
	}
	return Recycle[T]([]*tensors.Tensor{into}, 0, shape)
}
