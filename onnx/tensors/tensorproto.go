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
// (complex, float8, ...), segments and external data that the caller has
// not resolved are errors wrapping ErrUnsupported; negative dimensions and
// size mismatches are plain errors. Errors name the tensor. Float16 and
// BFloat16 elements come from raw_data or, as ONNX stores them, from
// int32_data holding one 16-bit pattern per value.
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
		data = decodeRawTFor[dt](raw, n)
	} else {
		data, err = decodeTyped(tp, dt, n)
		if err != nil {
			return nil, err
		}
	}
	return &Tensor{dtype: dt, shape: shape, data: data}, nil
}

// decodeRawT reads n little-endian elements of type T from raw, which
// holds at least n*size bytes (bool: any non-zero byte is true).
//
//dtypes:fixed
func decodeRawT[T Fixed](raw []byte, n int) any {
	s := make([]T, n)
	if _, err := binary.Decode(raw, binary.LittleEndian, s); err != nil {
		panic("tensors: raw_data shorter than checked: " + err.Error()) // callers check the length
	}
	return s
}

// encodeRawT appends the little-endian encoding of a []T to b.
//
//dtypes:fixed
func encodeRawT[T Fixed](b []byte, data any) []byte {
	out, err := binary.Append(b, binary.LittleEndian, data.([]T))
	if err != nil {
		panic("tensors: encoding raw_data: " + err.Error()) // fixed-size types cannot fail
	}
	return out
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
	case Float16, BFloat16:
		src := tp.GetInt32Data()
		if err := count("int32_data", len(src)); err != nil {
			return nil, err
		}
		bits := make([]uint16, n)
		for i, v := range src {
			if v < 0 || v > math.MaxUint16 {
				return nil, fmt.Errorf("int32_data[%d] = %d is not a 16-bit %v pattern", i, v, dt)
			}
			bits[i] = uint16(v)
		}
		return fromBitsFor[dt](bits), nil
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
	if s, ok := t.data.([]string); ok {
		tp.StringData = make([][]byte, len(s))
		for i, v := range s {
			tp.StringData[i] = []byte(v)
		}
		return tp
	}
	tp.RawData = encodeRawTFor[t.dtype](make([]byte, 0, t.Len()*t.dtype.Size()), t.data)
	return tp
}
