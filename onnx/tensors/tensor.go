package tensors

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
)

// MaxElements bounds the number of elements of any tensor that onnxkit
// allocates (2^31, 8 GiB of float32). Shapes that claim more, whether read
// from a file or computed by an operator from its inputs, are errors rather
// than out-of-memory crashes.
const MaxElements = 1 << 31

// Tensor is an immutable dense tensor in row-major order: an element type,
// a shape and a []T of exactly Len() elements, where T is the Go type of the
// DType (float32 for Float32, int64 for Int64, ...). Rank-0 tensors
// (scalars, shape []) hold one element; tensors with a zero dimension hold
// none.
//
// Tensors are shared freely between nodes, runs and goroutines: once a
// tensor has been returned by a kernel or stored in a model, nobody writes
// to its data or shape. A kernel allocates its outputs (Make, Alloc) and
// writes them before returning; it never writes into its inputs. Zero-copy
// results (Reshape, Identity) share the input's data, which is safe because
// of this rule. The one exception is a session's own results: a recycling
// kernel (see RecyclingKernel) may overwrite the tensors it returned in the
// session's previous run, once that run is over.
//
// A Tensor may also be a sequence or an optional value (see Kind): it then
// has no elements of its own (DType Undefined, no shape) and holds its
// content as Items.
type Tensor struct {
	dtype DType
	shape []int
	data  any
	box   *container // content of a sequence or optional value, else nil
}

// DType returns the element type.
func (t *Tensor) DType() DType { return t.dtype }

// Shape returns the dimensions. The slice belongs to the tensor: callers
// must not modify it (copy it with slices.Clone to derive a new shape).
func (t *Tensor) Shape() []int { return t.shape }

// Rank returns the number of dimensions (0 for a scalar).
func (t *Tensor) Rank() int { return len(t.shape) }

// Len returns the number of elements: the product of the dimensions (1 for
// a scalar).
func (t *Tensor) Len() int {
	if t.data == nil {
		return 0
	}
	return reflect.ValueOf(t.data).Len()
}

// Data returns the elements as a []T (see Data for the typed form). Callers
// must not modify them.
func (t *Tensor) Data() any { return t.data }

// String describes the tensor's type and shape, e.g. "float32[2 3]" or
// "int64[]" for a scalar.
func (t *Tensor) String() string {
	if t == nil {
		return "<nil tensor>"
	}
	if t.box != nil {
		return t.containerString()
	}
	return t.dtype.String() + FormatShape(t.shape)
}

// Reshape returns a tensor with the same elements viewed with another shape
// of the same element count. The data is shared, not copied.
func (t *Tensor) Reshape(shape ...int) (*Tensor, error) {
	n, err := NumElements(shape)
	if err != nil {
		return nil, err
	}
	if n != t.Len() {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v (%d elements)", t, t.Len(), FormatShape(shape), n)
	}
	return &Tensor{dtype: t.dtype, shape: append([]int{}, shape...), data: t.data}, nil
}

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	if t.box != nil {
		items := make([]*Tensor, len(t.box.items))
		for i, e := range t.box.items {
			items[i] = e.Clone()
		}
		return &Tensor{dtype: t.dtype, box: &container{kind: t.box.kind, elem: t.box.elem, items: items}}
	}
	c := &Tensor{dtype: t.dtype, shape: append([]int{}, t.shape...)}
	c.data = cloneSlice(t.data)
	return c
}

func cloneSlice(data any) any {
	dt, _, ok := sliceInfo(data)
	if !ok {
		return nil
	}
	return cloneDataFor[dt](data)
}

// cloneData copies a []T.
//
//dtypes:elem
func cloneData[T Elem](data any) any { return append([]T{}, data.([]T)...) }

// Check verifies that t is internally consistent: a supported element type,
// data of that type, no negative dimension, and exactly as many elements as
// the shape says. The runtime checks every kernel output with it.
func (t *Tensor) Check() error {
	if t == nil {
		return errors.New("nil tensor")
	}
	if t.box != nil {
		return t.checkContainer()
	}
	dt, n, ok := sliceInfo(t.data)
	if !ok {
		return fmt.Errorf("tensor data of Go type %T is not a supported element slice", t.data)
	}
	if dt != t.dtype {
		return fmt.Errorf("tensor claims dtype %v but holds %T", t.dtype, t.data)
	}
	want, err := NumElements(t.shape)
	if err != nil {
		return err
	}
	if want != n {
		return fmt.Errorf("tensor %v holds %d elements, want %d", t, n, want)
	}
	return nil
}

// Data returns t's elements as []T. T must be the Go type of t.DType():
// kernels switch on DType first and call Data with the matching type; a
// mismatch is a bug in the kernel and panics (the runtime turns the panic
// into an error naming the node).
func Data[T Elem](t *Tensor) []T {
	s, ok := t.data.([]T)
	if !ok {
		var z T
		panic(fmt.Sprintf("ops.Data[%T] called on a %v tensor", z, t))
	}
	return s
}

// New wraps data (not copied) as a tensor of the given shape. It fails if the
// shape is invalid or does not hold exactly len(data) elements. The caller
// must not modify data afterwards.
func New[T Elem](shape []int, data []T) (*Tensor, error) {
	n, err := NumElements(shape)
	if err != nil {
		return nil, err
	}
	if n != len(data) {
		return nil, fmt.Errorf("shape %v needs %d elements, have %d", FormatShape(shape), n, len(data))
	}
	if data == nil {
		data = []T{}
	}
	return &Tensor{dtype: DTypeOf[T](), shape: append([]int{}, shape...), data: data}, nil
}

// Make allocates a zeroed tensor of element type T and returns it with its
// data slice for the caller to fill in. The shape is checked before
// anything is allocated (see CheckSize: no negative dimension, at most
// MaxElements elements and MaxTensorBytes bytes).
//
//	out, dst, err := ops.Make[float32](shape)
func Make[T Elem](shape []int) (*Tensor, []T, error) {
	n, err := CheckSize(DTypeOf[T](), shape)
	if err != nil {
		return nil, nil, err
	}
	d := make([]T, n)
	return &Tensor{dtype: DTypeOf[T](), shape: append([]int{}, shape...), data: d}, d, nil
}

// Alloc allocates a zeroed tensor of a dtype known only at run time.
func Alloc(dt DType, shape []int) (*Tensor, error) {
	if !dt.Supported() {
		return nil, fmt.Errorf("cannot allocate %v tensor: %w", dt, ErrUnsupported)
	}
	n, err := CheckSize(dt, shape)
	if err != nil {
		return nil, err
	}
	return &Tensor{dtype: dt, shape: append([]int{}, shape...), data: makeSlice(dt, n)}, nil
}

// Scalar returns a rank-0 tensor holding v.
func Scalar[T Elem](v T) *Tensor {
	return &Tensor{dtype: DTypeOf[T](), shape: []int{}, data: []T{v}}
}

// Vector returns a rank-1 tensor holding a copy of vals.
func Vector[T Elem](vals ...T) *Tensor {
	return &Tensor{dtype: DTypeOf[T](), shape: []int{len(vals)}, data: append([]T{}, vals...)}
}

// AsInt64s returns the elements of an integer tensor as int64s (a copy). It
// is meant for small index-like inputs: shapes, axes, pads, starts.
func AsInt64s(t *Tensor) ([]int64, error) {
	if s, ok := t.data.([]uint64); ok {
		out := make([]int64, len(s))
		for i, v := range s {
			if v > math.MaxInt64 {
				return nil, fmt.Errorf("value %d at index %d does not fit int64", v, i)
			}
			out[i] = int64(v)
		}
		return out, nil
	}
	if f, ok := widenToInt64For[t.dtype]; ok {
		return f(t.data), nil
	}
	return nil, fmt.Errorf("want an integer tensor, got %v", t)
}

// widenToInt64 and widenToFloat64 copy a []T into a new []int64 or
// []float64.
//
//dtypes:integer
func widenToInt64[T Integer](data any) []int64 { return widen[int64](data.([]T)) }

//dtypes:numeric
func widenToFloat64[T Numeric](data any) []float64 { return widen[float64](data.([]T)) }

// AsFloat64s returns the elements of a numeric, half-precision or bool
// tensor as float64s (a copy; bools become 0 and 1). Tests and tolerance checks use it.
func AsFloat64s(t *Tensor) ([]float64, error) {
	switch s := t.data.(type) {
	case []bool:
		out := make([]float64, len(s))
		for i, v := range s {
			if v {
				out[i] = 1
			}
		}
		return out, nil
	case []F16, []BF16:
		return widen[float64](halfToFloat32For[t.dtype](s)), nil
	}
	if f, ok := widenToFloat64For[t.dtype]; ok {
		return f(t.data), nil
	}
	return nil, fmt.Errorf("want a numeric tensor, got %v", t)
}

func widen[T, U Numeric](s []U) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[i] = T(v)
	}
	return out
}

// FormatShape formats a shape as "[2 3 4]" ("[]" for a scalar).
func FormatShape(shape []int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range shape {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprint(&b, d)
	}
	b.WriteByte(']')
	return b.String()
}

// ShareData makes t a view of x's elements, keeping t's shape. t must have
// x's element type and element count. It exists for recycling a kernel's
// own output headers from one run to the next (ops.RecycleView); a tensor
// anybody else may hold must never be changed.
func (t *Tensor) ShareData(x *Tensor) {
	if t.dtype != x.dtype || t.Len() != x.Len() {
		panic("tensors: ShareData between tensors of different types or lengths")
	}
	t.data = x.data
}

// SliceDType returns the element type and length of data when it is a []T
// a Tensor can hold.
func SliceDType(data any) (DType, int, bool) { return sliceInfo(data) }

// NewFromSlice is New for data whose element type is known only at run
// time: data must be a []T of a supported element type, holding exactly
// the elements of shape. The data is not copied.
func NewFromSlice(shape []int, data any) (*Tensor, error) {
	dt, n, ok := sliceInfo(data)
	if !ok {
		return nil, fmt.Errorf("tensors: %T is not a slice of a supported element type", data)
	}
	want, err := NumElements(shape)
	if err != nil {
		return nil, err
	}
	if want != n {
		return nil, fmt.Errorf("shape %v holds %d elements, data has %d", FormatShape(shape), want, n)
	}
	return &Tensor{dtype: dt, shape: append([]int{}, shape...), data: data}, nil
}
