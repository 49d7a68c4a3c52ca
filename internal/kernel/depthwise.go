package kernel

import "math"

// Depthwise convolutions (MobileNet, ShuffleNet, EfficientNet): one input
// channel per group, so that each output plane is a small stencil over one
// input plane. An im2col matrix and a GEMM per group would spend far more
// on packing and on calls than on arithmetic (a 3×3 kernel is a 1×9 by
// 9×pixels product); the stencil runs directly instead.
//
// Each input plane is first laid out padded (the zeros of the padding
// written out) and split by the strides into phase planes: phase (a, b)
// holds the padded rows a, a+StrideH, … and columns b, b+StrideW, …, each
// of the same width wq. Tap (kh, kw) of output (y, x) then reads phase
// (kh·DilH mod StrideH, kw·DilW mod StrideW) at row y + kh·DilH/StrideH,
// column x + kw·DilW/StrideW: numbering the outputs y·wq + x, every tap
// reads its phase plane at a fixed offset from the output's number. The
// whole plane is so one 1-D stencil, out[i] = bias + Σ_t w[t]·src[off_t+i],
// which runs in whole vectors over every row, borders included, small
// 7×7 planes as well as large ones; the wq - OutW columns computed past
// each row's end are dropped when the rows are copied out.

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
	if p.OutH() <= 0 || p.OutW() <= 0 {
		return
	}
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

// dwSlack is how far past its end the stencil may read a phase buffer and
// write an output buffer: it runs whole vectors of 8.
const dwSlack = 8

// dwMaxTaps is the most taps one stencil call adds (the size of its
// offset array); larger kernels take several calls.
const dwMaxTaps = 64

// dwGeom is the layout of one plane's phase planes and stencil output.
type dwGeom struct {
	oh, ow   int
	hq, wq   int    // rows and columns of each phase plane
	planeLen int    // hq·wq
	n        int    // stencil outputs: (oh-1)·wq + ow
	used     uint64 // bit a·StrideW+b: a tap reads phase (a, b) (all ones past 64 phases)
}

func newDWGeom(p *ConvParams) dwGeom {
	g := dwGeom{oh: p.OutH(), ow: p.OutW()}
	hp, wp := p.H+p.PadTop+p.PadBottom, p.W+p.PadLeft+p.PadRight
	g.hq, g.wq = (hp+p.StrideH-1)/p.StrideH, (wp+p.StrideW-1)/p.StrideW
	g.planeLen = g.hq * g.wq
	g.n = (g.oh-1)*g.wq + g.ow
	if p.StrideH*p.StrideW > 64 {
		g.used = ^uint64(0)
		return g
	}
	for kh := 0; kh < p.KH; kh++ {
		for kw := 0; kw < p.KW; kw++ {
			g.used |= 1 << ((kh * p.DilH % p.StrideH * p.StrideW) + kw*p.DilW%p.StrideW)
		}
	}
	return g
}

// tapOffset is where tap (kh, kw) of output 0 reads in the phase buffer.
func (g *dwGeom) tapOffset(p *ConvParams, kh, kw int) int {
	rh, rw := kh*p.DilH, kw*p.DilW
	return ((rh%p.StrideH)*p.StrideW+rw%p.StrideW)*g.planeLen + (rh/p.StrideH)*g.wq + rw/p.StrideW
}

// dwPhases writes the phase planes of the input plane in (H×W) into
// phases (see the top of this file): the padded plane's element
// (r·StrideH + a, c·StrideW + b) at phases[(a·StrideW + b)·planeLen +
// r·wq + c], zero in the padding. Phases no tap reads are left as they are.
func dwPhases[T Float](p *ConvParams, g *dwGeom, in, phases []T) {
	sh, sw := p.StrideH, p.StrideW
	for a := 0; a < sh; a++ {
		for b := 0; b < sw; b++ {
			ph := a*sw + b
			if ph < 64 && g.used&(1<<ph) == 0 {
				continue
			}
			plane := phases[ph*g.planeLen:][:g.planeLen]
			// Columns [c0, c1) of the phase read the input columns
			// c·sw + b - PadLeft inside [0, W).
			c0, c1 := 0, 0
			if d := p.PadLeft - b; d > 0 {
				c0 = (d + sw - 1) / sw
			}
			if d := p.W + p.PadLeft - b; d > 0 {
				c1 = (d + sw - 1) / sw
			}
			c0, c1 = min(c0, g.wq), min(c1, g.wq)
			c1 = max(c0, c1)
			for r := 0; r < g.hq; r++ {
				row := plane[r*g.wq:][:g.wq]
				ih := r*sh + a - p.PadTop
				if ih < 0 || ih >= p.H || c0 == c1 {
					clear(row)
					continue
				}
				src := in[ih*p.W:][:p.W]
				clear(row[:c0])
				clear(row[c1:])
				iw := c0*sw + b - p.PadLeft
				if sw == 1 {
					copy(row[c0:c1], src[iw:])
					continue
				}
				for c := c0; c < c1; c++ {
					row[c] = src[iw]
					iw += sw
				}
			}
		}
	}
}

// dwActivation is what is applied to a depthwise output after the
// stencil: a Relu, then Act.
type dwActivation struct {
	relu bool
	act  Activation
}

// dwSplitActivation returns the one activation the float32 stencil may
// apply as it stores its vectors (Clip or HardSwish; a Relu is a Clip to
// [0, +Inf)) and what is then left to apply to the output.
func dwSplitActivation(p *ConvParams) (Activation, dwActivation) {
	switch {
	case p.Relu && p.Act.Kind == ActNone:
		return Activation{Kind: ActClip, A: 0, B: float32(math.Inf(1))}, dwActivation{}
	case !p.Relu && (p.Act.Kind == ActClip || p.Act.Kind == ActHardSwish):
		return p.Act, dwActivation{}
	}
	return Activation{}, dwActivation{relu: p.Relu, act: p.Act}
}

func (l *depthwiseLoop[T]) run(_, lo, hi int) {
	p := &l.p
	g := newDWGeom(p)
	phaseLen := p.StrideH*p.StrideW*g.planeLen + dwSlack
	buf := getScratch[T](phaseLen + g.n + dwSlack)
	defer putScratch(buf)
	phases, acc := (*buf)[:phaseLen], (*buf)[phaseLen:]
	clear(phases[phaseLen-dwSlack:]) // read by the last vectors, never kept
	mult := p.M / p.C
	ohw, hw, taps := g.oh*g.ow, p.H*p.W, p.KH*p.KW
	fused, rest := dwSplitActivation(p)
	var offs [dwMaxTaps]int
	for q := lo; q < hi; q++ {
		n, o := q/p.M, q%p.M
		c := o / mult
		if q == lo || o%mult == 0 {
			dwPhases(p, &g, l.x[(n*p.C+c)*hw:][:hw], phases)
		}
		var bias T
		if l.b != nil {
			bias = l.b[o]
		}
		w := l.w[o*taps:][:taps]
		after := rest
		for t0 := 0; t0 < taps; t0 += dwMaxTaps {
			t1 := min(taps, t0+dwMaxTaps)
			for t := t0; t < t1; t++ {
				offs[t-t0] = g.tapOffset(p, t/p.KW, t%p.KW)
			}
			act := Activation{}
			if t1 == taps {
				act = fused
			}
			if !dwStencil(acc[:g.n], phases, offs[:t1-t0], w[t0:t1], bias, t0 == 0, act) && act.Kind != ActNone {
				after = dwActivation{relu: p.Relu, act: p.Act}
			}
		}
		out := l.y[q*ohw:][:ohw]
		if g.wq == g.ow {
			copy(out, acc)
		} else {
			for y := 0; y < g.oh; y++ {
				copy(out[y*g.ow:(y+1)*g.ow], acc[y*g.wq:])
			}
		}
		if after.relu {
			relu(out, out)
		}
		ApplyActivation(after.act, out)
	}
}

// dwStencil computes dst[i] = (bias when first, else dst[i]) + Σ_t
// w[t]·src[offs[t]+i], then applies act when it reports true (the float32
// vector loop; the Go loop leaves act to the caller and reports false).
// src holds at least dwSlack elements past the last one read, dst at
// least dwSlack past len(dst).
func dwStencil[T Float](dst, src []T, offs []int, w []T, bias T, first bool, act Activation) bool {
	if d32, ok := any(dst).([]float32); ok {
		if dwStencil32(d32, any(src).([]float32), offs, any(w).([]float32), float32(bias), first, act) {
			return true
		}
	}
	if first {
		fill(dst, bias)
	}
	for t, off := range offs {
		wv, s := w[t], src[off:][:len(dst)]
		for i := range dst {
			dst[i] += wv * s[i]
		}
	}
	return false
}
