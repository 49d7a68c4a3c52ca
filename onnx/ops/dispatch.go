package ops

import (
	"fmt"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Go cannot pass an uninstantiated generic function, so an elementwise
// operator that works on many element types is written once as a generic
// function and handed to the helpers below instantiated per type. A nil
// field means the operator does not accept that type; Apply then fails with
// an error wrapping ErrUnsupported.
//
//	func add[T ops.Numeric](a, b T) T { return a + b }
//
//	var addFns = ops.NumericBinary{
//		F32: add[float32], F64: add[float64],
//		I8: add[int8], I16: add[int16], I32: add[int32], I64: add[int64],
//		U8: add[uint8], U16: add[uint16], U32: add[uint32], U64: add[uint64],
//	}
//	out, err := addFns.Apply(a, b) // broadcasting, dtype dispatch

// NumericBinary holds one instantiation per numeric element type of a
// binary function whose inputs and output share the element type.
type NumericBinary struct {
	F32 func(a, b float32) float32
	F64 func(a, b float64) float64
	I8  func(a, b int8) int8
	I16 func(a, b int16) int16
	I32 func(a, b int32) int32
	I64 func(a, b int64) int64
	U8  func(a, b uint8) uint8
	U16 func(a, b uint16) uint16
	U32 func(a, b uint32) uint32
	U64 func(a, b uint64) uint64
	// Op, when set ('+', '-' or '*'), says which arithmetic the functions
	// compute, so that fast paths can run it without a call per element.
	Op byte
}

// DTypes lists the element types with a function.
func (f NumericBinary) DTypes() []tensors.DType {
	return presentDTypes(f.F32 != nil, f.F64 != nil, f.I8 != nil, f.I16 != nil, f.I32 != nil,
		f.I64 != nil, f.U8 != nil, f.U16 != nil, f.U32 != nil, f.U64 != nil)
}

// Apply computes f(a, b) elementwise with multidirectional broadcasting. a
// and b must have the same element type.
func (f NumericBinary) Apply(a, b *tensors.Tensor) (*tensors.Tensor, error) {
	if a.DType() != b.DType() {
		return nil, fmt.Errorf("inputs have different dtypes %v and %v", a.DType(), b.DType())
	}
	switch {
	case a.DType() == tensors.Float32 && f.F32 != nil:
		return tensors.Binary(a, b, f.F32)
	case a.DType() == tensors.Float64 && f.F64 != nil:
		return tensors.Binary(a, b, f.F64)
	case a.DType() == tensors.Int8 && f.I8 != nil:
		return tensors.Binary(a, b, f.I8)
	case a.DType() == tensors.Int16 && f.I16 != nil:
		return tensors.Binary(a, b, f.I16)
	case a.DType() == tensors.Int32 && f.I32 != nil:
		return tensors.Binary(a, b, f.I32)
	case a.DType() == tensors.Int64 && f.I64 != nil:
		return tensors.Binary(a, b, f.I64)
	case a.DType() == tensors.Uint8 && f.U8 != nil:
		return tensors.Binary(a, b, f.U8)
	case a.DType() == tensors.Uint16 && f.U16 != nil:
		return tensors.Binary(a, b, f.U16)
	case a.DType() == tensors.Uint32 && f.U32 != nil:
		return tensors.Binary(a, b, f.U32)
	case a.DType() == tensors.Uint64 && f.U64 != nil:
		return tensors.Binary(a, b, f.U64)
	}
	return nil, tensors.ErrDType("input", a.DType(), f.DTypes()...)
}

// NumericPredicate holds one instantiation per numeric element type of a
// binary function with a bool result (comparisons).
type NumericPredicate struct {
	F32 func(a, b float32) bool
	F64 func(a, b float64) bool
	I8  func(a, b int8) bool
	I16 func(a, b int16) bool
	I32 func(a, b int32) bool
	I64 func(a, b int64) bool
	U8  func(a, b uint8) bool
	U16 func(a, b uint16) bool
	U32 func(a, b uint32) bool
	U64 func(a, b uint64) bool
}

// DTypes lists the element types with a function.
func (f NumericPredicate) DTypes() []tensors.DType {
	return presentDTypes(f.F32 != nil, f.F64 != nil, f.I8 != nil, f.I16 != nil, f.I32 != nil,
		f.I64 != nil, f.U8 != nil, f.U16 != nil, f.U32 != nil, f.U64 != nil)
}

// Apply computes f(a, b) elementwise with broadcasting into a bool tensor.
func (f NumericPredicate) Apply(a, b *tensors.Tensor) (*tensors.Tensor, error) {
	if a.DType() != b.DType() {
		return nil, fmt.Errorf("inputs have different dtypes %v and %v", a.DType(), b.DType())
	}
	switch {
	case a.DType() == tensors.Float32 && f.F32 != nil:
		return tensors.Binary(a, b, f.F32)
	case a.DType() == tensors.Float64 && f.F64 != nil:
		return tensors.Binary(a, b, f.F64)
	case a.DType() == tensors.Int8 && f.I8 != nil:
		return tensors.Binary(a, b, f.I8)
	case a.DType() == tensors.Int16 && f.I16 != nil:
		return tensors.Binary(a, b, f.I16)
	case a.DType() == tensors.Int32 && f.I32 != nil:
		return tensors.Binary(a, b, f.I32)
	case a.DType() == tensors.Int64 && f.I64 != nil:
		return tensors.Binary(a, b, f.I64)
	case a.DType() == tensors.Uint8 && f.U8 != nil:
		return tensors.Binary(a, b, f.U8)
	case a.DType() == tensors.Uint16 && f.U16 != nil:
		return tensors.Binary(a, b, f.U16)
	case a.DType() == tensors.Uint32 && f.U32 != nil:
		return tensors.Binary(a, b, f.U32)
	case a.DType() == tensors.Uint64 && f.U64 != nil:
		return tensors.Binary(a, b, f.U64)
	}
	return nil, tensors.ErrDType("input", a.DType(), f.DTypes()...)
}

// NumericUnary holds one instantiation per numeric element type of a unary
// function whose input and output share the element type.
type NumericUnary struct {
	F32 func(float32) float32
	F64 func(float64) float64
	I8  func(int8) int8
	I16 func(int16) int16
	I32 func(int32) int32
	I64 func(int64) int64
	U8  func(uint8) uint8
	U16 func(uint16) uint16
	U32 func(uint32) uint32
	U64 func(uint64) uint64
}

// DTypes lists the element types with a function.
func (f NumericUnary) DTypes() []tensors.DType {
	return presentDTypes(f.F32 != nil, f.F64 != nil, f.I8 != nil, f.I16 != nil, f.I32 != nil,
		f.I64 != nil, f.U8 != nil, f.U16 != nil, f.U32 != nil, f.U64 != nil)
}

// Apply computes f(x) elementwise.
func (f NumericUnary) Apply(x *tensors.Tensor) (*tensors.Tensor, error) {
	switch {
	case x.DType() == tensors.Float32 && f.F32 != nil:
		return tensors.Unary(x, f.F32)
	case x.DType() == tensors.Float64 && f.F64 != nil:
		return tensors.Unary(x, f.F64)
	case x.DType() == tensors.Int8 && f.I8 != nil:
		return tensors.Unary(x, f.I8)
	case x.DType() == tensors.Int16 && f.I16 != nil:
		return tensors.Unary(x, f.I16)
	case x.DType() == tensors.Int32 && f.I32 != nil:
		return tensors.Unary(x, f.I32)
	case x.DType() == tensors.Int64 && f.I64 != nil:
		return tensors.Unary(x, f.I64)
	case x.DType() == tensors.Uint8 && f.U8 != nil:
		return tensors.Unary(x, f.U8)
	case x.DType() == tensors.Uint16 && f.U16 != nil:
		return tensors.Unary(x, f.U16)
	case x.DType() == tensors.Uint32 && f.U32 != nil:
		return tensors.Unary(x, f.U32)
	case x.DType() == tensors.Uint64 && f.U64 != nil:
		return tensors.Unary(x, f.U64)
	}
	return nil, tensors.ErrDType("input", x.DType(), f.DTypes()...)
}

// presentDTypes maps flags in the field order of the Numeric* structs
// (F32, F64, I8, I16, I32, I64, U8, U16, U32, U64) to the DTypes present.
func presentDTypes(flags ...bool) []tensors.DType {
	order := []tensors.DType{tensors.Float32, tensors.Float64, tensors.Int8, tensors.Int16, tensors.Int32, tensors.Int64, tensors.Uint8, tensors.Uint16, tensors.Uint32, tensors.Uint64}
	var out []tensors.DType
	for i, ok := range flags {
		if ok {
			out = append(out, order[i])
		}
	}
	return out
}
