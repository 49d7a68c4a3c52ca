package tensors

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// ErrMemoryLimit marks errors about a tensor, a model or a run that would
// need more memory than onnxkit is allowed to use: more than MaxElements
// elements or MaxTensorBytes bytes in one tensor, or more than a model's
// memory limit (see package onnx). Test with errors.Is.
var ErrMemoryLimit = errors.New("memory limit exceeded")

// DefaultMaxTensorBytes is the default of MaxTensorBytes: 4 GiB.
const DefaultMaxTensorBytes = 4 << 30

// maxTensorBytes holds the value set by SetMaxTensorBytes; 0 means
// DefaultMaxTensorBytes.
var maxTensorBytes atomic.Int64

// MaxTensorBytes returns the process-wide bound on the size in bytes of one
// tensor that onnxkit allocates (DefaultMaxTensorBytes unless changed with
// SetMaxTensorBytes). Make, Alloc and CheckSize enforce it before any
// memory is allocated, so a node asking for a huge tensor fails with an
// error wrapping ErrMemoryLimit instead of exhausting the machine.
func MaxTensorBytes() int64 {
	if n := maxTensorBytes.Load(); n > 0 {
		return n
	}
	return DefaultMaxTensorBytes
}

// SetMaxTensorBytes sets the bound returned by MaxTensorBytes for the whole
// process and returns the previous bound; n <= 0 restores the default. It
// is safe to call at any time, but runs already under way may see either
// value. Package onnx's per-model memory limit (LoadOptions.MemoryLimit)
// bounds what a whole run holds; this bound is what stops a single
// allocation before it happens.
func SetMaxTensorBytes(n int64) int64 {
	if n < 0 {
		n = 0
	}
	old := maxTensorBytes.Swap(n)
	if old <= 0 {
		old = DefaultMaxTensorBytes
	}
	return old
}

// ElemBytes returns the memory one element of type dt takes in a Tensor:
// dt.Size(), or 16 (a Go string header, the characters not included) for
// strings.
func ElemBytes(dt DType) int64 {
	if dt == String {
		return 16
	}
	return int64(dt.Size())
}

// CheckSize checks that a tensor of element type dt and this shape may be
// allocated: no negative dimension, at most MaxElements elements and at
// most MaxTensorBytes bytes. It returns the element count. Make and Alloc
// call it; kernels that allocate scratch space whose size depends on their
// inputs should call it first. Errors over a limit wrap ErrMemoryLimit.
func CheckSize(dt DType, shape []int) (int, error) {
	n, err := NumElements(shape)
	if err != nil {
		return 0, err
	}
	if limit, size := MaxTensorBytes(), int64(n)*ElemBytes(dt); size > limit {
		return 0, limitError{fmt.Sprintf("%v%s needs %d bytes, more than the tensor size limit of %d bytes", dt, FormatShape(shape), size, limit)}
	}
	return n, nil
}

// limitError is an error message that matches ErrMemoryLimit.
type limitError struct{ msg string }

func (e limitError) Error() string { return e.msg }

// Is makes errors.Is(err, ErrMemoryLimit) true.
func (e limitError) Is(target error) bool { return target == ErrMemoryLimit }
