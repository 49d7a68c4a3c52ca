package onnx

import (
	"errors"
	"fmt"

	"gorgonia.org/tensor"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

var denseTypes = map[tensors.DType]tensor.Dtype{
	tensors.Float32: tensor.Float32, tensors.Float64: tensor.Float64,
	tensors.Int8: tensor.Int8, tensors.Int16: tensor.Int16, tensors.Int32: tensor.Int32, tensors.Int64: tensor.Int64,
	tensors.Uint8: tensor.Uint8, tensors.Uint16: tensor.Uint16, tensors.Uint32: tensor.Uint32, tensors.Uint64: tensor.Uint64,
	tensors.Bool: tensor.Bool, tensors.String: tensor.String,
}

// DTypeOfDense returns the ONNX element type of a gorgonia dtype, or an
// error for types ONNX has no equivalent of (int, uint, complex, ...).
func DTypeOfDense(dt tensor.Dtype) (tensors.DType, error) {
	for k, v := range denseTypes {
		if v == dt {
			return k, nil
		}
	}
	return tensors.Undefined, fmt.Errorf("gorgonia dtype %v has no ONNX equivalent (use a sized type such as int64 or float32): %w", dt, ErrUnsupported)
}

// ToDense copies t into a new *tensor.Dense. A rank-0 tensor becomes a
// gorgonia scalar (shape ()). Tensors with no elements (a zero dimension)
// cannot be represented by *tensor.Dense and are an error; use
// Model.RunTensors to get them.
func ToDense(t *tensors.Tensor) (*tensor.Dense, error) {
	if _, ok := denseTypes[t.DType()]; !ok {
		return nil, fmt.Errorf("onnx: %v tensor: %w", t.DType(), ErrUnsupported)
	}
	if t.Len() == 0 {
		return nil, fmt.Errorf("onnx: tensor %v has no elements; *tensor.Dense cannot represent it (use RunTensors)", t)
	}
	data := t.Clone().Data()
	if t.Rank() == 0 {
		return tensor.New(tensor.FromScalar(firstElem(data))), nil
	}
	return tensor.New(tensor.WithShape(t.Shape()...), tensor.WithBacking(data)), nil
}

func firstElem(data any) any {
	switch s := data.(type) {
	case []float32:
		return s[0]
	case []float64:
		return s[0]
	case []int8:
		return s[0]
	case []int16:
		return s[0]
	case []int32:
		return s[0]
	case []int64:
		return s[0]
	case []uint8:
		return s[0]
	case []uint16:
		return s[0]
	case []uint32:
		return s[0]
	case []uint64:
		return s[0]
	case []bool:
		return s[0]
	case []string:
		return s[0]
	}
	return nil
}

// FromDense converts a *tensor.Dense to a Tensor. Contiguous row-major
// data is shared, not copied (the runtime never writes to inputs; the
// caller must not modify d while the result is in use); views and
// transposed tensors are copied into row-major order first.
func FromDense(d *tensor.Dense) (*tensors.Tensor, error) {
	if d == nil {
		return nil, errors.New("onnx: nil *tensor.Dense")
	}
	dt, err := DTypeOfDense(d.Dtype())
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	if d.IsMasked() {
		return nil, fmt.Errorf("onnx: masked tensors: %w", ErrUnsupported)
	}
	if d.IsMaterializable() || d.RequiresIterator() {
		m, ok := d.Materialize().(*tensor.Dense)
		if !ok || m.IsMaterializable() {
			return nil, errors.New("onnx: cannot materialize tensor view")
		}
		d = m
	}
	shape := []int(d.Shape())
	if d.IsScalar() {
		shape = nil
		data := d.Data()
		return fromSlice(dt, shape, wrapScalar(data))
	}
	n, err := tensors.NumElements(shape)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	return fromSlice(dt, shape, sliceTo(d.Data(), n))
}

// wrapScalar turns a gorgonia scalar value into a one-element slice.
func wrapScalar(v any) any {
	switch x := v.(type) {
	case float32:
		return []float32{x}
	case float64:
		return []float64{x}
	case int8:
		return []int8{x}
	case int16:
		return []int16{x}
	case int32:
		return []int32{x}
	case int64:
		return []int64{x}
	case uint8:
		return []uint8{x}
	case uint16:
		return []uint16{x}
	case uint32:
		return []uint32{x}
	case uint64:
		return []uint64{x}
	case bool:
		return []bool{x}
	case string:
		return []string{x}
	}
	return nil
}

// sliceTo returns the first n elements of a slice (a backing array may be
// longer than the tensor), or the slice unchanged if it is shorter, which
// fromSlice then reports.
func sliceTo(data any, n int) any {
	switch s := data.(type) {
	case []float32:
		return s[:min(n, len(s))]
	case []float64:
		return s[:min(n, len(s))]
	case []int8:
		return s[:min(n, len(s))]
	case []int16:
		return s[:min(n, len(s))]
	case []int32:
		return s[:min(n, len(s))]
	case []int64:
		return s[:min(n, len(s))]
	case []uint8:
		return s[:min(n, len(s))]
	case []uint16:
		return s[:min(n, len(s))]
	case []uint32:
		return s[:min(n, len(s))]
	case []uint64:
		return s[:min(n, len(s))]
	case []bool:
		return s[:min(n, len(s))]
	case []string:
		return s[:min(n, len(s))]
	}
	return data
}

func fromSlice(dt tensors.DType, shape []int, data any) (*tensors.Tensor, error) {
	var t *tensors.Tensor
	var err error
	switch s := data.(type) {
	case []float32:
		t, err = tensors.New(shape, s)
	case []float64:
		t, err = tensors.New(shape, s)
	case []int8:
		t, err = tensors.New(shape, s)
	case []int16:
		t, err = tensors.New(shape, s)
	case []int32:
		t, err = tensors.New(shape, s)
	case []int64:
		t, err = tensors.New(shape, s)
	case []uint8:
		t, err = tensors.New(shape, s)
	case []uint16:
		t, err = tensors.New(shape, s)
	case []uint32:
		t, err = tensors.New(shape, s)
	case []uint64:
		t, err = tensors.New(shape, s)
	case []bool:
		t, err = tensors.New(shape, s)
	case []string:
		t, err = tensors.New(shape, s)
	default:
		return nil, fmt.Errorf("onnx: %v tensor holds %T", dt, data)
	}
	if err != nil {
		return nil, fmt.Errorf("onnx: %v tensor: %w", dt, err)
	}
	if t.DType() != dt {
		return nil, fmt.Errorf("onnx: tensor claims %v but holds %T", dt, data)
	}
	return t, nil
}

// ProtoToDense decodes a TensorProto into a *tensor.Dense (see
// ops.FromProto for the checks, and ToDense for what cannot be
// represented).
func ProtoToDense(tp *onnxpb.TensorProto) (*tensor.Dense, error) {
	t, err := tensors.FromProto(tp)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	return ToDense(t)
}

// DenseToProto encodes a *tensor.Dense as a TensorProto named name, with
// its elements in raw_data (strings in string_data). Exporters use it for
// initializers.
func DenseToProto(name string, d *tensor.Dense) (*onnxpb.TensorProto, error) {
	t, err := FromDense(d)
	if err != nil {
		return nil, fmt.Errorf("onnx: tensor %q: %w", name, err)
	}
	return tensors.ToProto(name, t), nil
}
