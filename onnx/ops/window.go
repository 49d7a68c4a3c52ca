package ops

import (
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/onnxkit/onnxkit/internal/kernel"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Geometry shared by the sliding-window operators Conv, MaxPool and
// AveragePool: the kernel_shape, strides, dilations, pads, auto_pad and
// ceil_mode attributes, and the pads and output sizes they give for an
// input.

// maxWindowAttr bounds kernel sizes, strides, dilations and pads, so that
// the sums and products computed from them cannot overflow an int.
const maxWindowAttr = tensors.MaxElements

// windowSpec holds the window attributes of one node, as checked in Prepare.
type windowSpec struct {
	kernel    []int // kernel_shape; nil when absent (Conv takes it from W)
	strides   []int // nil: 1 along every axis
	dilations []int // nil: 1 along every axis
	pads      []int // begin values then end values; nil: no padding
	autoPad   string
	ceil      bool
	// axes is the number of spatial axes the attributes imply, or -1 when
	// none of them is set.
	axes int
	// memo keeps the last geometry computed by resolve (shared by copies
	// of the spec).
	memo *geomMemo
}

// geomMemo remembers the last geometry a node resolved, so that runs with
// the input shape of the run before compute (and allocate) nothing. The
// memoized geometry is immutable; concurrent runs swap it atomically.
type geomMemo struct{ last atomic.Pointer[memoGeom] }

type memoGeom struct {
	in, ks []int
	g      windowGeom
}

// resolve is geometry with memoization: the result must not be modified.
func (s *windowSpec) resolve(in, ks []int) (*windowGeom, error) {
	if s.memo != nil {
		if m := s.memo.last.Load(); m != nil && slices.Equal(m.in, in) && slices.Equal(m.ks, ks) {
			return &m.g, nil
		}
	}
	g, err := s.geometry(in, ks)
	if err != nil {
		return nil, err
	}
	m := &memoGeom{in: slices.Clone(in), ks: slices.Clone(ks), g: g}
	m.g.kernel = m.ks
	if s.memo != nil {
		s.memo.last.Store(m)
	}
	return &m.g, nil
}

// windowOpts says which window attributes an operator version defines.
type windowOpts struct {
	kernelRequired bool // pools: kernel_shape is required
	dilations      bool
	ceil           bool
}

// readWindowSpec reads and checks the window attributes of a node.
func readWindowSpec(n *Node, o windowOpts) (windowSpec, error) {
	a := n.Attrs
	var s windowSpec
	if o.kernelRequired {
		s.kernel = a.RequiredInts("kernel_shape")
	} else {
		s.kernel = a.Ints("kernel_shape", nil)
	}
	s.strides = a.Ints("strides", nil)
	if o.dilations {
		s.dilations = a.Ints("dilations", nil)
	}
	s.pads = a.Ints("pads", nil)
	s.autoPad = a.Enum("auto_pad", "NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", "")
	if s.autoPad == "" {
		s.autoPad = "NOTSET" // some exporters write an empty string
	}
	if o.ceil {
		s.ceil = a.Bool("ceil_mode", false)
	}
	if err := a.Err(); err != nil {
		return s, err
	}
	s.axes = -1
	check := func(name string, vals []int, axes, lo int) error {
		if vals == nil {
			return nil
		}
		if s.axes >= 0 && axes != s.axes {
			return fmt.Errorf("attribute %q has %d values for %d spatial axes", name, len(vals), s.axes)
		}
		s.axes = axes
		for _, v := range vals {
			if v < lo || v > maxWindowAttr {
				return fmt.Errorf("attribute %q: value %d is out of range [%d, %d]", name, v, lo, maxWindowAttr)
			}
		}
		return nil
	}
	if err := check("kernel_shape", s.kernel, len(s.kernel), 1); err != nil {
		return s, err
	}
	if err := check("strides", s.strides, len(s.strides), 1); err != nil {
		return s, err
	}
	if err := check("dilations", s.dilations, len(s.dilations), 1); err != nil {
		return s, err
	}
	if len(s.pads)%2 != 0 {
		return s, fmt.Errorf("attribute \"pads\" has an odd number of values (%d)", len(s.pads))
	}
	if err := check("pads", s.pads, len(s.pads)/2, 0); err != nil {
		return s, err
	}
	if s.axes == 0 {
		return s, fmt.Errorf("window attributes describe no spatial axis")
	}
	s.memo = new(geomMemo)
	return s, nil
}

// checkRank checks that an input of the given rank (N, C and the spatial
// axes) fits the attributes.
func (s *windowSpec) checkRank(rank int) error {
	if rank < 3 {
		return fmt.Errorf("input has rank %d, want at least 3 (N, C and a spatial axis)", rank)
	}
	if s.axes >= 0 && rank-2 != s.axes {
		return fmt.Errorf("input has %d spatial axes but the attributes describe %d", rank-2, s.axes)
	}
	return nil
}

// windowGeom is the resolved geometry of one window operation: per spatial
// axis the kernel size, stride, dilation, pads and output size.
type windowGeom struct {
	kernel, strides, dilations []int
	padBegin, padEnd, out      []int
}

// geometry resolves the attributes for spatial input sizes in and kernel
// sizes kernel (the kernel_shape attribute, or W's dimensions for Conv).
func (s *windowSpec) geometry(in, ks []int) (windowGeom, error) {
	k := len(in)
	if len(ks) != k || (s.axes >= 0 && s.axes != k) {
		return windowGeom{}, fmt.Errorf("kernel has %d spatial axes and the attributes %d, input %d", len(ks), s.axes, k)
	}
	if _, err := tensors.NumElements(ks); err != nil {
		return windowGeom{}, fmt.Errorf("kernel: %w", err)
	}
	g := windowGeom{
		kernel: ks, strides: make([]int, k), dilations: make([]int, k),
		padBegin: make([]int, k), padEnd: make([]int, k), out: make([]int, k),
	}
	for i := 0; i < k; i++ {
		if ks[i] < 1 || ks[i] > maxWindowAttr {
			return g, fmt.Errorf("kernel size %d along spatial axis %d is out of range", ks[i], i)
		}
		st, dl := 1, 1
		if s.strides != nil {
			st = s.strides[i]
		}
		if s.dilations != nil {
			dl = s.dilations[i]
		}
		g.strides[i], g.dilations[i] = st, dl
		dk := (ks[i]-1)*dl + 1 // extent of the dilated kernel
		switch s.autoPad {
		case "SAME_UPPER", "SAME_LOWER":
			// The output keeps ceil(in/stride) positions; the padding that
			// needs is split evenly, the odd pixel going to the end
			// (SAME_UPPER) or the beginning (SAME_LOWER).
			out := (in[i] + st - 1) / st
			total := max(0, (out-1)*st+dk-in[i])
			small := total / 2
			if s.autoPad == "SAME_UPPER" {
				g.padBegin[i], g.padEnd[i] = small, total-small
			} else {
				g.padBegin[i], g.padEnd[i] = total-small, small
			}
			g.out[i] = out
			continue
		case "NOTSET":
			if s.pads != nil {
				g.padBegin[i], g.padEnd[i] = s.pads[i], s.pads[i+k]
			}
		}
		// NOTSET with explicit pads, or VALID (no padding).
		span := in[i] + g.padBegin[i] + g.padEnd[i] - dk
		if span < 0 {
			return g, fmt.Errorf("spatial axis %d: input size %d padded by %d+%d is smaller than the kernel extent %d",
				i, in[i], g.padBegin[i], g.padEnd[i], dk)
		}
		if s.ceil {
			// ceil_mode rounds up with explicit pads and, as in
			// onnxruntime and later ONNX versions, with VALID.
			g.out[i] = kernel.PoolOut(in[i], ks[i], dl, st, g.padBegin[i], g.padEnd[i], true)
		} else {
			g.out[i] = span/st + 1
		}
	}
	return g, nil
}

// staticKernel returns the spatial kernel size implied by the attributes
// and static input types, or nil: kernel_shape if set, else (for Conv) W's
// known spatial dimensions.
func staticKernel(s *windowSpec, w tensors.Type) []int {
	if s.kernel != nil {
		return s.kernel
	}
	if !w.RankKnown || len(w.Dims) < 3 {
		return nil
	}
	k := make([]int, len(w.Dims)-2)
	for i, d := range w.Dims[2:] {
		if !d.Known() {
			return nil
		}
		k[i] = d.Size
	}
	return k
}

// inferSpatial returns the static output dimensions [N, channels, out...]
// of a window operation on input type x, as far as they are known.
func inferSpatial(s *windowSpec, x tensors.Type, channels tensors.Dim, kernel []int) tensors.Type {
	t := tensors.Type{DType: x.DType}
	if !x.RankKnown || len(x.Dims) < 3 {
		return t
	}
	t.RankKnown = true
	t.Dims = make([]tensors.Dim, len(x.Dims))
	t.Dims[0], t.Dims[1] = x.Dims[0], channels
	in := make([]int, len(x.Dims)-2)
	known := kernel != nil && len(kernel) == len(in)
	for i, d := range x.Dims[2:] {
		in[i] = d.Size
		known = known && d.Known()
	}
	var g windowGeom
	if known {
		var err error
		if g, err = s.geometry(in, kernel); err != nil {
			known = false
		}
	}
	for i := range in {
		t.Dims[2+i] = tensors.UnknownDim
		if known {
			t.Dims[2+i] = tensors.Dim{Size: g.out[i]}
		}
	}
	return t
}

// convParams maps a geometry with one or two spatial axes to the 2-D
// convolution kernel's parameters (one axis becomes H = 1).
func (g *windowGeom) convParams(n, c, h, w, m, group int) kernel.ConvParams {
	p := kernel.ConvParams{N: n, C: c, H: 1, W: w, M: m, KH: 1, StrideH: 1, DilH: 1, Group: group}
	last := len(g.kernel) - 1
	p.KW, p.StrideW, p.DilW = g.kernel[last], g.strides[last], g.dilations[last]
	p.PadLeft, p.PadRight = g.padBegin[last], g.padEnd[last]
	if last == 1 {
		p.H, p.KH, p.StrideH, p.DilH = h, g.kernel[0], g.strides[0], g.dilations[0]
		p.PadTop, p.PadBottom = g.padBegin[0], g.padEnd[0]
	}
	return p
}

// poolParams maps a geometry with one or two spatial axes to the 2-D
// pooling kernels' parameters.
func (g *windowGeom) poolParams(n, c, h, w int) kernel.PoolParams {
	cp := g.convParams(n, c, h, w, c, 1)
	p := kernel.PoolParams{
		N: n, C: c, H: cp.H, W: cp.W, KH: cp.KH, KW: cp.KW,
		PadTop: cp.PadTop, PadLeft: cp.PadLeft, PadBottom: cp.PadBottom, PadRight: cp.PadRight,
		StrideH: cp.StrideH, StrideW: cp.StrideW, DilH: cp.DilH, DilW: cp.DilW,
		OutH: 1, OutW: g.out[len(g.out)-1],
	}
	if len(g.out) == 2 {
		p.OutH = g.out[0]
	}
	return p
}

// windowParams maps a geometry to the N-d kernels' parameters.
func (g *windowGeom) windowParams(n, c int, in []int) kernel.WindowParams {
	return kernel.WindowParams{
		N: n, C: c, In: in, Kernel: g.kernel, Strides: g.strides, Dilations: g.dilations,
		PadBegin: g.padBegin, PadEnd: g.padEnd, Out: g.out,
	}
}

// outShape returns [n, c, out...], in buf when it has room (so that a
// caller can keep the shape on its stack).
func (g *windowGeom) outShape(buf []int, n, c int) []int {
	return append(append(buf[:0], n, c), g.out...)
}
