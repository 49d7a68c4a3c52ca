package onnx

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// readExternal returns a copy of an externally stored tensor with its bytes
// in raw_data. The location must be a relative path that stays inside the
// model's folder (no absolute paths, no "..", no symbolic link leading
// out), and offset and length must lie within the file and match the
// tensor's size, which is checked before anything is read, as is the size
// against maxBytes (what is left of the model's memory limit).
func (m *Model) readExternal(tp *onnxpb.TensorProto, maxBytes int64) (*onnxpb.TensorProto, error) {
	if m.dir == "" {
		return nil, errors.New("models with external data must be loaded from a file")
	}
	var location string
	offset, length := int64(0), int64(-1)
	for _, kv := range tp.GetExternalData() {
		var err error
		switch kv.GetKey() {
		case "location":
			location = kv.GetValue()
		case "offset":
			offset, err = strconv.ParseInt(kv.GetValue(), 10, 64)
		case "length":
			length, err = strconv.ParseInt(kv.GetValue(), 10, 64)
		case "checksum":
		default:
			return nil, fmt.Errorf("unknown key %q", kv.GetKey())
		}
		if err != nil || offset < 0 || (kv.GetKey() == "length" && length < 0) {
			return nil, fmt.Errorf("invalid %s %q", kv.GetKey(), kv.GetValue())
		}
	}
	if location == "" {
		return nil, errors.New("no location")
	}
	local := filepath.FromSlash(location)
	if !filepath.IsLocal(local) {
		return nil, fmt.Errorf("location %q is outside the model's folder", location)
	}
	dt := tensors.DType(tp.GetDataType())
	if !dt.Supported() || dt == tensors.String {
		return nil, fmt.Errorf("element type %v: %w", dt, ErrUnsupported)
	}
	shape, err := tensors.ShapeFromInt64s(tp.GetDims())
	if err != nil {
		return nil, err
	}
	n, err := tensors.NumElements(shape)
	if err != nil {
		return nil, err
	}
	want := int64(n) * int64(dt.Size())
	if want > maxBytes {
		return nil, &classed{fmt.Errorf("%s: %d bytes for %v %v, more than the %d bytes left under the model's memory limit", location, want, dt, tensors.FormatShape(shape), maxBytes), ErrMemoryLimit}
	}
	root, err := os.OpenRoot(m.dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	// The root refuses symbolic links that leave the folder; O_NONBLOCK
	// keeps a FIFO from blocking the open until someone writes to it.
	f, err := root.OpenFile(local, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%v)", location, fi.Mode().Type())
	}
	if length < 0 {
		length = fi.Size() - offset
	}
	switch {
	case length != want:
		return nil, fmt.Errorf("%s: length %d, want %d bytes for %v %v", location, length, want, dt, shape)
	case offset > fi.Size() || length > fi.Size()-offset:
		return nil, fmt.Errorf("%s: bytes [%d, %d) lie beyond the end of the file (%d bytes)", location, offset, offset+length, fi.Size())
	}
	raw := make([]byte, length)
	if _, err := f.ReadAt(raw, offset); err != nil && !(errors.Is(err, io.EOF) && length == 0) {
		return nil, fmt.Errorf("%s: %w", location, err)
	}
	return &onnxpb.TensorProto{Name: tp.GetName(), Dims: tp.GetDims(), DataType: tp.GetDataType(), RawData: raw}, nil
}
