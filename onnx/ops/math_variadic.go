package ops

import (
	"fmt"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Variadic elementwise operators: Sum, Max, Min, Mean over one or more
// inputs. Versions 1 (with the inert consumed_inputs) and 6 require equal
// shapes; from 8 the inputs broadcast multidirectionally. Max and Min
// accept every numeric type (the ONNX definition adds the integer types at
// 12); Sum accepts every numeric type, Mean float types only. Max and Min
// propagate NaN like numpy's maximum and minimum.

func init() {
	registerVariadic("Sum", addFns.WithOp('+'), false)
	registerVariadic("Mean", NumericBinary{F32: add[float32], F64: add[float64]}, true)
	registerVariadic("Max", variadicMaxFns, false)
	registerVariadic("Min", variadicMinFns, false)
}

// variadicMax and variadicMin use Go's builtins, which return NaN if
// either argument is NaN (and order -0 below +0).
//
//dtypes:numeric
func variadicMax[T tensors.Numeric](a, b T) T { return max(a, b) }

//dtypes:numeric
func variadicMin[T tensors.Numeric](a, b T) T { return min(a, b) }

// registerVariadic registers a variadic operator whose result folds the
// inputs with fns, f(...f(f(x0, x1), x2)..., xn), divided by their count
// when mean is set.
func registerVariadic(name string, fns NumericBinary, mean bool) {
	since := []int{1, 6, 8, 13}
	if name == "Max" || name == "Min" {
		since = []int{1, 6, 8, 12, 13}
	}
	Register(Op{
		Type:          name,
		HalfAsFloat32: true,
		Since:         since,
		Prepare: func(n *Node) (Kernel, error) {
			n.Attrs.Ignore("consumed_inputs") // version 1 only; no effect
			broadcast := n.Since >= 8
			run := func(in, last []*tensors.Tensor, relu bool) ([]*tensors.Tensor, error) {
				if !mean && len(in) == 2 && in[0] != nil && in[1] != nil && in[0].DType() == in[1].DType() &&
					(broadcast || tensors.SameShape(in[0].Shape(), in[1].Shape())) {
					// Two operands (a residual connection's Sum): the
					// binary operator's vector kernels, writing into the
					// last run's output (with the Relu after it, in the
					// same pass where they can).
					var y *tensors.Tensor
					var err error
					if relu {
						y, err = fns.ApplyRecycledRelu(in[0], in[1], last)
					} else {
						y, err = fns.ApplyRecycled(in[0], in[1], last)
					}
					return Result(last, y), err
				}
				y, err := foldVariadic(in, fns, broadcast, mean, last)
				if err == nil && relu {
					if y == in[0] {
						y = y.Clone() // one input: the result is the input itself
					}
					reluInPlace(y)
				}
				return Result(last, y), err
			}
			n.FusedRelu(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) { return run(in, last, true) })
			return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) { return run(in, last, false) }), nil
		},
		Infer: InferBroadcast(tensors.Undefined),
	})
}

// foldVariadic checks the inputs (same element type; same shape unless
// broadcast) and folds them with fns, dividing by their count for Mean,
// writing into last[0] when it can (see Recycle).
func foldVariadic(in []*tensors.Tensor, fns NumericBinary, broadcast, mean bool, last []*tensors.Tensor) (*tensors.Tensor, error) {
	for i, x := range in {
		if x == nil {
			return nil, fmt.Errorf("input %d is omitted", i)
		}
	}
	xs := in
	if len(xs) == 0 {
		return nil, fmt.Errorf("no inputs")
	}
	dt := xs[0].DType()
	for i, x := range xs[1:] {
		if x.DType() != dt {
			return nil, fmt.Errorf("input %d has dtype %v, input 0 has %v", i+1, x.DType(), dt)
		}
		if !broadcast && !tensors.SameShape(x.Shape(), xs[0].Shape()) {
			return nil, fmt.Errorf("input %d has shape %v, input 0 has %v (broadcasting needs version 8 or later)",
				i+1, tensors.FormatShape(x.Shape()), tensors.FormatShape(xs[0].Shape()))
		}
	}
	if fn := pick(fns.fns(), dt); fn != nil {
		return variadicFoldAnyFor[dt](xs, fn, mean, last)
	}
	return nil, tensors.ErrDType("input 0", dt, fns.DTypes()...)
}

// variadicFold broadcasts the inputs (all holding T) together and folds them
// elementwise with f, left to right; with mean it divides by len(xs).
// variadicFoldAny is variadicFold with f a func(a, b T) T in an any.
//
//dtypes:numeric
func variadicFoldAny[T tensors.Numeric](xs []*tensors.Tensor, f any, mean bool, last []*tensors.Tensor) (*tensors.Tensor, error) {
	return variadicFold(xs, f.(func(a, b T) T), mean, last)
}

func variadicFold[T tensors.Numeric](xs []*tensors.Tensor, f func(a, b T) T, mean bool, last []*tensors.Tensor) (*tensors.Tensor, error) {
	if len(xs) == 1 {
		return xs[0], nil // also the mean; tensors are immutable: sharing is safe
	}
	same := true
	for _, x := range xs[1:] {
		same = same && tensors.SameShape(x.Shape(), xs[0].Shape())
	}
	if same {
		// No broadcasting: folded elementwise into a recycled result.
		out, dst, err := Recycle[T](last, 0, xs[0].Shape()) // every element is written
		if err != nil {
			return nil, err
		}
		copy(dst, tensors.Data[T](xs[0]))
		for _, x := range xs[1:] {
			for k, v := range tensors.Data[T](x)[:len(dst)] {
				dst[k] = f(dst[k], v)
			}
		}
		if mean {
			c := T(len(xs))
			for i := range dst {
				dst[i] /= c
			}
		}
		return out, nil
	}
	shapes := make([][]int, len(xs))
	data := make([][]T, len(xs))
	for i, x := range xs {
		shapes[i] = x.Shape()
		data[i] = tensors.Data[T](x)
	}
	bc, err := tensors.NewBroadcast(shapes...)
	if err != nil {
		return nil, err
	}
	out, dst, err := Recycle[T](last, 0, bc.Shape()) // every element is written
	if err != nil {
		return nil, err
	}
	bc.Runs(func(o int, in []int, n int, step []int) {
		d := dst[o : o+n]
		x, j, s := data[0], in[0], step[0]
		for k := range d {
			d[k] = x[j]
			j += s
		}
		for i := 1; i < len(data); i++ {
			x, j, s := data[i], in[i], step[i]
			for k := range d {
				d[k] = f(d[k], x[j])
				j += s
			}
		}
	})
	if mean {
		c := T(len(xs))
		for i := range dst {
			dst[i] /= c
		}
	}
	return out, nil
}
