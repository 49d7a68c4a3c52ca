package ops

import "math"

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
	registerReduce("ReduceMin", []int{1, 11, 12, 13}, []int{18}, reducer{
		f32: reduceMin[float32], f64: reduceMin[float64],
		i8: reduceMin[int8], i16: reduceMin[int16], i32: reduceMin[int32], i64: reduceMin[int64],
		u8: reduceMin[uint8], u16: reduceMin[uint16], u32: reduceMin[uint32], u64: reduceMin[uint64],
	})
	registerReduce("ReduceProd", []int{1, 11, 13}, []int{18}, reducer{
		f32: reduceFold[float32, float64](1, accProd), f64: reduceFold[float64, float64](1, accProd), i8: reduceFold[int8, int64](1, accProd), i16: reduceFold[int16, int64](1, accProd), i32: reduceFold[int32, int64](1, accProd), i64: reduceFold[int64, int64](1, accProd), u8: reduceFold[uint8, uint64](1, accProd), u16: reduceFold[uint16, uint64](1, accProd), u32: reduceFold[uint32, uint64](1, accProd), u64: reduceFold[uint64, uint64](1, accProd),
	})
	registerReduce("ReduceL1", []int{1, 11, 13}, []int{18}, reducer{
		f32: reduceFold[float32, float64](0, accAbs), f64: reduceFold[float64, float64](0, accAbs), i8: reduceFold[int8, int64](0, accAbs), i16: reduceFold[int16, int64](0, accAbs), i32: reduceFold[int32, int64](0, accAbs), i64: reduceFold[int64, int64](0, accAbs), u8: reduceFold[uint8, uint64](0, accAbs), u16: reduceFold[uint16, uint64](0, accAbs), u32: reduceFold[uint32, uint64](0, accAbs), u64: reduceFold[uint64, uint64](0, accAbs),
	})
	registerReduce("ReduceSumSquare", []int{1, 11, 13}, []int{18}, reducer{
		f32: reduceFold[float32, float64](0, accSquare), f64: reduceFold[float64, float64](0, accSquare), i8: reduceFold[int8, int64](0, accSquare), i16: reduceFold[int16, int64](0, accSquare), i32: reduceFold[int32, int64](0, accSquare), i64: reduceFold[int64, int64](0, accSquare), u8: reduceFold[uint8, uint64](0, accSquare), u16: reduceFold[uint16, uint64](0, accSquare), u32: reduceFold[uint32, uint64](0, accSquare), u64: reduceFold[uint64, uint64](0, accSquare),
	})
	registerReduce("ReduceL2", []int{1, 11, 13}, []int{18}, reducer{
		f32: reduceThen[float32](accSquare, math.Sqrt), f64: reduceThen[float64](accSquare, math.Sqrt), i8: reduceThen[int8](accSquare, math.Sqrt), i16: reduceThen[int16](accSquare, math.Sqrt), i32: reduceThen[int32](accSquare, math.Sqrt), i64: reduceThen[int64](accSquare, math.Sqrt), u8: reduceThen[uint8](accSquare, math.Sqrt), u16: reduceThen[uint16](accSquare, math.Sqrt), u32: reduceThen[uint32](accSquare, math.Sqrt), u64: reduceThen[uint64](accSquare, math.Sqrt),
	})
	registerReduce("ReduceLogSum", []int{1, 11, 13}, []int{18}, reducer{
		f32: reduceThen[float32](accSum, math.Log), f64: reduceThen[float64](accSum, math.Log), i8: reduceThen[int8](accSum, math.Log), i16: reduceThen[int16](accSum, math.Log), i32: reduceThen[int32](accSum, math.Log), i64: reduceThen[int64](accSum, math.Log), u8: reduceThen[uint8](accSum, math.Log), u16: reduceThen[uint16](accSum, math.Log), u32: reduceThen[uint32](accSum, math.Log), u64: reduceThen[uint64](accSum, math.Log),
	})
	registerReduce("ReduceLogSumExp", []int{1, 11, 13}, []int{18}, reducer{
		f32: reduceLogSumExp[float32], f64: reduceLogSumExp[float64], i8: reduceLogSumExp[int8], i16: reduceLogSumExp[int16], i32: reduceLogSumExp[int32], i64: reduceLogSumExp[int64], u8: reduceLogSumExp[uint8], u16: reduceLogSumExp[uint16], u32: reduceLogSumExp[uint32], u64: reduceLogSumExp[uint64],
	})
}

func accProd[T, A Numeric](acc A, v T) A { return acc * A(v) }

func accAbs[T, A Numeric](acc A, v T) A {
	if v < 0 {
		return acc - A(v)
	}
	return acc + A(v)
}

func accSquare[T, A Numeric](acc A, v T) A { return acc + A(v)*A(v) }

func accSum[T, A Numeric](acc A, v T) A { return acc + A(v) }

// visitReduce calls f on src[base+o+k*step] for o in offs and 0 <= k < n.
func visitReduce[T Numeric](src []T, base int, offs []int, n, step int, f func(T)) {
	for _, o := range offs {
		s := base + o
		for k := 0; k < n; k++ {
			f(src[s+k*step])
		}
	}
}

// reduceFold folds the values with f starting from init in accumulator type A.
func reduceFold[T, A Numeric](init A, f func(A, T) A) reduceFunc[T] {
	return func(src []T, base int, offs []int, n, step int) T {
		acc := init
		visitReduce(src, base, offs, n, step, func(v T) { acc = f(acc, v) })
		return T(acc)
	}
}

// reduceThen folds the values in float64 with f starting from 0, then
// applies g to the result.
func reduceThen[T Numeric](f func(float64, T) float64, g func(float64) float64) reduceFunc[T] {
	return func(src []T, base int, offs []int, n, step int) T {
		acc := 0.0
		visitReduce(src, base, offs, n, step, func(v T) { acc = f(acc, v) })
		return T(g(acc))
	}
}

func reduceLogSumExp[T Numeric](src []T, base int, offs []int, n, step int) T {
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

func reduceMin[T Numeric](src []T, base int, offs []int, n, step int) T {
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
func highestValue[T Numeric]() T {
	var z T
	var v any
	switch any(z).(type) {
	case float32:
		v = float32(math.Inf(1))
	case float64:
		v = math.Inf(1)
	case int8:
		v = int8(math.MaxInt8)
	case int16:
		v = int16(math.MaxInt16)
	case int32:
		v = int32(math.MaxInt32)
	case int64:
		v = int64(math.MaxInt64)
	case uint8:
		v = uint8(math.MaxUint8)
	case uint16:
		v = uint16(math.MaxUint16)
	case uint32:
		v = uint32(math.MaxUint32)
	default:
		v = uint64(math.MaxUint64)
	}
	return v.(T)
}
