package ops

import (
	"math"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// More reductions over axes: ReduceMin, ReduceProd, ReduceL1, ReduceL2,
// ReduceLogSum, ReduceLogSumExp, ReduceSumSquare. They share reduce.go's
// machinery: axes as an attribute up to version 13, as input 1 (with
// noop_with_empty_axes) from 18, keepdims throughout.
//
// Float reductions accumulate in float64, integer ones in int64 or uint64.
// Over an empty set of values ReduceMin gives the largest value of the
// type (+Inf), ReduceProd 1, ReduceLogSum and ReduceLogSumExp -Inf and the
// others 0, as the ONNX reference implementation does. ReduceMin
// propagates NaN.
func init() {
	registerReduce("ReduceMin", []int{1, 11, 12, 13}, []int{18}, runMinFor)
	registerReduce("ReduceProd", []int{1, 11, 13}, []int{18}, runProdFor)
	registerReduce("ReduceL1", []int{1, 11, 13}, []int{18}, runL1For)
	registerReduce("ReduceSumSquare", []int{1, 11, 13}, []int{18}, runSumSquareFor)
	registerReduce("ReduceL2", []int{1, 11, 13}, []int{18}, runL2For)
	registerReduce("ReduceLogSum", []int{1, 11, 13}, []int{18}, runLogSumFor)
	registerReduce("ReduceLogSumExp", []int{1, 11, 13}, []int{18}, runLogSumExpFor)
}

// The reductions of a tensor of element type T (see reducer).
//
//dtypes:numeric
func runMin[T tensors.Numeric](x *tensors.Tensor, p *reducePlan, into *tensors.Tensor) (*tensors.Tensor, error) {
	return runReduce(x, p, into, reduceMin[T])
}

//dtypes:numeric
func runProd[T tensors.Numeric](x *tensors.Tensor, p *reducePlan, into *tensors.Tensor) (*tensors.Tensor, error) {
	return runReduce(x, p, into, accumulator(reduceFold[T, float64](1, accProd), reduceFold[T, int64](1, accProd), reduceFold[T, uint64](1, accProd)))
}

//dtypes:numeric
func runL1[T tensors.Numeric](x *tensors.Tensor, p *reducePlan, into *tensors.Tensor) (*tensors.Tensor, error) {
	return runReduce(x, p, into, accumulator(reduceFold[T, float64](0, accAbs), reduceFold[T, int64](0, accAbs), reduceFold[T, uint64](0, accAbs)))
}

//dtypes:numeric
func runSumSquare[T tensors.Numeric](x *tensors.Tensor, p *reducePlan, into *tensors.Tensor) (*tensors.Tensor, error) {
	return runReduce(x, p, into, accumulator(reduceFold[T, float64](0, accSquare), reduceFold[T, int64](0, accSquare), reduceFold[T, uint64](0, accSquare)))
}

//dtypes:numeric
func runL2[T tensors.Numeric](x *tensors.Tensor, p *reducePlan, into *tensors.Tensor) (*tensors.Tensor, error) {
	return runReduce(x, p, into, reduceThen[T](accSquare, math.Sqrt))
}

//dtypes:numeric
func runLogSum[T tensors.Numeric](x *tensors.Tensor, p *reducePlan, into *tensors.Tensor) (*tensors.Tensor, error) {
	return runReduce(x, p, into, reduceThen[T](accSum, math.Log))
}

//dtypes:numeric
func runLogSumExp[T tensors.Numeric](x *tensors.Tensor, p *reducePlan, into *tensors.Tensor) (*tensors.Tensor, error) {
	return runReduce(x, p, into, reduceLogSumExp[T])
}

func accProd[T, A tensors.Numeric](acc A, v T) A { return acc * A(v) }

func accAbs[T, A tensors.Numeric](acc A, v T) A {
	if v < 0 {
		return acc - A(v)
	}
	return acc + A(v)
}

func accSquare[T, A tensors.Numeric](acc A, v T) A { return acc + A(v)*A(v) }

func accSum[T, A tensors.Numeric](acc A, v T) A { return acc + A(v) }

// visitReduce calls f on src[base+o+k*step] for o in offs and 0 <= k < n.
func visitReduce[T tensors.Numeric](src []T, base int, offs []int, n, step int, f func(T)) {
	for _, o := range offs {
		s := base + o
		for k := 0; k < n; k++ {
			f(src[s+k*step])
		}
	}
}

// reduceFold folds the values with f starting from init in accumulator type A.
func reduceFold[T, A tensors.Numeric](init A, f func(A, T) A) reduceFunc[T] {
	return func(src []T, base int, offs []int, n, step int) T {
		acc := init
		visitReduce(src, base, offs, n, step, func(v T) { acc = f(acc, v) })
		return T(acc)
	}
}

// reduceThen folds the values in float64 with f starting from 0, then
// applies g to the result.
func reduceThen[T tensors.Numeric](f func(float64, T) float64, g func(float64) float64) reduceFunc[T] {
	return func(src []T, base int, offs []int, n, step int) T {
		acc := 0.0
		visitReduce(src, base, offs, n, step, func(v T) { acc = f(acc, v) })
		return T(g(acc))
	}
}

func reduceLogSumExp[T tensors.Numeric](src []T, base int, offs []int, n, step int) T {
	m := math.Inf(-1)
	visitReduce(src, base, offs, n, step, func(v T) { m = max(m, float64(v)) })
	if math.IsInf(m, 0) || m != m {
		// Empty (-Inf), all -Inf, or an infinity or NaN that the sum
		// would give anyway.
		s := 0.0
		visitReduce(src, base, offs, n, step, func(v T) { s += math.Exp(float64(v)) })
		return T(math.Log(s))
	}
	s := 0.0
	visitReduce(src, base, offs, n, step, func(v T) { s += math.Exp(float64(v) - m) })
	return T(m + math.Log(s))
}

func reduceMin[T tensors.Numeric](src []T, base int, offs []int, n, step int) T {
	acc := highestValue[T]()
	for _, o := range offs {
		s := base + o
		for k := 0; k < n; k++ {
			if v := src[s+k*step]; v < acc || v != v {
				acc = v
				if v != v {
					return v
				}
			}
		}
	}
	return acc
}

// highestValue returns the largest value of T (+Inf for floats).
func highestValue[T tensors.Numeric]() T {
	dt := tensors.DTypeOf[T]()
	bits := uint(8 * dt.Size())
	switch {
	case dt.IsFloat():
		inf := math.Inf(1)
		return T(inf)
	case dt.IsSigned():
		return T(int64(1)<<(bits-1) - 1)
	}
	return T(^uint64(0) >> (64 - bits))
}
