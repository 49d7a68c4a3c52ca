package kernel

// Depthwise convolutions (MobileNet, ShuffleNet, EfficientNet): one input
// channel per group, so that each output plane is a small stencil over one
// input plane. An im2col matrix and a GEMM per group would spend far more
// on packing and on calls than on arithmetic (a 3×3 kernel is a 1×9 by
// 9×pixels product); the stencil runs directly instead, an output row at
// a time (which stays in the L1 cache while its taps are added), each tap
// a vector multiply-add of an input row segment.

// IsDepthwise reports whether p has one input channel per group, which
// DepthwiseConv2D computes.
func IsDepthwise(p ConvParams) bool {
	return p.Group > 1 && p.C == p.Group && p.M%p.Group == 0
}

// DepthwiseConv2D is Conv2D for a depthwise p (IsDepthwise): output channel
// o of each image reads input channel o/(M/C) only. Planes run in
// parallel; the result equals Conv2D's up to rounding (the taps are added
// in another order, bias first).
func DepthwiseConv2D[T Float](p ConvParams, x, w, b, y []T) {
	planes := p.N * p.M
	macs := planes * p.OutH() * p.OutW() * p.KH * p.KW
	l := getLoop[depthwiseLoop[T]]()
	*l = depthwiseLoop[T]{p: p, x: x, w: w, b: b, y: y}
	if macs < convFewMinMACs {
		l.run(0, 0, planes)
	} else {
		parallelRun(planes, l)
	}
	putLoop(l)
}

// depthwiseLoop is the body of DepthwiseConv2D: a range of output planes
// (image·M + channel).
type depthwiseLoop[T Float] struct {
	p          ConvParams
	x, w, b, y []T
}

func (l *depthwiseLoop[T]) run(_, lo, hi int) {
	p := &l.p
	mult := p.M / p.C
	ohw, hw, taps := p.OutH()*p.OutW(), p.H*p.W, p.KH*p.KW
	buf := getScratch[T](p.W + 2) // a row split into even and odd columns
	defer putScratch(buf)
	for q := lo; q < hi; q++ {
		n, o := q/p.M, q%p.M
		c := o / mult
		var bias T
		if l.b != nil {
			bias = l.b[o]
		}
		depthwisePlane(p, l.x[(n*p.C+c)*hw:][:hw], l.w[o*taps:][:taps], bias, l.y[q*ohw:][:ohw], *buf)
	}
}

// depthwiseMaxKW is the widest kernel whose per-column ranges
// depthwisePlane computes once per plane (on the stack); wider ones
// compute them per row.
const depthwiseMaxKW = 16

// depthwisePlane computes one output plane: out = bias + the stencil w
// over in (H×W), then the Relu when p.Relu and p.Act. tmp holds at least
// W+2 elements.
func depthwisePlane[T Float](p *ConvParams, in, w []T, bias T, out []T, tmp []T) {
	oh, ow := p.OutH(), p.OutW()
	fill(out, bias)
	// Output columns [lo, hi) of tap column kw read input columns
	// iw0 + x·StrideW, the same for every row.
	var los, his, iw0s [depthwiseMaxKW]int
	hoisted := p.KW <= depthwiseMaxKW
	if hoisted {
		for kw := 0; kw < p.KW; kw++ {
			iw0s[kw] = -p.PadLeft + kw*p.DilW
			los[kw], his[kw] = validRange(iw0s[kw], p.StrideW, ow, p.W)
		}
	}
	// With unit column stride and dilation, the columns every tap of a
	// kernel row reads inside the image, [xlo, xhi), take all the taps in
	// one pass (dwRow); the few at the sides go tap by tap.
	xlo, xhi := 0, ow
	contiguous := hoisted && p.StrideW == 1 && p.DilW == 1
	if contiguous {
		for kw := 0; kw < p.KW; kw++ {
			xlo, xhi = max(xlo, los[kw]), min(xhi, his[kw])
		}
		contiguous = xlo < xhi
	}
	// With column stride 2 (and unit dilation), each input row is split
	// into its even and odd columns, which every tap then reads at unit
	// stride.
	split := hoisted && p.StrideW == 2 && p.DilW == 1
	half := (p.W + 1) / 2
	even, odd := tmp[:half], tmp[half:][:p.W/2]
	for y := 0; y < oh; y++ {
		dst := out[y*ow : (y+1)*ow]
		for kh := 0; kh < p.KH; kh++ {
			ih := y*p.StrideH - p.PadTop + kh*p.DilH
			if ih < 0 || ih >= p.H {
				continue
			}
			src := in[ih*p.W : (ih+1)*p.W]
			wrow := w[kh*p.KW : (kh+1)*p.KW]
			if split {
				for j := range even {
					even[j] = src[2*j]
				}
				for j := range odd {
					odd[j] = src[2*j+1]
				}
				for kw, wv := range wrow {
					iw0, lo, hi := iw0s[kw], los[kw], his[kw]
					if lo == hi {
						continue
					}
					// Column iw0 + 2x is even[iw0/2 + x] or odd[(iw0-1)/2 + x]
					// (iw0 ± 1 even: exact halves, negative ones too).
					if iw0%2 == 0 {
						axpy(wv, even[iw0/2+lo:iw0/2+hi], dst[lo:hi])
					} else {
						axpy(wv, odd[(iw0-1)/2+lo:(iw0-1)/2+hi], dst[lo:hi])
					}
				}
				continue
			}
			if contiguous {
				dwRow(dst[xlo:xhi], src[iw0s[0]+xlo:], wrow)
			}
			for kw, wv := range wrow {
				var iw0, lo, hi int
				if hoisted {
					iw0, lo, hi = iw0s[kw], los[kw], his[kw]
				} else {
					iw0 = -p.PadLeft + kw*p.DilW
					lo, hi = validRange(iw0, p.StrideW, ow, p.W)
				}
				if contiguous {
					// Only the side columns are left.
					for x := lo; x < min(hi, xlo); x++ {
						dst[x] += wv * src[iw0+x]
					}
					for x := max(lo, xhi); x < hi; x++ {
						dst[x] += wv * src[iw0+x]
					}
					continue
				}
				if lo == hi {
					continue
				}
				if p.StrideW == 1 {
					axpy(wv, src[iw0+lo:iw0+hi], dst[lo:hi])
					continue
				}
				iw := iw0 + lo*p.StrideW
				for x := lo; x < hi; x++ {
					dst[x] += wv * src[iw]
					iw += p.StrideW
				}
			}
		}
	}
	if p.Relu {
		relu(out, out)
	}
	ApplyActivation(p.Act, out)
}

// dwRow adds one kernel row of taps w to dst: dst[x] += Σ_t w[t]·src[x+t]
// (len(src) ≥ len(dst) + len(w) - 1).
func dwRow[T Float](dst, src, w []T) {
	done := 0
	if d32, ok := any(dst).([]float32); ok {
		done = dwRow32(d32, any(src).([]float32), any(w).([]float32))
	}
	for x := done; x < len(dst); x++ {
		s := dst[x]
		for t, wv := range w {
			s += wv * src[x+t]
		}
		dst[x] = s
	}
}

// axpy adds a·x to y (len(x) == len(y)).
func axpy[T Float](a T, x, y []T) {
	if x32, ok := any(x).([]float32); ok && axpy32(float32(a), x32, any(y).([]float32)) {
		return
	}
	x = x[:len(y)]
	for i := range y {
		y[i] += a * x[i]
	}
}
