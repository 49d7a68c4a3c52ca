package ops

import "github.com/onnxkit/onnxkit/onnx/tensors"

// castRecycled is Cast for a recycling kernel: numeric and bool tensors
// convert into last[0] when it fits (as CastTensor does: see castInto);
// other element types go through CastTensor. An input already of type to
// is handed on, as a borrowed result (see BorrowedResult).
func castRecycled(x *tensors.Tensor, to tensors.DType, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
	if x.DType() == to && castable(to) {
		return BorrowedResult(last, x), nil
	}
	last = OwnLast(last)
	if castsInto(x.DType()) && castsInto(to) {
		y, err := RecycleAlloc(last, 0, to, x.Shape())
		if err != nil {
			return nil, err
		}
		castInto(y, x)
		return Result(last, y), nil
	}
	y, err := CastTensor(x, to)
	if err != nil {
		return nil, err
	}
	return Result(last, y), nil
}

// castsInto reports whether castInto converts from or to dt.
func castsInto(dt tensors.DType) bool {
	return dt == tensors.Bool || (dt.IsFloat() || dt.IsInteger()) && !dt.IsHalf()
}

// castInto sets y (of another element type, x's shape) to x's values
// converted as CastTensor converts them: floats to integers saturating
// (NaN to 0), anything to bool as v != 0, bool to 0 and 1, otherwise as Go
// converts. Both element types must satisfy castsInto.
func castInto(y, x *tensors.Tensor) {
	switch s := x.Data().(type) {
	case []bool:
		for i, v := range s {
			setNumber(y, i, v)
		}
	case []float32:
		convertInto(y, s)
	case []float64:
		convertInto(y, s)
	case []int8:
		convertInto(y, s)
	case []int16:
		convertInto(y, s)
	case []int32:
		convertInto(y, s)
	case []int64:
		convertInto(y, s)
	case []uint8:
		convertInto(y, s)
	case []uint16:
		convertInto(y, s)
	case []uint32:
		convertInto(y, s)
	case []uint64:
		convertInto(y, s)
	}
}

// setNumber sets element i of y to 0 or 1.
func setNumber(y *tensors.Tensor, i int, v bool) {
	var b uint8
	if v {
		b = 1
	}
	switch d := y.Data().(type) {
	case []bool:
		d[i] = v
	case []float32:
		d[i] = float32(b)
	case []float64:
		d[i] = float64(b)
	case []int8:
		d[i] = int8(b)
	case []int16:
		d[i] = int16(b)
	case []int32:
		d[i] = int32(b)
	case []int64:
		d[i] = int64(b)
	case []uint8:
		d[i] = b
	case []uint16:
		d[i] = uint16(b)
	case []uint32:
		d[i] = uint32(b)
	case []uint64:
		d[i] = uint64(b)
	}
}

func convertInto[S tensors.Numeric](y *tensors.Tensor, s []S) {
	switch d := y.Data().(type) {
	case []bool:
		for i, v := range s {
			d[i] = v != 0
		}
	case []float32:
		convertSlice(d, s)
	case []float64:
		convertSlice(d, s)
	case []int8:
		convertInt(d, s)
	case []int16:
		convertInt(d, s)
	case []int32:
		convertInt(d, s)
	case []int64:
		convertInt(d, s)
	case []uint8:
		convertInt(d, s)
	case []uint16:
		convertInt(d, s)
	case []uint32:
		convertInt(d, s)
	case []uint64:
		convertInt(d, s)
	}
}

func convertSlice[D, S tensors.Numeric](d []D, s []S) {
	for i, v := range s {
		d[i] = D(v)
	}
}

// convertInt converts to an integer type: floats saturate (floatToIntSat).
func convertInt[D tensors.Integer, S tensors.Numeric](d []D, s []S) {
	if tensors.DTypeOf[S]().IsFloat() {
		for i, v := range s {
			d[i] = floatToIntSat[D](float64(v))
		}
		return
	}
	convertSlice(d, s)
}
