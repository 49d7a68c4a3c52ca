package onnx

import (
	"errors"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Error classes. Every error returned by this package that falls in a
// class matches it with errors.Is, whatever its message.
var (
	// ErrUnsupported marks valid ONNX that onnxkit does not implement:
	// an operator version, an element type, an attribute value, sequence
	// or sparse values, a newer opset than onnxkit knows.
	ErrUnsupported = tensors.ErrUnsupported
	// ErrInvalidModel marks models that break the ONNX specification:
	// undefined inputs, cycles, duplicate names, inconsistent tensors.
	ErrInvalidModel = errors.New("invalid ONNX model")
	// ErrBadInput marks Run calls whose inputs do not fit the model: unknown
	// or missing names, wrong element type, rank or fixed dimension.
	ErrBadInput = errors.New("bad model input")
	// ErrInternal marks failures that are bugs in onnxkit, such as a kernel
	// that panicked or returned an inconsistent tensor.
	ErrInternal = errors.New("internal error in onnxkit")
	// ErrMemoryLimit marks models and runs that would need more memory
	// than allowed: a tensor over tensors.MaxElements or tensors.MaxTensorBytes,
	// or a model or run over its memory limit (LoadOptions.MemoryLimit).
	ErrMemoryLimit = tensors.ErrMemoryLimit
)

// classed adds an error class to err without changing its message.
type classed struct {
	err   error
	class error
}

// Error returns the wrapped error's message.
func (e *classed) Error() string { return e.err.Error() }

// Unwrap exposes both the wrapped error and the class.
func (e *classed) Unwrap() []error { return []error{e.err, e.class} }

// invalid marks err as ErrInvalidModel unless it already has a class.
func invalid(err error) error {
	if err == nil || errors.Is(err, ErrUnsupported) || errors.Is(err, ErrInvalidModel) || errors.Is(err, ErrInternal) || errors.Is(err, ErrMemoryLimit) {
		return err
	}
	return &classed{err, ErrInvalidModel}
}
