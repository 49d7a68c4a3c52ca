package tensors

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/onnxkit/onnxkit/onnx/onnxpb"
)

// FromProto decodes a TensorProto. Elements may be in raw_data or in the
// typed field that ONNX assigns to the element type; either way their
// number must match the dimensions exactly, so the decoded tensor is never
// larger than the data actually present. Unsupported element types
// (float16, complex, ...), segments and external data that the caller has
// not resolved are errors wrapping ErrUnsupported; negative dimensions and
// size mismatches are plain errors. Errors name the tensor.
func FromProto(tp *onnxpb.TensorProto) (*Tensor, error) {
	t, err := fromProto(tp)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", tp.GetName(), err)
	}
	return t, nil
}

func fromProto(tp *onnxpb.TensorProto) (*Tensor, error) {
	dt := DType(tp.GetDataType())
	if !dt.Supported() {
		if dt == Undefined {
			return nil, fmt.Errorf("data_type is not set")
		}
		return nil, fmt.Errorf("element type %v: %w", dt, ErrUnsupported)
	}
	if tp.GetSegment() != nil {
		return nil, fmt.Errorf("segmented tensors: %w", ErrUnsupported)
	}
	if tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
		return nil, fmt.Errorf("external data not available here: %w", ErrUnsupported)
	}
	shape, err := ShapeFromInt64s(tp.GetDims())
	if err != nil {
		return nil, err
	}
	n, err := NumElements(shape)
	if err != nil {
		return nil, err
	}
	var data any
	if raw := tp.GetRawData(); len(raw) > 0 || (n == 0 && dt != String) {
		if dt == String {
			return nil, fmt.Errorf("string tensor with raw_data")
		}
		if want := n * dt.Size(); len(raw) != want {
			return nil, fmt.Errorf("raw_data has %d bytes, want %d (%d elements of %d bytes)", len(raw), want, n, dt.Size())
		}
		data = decodeRaw(dt, raw, n)
	} else {
		data, err = decodeTyped(tp, dt, n)
		if err != nil {
			return nil, err
		}
	}
	return &Tensor{dtype: dt, shape: shape, data: data}, nil
}

func decodeRaw(dt DType, raw []byte, n int) any {
	le := binary.LittleEndian
	switch dt {
	case Float32:
		s := make([]float32, n)
		for i := range s {
			s[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
		return s
	case Float64:
		s := make([]float64, n)
		for i := range s {
			s[i] = math.Float64frombits(le.Uint64(raw[8*i:]))
		}
		return s
	case Int8:
		s := make([]int8, n)
		for i := range s {
			s[i] = int8(raw[i])
		}
		return s
	case Uint8:
		return append([]uint8{}, raw[:n]...)
	case Bool:
		s := make([]bool, n)
		for i := range s {
			s[i] = raw[i] != 0
		}
		return s
	case Int16:
		s := make([]int16, n)
		for i := range s {
			s[i] = int16(le.Uint16(raw[2*i:]))
		}
		return s
	case Uint16:
		s := make([]uint16, n)
		for i := range s {
			s[i] = le.Uint16(raw[2*i:])
		}
		return s
	case Int32:
		s := make([]int32, n)
		for i := range s {
			s[i] = int32(le.Uint32(raw[4*i:]))
		}
		return s
	case Uint32:
		s := make([]uint32, n)
		for i := range s {
			s[i] = le.Uint32(raw[4*i:])
		}
		return s
	case Int64:
		s := make([]int64, n)
		for i := range s {
			s[i] = int64(le.Uint64(raw[8*i:]))
		}
		return s
	case Uint64:
		s := make([]uint64, n)
		for i := range s {
			s[i] = le.Uint64(raw[8*i:])
		}
		return s
	}
	return nil // unreachable: callers pass supported non-string types
}

// decodeTyped reads the elements from the typed field ONNX assigns to dt.
func decodeTyped(tp *onnxpb.TensorProto, dt DType, n int) (any, error) {
	count := func(field string, have int) error {
		if have != n {
			return fmt.Errorf("%s has %d values, want %d", field, have, n)
		}
		return nil
	}
	switch dt {
	case Float32:
		if err := count("float_data", len(tp.GetFloatData())); err != nil {
			return nil, err
		}
		return append([]float32{}, tp.GetFloatData()...), nil
	case Float64:
		if err := count("double_data", len(tp.GetDoubleData())); err != nil {
			return nil, err
		}
		return append([]float64{}, tp.GetDoubleData()...), nil
	case Int64:
		if err := count("int64_data", len(tp.GetInt64Data())); err != nil {
			return nil, err
		}
		return append([]int64{}, tp.GetInt64Data()...), nil
	case Int32, Int16, Int8, Uint16, Uint8, Bool:
		src := tp.GetInt32Data()
		if err := count("int32_data", len(src)); err != nil {
			return nil, err
		}
		return narrowInt32(dt, src)
	case Uint32:
		src := tp.GetUint64Data()
		if err := count("uint64_data", len(src)); err != nil {
			return nil, err
		}
		s := make([]uint32, n)
		for i, v := range src {
			if v > math.MaxUint32 {
				return nil, fmt.Errorf("uint64_data[%d] = %d does not fit uint32", i, v)
			}
			s[i] = uint32(v)
		}
		return s, nil
	case Uint64:
		if err := count("uint64_data", len(tp.GetUint64Data())); err != nil {
			return nil, err
		}
		return append([]uint64{}, tp.GetUint64Data()...), nil
	case String:
		src := tp.GetStringData()
		if err := count("string_data", len(src)); err != nil {
			return nil, err
		}
		s := make([]string, n)
		for i, b := range src {
			s[i] = string(b)
		}
		return s, nil
	}
	return nil, fmt.Errorf("element type %v: %w", dt, ErrUnsupported)
}

// narrowInt32 converts int32_data to the narrower type it encodes,
// refusing values out of that type's range.
func narrowInt32(dt DType, src []int32) (any, error) {
	lo, hi := int32(math.MinInt32), int32(math.MaxInt32)
	switch dt {
	case Int16:
		lo, hi = math.MinInt16, math.MaxInt16
	case Int8:
		lo, hi = math.MinInt8, math.MaxInt8
	case Uint16:
		lo, hi = 0, math.MaxUint16
	case Uint8:
		lo, hi = 0, math.MaxUint8
	case Bool:
		lo, hi = 0, 1
	}
	for i, v := range src {
		if v < lo || v > hi {
			return nil, fmt.Errorf("int32_data[%d] = %d is out of range for %v", i, v, dt)
		}
	}
	switch dt {
	case Int32:
		return append([]int32{}, src...), nil
	case Int16:
		return widen[int16](src), nil
	case Int8:
		return widen[int8](src), nil
	case Uint16:
		return widen[uint16](src), nil
	case Uint8:
		return widen[uint8](src), nil
	}
	s := make([]bool, len(src))
	for i, v := range src {
		s[i] = v != 0
	}
	return s, nil
}

// ToProto encodes t as a TensorProto named name: numeric and bool elements
// in raw_data (little-endian, as ONNX specifies), strings in string_data.
func ToProto(name string, t *Tensor) *onnxpb.TensorProto {
	tp := &onnxpb.TensorProto{Name: name, DataType: int32(t.dtype), Dims: make([]int64, len(t.shape))}
	for i, d := range t.shape {
		tp.Dims[i] = int64(d)
	}
	le := binary.LittleEndian
	switch s := t.data.(type) {
	case []string:
		tp.StringData = make([][]byte, len(s))
		for i, v := range s {
			tp.StringData[i] = []byte(v)
		}
		return tp
	case []float32:
		tp.RawData = make([]byte, 0, 4*len(s))
		for _, v := range s {
			tp.RawData = le.AppendUint32(tp.RawData, math.Float32bits(v))
		}
	case []float64:
		tp.RawData = make([]byte, 0, 8*len(s))
		for _, v := range s {
			tp.RawData = le.AppendUint64(tp.RawData, math.Float64bits(v))
		}
	case []int8:
		tp.RawData = make([]byte, len(s))
		for i, v := range s {
			tp.RawData[i] = byte(v)
		}
	case []uint8:
		tp.RawData = append([]byte{}, s...)
	case []bool:
		tp.RawData = make([]byte, len(s))
		for i, v := range s {
			if v {
				tp.RawData[i] = 1
			}
		}
	case []int16:
		for _, v := range s {
			tp.RawData = le.AppendUint16(tp.RawData, uint16(v))
		}
	case []uint16:
		for _, v := range s {
			tp.RawData = le.AppendUint16(tp.RawData, v)
		}
	case []int32:
		for _, v := range s {
			tp.RawData = le.AppendUint32(tp.RawData, uint32(v))
		}
	case []uint32:
		for _, v := range s {
			tp.RawData = le.AppendUint32(tp.RawData, v)
		}
	case []int64:
		for _, v := range s {
			tp.RawData = le.AppendUint64(tp.RawData, uint64(v))
		}
	case []uint64:
		for _, v := range s {
			tp.RawData = le.AppendUint64(tp.RawData, v)
		}
	}
	return tp
}
