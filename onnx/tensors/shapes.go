package tensors

import "fmt"

// NumElements returns the number of elements of a tensor of this shape. It
// fails on a negative dimension or when the count exceeds MaxElements, so a
// shape that passes can be allocated and indexed with int arithmetic.
func NumElements(shape []int) (int, error) {
	n := 1
	nonZero := 1 // product of the non-zero dims, bounded so strides never overflow
	for i, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("shape %v: negative dimension %d at axis %d", FormatShape(shape), d, i)
		}
		if d == 0 {
			n = 0
			continue
		}
		if nonZero > (1<<53)/d {
			return 0, fmt.Errorf("shape %v: element count overflows", FormatShape(shape))
		}
		nonZero *= d
		n *= d
	}
	if n > MaxElements {
		return 0, limitError{fmt.Sprintf("shape %v: %d elements exceed the limit of %d", FormatShape(shape), n, MaxElements)}
	}
	return n, nil
}

// ShapeFromInt64s converts dimensions read from a tensor or attribute to a
// shape, refusing negative values and values that do not fit an int.
func ShapeFromInt64s(dims []int64) ([]int, error) {
	out := make([]int, len(dims))
	for i, d := range dims {
		if d < 0 || int64(int(d)) != d {
			return nil, fmt.Errorf("dimension %d at axis %d is out of range", d, i)
		}
		out[i] = int(d)
	}
	return out, nil
}

// Strides returns the row-major element strides of shape: the distance in
// elements between neighbours along each axis.
func Strides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// SameShape reports whether a and b have the same dimensions.
func SameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// NormalizeAxis maps an ONNX axis in [-rank, rank-1] to [0, rank-1]; an axis
// outside that range is an error naming it.
func NormalizeAxis(axis, rank int) (int, error) {
	if axis < -rank || axis >= rank {
		return 0, fmt.Errorf("axis %d is out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += rank
	}
	return axis, nil
}

// NormalizeAxes normalizes each axis (see NormalizeAxis) and rejects
// duplicates. The result is in the given order, not sorted.
func NormalizeAxes(axes []int, rank int) ([]int, error) {
	out := make([]int, len(axes))
	seen := make(map[int]bool, len(axes))
	for i, a := range axes {
		n, err := NormalizeAxis(a, rank)
		if err != nil {
			return nil, err
		}
		if seen[n] {
			return nil, fmt.Errorf("axis %d is repeated in %v", a, axes)
		}
		seen[n] = true
		out[i] = n
	}
	return out, nil
}
