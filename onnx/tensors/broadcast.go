package tensors

import "fmt"

// BroadcastShapes returns the shape that ONNX multidirectional (numpy-style)
// broadcasting gives the shapes: they are aligned on their last axis, and
// along each axis the sizes must be equal or 1 (a missing leading axis
// counts as 1). The error names the shapes that do not fit.
func BroadcastShapes(shapes ...[]int) ([]int, error) {
	rank := 0
	for _, s := range shapes {
		rank = max(rank, len(s))
	}
	out := make([]int, rank)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := rank - len(s)
		for i, d := range s {
			o := out[off+i]
			switch {
			case d == o || d == 1:
			case o == 1:
				out[off+i] = d
			default:
				return nil, fmt.Errorf("cannot broadcast shapes %v", formatShapes(shapes))
			}
		}
	}
	return out, nil
}

// CanBroadcastTo reports whether a tensor of shape from broadcasts to shape
// to without changing to (ONNX "unidirectional" broadcasting, as used by
// Gemm's C, PRelu's slope and Expand-free ops).
func CanBroadcastTo(from, to []int) bool {
	if len(from) > len(to) {
		return false
	}
	off := len(to) - len(from)
	for i, d := range from {
		if d != 1 && d != to[off+i] {
			return false
		}
	}
	return true
}

func formatShapes(shapes [][]int) string {
	s := ""
	for i, sh := range shapes {
		if i > 0 {
			s += " and "
		}
		s += FormatShape(sh)
	}
	return s
}

// Broadcast walks an output shape together with inputs broadcast to it. It
// is the building block for every elementwise operator with more than one
// input (Add, Where, Sum, Expand, ...): Runs hands out maximal runs of
// consecutive output elements along which every input advances by a fixed
// step (1, or 0 where it is broadcast), so the inner loop is a plain loop.
//
//	b, err := ops.NewBroadcast(x.Shape(), y.Shape())
//	out, dst, err := ops.Make[float32](b.Shape())
//	xs, ys := ops.Data[float32](x), ops.Data[float32](y)
//	b.Runs(func(o int, in []int, n int, step []int) {
//		for k := 0; k < n; k++ {
//			dst[o+k] = xs[in[0]+k*step[0]] + ys[in[1]+k*step[1]]
//		}
//	})
type Broadcast struct {
	out     []int   // output shape
	size    int     // output element count
	dims    []int   // coalesced iteration dims, outermost first
	strides [][]int // per input, its element stride along each of dims (0 = broadcast)
}

// NewBroadcast prepares iteration over the broadcast of the given input
// shapes (see BroadcastShapes).
func NewBroadcast(shapes ...[]int) (*Broadcast, error) {
	out, err := BroadcastShapes(shapes...)
	if err != nil {
		return nil, err
	}
	return newBroadcast(out, shapes)
}

// NewBroadcastTo prepares iteration over shape out with inputs that must
// broadcast to it unidirectionally (see CanBroadcastTo).
func NewBroadcastTo(out []int, shapes ...[]int) (*Broadcast, error) {
	for _, s := range shapes {
		if !CanBroadcastTo(s, out) {
			return nil, fmt.Errorf("cannot broadcast shape %v to %v", FormatShape(s), FormatShape(out))
		}
	}
	return newBroadcast(append([]int{}, out...), shapes)
}

func newBroadcast(out []int, shapes [][]int) (*Broadcast, error) {
	size, err := NumElements(out)
	if err != nil {
		return nil, err
	}
	b := &Broadcast{out: out, size: size, strides: make([][]int, len(shapes))}
	// Per input, strides aligned to the output's axes (0 where broadcast).
	full := make([][]int, len(shapes))
	for k, s := range shapes {
		st := Strides(s)
		f := make([]int, len(out))
		off := len(out) - len(s)
		for i, d := range s {
			if d != 1 {
				f[off+i] = st[i]
			}
		}
		full[k] = f
	}
	// Drop size-1 axes, then merge neighbours along which every input is
	// laid out contiguously (or broadcast on both).
	for i, d := range out {
		if d == 1 {
			continue
		}
		if n := len(b.dims); n > 0 {
			merge := true
			for k := range shapes {
				if b.strides[k][n-1] != full[k][i]*d {
					merge = false
					break
				}
			}
			if merge {
				b.dims[n-1] *= d
				for k := range shapes {
					b.strides[k][n-1] = full[k][i]
				}
				continue
			}
		}
		b.dims = append(b.dims, d)
		for k := range shapes {
			b.strides[k] = append(b.strides[k], full[k][i])
		}
	}
	return b, nil
}

// Shape returns the output shape. Callers must not modify it.
func (b *Broadcast) Shape() []int { return b.out }

// Len returns the number of output elements.
func (b *Broadcast) Len() int { return b.size }

// Runs calls fn for consecutive runs of output elements in row-major order,
// covering every output element exactly once. For a run, out is the flat
// output index of its first element, in[k] the flat index of the matching
// element of input k, n the run length, and step[k] how far input k's index
// moves per output element (0 or its innermost stride). fn must not retain
// in or step.
func (b *Broadcast) Runs(fn func(out int, in []int, n int, step []int)) {
	if b.size == 0 {
		return
	}
	nin := len(b.strides)
	in := make([]int, nin)
	if len(b.dims) == 0 { // every axis has size 1
		fn(0, in, 1, make([]int, nin))
		return
	}
	last := len(b.dims) - 1
	n := b.dims[last]
	step := make([]int, nin)
	for k := range step {
		step[k] = b.strides[k][last]
	}
	idx := make([]int, last) // odometer over the outer dims
	for o := 0; o < b.size; o += n {
		fn(o, in, n, step)
		// advance the odometer and the input offsets
		for d := last - 1; d >= 0; d-- {
			idx[d]++
			for k := range in {
				in[k] += b.strides[k][d]
			}
			if idx[d] < b.dims[d] {
				break
			}
			for k := range in {
				in[k] -= b.strides[k][d] * b.dims[d]
			}
			idx[d] = 0
		}
	}
}

// Binary applies f elementwise to a and b with multidirectional
// broadcasting and returns the result (element type U). a and b must hold
// A and B elements respectively; their element types are checked and a
// mismatch is an error. Type arguments are inferred from f:
//
//	out, err := ops.Binary(a, b, func(x, y float32) float32 { return x + y })
func Binary[A, B, U Elem](a, b *Tensor, f func(A, B) U) (*Tensor, error) {
	return BinaryInto(a, b, f, nil)
}

// BinaryInto is Binary computing into into, when it is not nil and has the
// result's element type and shape (it must not be a or b, nor share their
// data); otherwise into a new tensor. It returns the tensor written. When
// into is used and one operand is a single element or both have the same
// shape, it allocates nothing.
func BinaryInto[A, B, U Elem](a, b *Tensor, f func(A, B) U, into *Tensor) (*Tensor, error) {
	if want := DTypeOf[A](); a.dtype != want {
		return nil, fmt.Errorf("input A: dtype %v, want %v", a.dtype, want)
	}
	if want := DTypeOf[B](); b.dtype != want {
		return nil, fmt.Errorf("input B: dtype %v, want %v", b.dtype, want)
	}
	as, bs := a.data.([]A), b.data.([]B)
	if SameShape(a.shape, b.shape) {
		out, dst, err := makeInto[U](into, a.shape)
		if err != nil {
			return nil, err
		}
		for i := range dst {
			dst[i] = f(as[i], bs[i])
		}
		return out, nil
	}
	if len(bs) == 1 && len(b.shape) <= len(a.shape) {
		// b broadcasts to a's shape as a single value.
		out, dst, err := makeInto[U](into, a.shape)
		if err != nil {
			return nil, err
		}
		y := bs[0]
		for i := range dst {
			dst[i] = f(as[i], y)
		}
		return out, nil
	}
	if len(as) == 1 && len(a.shape) <= len(b.shape) {
		out, dst, err := makeInto[U](into, b.shape)
		if err != nil {
			return nil, err
		}
		x := as[0]
		for i := range dst {
			dst[i] = f(x, bs[i])
		}
		return out, nil
	}
	bc, err := NewBroadcast(a.shape, b.shape)
	if err != nil {
		return nil, err
	}
	out, dst, err := makeInto[U](into, bc.Shape())
	if err != nil {
		return nil, err
	}
	bc.Runs(func(o int, in []int, n int, step []int) {
		d := dst[o : o+n]
		switch {
		case step[0] == 1 && step[1] == 1:
			x, y := as[in[0]:in[0]+n], bs[in[1]:in[1]+n]
			for i := range d {
				d[i] = f(x[i], y[i])
			}
		case step[0] == 1 && step[1] == 0:
			x, y := as[in[0]:in[0]+n], bs[in[1]]
			for i := range d {
				d[i] = f(x[i], y)
			}
		case step[0] == 0 && step[1] == 1:
			x, y := as[in[0]], bs[in[1]:in[1]+n]
			for i := range d {
				d[i] = f(x, y[i])
			}
		default:
			ia, ib := in[0], in[1]
			for i := range d {
				d[i] = f(as[ia], bs[ib])
				ia += step[0]
				ib += step[1]
			}
		}
	})
	return out, nil
}

// Unary applies f to every element of x (which must hold T elements) and
// returns the result, of element type U, with x's shape.
//
//	out, err := ops.Unary(x, func(v float32) float32 { return max(v, 0) })
func Unary[T, U Elem](x *Tensor, f func(T) U) (*Tensor, error) {
	return UnaryInto(x, f, nil)
}

// UnaryInto is Unary computing into into, when it is not nil and has the
// result's element type and shape (it may be x itself when T and U are the
// same); otherwise into a new tensor. It returns the tensor written.
func UnaryInto[T, U Elem](x *Tensor, f func(T) U, into *Tensor) (*Tensor, error) {
	if want := DTypeOf[T](); x.dtype != want {
		return nil, fmt.Errorf("input: dtype %v, want %v", x.dtype, want)
	}
	xs := x.data.([]T)
	out, dst, err := makeInto[U](into, x.shape)
	if err != nil {
		return nil, err
	}
	for i, v := range xs {
		dst[i] = f(v)
	}
	return out, nil
}

// makeInto returns into and its data when it holds U elements in the given
// shape, otherwise a new zeroed tensor (see Make).
func makeInto[U Elem](into *Tensor, shape []int) (*Tensor, []U, error) {
	if into != nil && into.dtype == DTypeOf[U]() && SameShape(into.shape, shape) {
		if d, ok := into.data.([]U); ok {
			return into, d, nil
		}
	}
	return Make[U](shape)
}
