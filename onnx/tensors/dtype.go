package tensors

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
)

// DType is a tensor element type. Its values are those of ONNX's
// TensorProto.DataType, so a DType converts to and from the proto's
// data_type field and TypeProto elem_type with a plain conversion.
type DType int32

// Element types. Only those for which Supported reports true can be held in
// a Tensor; the others exist so that errors can name them.
const (
	Undefined  DType = 0
	Float32    DType = 1
	Uint8      DType = 2
	Int8       DType = 3
	Uint16     DType = 4
	Int16      DType = 5
	Int32      DType = 6
	Int64      DType = 7
	String     DType = 8
	Bool       DType = 9
	Float16    DType = 10
	Float64    DType = 11
	Uint32     DType = 12
	Uint64     DType = 13
	Complex64  DType = 14
	Complex128 DType = 15
	BFloat16   DType = 16
)

var dtypeNames = map[DType]string{
	Undefined: "undefined", Float32: "float32", Uint8: "uint8", Int8: "int8",
	Uint16: "uint16", Int16: "int16", Int32: "int32", Int64: "int64",
	String: "string", Bool: "bool", Float16: "float16", Float64: "float64",
	Uint32: "uint32", Uint64: "uint64", Complex64: "complex64",
	Complex128: "complex128", BFloat16: "bfloat16",
	17: "float8e4m3fn", 18: "float8e4m3fnuz", 19: "float8e5m2",
	20: "float8e5m2fnuz", 21: "uint4", 22: "int4",
}

// String returns the Go-style name of the type ("float32", "int64", ...).
func (d DType) String() string {
	if s, ok := dtypeNames[d]; ok {
		return s
	}
	return "dtype(" + strconv.Itoa(int(d)) + ")"
}

// Supported reports whether tensors of this element type can be held and
// computed on by onnxkit.
func (d DType) Supported() bool {
	switch d {
	case Float32, Float64, Int8, Int16, Int32, Int64, Uint8, Uint16, Uint32, Uint64, Bool, String, Float16, BFloat16:
		return true
	}
	return false
}

// Size returns the number of bytes of one element in ONNX's raw_data
// encoding, or 0 for String and for unsupported types.
func (d DType) Size() int {
	switch d {
	case Int8, Uint8, Bool:
		return 1
	case Int16, Uint16, Float16, BFloat16:
		return 2
	case Float32, Int32, Uint32:
		return 4
	case Float64, Int64, Uint64, Complex64:
		return 8
	case Complex128:
		return 16
	}
	return 0
}

// IsFloat reports whether d is float32 or float64.
func (d DType) IsFloat() bool { return d == Float32 || d == Float64 }

// IsInteger reports whether d is a signed or unsigned integer type.
func (d DType) IsInteger() bool { return d.IsSigned() || d.IsUnsigned() }

// IsSigned reports whether d is a signed integer type.
func (d DType) IsSigned() bool { return d == Int8 || d == Int16 || d == Int32 || d == Int64 }

// IsUnsigned reports whether d is an unsigned integer type.
func (d DType) IsUnsigned() bool {
	return d == Uint8 || d == Uint16 || d == Uint32 || d == Uint64
}

// IsNumeric reports whether d is a float or integer type (not bool, string).
func (d DType) IsNumeric() bool { return d.IsFloat() || d.IsInteger() }

// Float is the set of floating-point element types.
type Float interface{ float32 | float64 }

// Signed is the set of signed integer element types.
type Signed interface{ int8 | int16 | int32 | int64 }

// Unsigned is the set of unsigned integer element types.
type Unsigned interface {
	uint8 | uint16 | uint32 | uint64
}

// Integer is the set of integer element types.
type Integer interface{ Signed | Unsigned }

// Numeric is the set of element types that support arithmetic.
type Numeric interface{ Float | Integer }

// Fixed is the set of element types with a fixed-size little-endian
// encoding in raw_data.
type Fixed interface{ Numeric | bool | Half }

// Elem is the set of Go types a Tensor can hold, one per supported DType
// (F16 for Float16, BF16 for BFloat16).
type Elem interface{ Numeric | bool | string | Half }

// DTypeOf returns the DType whose elements are held as Go type T.
func DTypeOf[T Elem]() DType { return dtypeOfGo[reflect.TypeFor[T]()] }

// dtypeOfGo maps the Go element type of each supported DType to it; it is
// derived from the generated makeDataFor table, the one list of types.
var dtypeOfGo = func() map[reflect.Type]DType {
	m := make(map[reflect.Type]DType, len(makeDataFor))
	for dt, mk := range makeDataFor {
		m[reflect.TypeOf(mk(0)).Elem()] = dt
	}
	return m
}()

// makeData returns a zeroed []T of n elements.
//
//dtypes:elem
func makeData[T Elem](n int) any { return make([]T, n) }

// makeSlice returns a zeroed []T for the Go type of d, or nil if d is not
// supported.
func makeSlice(d DType, n int) any {
	if mk := makeDataFor[d]; mk != nil {
		return mk(n)
	}
	return nil
}

// sliceInfo returns the DType and length of a []T holding tensor elements.
func sliceInfo(data any) (DType, int, bool) {
	if data == nil {
		return Undefined, 0, false
	}
	t := reflect.TypeOf(data)
	if t.Kind() != reflect.Slice {
		return Undefined, 0, false
	}
	dt, ok := dtypeOfGo[t.Elem()]
	if !ok || t.Elem().Name() == "" {
		return Undefined, 0, false
	}
	return dt, reflect.ValueOf(data).Len(), true
}

// ErrDType returns the error for a tensor whose element type an operator
// does not accept: "input 0 (X): dtype int64 not supported (want float32,
// float64)". It wraps ErrUnsupported.
func ErrDType(what string, got DType, want ...DType) error {
	if len(want) == 0 {
		return fmt.Errorf("%s: dtype %v: %w", what, got, ErrUnsupported)
	}
	return fmt.Errorf("%s: dtype %v not supported (want %v): %w", what, got, dtypeList(want), ErrUnsupported)
}

type dtypeList []DType

// String joins the type names with commas.
func (l dtypeList) String() string {
	s := ""
	for i, d := range l {
		if i > 0 {
			s += ", "
		}
		s += d.String()
	}
	return s
}

// ErrUnsupported marks errors about valid ONNX that onnxkit does not
// implement: an operator or operator version, an element type, an attribute
// value. Test with errors.Is; the conformance report counts such models as
// unsupported rather than failing.
var ErrUnsupported = errors.New("not supported by onnxkit")

// Named reports whether d is one of ONNX's element types (supported by
// onnxkit or not), as opposed to a number no ONNX version defines.
func (d DType) Named() bool {
	_, ok := dtypeNames[d]
	return ok && d != Undefined
}

// SortedDTypes returns the element types that key m, in increasing order:
// the types a dispatch table (see internal/cmd/dtypegen) accepts, for
// error messages.
func SortedDTypes[F any](m map[DType]F) []DType {
	out := make([]DType, 0, len(m))
	for dt := range m {
		out = append(out, dt)
	}
	slices.Sort(out)
	return out
}
