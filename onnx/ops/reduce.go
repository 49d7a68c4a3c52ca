package ops

import (
	"math"
	"slices"
	"sync/atomic"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Reductions over axes: ReduceSum, ReduceMean, ReduceMax.
//
// All versions take keepdims (default 1: reduced axes stay with size 1).
// The axes come from an attribute in the older versions and from an
// optional input in the newer ones (ReduceSum from 13, the others from 18),
// which also add noop_with_empty_axes: with it, absent or empty axes leave
// the input unchanged instead of reducing every axis. Version 11 documents
// negative axes (onnxkit accepts them in every version), 12 and 13 add
// element types.
//
// Floating-point sums are accumulated in float64. The reduction of an empty
// set of values is 0 for sums and means (as in onnxruntime) and the lowest
// value of the type (-Inf for floats) for maxima. ReduceMax propagates NaN,
// as numpy and the ONNX reference implementation do.
func init() {
	registerReduce("ReduceSum", []int{1, 11}, []int{13}, runSumFor)
	registerReduce("ReduceMean", []int{1, 11, 13}, []int{18}, runMeanFor)
	registerReduce("ReduceMax", []int{1, 11, 12, 13}, []int{18}, runMaxFor)
}

// registerReduce registers a reduction: attrVersions take the axes as an
// attribute, inputVersions as input 1 (with noop_with_empty_axes).
func registerReduce(name string, attrVersions, inputVersions []int, r reducer) {
	Register(Op{
		Type:          name,
		HalfAsFloat32: true,
		Since:         append(slices.Clone(attrVersions), inputVersions...),
		Prepare: func(n *Node) (Kernel, error) {
			fromInput := slices.Contains(inputVersions, n.Since)
			args, err := readReduceArgs(n, fromInput)
			if err != nil {
				return nil, err
			}
			var memo planMemo
			return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
				x := in[0]
				axes, err := args.axes.get(in, 1)
				if err != nil {
					return nil, err
				}
				if len(axes) == 0 && args.noop {
					return BorrowedResult(last, x), nil
				}
				plan := memo.get(x.Shape(), axes)
				if plan == nil {
					if plan, err = planReduce(x.Shape(), axes, args.keepdims); err != nil {
						return nil, err
					}
					memo.put(x.Shape(), axes, plan)
				}
				last = OwnLast(last)
				y, err := r.apply(x, plan, lastOutput(last))
				if err != nil {
					return nil, err
				}
				return Result(last, y), nil
			}), nil
		},
		Infer: func(n *Node, in []tensors.Type) ([]tensors.Type, error) {
			x := in[0]
			args, err := readReduceArgs(n, slices.Contains(inputVersions, n.Since))
			axes, known := args.axes.static()
			if err != nil || !known || !x.RankKnown {
				return []tensors.Type{{DType: x.DType}}, nil
			}
			if len(axes) == 0 && args.noop {
				return []tensors.Type{x}, nil
			}
			red, err := reducedAxes(len(x.Dims), axes)
			if err != nil {
				return nil, err
			}
			out := tensors.Type{DType: x.DType, RankKnown: true, Dims: []tensors.Dim{}}
			for i, d := range x.Dims {
				switch {
				case !red[i]:
					out.Dims = append(out.Dims, d)
				case args.keepdims:
					out.Dims = append(out.Dims, tensors.Dim{Size: 1})
				}
			}
			return []tensors.Type{out}, nil
		},
	})
}

type reduceArgs struct {
	axes     axesArg
	keepdims bool
	noop     bool
}

func readReduceArgs(n *Node, fromInput bool) (reduceArgs, error) {
	var r reduceArgs
	r.keepdims = n.Attrs.Bool("keepdims", true)
	if fromInput {
		r.noop = n.Attrs.Bool("noop_with_empty_axes", false)
	}
	if err := n.Attrs.Err(); err != nil {
		return r, err
	}
	var err error
	r.axes, err = readAxesArg(n, fromInput, 1)
	return r, err
}

// reducedAxes returns which axes of a rank-r input the axes reduce (all of
// them when axes is empty).
func reducedAxes(r int, axes []int) ([]bool, error) {
	red := make([]bool, r)
	if len(axes) == 0 {
		for i := range red {
			red[i] = true
		}
		return red, nil
	}
	norm, err := tensors.NormalizeAxes(axes, r)
	if err != nil {
		return nil, err
	}
	for _, a := range norm {
		red[a] = true
	}
	return red, nil
}

// reducePlan says which input elements each output element reduces: output
// element i reduces input elements base[i] + o + k*step for o in offs and
// 0 <= k < n.
type reducePlan struct {
	outShape []int
	base     []int
	offs     []int
	n, step  int
}

func planReduce(shape []int, axes []int, keepdims bool) (*reducePlan, error) {
	red, err := reducedAxes(len(shape), axes)
	if err != nil {
		return nil, err
	}
	st := tensors.Strides(shape)
	p := &reducePlan{outShape: []int{}}
	var keptDims, keptSt, redDims, redSt []int
	for i, d := range shape {
		if red[i] {
			redDims, redSt = append(redDims, d), append(redSt, st[i])
			if keepdims {
				p.outShape = append(p.outShape, 1)
			}
			continue
		}
		keptDims, keptSt = append(keptDims, d), append(keptSt, st[i])
		p.outShape = append(p.outShape, d)
	}
	p.base = strideOffsets(keptDims, keptSt)
	dims, rst := tensors.CoalesceStrides(redDims, redSt)
	if len(dims) == 0 {
		if slices.Contains(redDims, 0) {
			p.offs = nil // an empty reduction
		} else {
			p.offs = []int{0}
		}
		p.n, p.step = 1, 0
		return p, nil
	}
	last := len(dims) - 1
	p.offs = strideOffsets(dims[:last], rst[:last])
	p.n, p.step = dims[last], rst[last]
	return p, nil
}

// strideOffsets lists, in row-major order, the offsets i0*strides[0] +
// i1*strides[1] + ... of every index of dims.
func strideOffsets(dims, strides []int) []int {
	out := make([]int, tensors.DimsProd(dims))
	idx := make([]int, len(dims))
	o := 0
	for i := range out {
		out[i] = o
		for k := len(dims) - 1; k >= 0; k-- {
			idx[k]++
			o += strides[k]
			if idx[k] < dims[k] {
				break
			}
			o -= strides[k] * dims[k]
			idx[k] = 0
		}
	}
	return out
}

// reduceFunc reduces src[base+o+k*step] for o in offs and 0 <= k < n.
type reduceFunc[T tensors.Numeric] func(src []T, base int, offs []int, n, step int) T

// reducer holds a reduction instantiated for each numeric element type.
type reducer map[tensors.DType]func(x *tensors.Tensor, p *reducePlan, into *tensors.Tensor) (*tensors.Tensor, error)

// apply reduces x as p says, into into when it fits (nil for a new
// tensor).
func (r reducer) apply(x *tensors.Tensor, p *reducePlan, into *tensors.Tensor) (*tensors.Tensor, error) {
	if f, ok := r[x.DType()]; ok {
		return f(x, p, into)
	}
	return nil, tensors.ErrDType("input", x.DType(), tensors.SortedDTypes(r)...)
}

// runSum, runMean and runMax are the reductions of a tensor of element
// type T; sums accumulate in float64, int64 or uint64 (see accumulator).
//
//dtypes:numeric
func runSum[T tensors.Numeric](x *tensors.Tensor, p *reducePlan, into *tensors.Tensor) (*tensors.Tensor, error) {
	return runReduce(x, p, into, accumulator(reduceSum[T, float64], reduceSum[T, int64], reduceSum[T, uint64]))
}

//dtypes:numeric
func runMean[T tensors.Numeric](x *tensors.Tensor, p *reducePlan, into *tensors.Tensor) (*tensors.Tensor, error) {
	return runReduce(x, p, into, accumulator(reduceMean[T, float64], reduceMean[T, int64], reduceMean[T, uint64]))
}

//dtypes:numeric
func runMax[T tensors.Numeric](x *tensors.Tensor, p *reducePlan, into *tensors.Tensor) (*tensors.Tensor, error) {
	return runReduce(x, p, into, reduceMax[T])
}

// accumulator picks the form of a reduction whose accumulator suits T:
// float64 for floats, int64 for signed and uint64 for unsigned integers.
func accumulator[T tensors.Numeric](float, signed, unsigned reduceFunc[T]) reduceFunc[T] {
	switch dt := tensors.DTypeOf[T](); {
	case dt.IsFloat():
		return float
	case dt.IsSigned():
		return signed
	}
	return unsigned
}

func runReduce[T tensors.Numeric](x *tensors.Tensor, p *reducePlan, into *tensors.Tensor, f reduceFunc[T]) (*tensors.Tensor, error) {
	out, dst, err := recycleInto[T](into, p.outShape)
	if err != nil {
		return nil, err
	}
	src := tensors.Data[T](x)
	for i, b := range p.base {
		dst[i] = f(src, b, p.offs, p.n, p.step)
	}
	return out, nil
}

func sumOf[T, A tensors.Numeric](src []T, base int, offs []int, n, step int) A {
	var acc A
	for _, o := range offs {
		s := base + o
		if step == 1 {
			for _, v := range src[s : s+n] {
				acc += A(v)
			}
			continue
		}
		for k := 0; k < n; k++ {
			acc += A(src[s+k*step])
		}
	}
	return acc
}

func reduceSum[T, A tensors.Numeric](src []T, base int, offs []int, n, step int) T {
	return T(sumOf[T, A](src, base, offs, n, step))
}

func reduceMean[T, A tensors.Numeric](src []T, base int, offs []int, n, step int) T {
	count := len(offs) * n
	if count == 0 {
		return 0 // as onnxruntime (numpy would give NaN)
	}
	return T(sumOf[T, A](src, base, offs, n, step) / A(count))
}

func reduceMax[T tensors.Numeric](src []T, base int, offs []int, n, step int) T {
	acc := lowestValue[T]()
	for _, o := range offs {
		s := base + o
		for k := 0; k < n; k++ {
			if v := src[s+k*step]; v > acc || v != v {
				acc = v
				if v != v {
					return v // NaN propagates
				}
			}
		}
	}
	return acc
}

// lowestValue returns the smallest value of T (-Inf for floats).
func lowestValue[T tensors.Numeric]() T {
	var z T
	var v any
	switch any(z).(type) {
	case float32:
		v = float32(math.Inf(-1))
	case float64:
		v = math.Inf(-1)
	case int8:
		v = int8(math.MinInt8)
	case int16:
		v = int16(math.MinInt16)
	case int32:
		v = int32(math.MinInt32)
	case int64:
		v = int64(math.MinInt64)
	default:
		return z // unsigned
	}
	return v.(T)
}

// planMemo remembers the last plan a reduction made, for the input shape
// and axes it was made for, so that runs repeating them plan nothing. Safe
// for concurrent use: entries are immutable and swapped atomically.
type planMemo struct{ last atomic.Pointer[memoPlan] }

type memoPlan struct {
	shape, axes []int
	plan        *reducePlan
}

// get returns the plan remembered for shape and axes, or nil.
func (m *planMemo) get(shape, axes []int) *reducePlan {
	if e := m.last.Load(); e != nil && slices.Equal(e.shape, shape) && slices.Equal(e.axes, axes) {
		return e.plan
	}
	return nil
}

// put remembers p for shape and axes (both are copied).
func (m *planMemo) put(shape, axes []int, p *reducePlan) {
	m.last.Store(&memoPlan{shape: slices.Clone(shape), axes: slices.Clone(axes), plan: p})
}
