package tensors

import "fmt"

// Element-type-agnostic data movement, shared by the shape and
// data-movement operators (Transpose, Slice, Split, Expand, Tile, Gather,
// Concat, Pad, ConstantOfShape). Those operators never look at element
// values, so they work on every element type a Tensor can hold; instead of
// a type switch per operator they use a Mover, which does the typed work.

// Mover moves elements between data slices ([]T held in an any) of one
// element type. Offsets and counts are in elements. The caller guarantees
// that every index is in range.
type Mover interface {
	// Copy sets dst[d:d+n] = src[s:s+n].
	Copy(dst, src any, d, s, n int)
	// Strided sets dst[d+i] = src[s+i*step] for 0 <= i < n.
	Strided(dst, src any, d, s, n, step int)
	// Splat sets dst[d:d+n] to src[s].
	Splat(dst, src any, d, s, n int)
	// Gather sets dst[d+i] = src[s+idx[i]] for every i of idx.
	Gather(dst, src any, d, s int, idx []int)
	// Sub returns src[lo:hi], sharing memory.
	Sub(src any, lo, hi int) any
}

type moverOf[T Elem] struct{}

func (moverOf[T]) Copy(dst, src any, d, s, n int) {
	copy(dst.([]T)[d:d+n], src.([]T)[s:s+n])
}

func (moverOf[T]) Strided(dst, src any, d, s, n, step int) {
	out, in := dst.([]T)[d:d+n], src.([]T)
	for i := range out {
		out[i] = in[s]
		s += step
	}
}

func (moverOf[T]) Splat(dst, src any, d, s, n int) {
	out, v := dst.([]T)[d:d+n], src.([]T)[s]
	for i := range out {
		out[i] = v
	}
}

func (moverOf[T]) Gather(dst, src any, d, s int, idx []int) {
	out, in := dst.([]T)[d:d+len(idx)], src.([]T)
	for i, k := range idx {
		out[i] = in[s+k]
	}
}

func (moverOf[T]) Sub(src any, lo, hi int) any { return src.([]T)[lo:hi:hi] }

// moverFor returns the Mover for an element type; the error (wrapping
// ErrUnsupported) names types onnxkit cannot hold.
func MoverFor(dt DType) (Mover, error) {
	if mk := newMoverFor[dt]; mk != nil {
		return mk(), nil
	}
	return nil, ErrDType("input", dt)
}

// newMover returns the Mover of element type T.
//
//dtypes:elem
func newMover[T Elem]() Mover { return moverOf[T]{} }

// stridedView describes a strided arrangement of a source tensor's
// elements as a tensor of shape shape: the element at index (i0, i1, ...)
// is the source's flat element off + i0*strides[0] + i1*strides[1] + ....
// Strides may be 0 (broadcast) or negative (reversed slices). Transpose,
// Slice, Split, Expand and Tile are all such views.
type StridedView struct {
	Shape   []int
	Strides []int
	Off     int
}

// fullStridedView is the view of a whole tensor in its own layout.
func FullStridedView(t *Tensor) StridedView {
	return StridedView{Shape: append([]int{}, t.shape...), Strides: Strides(t.shape)}
}

// materialize returns a new tensor holding the view of src, with shape
// outShape (which must have as many elements as v.shape; nil means
// v.shape). When the view is a contiguous run of src's data the result
// shares it instead of copying. The size is checked against MaxElements
// before anything is allocated.
func (v StridedView) Materialize(src *Tensor, outShape []int) (*Tensor, error) {
	if outShape == nil {
		outShape = v.Shape
	}
	n, err := NumElements(v.Shape)
	if err != nil {
		return nil, err
	}
	if m, err := NumElements(outShape); err != nil || m != n {
		return nil, fmt.Errorf("internal: view of %d elements materialized as %v", n, FormatShape(outShape))
	}
	mv, err := MoverFor(src.dtype)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return Alloc(src.dtype, outShape)
	}
	dims, st := CoalesceStrides(v.Shape, v.Strides)
	if len(dims) == 0 || (len(dims) == 1 && st[0] == 1) {
		// one contiguous run: share it
		return &Tensor{dtype: src.dtype, shape: append([]int{}, outShape...), data: mv.Sub(src.data, v.Off, v.Off+n)}, nil
	}
	out, err := Alloc(src.dtype, outShape)
	if err != nil {
		return nil, err
	}
	CopyStrided(mv, out.data, src.data, v.Off, n, dims, st)
	return out, nil
}

// copyStrided copies the n elements of a coalesced strided layout (dims,
// st, from offset off of src; see coalesceStrides) into dst in row-major
// order.
func CopyStrided(mv Mover, dst, src any, off, n int, dims, st []int) {
	last := len(dims) - 1
	run, step := dims[last], st[last]
	var buf [8]int
	idx := buf[:0]
	if last <= len(buf) {
		idx = buf[:last]
	} else {
		idx = make([]int, last)
	}
	s := off
	for d := 0; d < n; d += run {
		switch step {
		case 1:
			mv.Copy(dst, src, d, s, run)
		case 0:
			mv.Splat(dst, src, d, s, run)
		default:
			mv.Strided(dst, src, d, s, run, step)
		}
		for k := last - 1; k >= 0; k-- {
			idx[k]++
			s += st[k]
			if idx[k] < dims[k] {
				break
			}
			s -= st[k] * dims[k]
			idx[k] = 0
		}
	}
}

// coalesceStrides simplifies a strided layout without changing the order
// of the elements it visits: it drops axes of size 1 and merges
// neighbouring axes along which the layout is one regular run.
func CoalesceStrides(shape, strides []int) (dims, st []int) {
	for i, d := range shape {
		if d == 1 {
			continue
		}
		if k := len(dims) - 1; k >= 0 && st[k] == strides[i]*d {
			dims[k] *= d
			st[k] = strides[i]
			continue
		}
		dims = append(dims, d)
		st = append(st, strides[i])
	}
	return dims, st
}

// dimsProd returns the product of the dimensions (1 for none). Callers use
// it on shapes whose total size NumElements has already bounded.
func DimsProd(dims []int) int {
	p := 1
	for _, d := range dims {
		p *= d
	}
	return p
}

// toInts converts int64 values (axes, perms) to int, refusing values that
// do not fit.
func ToInts(v []int64) ([]int, error) {
	out := make([]int, len(v))
	for i, x := range v {
		if int64(int(x)) != x {
			return nil, fmt.Errorf("value %d does not fit an int", x)
		}
		out[i] = int(x)
	}
	return out, nil
}

// readIntsInput reads a small 1-D (or scalar) integer input such as axes,
// repeats or a shape. what names it in errors.
func ReadIntsInput(t *Tensor, what string) ([]int64, error) {
	if !t.dtype.IsInteger() {
		return nil, ErrDType(what, t.dtype, Int64)
	}
	if t.Rank() > 1 {
		return nil, fmt.Errorf("%s must be 1-D, got %v", what, t)
	}
	return AsInt64s(t)
}

// staticDimsProduct returns the static product of dimensions: known if
// all are, a single dimension as is (keeping its symbolic name), 0 if any
// is a known 0, else unknown.
func StaticDimsProduct(dims []Dim) Dim {
	if len(dims) == 1 {
		return dims[0]
	}
	p, known := 1, true
	for _, d := range dims {
		switch {
		case d.Size == 0:
			return Dim{Size: 0}
		case !d.Known():
			known = false
		case p > MaxElements/max(d.Size, 1):
			known = false
		default:
			p *= d.Size
		}
	}
	if !known {
		return UnknownDim
	}
	return Dim{Size: p}
}

// unknownDims returns n unknown dimensions.
func UnknownDims(n int) []Dim {
	d := make([]Dim, n)
	for i := range d {
		d[i] = UnknownDim
	}
	return d
}

// rankType is a type with element type dt, rank n and unknown dimensions.
func RankType(dt DType, n int) Type {
	return Type{DType: dt, RankKnown: true, Dims: UnknownDims(n)}
}
