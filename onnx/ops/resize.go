package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/onnxkit/onnxkit/internal/kernel"
	"github.com/onnxkit/onnxkit/onnx/tensors"
)

// Resize and Upsample.
//
// Resize-10 and every Upsample take scales only and use the "asymmetric"
// coordinate transformation; their nearest mode rounds down when
// upsampling and up when downsampling (what onnxruntime does for these
// versions, which had no nearest_mode). Resize-11 adds roi, sizes and the
// coordinate_transformation_mode, nearest_mode, cubic_coeff_a,
// exclude_outside and extrapolation_value attributes; 13 makes roi and
// scales optional; 18 adds antialias, axes and keep_aspect_ratio_policy.
//
// Interpolation is separable, as in the ONNX reference implementation:
// linear and cubic resizing runs one axis at a time in float64, each output
// coordinate mapped back to the input, its neighbours clamped to the edge
// (or dropped and the weights renormalised with exclude_outside); float32
// images resized along their last two axes without extrapolation (the
// upsampling of segmenters and detectors) run the same taps in float32,
// as onnxruntime does, a plane at a time (interpResize2D). Nearest
// resizing gathers elements of any type. The output size is checked
// against MaxTensorBytes before anything is allocated.

const (
	resizeNearest = iota
	resizeLinear
	resizeCubic
)

type resizeSpec struct {
	mode      int
	coord     string
	nearest   string
	cubicA    float64
	exclude   bool
	extrap    float64
	antialias bool
	axes      []int // nil: every axis
	policy    string
	legacy    bool // Resize-10, Upsample: asymmetric, nearest rounds by direction
}

func init() {
	Register(Op{Type: "Resize", Since: []int{10, 11, 13, 18}, Prepare: prepareResize, Infer: inferResize})
	Register(Op{Type: "Upsample", Since: []int{1, 7, 9}, Prepare: prepareUpsample, Infer: inferResize})
}

func readResizeMode(a *Attrs, bilinear bool) int {
	allowed := []string{"nearest", "linear", "cubic"}
	if bilinear {
		allowed = []string{"nearest", "bilinear", "linear"}
	}
	switch a.Enum("mode", "nearest", allowed...) {
	case "linear", "bilinear":
		return resizeLinear
	case "cubic":
		return resizeCubic
	}
	return resizeNearest
}

// readResizeSpec reads the attributes of a Resize node.
func readResizeSpec(n *Node) (*resizeSpec, error) {
	s := &resizeSpec{coord: "asymmetric", nearest: "floor", cubicA: -0.75, policy: "stretch"}
	a := n.Attrs
	s.mode = readResizeMode(a, false)
	if n.Since == 10 {
		if s.mode == resizeCubic {
			return nil, fmt.Errorf("mode \"cubic\" is not defined in Resize-10: %w", tensors.ErrUnsupported)
		}
		s.legacy = true
	} else {
		modes := []string{"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"}
		s.coord = a.Enum("coordinate_transformation_mode", "half_pixel", modes...)
		s.nearest = a.Enum("nearest_mode", "round_prefer_floor", "round_prefer_floor", "round_prefer_ceil", "floor", "ceil")
		s.cubicA = float64(a.Float("cubic_coeff_a", -0.75))
		s.exclude = a.Int("exclude_outside", 0) != 0
		s.extrap = float64(a.Float("extrapolation_value", 0))
	}
	if n.Since >= 18 {
		s.antialias = a.Int("antialias", 0) != 0
		s.policy = a.Enum("keep_aspect_ratio_policy", "stretch", "stretch", "not_larger", "not_smaller")
		if a.Has("axes") {
			s.axes = a.Ints("axes", nil)
		}
	}
	if err := a.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

func prepareResize(n *Node) (Kernel, error) {
	s, err := readResizeSpec(n)
	if err != nil {
		return nil, err
	}
	var memo resizeMemo
	return n.Recycling(func(in, last []*tensors.Tensor) ([]*tensors.Tensor, error) {
		var roi, scales, sizes *tensors.Tensor
		if n.Since == 10 {
			scales = in[1]
			if scales.Len() == 0 {
				return nil, fmt.Errorf("input scales is empty")
			}
		} else {
			roi, scales, sizes = Input(in, 1), Input(in, 2), Input(in, 3)
		}
		y, err := s.runRecycled(&memo, in[0], roi, scales, sizes, last)
		if err != nil {
			return nil, err
		}
		return Result(last, y), nil
	}), nil
}

func prepareUpsample(n *Node) (Kernel, error) {
	s := &resizeSpec{coord: "asymmetric", nearest: "floor", legacy: true, policy: "stretch"}
	a := n.Attrs
	s.mode = readResizeMode(a, n.Since == 1)
	var fixed []float64
	switch n.Since {
	case 1:
		h, w := a.RequiredFloat("height_scale"), a.RequiredFloat("width_scale")
		fixed = []float64{1, 1, float64(h), float64(w)}
	case 7:
		if !a.Has("scales") {
			a.Fail("scales", "required attribute is missing")
		}
		for _, v := range a.Floats("scales", nil) {
			fixed = append(fixed, float64(v))
		}
	}
	if err := a.Err(); err != nil {
		return nil, err
	}
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		scales := fixed
		if n.Since >= 9 {
			var err error
			if scales, err = resizeFloats(in[1], "scales"); err != nil {
				return nil, err
			}
		}
		for i, v := range scales {
			if v < 1 {
				return nil, fmt.Errorf("scales[%d] = %g: Upsample scales must be >= 1", i, v)
			}
		}
		y, err := s.run(in[0], nil, scales, nil)
		return []*tensors.Tensor{y}, err
	}, nil
}

// resizeFloats reads the float input roi or scales.
func resizeFloats(t *tensors.Tensor, what string) ([]float64, error) {
	if !t.DType().IsFloat() {
		return nil, fmt.Errorf("input %s: %w", what, tensors.ErrDType(what, t.DType(), tensors.Float32, tensors.Float64))
	}
	if t.Rank() != 1 {
		return nil, fmt.Errorf("input %s must be 1-D, got shape %s", what, tensors.FormatShape(t.Shape()))
	}
	return tensors.AsFloat64s(t)
}

// resizeAxis describes how one axis is resized.
type resizeAxis struct {
	in, out  int
	scale    float64
	roiStart float64
	roiEnd   float64
}

// plan works out per-axis sizes and scales from the inputs.
func (s *resizeSpec) plan(shape []int, roi, scales []float64, sizes []int64) ([]resizeAxis, error) {
	r := len(shape)
	axes := make([]int, r)
	for i := range axes {
		axes[i] = i
	}
	if s.axes != nil {
		var err error
		if axes, err = tensors.NormalizeAxes(s.axes, r); err != nil {
			return nil, fmt.Errorf("attribute axes: %w", err)
		}
		for i, a := range axes {
			if slices.Contains(axes[:i], a) {
				return nil, fmt.Errorf("attribute axes repeats axis %d", a)
			}
		}
	}
	ax := make([]resizeAxis, r)
	for i, d := range shape {
		ax[i] = resizeAxis{in: d, out: d, scale: 1, roiStart: 0, roiEnd: 1}
	}
	if roi != nil {
		if len(roi) != 2*len(axes) {
			return nil, fmt.Errorf("input roi has %d values, want %d (2 per resized axis of the rank-%d input)", len(roi), 2*len(axes), r)
		}
		for i, a := range axes {
			ax[a].roiStart, ax[a].roiEnd = roi[i], roi[i+len(axes)]
		}
	}
	crop := s.coord == "tf_crop_and_resize"
	if sizes != nil {
		if len(sizes) != len(axes) {
			return nil, fmt.Errorf("input sizes has %d values, want %d for the rank-%d input", len(sizes), len(axes), r)
		}
		for i, v := range sizes {
			if v <= 0 {
				return nil, fmt.Errorf("sizes[%d] = %d: sizes must be positive", i, v)
			}
			if v > math.MaxInt32*int64(1<<16) {
				return nil, fmt.Errorf("sizes[%d] = %d is too large", i, v)
			}
			if shape[axes[i]] == 0 {
				return nil, fmt.Errorf("cannot resize axis %d of size 0 to size %d", axes[i], v)
			}
		}
		if s.policy != "stretch" {
			scale := 0.0
			for i, a := range axes {
				f := float64(sizes[i]) / float64(shape[a])
				if i == 0 || (s.policy == "not_larger" && f < scale) || (s.policy == "not_smaller" && f > scale) {
					scale = f
				}
			}
			for _, a := range axes {
				ax[a].scale = scale
				ax[a].out = int(math.Floor(scale*float64(shape[a]) + 0.5))
			}
		} else {
			for i, a := range axes {
				ax[a].out = int(sizes[i])
				ax[a].scale = float64(sizes[i]) / float64(shape[a])
			}
		}
	} else {
		if len(scales) != len(axes) {
			return nil, fmt.Errorf("input scales has %d values, want %d for the rank-%d input", len(scales), len(axes), r)
		}
		for i, v := range scales {
			if !(v > 0) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("scales[%d] = %g: scales must be positive and finite", i, v)
			}
			a := axes[i]
			f := float64(shape[a]) * v
			if crop {
				f *= ax[a].roiEnd - ax[a].roiStart
			}
			if !(f >= 0) || f > float64(math.MaxInt32)*(1<<16) {
				return nil, fmt.Errorf("scales[%d] = %g makes axis %d of size %d too large", i, v, a, shape[a])
			}
			ax[a].scale, ax[a].out = v, int(math.Floor(f))
		}
	}
	return ax, nil
}

func (s *resizeSpec) run(x *tensors.Tensor, roi, scales []float64, sizes []int64) (*tensors.Tensor, error) {
	ax, err := s.plan(x.Shape(), roi, scales, sizes)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(ax))
	for i, a := range ax {
		out[i] = a.out
	}
	if _, err := tensors.CheckSize(x.DType(), out); err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	if s.mode == resizeNearest {
		return s.nearestResize(x, ax, out)
	}
	if !x.DType().IsFloat() {
		return nil, tensors.ErrDType("input X (linear and cubic modes)", x.DType(), tensors.Float32, tensors.Float64)
	}
	if y, ok, err := s.interpResize2D(x, ax, out); ok || err != nil {
		return y, err
	}
	return s.interpResize(x, ax, out)
}

// interpResize2D is interpResize for the common case of images: a float32
// tensor resized along its last two axes only, with no output outside the
// input (no extrapolation). It works in float32, each plane in two
// separable passes: every input row resized along the width into scratch
// rows, then each output row a weighted sum of those rows. ok is false
// when the case does not apply.
func (s *resizeSpec) interpResize2D(x *tensors.Tensor, ax []resizeAxis, out []int) (y *tensors.Tensor, ok bool, err error) {
	im, err := s.imagePlan(x.DType(), ax)
	if im == nil || err != nil {
		return nil, false, err
	}
	y, dst, err := tensors.Make[float32](out)
	if err != nil {
		return nil, false, err
	}
	im.run(tensors.Data[float32](x), dst, &resizeImageRun{})
	return y, true, nil
}

// resizeImage is the plan of interpResize2D for one input shape: the
// taps of the last two axes, weights in float32.
type resizeImage struct {
	ah, aw resizeAxis
	ih, iw []int // source row (column) of each tap, th (tw) per output row (column)
	th, tw int
	wh, ww []float32
	// With two taps per output column (linear), the taps' columns and
	// weights apart, for kernel.LerpGather.
	k0, k1 []int32
	w0, w1 []float32
}

// imagePlan returns the plan of interpResize2D for an input of element
// type dt resized along ax, or nil when that path does not apply.
func (s *resizeSpec) imagePlan(dt tensors.DType, ax []resizeAxis) (*resizeImage, error) {
	r := len(ax)
	if dt != tensors.Float32 || r < 2 {
		return nil, nil
	}
	for _, a := range ax[:r-2] {
		if !s.identity(a) {
			return nil, nil
		}
	}
	im := &resizeImage{ah: ax[r-2], aw: ax[r-1]}
	if im.ah.in == 0 || im.aw.in == 0 || im.ah.out == 0 || im.aw.out == 0 {
		return nil, nil
	}
	ih, wh, th, err := s.taps(im.ah)
	if err != nil {
		return nil, err
	}
	iw, ww, tw, err := s.taps(im.aw)
	if err != nil {
		return nil, err
	}
	if slices.Min(ih) < 0 || slices.Min(iw) < 0 {
		return nil, nil // extrapolation: the general path
	}
	im.ih, im.iw, im.th, im.tw = ih, iw, th, tw
	im.wh, im.ww = make([]float32, len(wh)), make([]float32, len(ww))
	for i, v := range wh {
		im.wh[i] = float32(v)
	}
	for i, v := range ww {
		im.ww[i] = float32(v)
	}
	if tw == 2 && im.aw.in <= math.MaxInt32 {
		n := im.aw.out
		im.k0, im.k1 = make([]int32, n), make([]int32, n)
		im.w0, im.w1 = make([]float32, n), make([]float32, n)
		for j := range n {
			im.k0[j], im.k1[j] = int32(iw[2*j]), int32(iw[2*j+1])
			im.w0[j], im.w1[j] = im.ww[2*j], im.ww[2*j+1]
		}
	}
	return im, nil
}

// resizeImageParts is the most parts the planes of a resizeImage run are
// split into (each part has its own scratch rows).
const resizeImageParts = 8

// resizeImageRun is one run of a resizeImage over src into dst, its planes
// split into parts run by kernel.ParallelTasks: kept between the calls of
// a kernel in a session (with its scratch rows) so that a run allocates
// nothing.
type resizeImageRun struct {
	im       *resizeImage
	src, dst []float32
	planes   int
	parts    int
	rows     [resizeImageParts][]float32
}

// run resizes every plane of src into dst, using r for the run's state.
func (im *resizeImage) run(src, dst []float32, r *resizeImageRun) {
	planes := len(src) / (im.ah.in * im.aw.in)
	work := planes * (im.ah.in*im.aw.out + im.ah.out*im.aw.out)
	parts := min(planes, resizeImageParts, max(1, work>>15))
	*r = resizeImageRun{im: im, src: src, dst: dst, planes: planes, parts: parts, rows: r.rows}
	if parts <= 1 {
		r.Task(0)
	} else {
		kernel.ParallelTasks(parts, r)
	}
	r.im, r.src, r.dst = nil, nil, nil // hold no tensors between runs
}

// Task resizes part i of the planes.
func (r *resizeImageRun) Task(i int) {
	im := r.im
	n := im.ah.in * im.aw.out
	if cap(r.rows[i]) < n {
		r.rows[i] = make([]float32, n)
	}
	lo, hi := i*r.planes/r.parts, (i+1)*r.planes/r.parts
	resizePlanes2D(r.src, r.dst, lo, hi, im, r.rows[i][:n])
}

// resizePlanes2D resizes the planes [lo, hi) of src into dst for
// interpResize2D, rows being scratch for the width-resized input rows.
func resizePlanes2D(src, dst []float32, lo, hi int, im *resizeImage, rows []float32) {
	ah, aw, ih, iw, th, tw, wh32, ww32 := im.ah, im.aw, im.ih, im.iw, im.th, im.tw, im.wh, im.ww
	for pl := lo; pl < hi; pl++ {
		in := src[pl*ah.in*aw.in : (pl+1)*ah.in*aw.in]
		o := dst[pl*ah.out*aw.out : (pl+1)*ah.out*aw.out]
		for i := 0; i < ah.in; i++ {
			srow := in[i*aw.in : (i+1)*aw.in]
			drow := rows[i*aw.out : (i+1)*aw.out]
			if im.k0 != nil {
				kernel.LerpGather(drow, srow, im.k0, im.k1, im.w0, im.w1)
				continue
			}
			for j := range drow {
				var acc float32
				for t, k := range iw[j*tw : (j+1)*tw] {
					acc += ww32[j*tw+t] * srow[k]
				}
				drow[j] = acc
			}
		}
		for j := 0; j < ah.out; j++ {
			orow := o[j*aw.out : (j+1)*aw.out]
			if th == 2 {
				// Linear: two rows, one pass.
				c0, c1 := wh32[2*j], wh32[2*j+1]
				kernel.Lerp(orow, rows[ih[2*j]*aw.out:], rows[ih[2*j+1]*aw.out:], c0, c1)
				continue
			}
			clear(orow)
			for t, k := range ih[j*th : (j+1)*th] {
				c := wh32[j*th+t]
				if c == 0 {
					continue
				}
				for i, v := range rows[k*aw.out : (k+1)*aw.out] {
					orow[i] += c * v
				}
			}
		}
	}
}

// identity reports whether an axis is left unchanged.
func (s *resizeSpec) identity(a resizeAxis) bool {
	return a.in == a.out && a.scale == 1 && s.coord != "tf_crop_and_resize"
}

// source maps output coordinate o of an axis to the input coordinate.
func (s *resizeSpec) source(o int, a resizeAxis) float64 {
	x, sc := float64(o), a.scale
	lin, lout := float64(a.in), float64(a.out)
	switch s.coord {
	case "half_pixel":
		return (x+0.5)/sc - 0.5
	case "pytorch_half_pixel":
		if a.out > 1 {
			return (x+0.5)/sc - 0.5
		}
		return 0
	case "align_corners":
		// The ONNX reference divides by the unrounded resized length
		// (scale * input length), which is the output length when
		// sizes are given.
		if l := sc * lin; a.out > 1 && l != 1 {
			return x * (lin - 1) / (l - 1)
		}
		return 0
	case "tf_half_pixel_for_nn":
		return (x + 0.5) / sc
	case "tf_crop_and_resize":
		if a.out > 1 {
			return a.roiStart*(lin-1) + x*(a.roiEnd-a.roiStart)*(lin-1)/(lout-1)
		}
		return 0.5 * (a.roiStart + a.roiEnd) * (lin - 1)
	}
	return x / sc // asymmetric
}

// outside reports whether input coordinate v falls outside an axis of
// length n in tf_crop_and_resize mode (the output is extrapolation_value).
func (s *resizeSpec) outside(v float64, n int) bool {
	return s.coord == "tf_crop_and_resize" && !(v >= 0 && v <= float64(n-1))
}

func (s *resizeSpec) nearestIndex(v float64, a resizeAxis) int {
	var i float64
	switch {
	case s.legacy:
		if a.scale < 1 {
			i = math.Ceil(v)
		} else {
			i = math.Floor(v)
		}
	case s.nearest == "round_prefer_ceil":
		i = math.Floor(v + 0.5)
	case s.nearest == "floor":
		i = math.Floor(v)
	case s.nearest == "ceil":
		i = math.Ceil(v)
	default: // round_prefer_floor
		i = math.Ceil(v - 0.5)
	}
	return int(max(0, min(float64(a.in-1), i)))
}

// nearestResize gathers, for each output element, one input element (or
// the extrapolation value, marked -1).
func (s *resizeSpec) nearestResize(x *tensors.Tensor, ax []resizeAxis, out []int) (*tensors.Tensor, error) {
	return gatherElems(x, out, s.nearestSources(x.Shape(), ax, out), s.extrap)
}

// nearestSources lists, for each output element of nearestResize, the
// input element it copies, or -1 for the extrapolation value.
func (s *resizeSpec) nearestSources(shape []int, ax []resizeAxis, out []int) []int {
	st := tensors.Strides(shape)
	idx := make([][]int, len(ax))
	for d, a := range ax {
		idx[d] = make([]int, a.out)
		for o := range idx[d] {
			if s.identity(a) {
				idx[d][o] = o * st[d]
				continue
			}
			v := s.source(o, a)
			if s.outside(v, a.in) || a.in == 0 {
				idx[d][o] = -1
				continue
			}
			idx[d][o] = s.nearestIndex(v, a) * st[d]
		}
	}
	total, _ := tensors.NumElements(out)
	src := make([]int, total)
	pos := make([]int, len(out))
	for i := range src {
		off := 0
		for d, p := range pos {
			k := idx[d][p]
			if k < 0 {
				off = -1
				break
			}
			off += k
		}
		src[i] = off
		for d := len(pos) - 1; d >= 0; d-- {
			pos[d]++
			if pos[d] < out[d] {
				break
			}
			pos[d] = 0
		}
	}
	return src
}

// gatherElems returns a tensor of shape out whose element i is element
// src[i] of x, or fill (converted to x's type) where src[i] < 0.
func gatherElems(x *tensors.Tensor, out []int, src []int, fill float64) (*tensors.Tensor, error) {
	gather, ok := gatherResizeAsFor[x.DType()]
	if !ok {
		return nil, tensors.ErrDType("X", x.DType())
	}
	var fillT *tensors.Tensor // the fill value in x's type; nil for strings ("")
	if x.DType() != tensors.String {
		var err error
		if fillT, err = CastTensor(tensors.Scalar(fill), x.DType()); err != nil {
			return nil, err
		}
	}
	return gather(x, out, src, fillT)
}

// gatherResizeAs is gatherResize with the fill value in a one-element
// tensor of element type T (nil: the zero value).
//
//dtypes:elem
func gatherResizeAs[T tensors.Elem](x *tensors.Tensor, out []int, src []int, fill *tensors.Tensor) (*tensors.Tensor, error) {
	var f T
	if fill != nil {
		f = tensors.Data[T](fill)[0]
	}
	return gatherResize(x, out, src, f)
}

func gatherResize[T tensors.Elem](x *tensors.Tensor, out []int, src []int, fill T) (*tensors.Tensor, error) {
	y, dst, err := tensors.Make[T](out)
	if err != nil {
		return nil, err
	}
	xs := tensors.Data[T](x)
	for i, k := range src {
		if k < 0 {
			dst[i] = fill
		} else {
			dst[i] = xs[k]
		}
	}
	return y, nil
}

// taps lists, for each output index of an axis, the input indices and
// weights that make it (nTap per output; index -1 marks extrapolation).
func (s *resizeSpec) taps(a resizeAxis) (idx []int, w []float64, nTap int, err error) {
	scale := 1.0
	if s.antialias && a.scale < 1 {
		scale = a.scale
		// The kernel widens to 4/scale input elements.
		if 4/scale > float64(4*a.in+64) || 4/scale > 1<<30 {
			return nil, nil, 0, fmt.Errorf("scale %g is too small for antialiasing an axis of %d elements", scale, a.in)
		}
	}
	var start int
	if s.mode == resizeLinear {
		start = int(math.Floor(-1/scale)) + 1
		nTap = 2 - 2*start
	} else {
		start = int(math.Floor(-2/scale)) + 1
		nTap = 2 - 2*start
	}
	idx = make([]int, a.out*nTap)
	w = make([]float64, a.out*nTap)
	for o := 0; o < a.out; o++ {
		ti, tw := idx[o*nTap:(o+1)*nTap], w[o*nTap:(o+1)*nTap]
		v := s.source(o, a)
		if s.outside(v, a.in) {
			for j := range ti {
				ti[j], tw[j] = -1, 0
			}
			continue
		}
		base := math.Floor(v)
		r := v - base
		sum := 0.0
		for j := range ti {
			k := start + j
			d := (float64(k) - r) * scale
			var c float64
			if s.mode == resizeLinear {
				c = max(0, 1-math.Abs(d))
			} else {
				c = cubicWeight(math.Abs(d), s.cubicA)
			}
			p := int(base) + k
			if p < 0 || p >= a.in {
				if s.exclude {
					c = 0
				}
				p = max(0, min(a.in-1, p))
			}
			ti[j], tw[j] = p, c
			sum += c
		}
		if (s.exclude || scale != 1) && sum != 0 {
			for j := range tw {
				tw[j] /= sum
			}
		}
	}
	return idx, w, nTap, nil
}

// cubicWeight is the cubic convolution kernel with coefficient A at
// distance x >= 0.
func cubicWeight(x, A float64) float64 {
	switch {
	case x <= 1:
		return ((A+2)*x-(A+3))*x*x + 1
	case x < 2:
		return ((A*x-5*A)*x+8*A)*x - 4*A
	}
	return 0
}

// interpResize resizes a float tensor one axis at a time in float64.
func (s *resizeSpec) interpResize(x *tensors.Tensor, ax []resizeAxis, out []int) (*tensors.Tensor, error) {
	taps, err := s.allTaps(ax)
	if err != nil {
		return nil, err
	}
	return s.interpResizeWith(x, ax, out, taps, &resizeScratch{}, nil)
}

// resizeTaps are the taps of one axis (see taps); nil idx for an axis left
// as it is.
type resizeTaps struct {
	idx  []int
	w    []float64
	nTap int
}

// allTaps returns the taps of every axis.
func (s *resizeSpec) allTaps(ax []resizeAxis) ([]resizeTaps, error) {
	taps := make([]resizeTaps, len(ax))
	for d, a := range ax {
		if s.identity(a) {
			continue
		}
		if a.in == 0 && a.out > 0 {
			return nil, fmt.Errorf("cannot resize axis %d of size 0", d)
		}
		idx, w, nTap, err := s.taps(a)
		if err != nil {
			return nil, err
		}
		taps[d] = resizeTaps{idx: idx, w: w, nTap: nTap}
	}
	return taps, nil
}

// resizeScratch holds the float64 values and extrapolation marks of the
// axis-by-axis passes of interpResizeWith, kept for the next call.
type resizeScratch struct {
	vals [2][]float64
	ext  [2][]bool
}

// grow returns buffer i of the scratch with n elements, cleared.
func (sc *resizeScratch) grow(i, n int) ([]float64, []bool) {
	if cap(sc.vals[i]) < n {
		sc.vals[i], sc.ext[i] = make([]float64, n), make([]bool, n)
	}
	v, e := sc.vals[i][:n], sc.ext[i][:n]
	clear(v)
	clear(e)
	return v, e
}

// interpResizeWith is interpResize with the taps of every axis worked out,
// its intermediate values in sc and its result in into when that fits.
func (s *resizeSpec) interpResizeWith(x *tensors.Tensor, ax []resizeAxis, out []int, taps []resizeTaps, sc *resizeScratch, into *tensors.Tensor) (*tensors.Tensor, error) {
	var sbuf, nbuf [8]int
	shape := append(sbuf[:0], x.Shape()...)
	next := nbuf[:0]
	if len(shape) > len(nbuf) {
		next = make([]int, 0, len(shape))
	}
	n := x.Len()
	cur, extrap := sc.grow(0, n) // extrap: elements set to the extrapolation value
	switch xs := x.Data().(type) {
	case []float32:
		for i, v := range xs {
			cur[i] = float64(v)
		}
	case []float64:
		copy(cur, xs)
	default:
		return nil, tensors.ErrDType("input X (linear and cubic modes)", x.DType(), tensors.Float32, tensors.Float64)
	}
	anyExtrap := false
	buf := 1
	for d, a := range ax {
		tp := taps[d]
		if tp.idx == nil {
			continue
		}
		next = append(next[:0], shape...)
		next[d] = a.out
		n, err := tensors.CheckSize(tensors.Float64, next)
		if err != nil {
			return nil, fmt.Errorf("intermediate: %w", err)
		}
		idx, w, nTap := tp.idx, tp.w, tp.nTap
		outer := 1
		for _, v := range shape[:d] {
			outer *= v
		}
		inner := 1
		for _, v := range shape[d+1:] {
			inner *= v
		}
		dst, dex := sc.grow(buf, n)
		for o := 0; o < outer; o++ {
			sb := o * a.in * inner
			db := o * a.out * inner
			for j := 0; j < a.out; j++ {
				ti, tw := idx[j*nTap:(j+1)*nTap], w[j*nTap:(j+1)*nTap]
				row := dst[db+j*inner : db+(j+1)*inner]
				if ti[0] < 0 {
					for i := range row {
						dex[db+j*inner+i] = true
					}
					anyExtrap = true
					continue
				}
				for t, k := range ti {
					c := tw[t]
					if c == 0 {
						continue
					}
					srow := cur[sb+k*inner : sb+(k+1)*inner]
					for i, v := range srow {
						row[i] += c * v
					}
				}
				if anyExtrap {
					// An output touching an extrapolated input is
					// extrapolated too (its weights sum to 1).
					for t, k := range ti {
						if tw[t] == 0 {
							continue
						}
						for i := 0; i < inner; i++ {
							if extrap[sb+k*inner+i] {
								dex[db+j*inner+i] = true
							}
						}
					}
				}
			}
		}
		cur, extrap = dst, dex
		shape, next = next, shape
		buf = 1 - buf
	}
	if anyExtrap {
		for i, e := range extrap {
			if e {
				cur[i] = s.extrap
			}
		}
	}
	if x.DType() == tensors.Float64 {
		y, dst, err := recycleInto[float64](into, out)
		if err != nil {
			return nil, err
		}
		copy(dst, cur)
		return y, nil
	}
	y, dst, err := recycleInto[float32](into, out)
	if err != nil {
		return nil, err
	}
	for i, v := range cur {
		dst[i] = float32(v)
	}
	return y, nil
}

// inferResize gives the output shape of a Resize whose input shape and
// scales or sizes are known at load time (as the kernel computes it), and
// the rank otherwise.
func inferResize(n *Node, in []tensors.Type) ([]tensors.Type, error) {
	x := in[0]
	if !x.RankKnown {
		return []tensors.Type{{DType: x.DType}}, nil
	}
	t := rankOf(x.DType, len(x.Dims))
	if n.Type != "Resize" {
		return []tensors.Type{t}, nil
	}
	s, err := readResizeSpec(n)
	if err != nil {
		return []tensors.Type{t}, nil
	}
	// Unknown input sizes stand in as 1: the output keeps them where the
	// scale is 1, and sizes given outright do not depend on them.
	shape, known := make([]int, len(x.Dims)), true
	for i, d := range x.Dims {
		shape[i] = max(d.Size, 1)
		known = known && d.Known()
	}
	if !known && s.policy != "stretch" {
		return []tensors.Type{t}, nil
	}
	var roi, scales []float64
	var sizes []int64
	scaleIn := 2
	if n.Since == 10 {
		scaleIn = 1
	}
	if c := n.Const(scaleIn); c != nil && c.Len() > 0 {
		if scales, err = resizeFloats(c, "scales"); err != nil {
			return []tensors.Type{t}, nil
		}
	}
	if n.Since > 10 && scales == nil {
		c := n.Const(3)
		if c == nil || c.Len() == 0 {
			return []tensors.Type{t}, nil
		}
		if sizes, err = tensors.AsInt64s(c); err != nil {
			return []tensors.Type{t}, nil
		}
	}
	if s.coord == "tf_crop_and_resize" {
		c := n.Const(1)
		if c == nil {
			return []tensors.Type{t}, nil
		}
		if roi, err = resizeFloats(c, "roi"); err != nil {
			return []tensors.Type{t}, nil
		}
	}
	if scales == nil && sizes == nil {
		return []tensors.Type{t}, nil
	}
	ax, err := s.plan(shape, roi, scales, sizes)
	if err != nil {
		return []tensors.Type{t}, nil // the run reports it
	}
	resized := func(i int) bool {
		if s.axes == nil {
			return true
		}
		axes, _ := tensors.NormalizeAxes(s.axes, len(ax))
		return slices.Contains(axes, i)
	}
	for i, a := range ax {
		switch {
		case x.Dims[i].Known():
			t.Dims[i] = tensors.Dim{Size: a.out}
		case !resized(i) || sizes == nil && s.identity(a):
			t.Dims[i] = x.Dims[i]
		case sizes != nil:
			t.Dims[i] = tensors.Dim{Size: a.out}
		}
	}
	return []tensors.Type{t}, nil
}

// rankOf is a type of known rank and unknown dimensions.
func rankOf(dt tensors.DType, r int) tensors.Type {
	t := tensors.Type{DType: dt, RankKnown: true, Dims: make([]tensors.Dim, r)}
	for i := range t.Dims {
		t.Dims[i] = tensors.UnknownDim
	}
	return t
}
