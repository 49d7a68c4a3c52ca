package onnx

import (
	"errors"
	"fmt"
	"reflect"

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
	if k := t.Kind(); k != tensors.TensorKind {
		return nil, fmt.Errorf("onnx: %v is a %v value; *tensor.Dense holds tensors only (use RunTensors): %w", t, k, ErrUnsupported)
	}
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

// firstElem returns the first element of a []T.
func firstElem(data any) any { return reflect.ValueOf(data).Index(0).Interface() }

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
	s := reflect.MakeSlice(reflect.SliceOf(reflect.TypeOf(v)), 1, 1)
	s.Index(0).Set(reflect.ValueOf(v))
	return s.Interface()
}

// sliceTo returns the first n elements of a slice (a backing array may be
// longer than the tensor), or the slice unchanged if it is shorter, which
// fromSlice then reports.
func sliceTo(data any, n int) any {
	v := reflect.ValueOf(data)
	if v.Kind() != reflect.Slice {
		return data
	}
	return v.Slice(0, min(n, v.Len())).Interface()
}

func fromSlice(dt tensors.DType, shape []int, data any) (*tensors.Tensor, error) {
	if got, _, ok := tensors.SliceDType(data); !ok || got != dt {
		return nil, fmt.Errorf("onnx: %v tensor holds %T", dt, data)
	}
	t, err := tensors.NewFromSlice(shape, data)
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
