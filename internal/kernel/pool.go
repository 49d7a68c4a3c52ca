package kernel

import "math"

// PoolParams describes 2-D pooling of an N×C×H×W input. OutH and OutW are
// given by the caller, which decides between floor and ceil rounding (ONNX
// ceil_mode, Keras padding) and checks that they are positive. A 1-D pool
// is the same with H = KH = 1.
type PoolParams struct {
	N, C, H, W                           int
	KH, KW                               int
	PadTop, PadLeft, PadBottom, PadRight int
	StrideH, StrideW                     int
	DilH, DilW                           int
	OutH, OutW                           int
	// CountIncludePad makes average pooling divide by the number of window
	// taps inside the padded input rather than inside the input itself.
	CountIncludePad bool
}

// PoolOut returns the output length of a pooled axis of length in, with
// kernel k, dilation d, stride s and total padding pad, rounding down or,
// with ceil, up (ONNX ceil_mode). With ceil, a last window that would start
// inside the end padding is dropped, as onnxruntime and PyTorch do.
func PoolOut(in, k, d, s, padBegin, padEnd int, ceil bool) int {
	span := in + padBegin + padEnd - (k-1)*d - 1
	if span < 0 {
		return 0
	}
	if !ceil {
		return span/s + 1
	}
	out := (span+s-1)/s + 1
	if (out-1)*s >= in+padBegin {
		out--
	}
	return out
}

// MaxPool2D writes the window maxima of x into y (N×C×OutH×OutW). When
// argmax is not nil it receives, for every output, the index into x of the
// element chosen (the first maximum), which MaxPool2DBackward uses. A window
// entirely in padding yields -Inf and index -1.
func MaxPool2D[T Float](p PoolParams, x, y []T, argmax []int) {
	if x32, ok := any(x).([]float32); ok && argmax == nil && maxPoolChannelsLast(&p, x32, any(y).([]float32)) {
		return
	}
	l := getLoop[maxPoolLoop[T]]()
	*l = maxPoolLoop[T]{p: p, x: x, y: y, argmax: argmax}
	parallelRunFor(p.N*p.C, len(x), l)
	putLoop(l)
}

// maxPoolLoop is the body of MaxPool2D: a range of planes.
type maxPoolLoop[T Float] struct {
	p      PoolParams
	x, y   []T
	argmax []int
	// The distance from one plane to the next in x and in y when not
	// H·W and OutH·OutW (bands of planes, see maxPoolBand); no argmax then.
	ldx, ldy int
}

func (l *maxPoolLoop[T]) run(_, lo, hi int) {
	p, x, y, argmax := l.p, l.x, l.y, l.argmax
	hw, ohw := p.H*p.W, p.OutH*p.OutW
	packed := l.ldx == 0 && l.ldy == 0 // planes one after another
	if !packed {
		hw, ohw = l.ldx, l.ldy
	}
	fast := p.KH == 2 && p.KW == 2 && p.StrideH == 2 && p.StrideW == 2 && p.DilH == 1 && p.DilW == 1 &&
		p.PadTop == 0 && p.PadLeft == 0 && 2*p.OutH <= p.H && 2*p.OutW <= p.W
	if fast && argmax == nil {
		if x32, ok := any(x).([]float32); ok {
			y32 := any(y).([]float32)
			if p.H == 2*p.OutH && packed {
				// The planes' row pairs follow each other: one call.
				if maxPool2x2Rows32(x32[lo*hw:hi*hw], y32[lo*ohw:hi*ohw], p.W, p.OutW, (hi-lo)*p.OutH) {
					return
				}
			} else if poolAVX512 {
				for pl := lo; pl < hi; pl++ {
					maxPool2x2Rows32(x32[pl*hw:][:p.H*p.W], y32[pl*ohw:][:p.OutH*p.OutW], p.W, p.OutW, p.OutH)
				}
				return
			}
		}
	}
	if fast {
		for pl := lo; pl < hi; pl++ {
			maxPool2x2(p, x[pl*hw:][:p.H*p.W], y[pl*ohw:][:p.OutH*p.OutW], argmax, pl*ohw, pl*hw)
		}
		return
	}
	if argmax == nil && maxPool3x3s2(&p, x, y, hw, ohw, lo, hi) {
		return
	}
	if argmax == nil && p.OutW >= 4 && maxPoolStencil(&p, x, y, hw, ohw, lo, hi) {
		return // whole vectors, as the depthwise stencil
	}
	for pl := lo; pl < hi; pl++ {
		in := x[pl*hw:][:p.H*p.W]
		for oy := 0; oy < p.OutH; oy++ {
			ih0 := oy*p.StrideH - p.PadTop
			rowInside := ih0 >= 0 && ih0+(p.KH-1)*p.DilH < p.H
			for ox := 0; ox < p.OutW; ox++ {
				iw0 := ox*p.StrideW - p.PadLeft
				if argmax == nil && rowInside && iw0 >= 0 && iw0+(p.KW-1)*p.DilW < p.W {
					// A window inside the plane: no bounds to check.
					best := in[ih0*p.W+iw0]
					for kh := 0; kh < p.KH; kh++ {
						row := in[(ih0+kh*p.DilH)*p.W+iw0:]
						for kw := 0; kw < p.KW; kw++ {
							if v := row[kw*p.DilW]; v > best {
								best = v
							}
						}
					}
					y[pl*ohw+oy*p.OutW+ox] = best
					continue
				}
				best, bi := maxPoolWindow(&p, in, oy, ox)
				o := pl*ohw + oy*p.OutW + ox
				y[o] = best
				if argmax != nil {
					if bi >= 0 {
						bi += pl * hw
					}
					argmax[o] = bi
				}
			}
		}
	}
}

// maxPoolWindow returns the maximum of window (oy, ox) of the plane in
// and its index in the plane: the first tap inside the plane, then each
// later one greater than the maximum so far; -Inf and -1 for a window
// entirely in the padding.
func maxPoolWindow[T Float](p *PoolParams, in []T, oy, ox int) (T, int) {
	best, bi := T(math.Inf(-1)), -1
	for kh := 0; kh < p.KH; kh++ {
		ih := oy*p.StrideH - p.PadTop + kh*p.DilH
		if ih < 0 || ih >= p.H {
			continue
		}
		for kw := 0; kw < p.KW; kw++ {
			iw := ox*p.StrideW - p.PadLeft + kw*p.DilW
			if iw < 0 || iw >= p.W {
				continue
			}
			if v := in[ih*p.W+iw]; v > best || bi < 0 {
				best, bi = v, ih*p.W+iw
			}
		}
	}
	return best, bi
}

// maxPool3x3s2 is MaxPool2D without argmax of the planes [lo, hi) (hw
// and ohw floats apart in x and y) for
// 3×3 windows at stride 2 (ResNet's, SqueezeNet's, Inception's pools) in
// float32 on AVX-512: the windows inside the plane in vectors
// (maxPool3x3s2Rows32), those over the padding one by one. It reports
// whether it ran.
func maxPool3x3s2[T Float](p *PoolParams, x, y []T, hw, ohw, lo, hi int) bool {
	if p.KH != 3 || p.KW != 3 || p.StrideH != 2 || p.StrideW != 2 || p.DilH != 1 || p.DilW != 1 || !poolAVX512 {
		return false
	}
	x32, ok := any(x).([]float32)
	if !ok {
		return false
	}
	y32 := any(y).([]float32)
	oy0, oy1 := validRange(-p.PadTop, 2, p.OutH, p.H-2)
	ox0, ox1 := validRange(-p.PadLeft, 2, p.OutW, p.W-2)
	for pl := lo; pl < hi; pl++ {
		in, out := x32[pl*hw:][:p.H*p.W], y32[pl*ohw:][:p.OutH*p.OutW]
		if oy0 < oy1 && ox0 < ox1 {
			first := (2*oy0-p.PadTop)*p.W + 2*ox0 - p.PadLeft
			maxPool3x3s2Rows32(in[first:], out[oy0*p.OutW+ox0:], p.W, ox1-ox0, oy1-oy0, 2*p.W, p.OutW)
		}
		maxPoolBorders(p, in, out, oy0, oy1, ox0, ox1)
	}
	return true
}

// maxPoolBorders computes the windows of one plane outside [oy0, oy1) ×
// [ox0, ox1) (the ones a vector loop left: those over the padding) one
// by one.
func maxPoolBorders[T Float](p *PoolParams, in, out []T, oy0, oy1, ox0, ox1 int) {
	for oy := 0; oy < p.OutH; oy++ {
		row := out[oy*p.OutW:][:p.OutW]
		for ox := 0; ox < p.OutW; ox++ {
			if oy >= oy0 && oy < oy1 && ox == ox0 && ox0 < ox1 {
				ox = ox1 - 1 // skip the inside windows
				continue
			}
			row[ox], _ = maxPoolWindow(p, in, oy, ox)
		}
	}
}

// maxPool2x2 is MaxPool2D of one plane for 2×2 windows at stride 2 that
// all lie inside the plane. It visits the taps in the order of the general
// loop, so it picks the same element. When argmax is not nil, the index of
// output o is stored at argmax[o0+o] as base plus its index in the plane.
func maxPool2x2[T Float](p PoolParams, in, out []T, argmax []int, o0, base int) {
	w := p.W
	if argmax != nil {
		if in32, ok := any(in).([]float32); ok && maxPool2x2ArgPlane32(p, in32, any(out).([]float32), argmax, o0, base) {
			return
		}
	}
	for oy := 0; oy < p.OutH; oy++ {
		r0 := in[2*oy*w : 2*oy*w+2*p.OutW]
		r1 := in[(2*oy+1)*w : (2*oy+1)*w+2*p.OutW]
		o := out[oy*p.OutW : (oy+1)*p.OutW]
		if argmax == nil {
			done := 0
			if o32, ok := any(&o).(*[]float32); ok {
				done = maxPool2x2Row32(*any(&r0).(*[]float32), *any(&r1).(*[]float32), *o32)
			}
			for ox := done; ox < len(o); ox++ {
				// Branch-free: the taps' order is unpredictable. (A NaN
				// tap makes the output NaN here.)
				o[ox] = max(max(r0[2*ox], r0[2*ox+1]), max(r1[2*ox], r1[2*ox+1]))
			}
			continue
		}
		am := argmax[o0+oy*p.OutW : o0+(oy+1)*p.OutW]
		i0 := base + 2*oy*w
		done := 0
		if o32, ok := any(&o).(*[]float32); ok {
			// Vectorized in chunks of up to 64 outputs, the winning tap
			// of each turned into its index here.
			offs := [4]int{0, 1, w, w + 1}
			var taps [64]int32
			for done < len(o) {
				n := min(len(o)-done, len(taps))
				r0c, r1c := (*any(&r0).(*[]float32))[2*done:], (*any(&r1).(*[]float32))[2*done:]
				k := maxPool2x2ArgRow32(r0c, r1c, (*o32)[done:done+n], taps[:n])
				if k == 0 {
					break
				}
				for j, tp := range taps[:k] {
					am[done+j] = i0 + 2*(done+j) + offs[tp&3]
				}
				done += k
			}
		}
		for ox := done; ox < len(o); ox++ {
			best, bi := r0[2*ox], i0+2*ox
			if v := r0[2*ox+1]; v > best {
				best, bi = v, i0+2*ox+1
			}
			if v := r1[2*ox]; v > best {
				best, bi = v, i0+w+2*ox
			}
			if v := r1[2*ox+1]; v > best {
				best, bi = v, i0+w+2*ox+1
			}
			o[ox] = best
			am[ox] = bi
		}
	}
}

// MaxPool2DBackward routes each output gradient to the input element that
// MaxPool2D chose: dx is zeroed, then dx[argmax[i]] += dy[i]. dy and dx
// hold planes (N·C) equal planes each, and every argmax of a dy plane
// points into the same plane of dx (as MaxPool2D's do), so planes are
// independent and run in parallel.
func MaxPool2DBackward[T Float](planes int, dy []T, argmax []int, dx []T) {
	l := getLoop[maxPoolGradLoop[T]]()
	*l = maxPoolGradLoop[T]{dy: dy, dx: dx, argmax: argmax, planes: planes}
	parallelRunFor(planes, len(dx), l)
	putLoop(l)
}

// maxPoolGradLoop is the body of MaxPool2DBackward: a range of planes.
type maxPoolGradLoop[T Float] struct {
	dy, dx []T
	argmax []int
	planes int
}

func (l *maxPoolGradLoop[T]) run(_, lo, hi int) {
	in, out := len(l.dx)/l.planes, len(l.dy)/l.planes
	clear(l.dx[lo*in : hi*in])
	for i := lo * out; i < hi*out; i++ {
		if j := l.argmax[i]; j >= 0 {
			l.dx[j] += l.dy[i]
		}
	}
}

// AvgPool2D writes window means of x into y. The divisor counts the window
// taps that fall inside the input, or with CountIncludePad inside the input
// extended by its pads (taps past the pads, which ceil rounding can create,
// never count).
func AvgPool2D[T Float](p PoolParams, x, y []T) {
	if x32, ok := any(x).([]float32); ok && avgPoolChannelsLast(&p, x32, any(y).([]float32)) {
		return
	}
	l := getLoop[avgPoolLoop[T]]()
	*l = avgPoolLoop[T]{p: p, x: x, y: y}
	parallelRunFor(p.N*p.C, len(x), l)
	putLoop(l)
}

// avgPoolLoop is the body of AvgPool2D: a range of planes.
type avgPoolLoop[T Float] struct {
	p    PoolParams
	x, y []T
}

func (l *avgPoolLoop[T]) run(_, lo, hi int) {
	p, x, y := l.p, l.x, l.y
	if p.OutW >= 4 && avgPoolStencil(&p, x, y, lo, hi) {
		return // whole vectors, as the depthwise stencil
	}
	hw, ohw := p.H*p.W, p.OutH*p.OutW
	for pl := lo; pl < hi; pl++ {
		in := x[pl*hw:][:p.H*p.W]
		for oy := 0; oy < p.OutH; oy++ {
			for ox := 0; ox < p.OutW; ox++ {
				var sum T
				count := 0
				for kh := 0; kh < p.KH; kh++ {
					ih := oy*p.StrideH - p.PadTop + kh*p.DilH
					inH := ih >= 0 && ih < p.H
					padH := ih >= -p.PadTop && ih < p.H+p.PadBottom
					for kw := 0; kw < p.KW; kw++ {
						iw := ox*p.StrideW - p.PadLeft + kw*p.DilW
						inW := iw >= 0 && iw < p.W
						if inH && inW {
							sum += in[ih*p.W+iw]
							count++
						} else if p.CountIncludePad && padH && iw >= -p.PadLeft && iw < p.W+p.PadRight {
							count++
						}
					}
				}
				o := pl*ohw + oy*p.OutW + ox
				if count == 0 {
					y[o] = 0
				} else {
					y[o] = sum / T(count)
				}
			}
		}
	}
}

// maxPoolPlaneMax is the most outputs of a plane that
// maxPool2x2ArgPlane32 pools (its buffers are on the stack).
const maxPoolPlaneMax = 256

// maxPool2x2ArgPlane32 is maxPool2x2 with argmax for a float32 plane as
// wide as its windows (W = 2·OutW) with 8 to maxPoolPlaneMax outputs, such
// as the LeNet's 28×28 and 14×14: it copies the plane's even and odd rows
// into two buffers, each one long row, and pools them in one pass of the
// vector loop, whose rows are then not cut short by the plane's narrow
// ones (the last outputs, fewer than 8, are pooled again with the 8 before
// them). It reports false, having written nothing, when the plane does
// not qualify or the vector loop does not run.
func maxPool2x2ArgPlane32(p PoolParams, in, out []float32, argmax []int, o0, base int) bool {
	n, w, ow := p.OutH*p.OutW, p.W, p.OutW
	if n < 8 || n > maxPoolPlaneMax || w != 2*ow {
		return false
	}
	var rows [2][2 * maxPoolPlaneMax]float32
	even, odd := rows[0][:2*n], rows[1][:2*n]
	for oy := 0; oy < p.OutH; oy++ {
		copy(even[oy*w:(oy+1)*w], in[2*oy*w:])
		copy(odd[oy*w:(oy+1)*w], in[(2*oy+1)*w:])
	}
	offs := [4]int{0, 1, w, w + 1}
	var taps [64]int32
	am := argmax[o0 : o0+n]
	for s := 0; s < n; {
		c := min(n-s, len(taps))
		if c < 8 {
			s, c = n-8, 8
		}
		k := maxPool2x2ArgRow32(even[2*s:], odd[2*s:], out[s:s+c], taps[:c])
		if k == 0 {
			return false // no vector loop (this is the first pass: nothing written)
		}
		oy, ox := s/ow, s%ow
		for _, tp := range taps[:k] {
			am[oy*ow+ox] = base + 2*oy*w + 2*ox + offs[tp&3]
			if ox++; ox == ow {
				oy, ox = oy+1, 0
			}
		}
		s += k
	}
	return true
}

// PlaneMeans sets dst[i] to the mean of x's plane i (the len(x)/len(dst)
// elements from i·plane on), each summed in float64 in four interleaved
// sums added pairwise at the end; a plane of no elements has the mean NaN.
// Planes are split across the workers from 8K elements on (a
// GlobalAveragePool: the squeeze of a squeeze-excitation block reads a
// feature map both cores just wrote).
func PlaneMeans[T Float](x, dst []T) {
	if len(dst) == 0 {
		return
	}
	l := getLoop[planeMeansLoop[T]]()
	*l = planeMeansLoop[T]{x: x, dst: dst, plane: len(x) / len(dst)}
	parallelRunFor(len(dst), 4*len(x), l)
	putLoop(l)
}

// planeMeansLoop is the body of PlaneMeans: a range of planes.
type planeMeansLoop[T Float] struct {
	x, dst []T
	plane  int
}

func (l *planeMeansLoop[T]) run(_, lo, hi int) {
	for i := lo; i < hi; i++ {
		if l.plane == 0 {
			l.dst[i] = T(math.NaN()) // the mean of nothing
			continue
		}
		in := l.x[i*l.plane : (i+1)*l.plane]
		var s0, s1, s2, s3 float64
		j := 0
		for ; j+4 <= len(in); j += 4 {
			v := in[j : j+4 : j+4]
			s0 += float64(v[0])
			s1 += float64(v[1])
			s2 += float64(v[2])
			s3 += float64(v[3])
		}
		for ; j < len(in); j++ {
			s0 += float64(in[j])
		}
		l.dst[i] = T(((s0 + s1) + (s2 + s3)) / float64(l.plane))
	}
}
