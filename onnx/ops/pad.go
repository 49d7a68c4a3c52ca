package ops

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Pad adds (or, with negative pads, removes) elements at the beginning and
// end of each axis. Modes: constant (a fill value), reflect (mirror without
// repeating the edge element) and edge (repeat the edge element).
//
// Versions: 1 takes the pads as attribute "paddings" and the fill value as
// attribute "value"; 2 renames the attribute "pads"; 11 takes pads and the
// fill value (constant_value) as inputs and accepts integer types; 13 adds
// bool, string and bfloat16; 18 adds the optional axes input, which
// restricts the pads to some axes. (Version 19's wrap mode is not part of
// opsets onnxkit knows.)
func init() {
	Register(Op{Type: "Pad", Since: []int{1, 2, 11, 13, 18}, Prepare: preparePad, Infer: inferPad})
}

type padMode int

const (
	padConstant padMode = iota
	padReflect
	padEdge
)

// padArgs are Pad's parameters as read at load time.
type padArgs struct {
	mode    padMode
	pads    []int64 // begins then ends, per axis of axes (or of the input)
	axes    []int   // nil: every axis
	value   float64 // versions 1 and 2: the fill value attribute
	dynPads bool    // pads from input 1 at run time
	dynAxes bool    // axes from input 3 at run time
}

func readPadArgs(n *Node) (padArgs, error) {
	var p padArgs
	a := n.Attrs
	switch a.Enum("mode", "constant", "constant", "reflect", "edge") {
	case "reflect":
		p.mode = padReflect
	case "edge":
		p.mode = padEdge
	}
	if n.Since < 11 {
		name := "pads"
		if n.Since == 1 {
			name = "paddings"
		}
		p.pads = toInt64s(a.RequiredInts(name))
		p.value = float64(a.Float("value", 0))
		return p, a.Err()
	}
	if err := a.Err(); err != nil {
		return p, err
	}
	if c := n.Const(1); c != nil {
		v, err := padsInput(c)
		if err != nil {
			return p, err
		}
		p.pads = v
	} else {
		p.dynPads = true
	}
	if n.Since >= 18 && n.HasInput(3) {
		if c := n.Const(3); c != nil {
			ax, err := padAxesInput(c)
			if err != nil {
				return p, err
			}
			p.axes = ax
		} else {
			p.dynAxes = true
		}
	}
	return p, nil
}

func padsInput(t *tensors.Tensor) ([]int64, error) {
	if t.DType() != tensors.Int64 {
		return nil, tensors.ErrDType("pads input", t.DType(), tensors.Int64)
	}
	if t.Rank() != 1 {
		return nil, fmt.Errorf("pads input must be 1-D, got %v", t)
	}
	return tensors.Data[int64](t), nil // only read
}

func padAxesInput(t *tensors.Tensor) ([]int, error) {
	if t.DType() != tensors.Int32 && t.DType() != tensors.Int64 {
		return nil, tensors.ErrDType("axes input", t.DType(), tensors.Int32, tensors.Int64)
	}
	v, err := tensors.ReadIntsInput(t, "axes input")
	if err != nil {
		return nil, err
	}
	return tensors.ToInts(v)
}

func preparePad(n *Node) (Kernel, error) {
	p, err := readPadArgs(n)
	if err != nil {
		return nil, err
	}
	var fill *tensors.Tensor // versions 11+: a constant constant_value
	if n.Since >= 11 && n.HasInput(2) {
		fill = n.Const(2)
	}
	var value32 *tensors.Tensor // versions 1 and 2: the float32 fill value, made on first use
	var once sync.Once
	return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0]
		run := p
		var err error
		if p.dynPads {
			if run.pads, err = padsInput(in[1]); err != nil {
				return nil, err
			}
		}
		if p.dynAxes {
			if run.axes, err = padAxesInput(in[3]); err != nil {
				return nil, err
			}
		}
		var bbuf, abuf [8]int
		before, after := bbuf[:0], abuf[:0]
		if x.Rank() > len(bbuf) {
			before, after = nil, nil
		}
		before, after, err = run.perAxis(x.Rank(), before, after)
		if err != nil {
			return nil, err
		}
		var value *tensors.Tensor
		if p.mode == padConstant {
			switch {
			case n.Since < 11:
				value, err = scalarAs(x.DType(), p.value)
				if err == nil && x.DType() == tensors.Float32 {
					// The attribute's value, made once.
					once.Do(func() { value32 = value })
					value = value32
				}
			case fill != nil:
				value, err = padValue(fill, x.DType())
			case Input(in, 2) != nil:
				value, err = padValue(in[2], x.DType())
			}
			if err != nil {
				return nil, err
			}
		}
		y, err := padTensor(x, before, after, run.mode, value, last)
		if err != nil {
			return nil, err
		}
		return Result(last, y), nil
	}), nil
}

// perAxis spreads the pads over all axes of an input of rank r, into
// before and after (appended to, from length 0: with room for r entries
// they do not allocate).
func (p padArgs) perAxis(r int, before, after []int) ([]int, []int, error) {
	axes := p.axes
	var err error
	if axes != nil {
		if axes, err = tensors.NormalizeAxes(axes, r); err != nil {
			return nil, nil, err
		}
	}
	n := r
	if axes != nil {
		n = len(axes)
	}
	if len(p.pads) != 2*n {
		return nil, nil, fmt.Errorf("pads %v has %d entries, want %d (2 per axis of %d)", p.pads, len(p.pads), 2*n, n)
	}
	for range r {
		before, after = append(before, 0), append(after, 0)
	}
	for i := range n {
		a := i
		if axes != nil {
			a = axes[i]
		}
		b, e := p.pads[i], p.pads[i+n]
		if b < -tensors.MaxElements || b > tensors.MaxElements || e < -tensors.MaxElements || e > tensors.MaxElements {
			return nil, nil, fmt.Errorf("pads %v: value out of range", p.pads)
		}
		before[a], after[a] = int(b), int(e)
	}
	return before, after, nil
}

// padValue checks a constant_value input: one element of the data's type,
// or none (meaning the zero value).
func padValue(v *tensors.Tensor, dt tensors.DType) (*tensors.Tensor, error) {
	if v.DType() != dt {
		return nil, fmt.Errorf("constant_value is %v, data is %v", v, dt)
	}
	switch v.Len() {
	case 0:
		return nil, nil
	case 1:
		return v, nil
	}
	return nil, fmt.Errorf("constant_value must be a scalar, got %v", v)
}

// scalarAs returns a one-element tensor of element type dt holding v
// (converted as Go converts numbers).
func scalarAs(dt tensors.DType, v float64) (*tensors.Tensor, error) {
	switch dt {
	case tensors.Float32:
		return tensors.Scalar(float32(v)), nil
	case tensors.Float64:
		return tensors.Scalar(v), nil
	}
	if v == 0 {
		return tensors.Alloc(dt, []int{})
	}
	if v != math.Trunc(v) {
		return nil, fmt.Errorf("value %g cannot be converted to %v", v, dt)
	}
	if f, ok := integerScalarFor[dt]; ok {
		return f(v), nil
	}
	return nil, tensors.ErrDType("data", dt, tensors.Float32, tensors.Float64)
}

// integerScalar is a scalar of integer element type T holding v.
//
//dtypes:integer
func integerScalar[T tensors.Integer](v float64) *tensors.Tensor { return tensors.Scalar(T(v)) }

// padIndex maps a position i of an axis of size d, extended outside
// [0, d), to the element it copies in reflect or edge mode, or -1 where
// constant mode fills.
func padIndex(i, d int, mode padMode) int {
	if i >= 0 && i < d {
		return i
	}
	switch mode {
	case padEdge:
		return min(max(i, 0), d-1)
	case padReflect:
		if d == 1 {
			return 0
		}
		period := 2 * (d - 1)
		r := i % period
		if r < 0 {
			r += period
		}
		if r >= d {
			r = period - r
		}
		return r
	}
	return -1
}

// padTensor pads x with before[a] and after[a] elements on each axis a,
// into last[0] when it fits. value is the fill value of constant mode
// (nil: zero).
func padTensor(x *tensors.Tensor, before, after []int, mode padMode, value *tensors.Tensor, last []*tensors.Tensor) (*tensors.Tensor, error) {
	r := x.Rank()
	var sbuf, xsbuf, ibuf [8]int
	shape, xs, idx := sbuf[:0], xsbuf[:0], ibuf[:0]
	for a, d := range x.Shape() {
		n := d + before[a] + after[a]
		if n < 0 {
			return nil, fmt.Errorf("pads %v/%v remove more than the %d elements of axis %d", slices.Clone(before), slices.Clone(after), d, a)
		}
		if mode != padConstant && d == 0 && n > 0 {
			return nil, fmt.Errorf("cannot pad the empty axis %d in %s mode", a, padModeName(mode))
		}
		shape = append(shape, n)
		xs = append(xs, 0)
		if a < r-1 {
			idx = append(idx, 0)
		}
	}
	if _, err := tensors.NumElements(shape); err != nil {
		return nil, fmt.Errorf("cannot pad %v: %w", x, err)
	}
	mv, err := tensors.MoverFor(x.DType())
	if err != nil {
		return nil, err
	}
	if mode == padConstant && value == nil {
		if value, err = zeroScalar(x.DType()); err != nil {
			return nil, err
		}
	}
	out, err := RecycleAlloc(last, 0, x.DType(), shape)
	if err != nil {
		return nil, err
	}
	total := out.Len()
	if total == 0 {
		return out, nil
	}
	if r == 0 {
		mv.Copy(out.Data(), x.Data(), 0, 0, 1)
		return out, nil
	}
	for a, st := r-1, 1; a >= 0; a-- {
		xs[a] = st
		st *= x.Shape()[a]
	}
	lastAx := r - 1
	cols, width, pre := shape[lastAx], x.Shape()[lastAx], before[lastAx]
	// The columns copied from the input's row as they are: one
	// contiguous range [lo, hi); reflect and edge modes fill the others
	// from the row too, constant mode with the value.
	lo, hi := min(max(pre, 0), cols), min(max(pre+width, 0), cols)
	if hi <= lo {
		lo, hi = cols, cols
	}
	fill := func(d, n int) {
		if n > 0 {
			mv.Splat(out.Data(), value.Data(), d, 0, n)
		}
	}
	for d := 0; d < total; d += cols {
		src, ok := 0, true
		for a, j := range idx {
			k := padIndex(j-before[a], x.Shape()[a], mode)
			if k < 0 {
				ok = false
				break
			}
			src += k * xs[a]
		}
		switch {
		case !ok:
			fill(d, cols)
		case mode == padConstant:
			fill(d, lo)
			if hi > lo {
				mv.Copy(out.Data(), x.Data(), d+lo, src+lo-pre, hi-lo)
			}
			fill(d+hi, cols-hi)
		default:
			if hi > lo {
				mv.Copy(out.Data(), x.Data(), d+lo, src+lo-pre, hi-lo)
			}
			for j := 0; j < cols; j++ {
				if j == lo && hi > lo {
					j = hi - 1
					continue
				}
				mv.Copy(out.Data(), x.Data(), d+j, src+padIndex(j-pre, width, mode), 1)
			}
		}
		for a := lastAx - 1; a >= 0; a-- {
			idx[a]++
			if idx[a] < shape[a] {
				break
			}
			idx[a] = 0
		}
	}
	return out, nil
}

// zeroScalars holds a one-element zero tensor per element type, made on
// first use.
var zeroScalars sync.Map // tensors.DType -> *tensors.Tensor

// zeroScalar returns a shared one-element tensor of element type dt holding
// its zero value; it must not be modified.
func zeroScalar(dt tensors.DType) (*tensors.Tensor, error) {
	if z, ok := zeroScalars.Load(dt); ok {
		return z.(*tensors.Tensor), nil
	}
	z, err := tensors.Alloc(dt, []int{})
	if err != nil {
		return nil, err
	}
	zeroScalars.Store(dt, z)
	return z, nil
}

func padModeName(m padMode) string {
	return [...]string{"constant", "reflect", "edge"}[m]
}

func inferPad(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	x := in[0]
	if !x.RankKnown {
		return []tensors.Type{{DType: x.DType}}, nil
	}
	p, err := readPadArgs(n)
	if err != nil || p.dynPads || p.dynAxes {
		return []tensors.Type{tensors.RankType(x.DType, len(x.Dims))}, nil
	}
	before, after, err := p.perAxis(len(x.Dims), nil, nil)
	if err != nil {
		return nil, err
	}
	out := tensors.Type{DType: x.DType, RankKnown: true, Dims: make([]tensors.Dim, len(x.Dims))}
	for a, d := range x.Dims {
		switch {
		case before[a] == 0 && after[a] == 0:
			out.Dims[a] = d
		case d.Known() && d.Size+before[a]+after[a] >= 0:
			out.Dims[a] = tensors.Dim{Size: d.Size + before[a] + after[a]}
		case d.Known():
			return nil, fmt.Errorf("pads %v/%v remove more than the %d elements of axis %d", before, after, d.Size, a)
		default:
			out.Dims[a] = tensors.UnknownDim
		}
	}
	return []tensors.Type{out}, nil
}
