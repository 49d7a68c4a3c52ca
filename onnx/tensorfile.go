package onnx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/sbinet/npyio/npy"
	"google.golang.org/protobuf/proto"

	"github.com/onnxkit/onnxkit/internal/atomicfile"
	"github.com/onnxkit/onnxkit/onnx/onnxpb"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Tensor file formats, chosen by file extension (case-insensitive).
const (
	// NPYExt marks NumPy .npy files (one array, C order).
	NPYExt = ".npy"
	// PBExt marks files holding one serialized ONNX TensorProto.
	PBExt = ".pb"
)

// ReadTensorFile reads one tensor from a file whose format is chosen by
// its extension:
//
//   - .npy: a NumPy array file (format versions 1.0 and 2.0) of float32,
//     float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64 or
//     bool elements, little- or big-endian, in C (row-major) order. Arrays
//     saved in Fortran order are refused (ErrUnsupported); numpy's
//     ascontiguousarray converts them.
//   - .pb: a serialized ONNX TensorProto, as read by ReadTensor.
//
// A file whose size does not match its header (a truncated or padded
// file), or larger than MaxTensorFileBytes, is an error. Every error names
// the file.
func ReadTensorFile(path string) (*tensors.Tensor, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case NPYExt:
		b, err := readFileLimited(path, MaxTensorFileBytes(), "the tensor file limit")
		if errors.Is(err, ErrMemoryLimit) {
			return nil, fmt.Errorf("onnx: read tensor %s: %w", path, err)
		}
		if err != nil {
			return nil, fmt.Errorf("onnx: read tensor: %w", err)
		}
		t, err := decodeNPY(b)
		if err != nil {
			return nil, fmt.Errorf("onnx: read tensor %s: %w", path, err)
		}
		return t, nil
	case PBExt:
		return readTensorProto(path)
	}
	return nil, fmt.Errorf("onnx: read tensor %s: unknown file type %q (want %s or %s)", path, filepath.Ext(path), NPYExt, PBExt)
}

// ReadValueFile reads a value of declared type want from a file: a tensor
// as ReadTensorFile does, or, for a sequence or optional type, a .pb file
// holding a serialized SequenceProto or OptionalProto (the layout of ONNX's
// test data; .npy files hold tensors only). Errors name the file.
func ReadValueFile(path string, want tensors.Type) (*tensors.Tensor, error) {
	if want.Kind == tensors.TensorKind {
		return ReadTensorFile(path)
	}
	if strings.ToLower(filepath.Ext(path)) != PBExt {
		return nil, fmt.Errorf("onnx: read %s: %v values are read from %s files (ONNX %s), not %q", path, want.Kind, PBExt,
			map[tensors.Kind]string{tensors.SequenceKind: "SequenceProto", tensors.OptionalKind: "OptionalProto"}[want.Kind], filepath.Ext(path))
	}
	b, err := readTensorFileBytes(path)
	if err != nil {
		return nil, err
	}
	var elem tensors.Type
	if want.Elem != nil {
		elem = *want.Elem
	}
	var t *tensors.Tensor
	switch want.Kind {
	case tensors.SequenceKind:
		var sp onnxpb.SequenceProto
		if err := proto.Unmarshal(b, &sp); err != nil {
			return nil, fmt.Errorf("onnx: %s: not a serialized SequenceProto: %w", path, err)
		}
		t, err = tensors.FromSequenceProto(&sp, elem)
	case tensors.OptionalKind:
		var op onnxpb.OptionalProto
		if err := proto.Unmarshal(b, &op); err != nil {
			return nil, fmt.Errorf("onnx: %s: not a serialized OptionalProto: %w", path, err)
		}
		t, err = tensors.FromOptionalProto(&op, elem)
	default:
		return nil, fmt.Errorf("onnx: read %s: values of kind %v cannot be read", path, want.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("onnx: %s: %w", path, err)
	}
	return t, nil
}

// WriteTensorFile writes t to path in the format its extension names (see
// ReadTensorFile): a .npy array in C order, or a .pb TensorProto named name
// (.npy files carry no name). Sequences and optional values are written
// to .pb files as SequenceProto and OptionalProto. The file is replaced atomically: on error,
// whatever was at path before is untouched.
func WriteTensorFile(path, name string, t *tensors.Tensor) error {
	if err := t.Check(); err != nil {
		return fmt.Errorf("onnx: write tensor %s: %w", path, err)
	}
	var b []byte
	switch strings.ToLower(filepath.Ext(path)) {
	case NPYExt:
		if t.Kind() != tensors.TensorKind {
			return fmt.Errorf("onnx: write tensor %s: %v is a %v value: write it to a %s file (ONNX SequenceProto/OptionalProto); .npy holds tensors only", path, t, t.Kind(), PBExt)
		}
		var err error
		if b, err = encodeNPY(t); err != nil {
			return fmt.Errorf("onnx: write tensor %s: %w", path, err)
		}
	case PBExt:
		var msg proto.Message
		var err error
		switch t.Kind() {
		case tensors.SequenceKind:
			msg, err = tensors.ToSequenceProto(name, t)
		case tensors.OptionalKind:
			msg, err = tensors.ToOptionalProto(name, t)
		default:
			msg = tensors.ToProto(name, t)
		}
		if err == nil {
			b, err = proto.Marshal(msg)
		}
		if err != nil {
			return fmt.Errorf("onnx: write tensor %s: encode %q: %w", path, name, err)
		}
	default:
		return fmt.Errorf("onnx: write tensor %s: unknown file type %q (want %s or %s)", path, filepath.Ext(path), NPYExt, PBExt)
	}
	if err := atomicfile.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("onnx: %w", err)
	}
	return nil
}

// npyMagic opens every .npy file.
var npyMagic = []byte("\x93NUMPY")

// npyKinds maps the Go element kinds that npyio decodes to ONNX types.
var npyKinds = map[reflect.Kind]tensors.DType{
	reflect.Float32: tensors.Float32, reflect.Float64: tensors.Float64,
	reflect.Int8: tensors.Int8, reflect.Int16: tensors.Int16, reflect.Int32: tensors.Int32, reflect.Int64: tensors.Int64,
	reflect.Uint8: tensors.Uint8, reflect.Uint16: tensors.Uint16, reflect.Uint32: tensors.Uint32, reflect.Uint64: tensors.Uint64,
	reflect.Bool: tensors.Bool,
}

// decodeNPY decodes a .npy file held in memory. The framing (magic,
// version, header length, data size) is checked here before npyio parses
// the header and decodes the elements, so that malformed files are errors
// rather than crashes or huge allocations.
func decodeNPY(b []byte) (t *tensors.Tensor, err error) {
	const pre = 8 // magic and version
	if len(b) < pre+2 || !bytes.Equal(b[:6], npyMagic) {
		return nil, errors.New("not a NumPy .npy file (no \\x93NUMPY magic at the start)")
	}
	var start, hlen int
	switch major := b[6]; major {
	case 1:
		start, hlen = pre+2, int(binary.LittleEndian.Uint16(b[pre:]))
	case 2:
		if len(b) < pre+4 {
			return nil, errors.New("truncated .npy header")
		}
		start, hlen = pre+4, int(binary.LittleEndian.Uint32(b[pre:]))
	default:
		return nil, fmt.Errorf(".npy format version %d.%d is not supported (want 1.0 or 2.0)", major, b[7])
	}
	if hlen > len(b)-start {
		return nil, fmt.Errorf("truncated .npy header: it claims %d bytes, the file has %d after the preamble", hlen, len(b)-start)
	}
	header := b[start : start+hlen]
	if bytes.LastIndexByte(header, '\n') < 0 || !bytes.Contains(header, []byte("'descr'")) ||
		!bytes.Contains(header, []byte("'fortran_order'")) || !bytes.Contains(header, []byte("'shape'")) {
		return nil, fmt.Errorf("malformed .npy header %q", trimHeader(header))
	}
	// npyio slices the header text by position; recover turns a malformed
	// dictionary into an error.
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("malformed .npy header %q", trimHeader(header))
		}
	}()
	rd, err := npy.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("malformed .npy header %q: %w", trimHeader(header), err)
	}
	h := rd.Header
	if h.Descr.Fortran {
		return nil, fmt.Errorf("array of shape %v is stored in Fortran (column-major) order; save it in C order (numpy.ascontiguousarray): %w",
			h.Descr.Shape, ErrUnsupported)
	}
	shape := append([]int{}, h.Descr.Shape...)
	n, err := tensors.NumElements(shape)
	if err != nil {
		return nil, err
	}
	if h.Descr.Type == "<f2" || h.Descr.Type == "f2" || h.Descr.Type == "float16" {
		t, err := tensors.DecodeHalf(tensors.Float16, b[start+hlen:], shape)
		if err != nil {
			return nil, fmt.Errorf("file truncated or with trailing bytes: %w", err)
		}
		return t, nil
	}
	rt := npy.TypeFrom(h.Descr.Type)
	dt, ok := tensors.Undefined, false
	if rt != nil {
		dt, ok = npyKinds[rt.Kind()]
	}
	if !ok {
		return nil, fmt.Errorf("numpy dtype %q is not supported (want float16, float32, float64, int8 to int64, uint8 to uint64 or bool): %w", h.Descr.Type, ErrUnsupported)
	}
	size := int(rt.Size())
	data := b[start+hlen:]
	if len(data) != n*size {
		what := "truncated"
		if len(data) > n*size {
			what = "has trailing bytes"
		}
		return nil, fmt.Errorf("file %s: a %s array of shape %s needs %d bytes of data, the file holds %d", what, dt, tensors.FormatShape(shape), n*size, len(data))
	}
	if dt == tensors.Bool {
		for i, v := range data {
			if v > 1 {
				return nil, fmt.Errorf("bool element %d has byte value %d (want 0 or 1)", i, v)
			}
		}
	}
	slice := reflect.New(reflect.SliceOf(rt))
	slice.Elem().Set(reflect.MakeSlice(reflect.SliceOf(rt), n, n))
	if n > 0 {
		if err := rd.Read(slice.Interface()); err != nil {
			return nil, fmt.Errorf("decode %s data: %w", dt, err)
		}
	}
	return fromSlice(dt, shape, slice.Elem().Interface())
}

// trimHeader shortens a header for an error message.
func trimHeader(h []byte) string {
	s := strings.TrimRight(string(h), " \n")
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}

// npyDescr is the numpy dtype string written for each element type.
var npyDescr = map[tensors.DType]string{
	tensors.Float32: "<f4", tensors.Float64: "<f8", tensors.Float16: "<f2",
	tensors.Int8: "|i1", tensors.Int16: "<i2", tensors.Int32: "<i4", tensors.Int64: "<i8",
	tensors.Uint8: "|u1", tensors.Uint16: "<u2", tensors.Uint32: "<u4", tensors.Uint64: "<u8",
	tensors.Bool: "|b1",
}

// encodeNPY encodes t as a .npy file (format 1.0, or 2.0 if the header is
// too long for 1.0), little-endian, in C order. npyio's writer records one-
// or two-dimensional shapes only, so the header is written here following
// the format's specification; the elements are plain little-endian values.
func encodeNPY(t *tensors.Tensor) ([]byte, error) {
	descr, ok := npyDescr[t.DType()]
	if !ok {
		return nil, fmt.Errorf("%v tensors cannot be stored in a .npy file by onnxkit: %w", t.DType(), ErrUnsupported)
	}
	var shape strings.Builder
	shape.WriteByte('(')
	for i, d := range t.Shape() {
		if i > 0 {
			shape.WriteString(", ")
		}
		shape.WriteString(strconv.Itoa(d))
	}
	if t.Rank() == 1 {
		shape.WriteByte(',')
	}
	shape.WriteByte(')')
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape.String())

	// The header (dictionary, space padding, newline) ends on a multiple
	// of 64 bytes from the start of the file.
	major, pre := byte(1), 10
	pad := func() int { return (64 - (pre+len(dict)+1)%64) % 64 }
	if pre+len(dict)+1+pad() > 0xffff {
		major, pre = 2, 12
	}
	hlen := len(dict) + pad() + 1
	var buf bytes.Buffer
	buf.Grow(pre + hlen + t.Len()*8)
	buf.Write(npyMagic)
	buf.Write([]byte{major, 0})
	if major == 1 {
		binary.Write(&buf, binary.LittleEndian, uint16(hlen))
	} else {
		binary.Write(&buf, binary.LittleEndian, uint32(hlen))
	}
	buf.WriteString(dict)
	buf.Write(bytes.Repeat([]byte{' '}, pad()))
	buf.WriteByte('\n')
	if err := binary.Write(&buf, binary.LittleEndian, t.Data()); err != nil {
		return nil, fmt.Errorf("encode %v data: %w", t.DType(), err)
	}
	return buf.Bytes(), nil
}

// MaxTensorFileBytes is the size of the largest tensor file ReadTensorFile
// and ReadTensor read: tensors.MaxTensorBytes plus 1 MiB for headers.
func MaxTensorFileBytes() int64 { return tensors.MaxTensorBytes() + 1<<20 }

// readTensorFileBytes reads a .pb file of at most MaxTensorFileBytes.
func readTensorFileBytes(path string) ([]byte, error) {
	b, err := readFileLimited(path, MaxTensorFileBytes(), "the tensor file limit")
	if errors.Is(err, ErrMemoryLimit) {
		return nil, fmt.Errorf("onnx: %s: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	return b, nil
}

// readTensorProto reads a file holding one serialized TensorProto (the
// input_N.pb / output_N.pb files of ONNX test data sets). Files larger than
// MaxTensorFileBytes are refused.
func readTensorProto(path string) (*tensors.Tensor, error) {
	b, err := readTensorFileBytes(path)
	if err != nil {
		return nil, err
	}
	var tp onnxpb.TensorProto
	if err := proto.Unmarshal(b, &tp); err != nil {
		return nil, fmt.Errorf("onnx: %s: not a serialized TensorProto: %w", path, err)
	}
	t, err := tensors.FromProto(&tp)
	if err != nil {
		return nil, fmt.Errorf("onnx: %s: %w", path, err)
	}
	return t, nil
}
