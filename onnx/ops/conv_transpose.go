package ops

import (
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/onnxkit/onnxkit/internal/kernel"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// ConvTranspose (versions 1 and 11): the gradient of a convolution with
// respect to its input, for any number of spatial axes.
//
// X is N×C×D1×...×Dk and W is C×(M/group)×K1×...×Kk. Each input position
// scatters W into the output at stride `strides` (GEMM of Wᵀ with X, then
// col2im). The "full" output of size strides*(D-1) + (K-1)*dilations + 1
// per axis is then cut to the requested size: pads trim it at either end,
// output_padding (or an explicit output_shape) extends it at the end with
// positions no input reaches (zero, plus the bias). Two spatial axes (and
// one, as a height-1 image) run through kernel.Conv2DBackward; other ranks
// through kernel.Gemm and a generic col2im here.
func init() {
	Register(Op{Type: "ConvTranspose", Since: []int{1, 11}, Prepare: prepareConvTranspose, Infer: inferConvTranspose})
}

type convTransposeAttrs struct {
	autoPad     string
	dilations   []int
	group       int
	kernelShape []int
	outPadding  []int
	outShape    []int
	pads        []int
	strides     []int
}

func readConvTransposeAttrs(n *Node) (*convTransposeAttrs, error) {
	a := n.Attrs
	c := &convTransposeAttrs{
		autoPad:     a.Enum("auto_pad", "NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"),
		dilations:   a.Ints("dilations", nil),
		group:       a.Int("group", 1),
		kernelShape: a.Ints("kernel_shape", nil),
		outPadding:  a.Ints("output_padding", nil),
		outShape:    a.Ints("output_shape", nil),
		pads:        a.Ints("pads", nil),
		strides:     a.Ints("strides", nil),
	}
	if err := a.Err(); err != nil {
		return nil, err
	}
	if c.group < 1 {
		return nil, fmt.Errorf("attribute group = %d, want >= 1", c.group)
	}
	return c, nil
}

// convTransposeGeom is the resolved geometry of one ConvTranspose.
type convTransposeGeom struct {
	k, s, d, full, begin, out []int
}

// geometry resolves the attributes for spatial input sizes in and kernel
// sizes ks (from W).
func (c *convTransposeAttrs) geometry(in, ks []int) (*convTransposeGeom, error) {
	r := len(in)
	get := func(name string, v []int, def int, n int) ([]int, error) {
		if v == nil {
			out := make([]int, n)
			for i := range out {
				out[i] = def
			}
			return out, nil
		}
		if len(v) != n {
			return nil, fmt.Errorf("attribute %s has %d values, want %d for %d spatial axes", name, len(v), n, r)
		}
		return v, nil
	}
	g := &convTransposeGeom{k: ks}
	var err error
	if c.kernelShape != nil {
		if len(c.kernelShape) != r || !slices.Equal(c.kernelShape, ks) {
			return nil, fmt.Errorf("attribute kernel_shape %v does not match the weights' spatial shape %v", c.kernelShape, ks)
		}
	}
	if g.s, err = get("strides", c.strides, 1, r); err != nil {
		return nil, err
	}
	if g.d, err = get("dilations", c.dilations, 1, r); err != nil {
		return nil, err
	}
	op, err := get("output_padding", c.outPadding, 0, r)
	if err != nil {
		return nil, err
	}
	pads, err := get("pads", c.pads, 0, 2*r)
	if err != nil {
		return nil, err
	}
	var outShape []int
	if c.outShape != nil {
		switch len(c.outShape) {
		case r:
			outShape = c.outShape
		case r + 2:
			outShape = c.outShape[2:]
		default:
			return nil, fmt.Errorf("attribute output_shape has %d values, want %d", len(c.outShape), r)
		}
	}
	g.full = make([]int, r)
	g.begin = make([]int, r)
	g.out = make([]int, r)
	for i := 0; i < r; i++ {
		if g.s[i] < 1 || g.d[i] < 1 || ks[i] < 1 {
			return nil, fmt.Errorf("strides, dilations and kernel sizes must be positive (axis %d: %d, %d, %d)", i, g.s[i], g.d[i], ks[i])
		}
		if op[i] < 0 || pads[i] < 0 || pads[i+r] < 0 {
			return nil, fmt.Errorf("pads and output_padding must not be negative")
		}
		if in[i] > 1<<40 || g.s[i] > 1<<20 || g.d[i] > 1<<20 || ks[i] > 1<<20 || op[i] > 1<<40 {
			return nil, fmt.Errorf("geometry too large on axis %d", i)
		}
		eff := (ks[i]-1)*g.d[i] + 1
		g.full[i] = g.s[i]*max(in[i]-1, 0) + eff
		if in[i] == 0 {
			g.full[i] = 0
		}
		natural := g.s[i]*(in[i]-1) + op[i] + eff
		switch {
		case outShape != nil || c.autoPad == "SAME_UPPER" || c.autoPad == "SAME_LOWER":
			o := in[i] * g.s[i]
			if outShape != nil {
				o = outShape[i]
			}
			if o < 0 || o > 1<<40 {
				return nil, fmt.Errorf("output_shape[%d] = %d is out of range", i, o)
			}
			total := natural - o
			half := floorDiv(total, 2)
			if c.autoPad == "SAME_UPPER" {
				g.begin[i] = half
			} else {
				g.begin[i] = total - half
			}
			g.out[i] = o
		case c.autoPad == "VALID":
			g.out[i] = natural
		default:
			g.begin[i] = pads[i]
			g.out[i] = natural - pads[i] - pads[i+r]
		}
		if g.out[i] < 0 {
			return nil, fmt.Errorf("output size on spatial axis %d is negative (%d)", i, g.out[i])
		}
	}
	return g, nil
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func prepareConvTranspose(n *Node) (Kernel, error) {
	c, err := readConvTransposeAttrs(n)
	if err != nil {
		return nil, err
	}
	var memo convTransposeMemo
	var full32 scratchPool[[]float32] // the uncropped outputs
	var full64 scratchPool[[]float64]
	return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x, w, b := in[0], in[1], Input(in, 2)
		if x.DType() != w.DType() || (b != nil && b.DType() != x.DType()) {
			return nil, fmt.Errorf("inputs X (%v), W (%v) and B must have the same element type", x.DType(), w.DType())
		}
		if x.Rank() < 3 || w.Rank() != x.Rank() {
			return nil, fmt.Errorf("input X %s and W %s must have the same rank >= 3", tensors.FormatShape(x.Shape()), tensors.FormatShape(w.Shape()))
		}
		xs, ws := x.Shape(), w.Shape()
		if xs[1] != ws[0] || xs[1]%c.group != 0 {
			return nil, fmt.Errorf("input X has %d channels, W %s wants %d divisible by group %d", xs[1], tensors.FormatShape(ws), ws[0], c.group)
		}
		m := ws[1] * c.group
		if b != nil && (b.Rank() != 1 || b.Shape()[0] != m) {
			return nil, fmt.Errorf("input B %s must be 1-D with %d values", tensors.FormatShape(b.Shape()), m)
		}
		g := memo.get(xs[2:], ws[2:])
		if g == nil {
			var err error
			if g, err = c.geometry(xs[2:], ws[2:]); err != nil {
				return nil, err
			}
			memo.put(xs[2:], ws[2:], g)
		}
		var y *tensors.Tensor
		var err error
		switch x.DType() {
		case tensors.Float32:
			y, err = convTranspose[float32](x, w, b, g, c.group, m, last, &full32)
		case tensors.Float64:
			y, err = convTranspose[float64](x, w, b, g, c.group, m, last, &full64)
		default:
			return nil, tensors.ErrDType("input X", x.DType(), tensors.Float32, tensors.Float64)
		}
		if err != nil {
			return nil, err
		}
		return Result(last, y), nil
	}), nil
}

// convTransposeMemo remembers the geometry a ConvTranspose resolved last, for its
// spatial input and kernel sizes. Safe for concurrent use: entries are
// immutable and swapped atomically.
type convTransposeMemo struct {
	last atomic.Pointer[memoConvTranspose]
}

type memoConvTranspose struct {
	in, ks []int
	g      *convTransposeGeom
}

// get returns the geometry remembered for in and ks, or nil.
func (m *convTransposeMemo) get(in, ks []int) *convTransposeGeom {
	if e := m.last.Load(); e != nil && slices.Equal(e.in, in) && slices.Equal(e.ks, ks) {
		return e.g
	}
	return nil
}

// put remembers g for in and ks (which are copied; g must not change).
func (m *convTransposeMemo) put(in, ks []int, g *convTransposeGeom) {
	m.last.Store(&memoConvTranspose{in: slices.Clone(in), ks: slices.Clone(ks), g: g})
}

// convTranspose computes a ConvTranspose into last[0] when it fits; the
// uncropped result, when it is cropped, comes from fulls.
func convTranspose[T tensors.Float](x, w, b *tensors.Tensor, g *convTransposeGeom, group, m int, last []*tensors.Tensor, fulls *scratchPool[[]T]) (*tensors.Tensor, error) {
	xs := x.Shape()
	nb, c := xs[0], xs[1]
	var obuf [8]int
	outShape := append(append(obuf[:0], nb, m), g.out...)
	if _, err := tensors.CheckSize(x.DType(), outShape); err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	direct := slices.Equal(g.full, g.out) && !slices.ContainsFunc(g.begin, func(v int) bool { return v != 0 })
	var full []T
	var y *tensors.Tensor
	var err error
	if direct {
		y, full, err = RecycleZeroed[T](last, 0, outShape)
	} else {
		n := nb * m * prodInts(g.full)
		if _, err := tensors.CheckSize(x.DType(), []int{nb * m, prodInts(g.full)}); err != nil {
			return nil, fmt.Errorf("output before cropping: %w", err)
		}
		buf := fulls.get()
		defer fulls.put(buf)
		if cap(*buf) < n {
			*buf = make([]T, n)
		}
		full = (*buf)[:n]
		clear(full)
	}
	if err != nil {
		return nil, err
	}
	xd, wd := tensors.Data[T](x), tensors.Data[T](w)
	if len(xd) > 0 && len(full) > 0 {
		if len(g.k) <= 2 {
			p := kernel.ConvParams{N: nb, C: m, M: c, Group: group, H: 1, KH: 1, StrideH: 1, DilH: 1}
			p.W, p.KW, p.StrideW, p.DilW = g.full[len(g.k)-1], g.k[len(g.k)-1], g.s[len(g.k)-1], g.d[len(g.k)-1]
			if len(g.k) == 2 {
				p.H, p.KH, p.StrideH, p.DilH = g.full[0], g.k[0], g.s[0], g.d[0]
			}
			// Scratch: one column matrix of (M/group)*K rows per input
			// image plane.
			if _, err := tensors.CheckSize(x.DType(), []int{m / group * prodInts(g.k), prodInts(xs[2:])}); err != nil {
				return nil, fmt.Errorf("scratch: %w", err)
			}
			// x is only read for dw; full stands in for it.
			kernel.Conv2DBackward(p, full, wd, xd, full, nil, nil)
		} else if err := convTransposeND(xd, wd, full, xs, g, group, m); err != nil {
			return nil, err
		}
	}
	if !direct {
		var dst []T
		y, dst, err = RecycleZeroed[T](last, 0, outShape) // cropInto skips what is outside full
		if err != nil {
			return nil, err
		}
		cropInto(dst, full, nb*m, g.out, g.full, g.begin)
	}
	if b != nil && prodInts(g.out) > 0 {
		// The bias of each output channel, added plane by plane in
		// vectors on the workers (x + b exactly as the addition rounds it).
		dst := tensors.Data[T](y)
		kernel.ScaleShiftRows(dst, dst, prodInts(g.out), nil, tensors.Data[T](b)[:m])
	}
	return y, nil
}

// prodInts returns the product of dims (which the caller has bounded).
func prodInts(dims []int) int {
	p := 1
	for _, d := range dims {
		p *= d
	}
	return p
}

// cropInto copies planes of shape full into planes of shape out, output
// position o reading full position o+begin (zero when outside).
func cropInto[T tensors.Float](dst, src []T, planes int, out, full, begin []int) {
	r := len(out)
	op, fp := prodInts(out), prodInts(full)
	idx := make([]int, r)
	fst := tensors.Strides(full)
	last := r - 1
	for p := 0; p < planes; p++ {
		d, s := dst[p*op:(p+1)*op], src[p*fp:(p+1)*fp]
		clear(idx)
		for o := 0; o < op; o += out[last] {
			base, ok := 0, true
			for a := 0; a < last; a++ {
				q := idx[a] + begin[a]
				if q < 0 || q >= full[a] {
					ok = false
					break
				}
				base += q * fst[a]
			}
			if ok {
				for j := 0; j < out[last]; j++ {
					if q := j + begin[last]; q >= 0 && q < full[last] {
						d[o+j] = s[base+q]
					}
				}
			}
			for a := last - 1; a >= 0; a-- {
				idx[a]++
				if idx[a] < out[a] {
					break
				}
				idx[a] = 0
			}
		}
	}
}

// convTransposeND handles three or more spatial axes: per image and group,
// col = W_gᵀ · X_g, then each column entry is added at its output position.
func convTransposeND[T tensors.Float](xd, wd, full []T, xs []int, g *convTransposeGeom, group, m int) error {
	nb, c := xs[0], xs[1]
	cg, mg := c/group, m/group
	in := xs[2:]
	l := prodInts(in)
	kk := prodInts(g.k)
	rows := mg * kk
	if _, err := tensors.CheckSize(tensors.Float64, []int{rows, l}); err != nil {
		return fmt.Errorf("scratch: %w", err)
	}
	col := make([]T, rows*l)
	fp := prodInts(g.full)
	fst := tensors.Strides(g.full)
	r := len(in)
	kidx := make([]int, r)
	iidx := make([]int, r)
	for n := 0; n < nb; n++ {
		for gi := 0; gi < group; gi++ {
			xg := xd[(n*c+gi*cg)*l : (n*c+(gi+1)*cg)*l]
			wg := wd[gi*cg*rows : (gi+1)*cg*rows]
			kernel.Gemm(true, false, rows, l, cg, 1, wg, rows, xg, l, 0, col, l)
			for mo := 0; mo < mg; mo++ {
				plane := full[(n*m+gi*mg+mo)*fp : (n*m+gi*mg+mo+1)*fp]
				clear(kidx)
				for k := 0; k < kk; k++ {
					row := col[(mo*kk+k)*l : (mo*kk+k+1)*l]
					koff := 0
					for a := 0; a < r; a++ {
						koff += kidx[a] * g.d[a] * fst[a]
					}
					clear(iidx)
					for i := 0; i < l; i++ {
						off := koff
						for a := 0; a < r; a++ {
							off += iidx[a] * g.s[a] * fst[a]
						}
						plane[off] += row[i]
						for a := r - 1; a >= 0; a-- {
							iidx[a]++
							if iidx[a] < in[a] {
								break
							}
							iidx[a] = 0
						}
					}
					for a := r - 1; a >= 0; a-- {
						kidx[a]++
						if kidx[a] < g.k[a] {
							break
						}
						kidx[a] = 0
					}
				}
			}
		}
	}
	return nil
}

func inferConvTranspose(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	x, w := in[0], in[1]
	dt := x.DType
	if dt == tensors.Undefined {
		dt = w.DType
	}
	if !x.RankKnown {
		return []tensors.Type{{DType: dt}}, nil
	}
	t := rankOf(dt, len(x.Dims))
	if len(x.Dims) < 3 {
		return []tensors.Type{t}, nil
	}
	t.Dims[0] = x.Dims[0]
	c, err := readConvTransposeAttrs(n)
	if err != nil || !w.RankKnown || len(w.Dims) != len(x.Dims) {
		return []tensors.Type{t}, nil
	}
	if m := w.Dims[1]; m.Known() {
		t.Dims[1] = tensors.Dim{Size: m.Size * c.group}
	}
	spatial, ks := make([]int, len(x.Dims)-2), make([]int, len(x.Dims)-2)
	for i := range spatial {
		d, k := x.Dims[i+2], w.Dims[i+2]
		if !d.Known() || !k.Known() {
			return []tensors.Type{t}, nil
		}
		spatial[i], ks[i] = d.Size, k.Size
	}
	g, err := c.geometry(spatial, ks)
	if err != nil {
		return nil, err
	}
	for i, o := range g.out {
		t.Dims[i+2] = tensors.Dim{Size: o}
	}
	return []tensors.Type{t}, nil
}
