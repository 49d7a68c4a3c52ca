package ops

import (
	"fmt"
	"reflect"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Go cannot pass an uninstantiated generic function, so an elementwise
// operator that works on many element types is written once as a generic
// function and handed to the helpers below instantiated per type. A nil
// field means the operator does not accept that type; Apply then fails with
// an error wrapping ErrUnsupported.
//
//	//dtypes:numeric
//	func add[T tensors.Numeric](a, b T) T { return a + b }
//
// makes go generate write addFns, a NumericBinary with add instantiated for
// every numeric type (see internal/cmd/dtypegen); a literal with a few
// fields (or closures over attributes) serves operators with fewer types.
//
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

// WithOp returns f with Op set (see NumericBinary.Op).
func (f NumericBinary) WithOp(op byte) NumericBinary {
	f.Op = op
	return f
}

// DTypes lists the element types with a function.
func (f NumericBinary) DTypes() []tensors.DType { return presentDTypes(f.fns()) }

// DTypes lists the element types with a function.
func (f NumericPredicate) DTypes() []tensors.DType { return presentDTypes(f.fns()) }

// DTypes lists the element types with a function.
func (f NumericUnary) DTypes() []tensors.DType { return presentDTypes(f.fns()) }

func (f NumericBinary) fns() []any {
	return []any{f.F32, f.F64, f.I8, f.I16, f.I32, f.I64, f.U8, f.U16, f.U32, f.U64}
}

func (f NumericPredicate) fns() []any {
	return []any{f.F32, f.F64, f.I8, f.I16, f.I32, f.I64, f.U8, f.U16, f.U32, f.U64}
}

func (f NumericUnary) fns() []any {
	return []any{f.F32, f.F64, f.I8, f.I16, f.I32, f.I64, f.U8, f.U16, f.U32, f.U64}
}

// numericOrder is the element type of each position of the fns lists: the
// field order of the Numeric* structs.
var numericOrder = []tensors.DType{tensors.Float32, tensors.Float64, tensors.Int8, tensors.Int16, tensors.Int32,
	tensors.Int64, tensors.Uint8, tensors.Uint16, tensors.Uint32, tensors.Uint64}

// pick returns the function of fns (in numericOrder) for dt, or nil.
func pick(fns []any, dt tensors.DType) any {
	for i, d := range numericOrder {
		if d == dt && !reflect.ValueOf(fns[i]).IsNil() {
			return fns[i]
		}
	}
	return nil
}

// presentDTypes lists the element types whose function is set.
func presentDTypes(fns []any) []tensors.DType {
	var out []tensors.DType
	for i, f := range fns {
		if !reflect.ValueOf(f).IsNil() {
			out = append(out, numericOrder[i])
		}
	}
	return out
}

// Apply computes f(a, b) elementwise with multidirectional broadcasting. a
// and b must have the same element type.
func (f NumericBinary) Apply(a, b *tensors.Tensor) (*tensors.Tensor, error) {
	if a.DType() != b.DType() {
		return nil, fmt.Errorf("inputs have different dtypes %v and %v", a.DType(), b.DType())
	}
	if fn := pick(f.fns(), a.DType()); fn != nil {
		return applyBinaryFor[a.DType()](a, b, fn)
	}
	return nil, tensors.ErrDType("input", a.DType(), f.DTypes()...)
}

// Apply computes f(a, b) elementwise with broadcasting into a bool tensor.
func (f NumericPredicate) Apply(a, b *tensors.Tensor) (*tensors.Tensor, error) {
	if a.DType() != b.DType() {
		return nil, fmt.Errorf("inputs have different dtypes %v and %v", a.DType(), b.DType())
	}
	if fn := pick(f.fns(), a.DType()); fn != nil {
		return applyPredicateFor[a.DType()](a, b, fn)
	}
	return nil, tensors.ErrDType("input", a.DType(), f.DTypes()...)
}

// Apply computes f(x) elementwise.
func (f NumericUnary) Apply(x *tensors.Tensor) (*tensors.Tensor, error) {
	if fn := pick(f.fns(), x.DType()); fn != nil {
		return applyUnaryFor[x.DType()](x, fn)
	}
	return nil, tensors.ErrDType("input", x.DType(), f.DTypes()...)
}

// applyBinary, applyPredicate and applyUnary call the element-type-specific
// helpers of package tensors with fn, a func of the matching type.
//
//dtypes:numeric
func applyBinary[T tensors.Numeric](a, b *tensors.Tensor, fn any) (*tensors.Tensor, error) {
	return tensors.Binary(a, b, fn.(func(T, T) T))
}

//dtypes:numeric
func applyPredicate[T tensors.Numeric](a, b *tensors.Tensor, fn any) (*tensors.Tensor, error) {
	return tensors.Binary(a, b, fn.(func(T, T) bool))
}

//dtypes:numeric
func applyUnary[T tensors.Numeric](x *tensors.Tensor, fn any) (*tensors.Tensor, error) {
	return tensors.Unary(x, fn.(func(T) T))
}
