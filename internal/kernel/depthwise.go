package kernel

import (
	"slices"
	"sync/atomic"
)

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
	if x32, ok := any(x).([]float32); ok && dwChannelsLast(&p, x32, any(w).([]float32), any(b).([]float32), any(y).([]float32)) {
		return
	}
	planes := p.N * p.M
	macs := planes * p.OutH() * p.OutW() * p.KH * p.KW
	l := getLoop[depthwiseLoop[T]]()
	*l = depthwiseLoop[T]{p: p, x: x, w: w, b: b, y: y}
	if macs < convFewMinMACs {
		l.planes(0, planes)
	} else {
		workers := workerCount(planes)
		l.chunks.init(planes, workers*dwChunksPerWorker)
		parallelRun(workers, l)
	}
	putLoop(l)
}

// dwChunksPerWorker is how many parts each worker's share of planes is
// cut into. The workers take the parts one at a time, so that a worker
// whose thread the system suspends (a machine shared with other
// processes) holds up the others for one part at most, not half the work.
const dwChunksPerWorker = 4

// chunkQueue hands out the parts of [0, n) to whichever worker asks next.
type chunkQueue struct {
	next     atomic.Int64
	n, chunk int
}

// init cuts [0, n) into at most parts parts.
func (q *chunkQueue) init(n, parts int) {
	q.next.Store(0)
	q.n, q.chunk = n, max(1, (n+parts-1)/parts)
}

// take returns the next part, or ok false when none is left.
func (q *chunkQueue) take() (lo, hi int, ok bool) {
	i := int(q.next.Add(1)) - 1
	lo = i * q.chunk
	if lo >= q.n {
		return 0, 0, false
	}
	return lo, min(lo+q.chunk, q.n), true
}

// depthwiseLoop is the body of DepthwiseConv2D: each worker takes parts
// of the output planes (image·M + channel) from chunks.
type depthwiseLoop[T Float] struct {
	p          ConvParams
	x, w, b, y []T
	chunks     chunkQueue
}

func (l *depthwiseLoop[T]) run(_, _, _ int) {
	lo, hi, ok := l.chunks.take()
	if !ok {
		return // the other workers took every part
	}
	var st dwPlaneStencil[T]
	st.init(&l.p)
	defer st.release()
	for ok {
		l.stencil(&st, lo, hi)
		lo, hi, ok = l.chunks.take()
	}
}

// planes computes the output planes [lo, hi).
func (l *depthwiseLoop[T]) planes(lo, hi int) {
	var st dwPlaneStencil[T]
	st.init(&l.p)
	defer st.release()
	l.stencil(&st, lo, hi)
}

// dwSlack is how far past its end the stencil may read a phase buffer and
// write an output buffer: it runs whole blocks of 32.
const dwSlack = 32

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

// dwPhases writes the input plane in (H×W) into its phase planes (see
// the top of this file): the padded plane's element (r·StrideH + a,
// c·StrideW + b) goes to phases[(a·StrideW + b)·planeLen + r·wq + c].
// Only the elements inside the image are written: the padding around
// them is the same for every plane, cleared once by the caller. Phases
// no tap reads are left as they are.
func dwPhases[T Float](p *ConvParams, g *dwGeom, in, phases []T) {
	sh, sw := p.StrideH, p.StrideW
	for a := 0; a < sh; a++ {
		// Rows [r0, r1) of the phase read the input rows r·sh + a -
		// PadTop inside [0, H); columns likewise.
		r0, r1 := dwPhaseRange(a, sh, p.PadTop, p.H, g.hq)
		if r0 == r1 {
			continue // no row of the phase reads the image
		}
		for b := 0; b < sw; b++ {
			ph := a*sw + b
			if ph < 64 && g.used&(1<<ph) == 0 {
				continue
			}
			c0, c1 := dwPhaseRange(b, sw, p.PadLeft, p.W, g.wq)
			if c0 == c1 {
				continue
			}
			plane := phases[ph*g.planeLen:][:g.planeLen]
			if sw == 2 && b == 0 && (ph+1 >= 64 || g.used&(1<<(ph+1)) != 0) {
				// Both column phases at once, the even and odd columns of
				// each input row.
				d0, d1 := dwPhaseRange(1, sw, p.PadLeft, p.W, g.wq)
				odd := phases[(ph+1)*g.planeLen:][:g.planeLen]
				lo, hi := max(c0, d0), min(c1, d1)
				if lo >= hi {
					lo, hi = 0, 0 // every column below
				}
				if lo < hi {
					// The columns both phases read, every row in one call.
					deinterleaveRows(plane[r0*g.wq+lo:], odd[r0*g.wq+lo:], g.wq,
						in[(r0*sh+a-p.PadTop)*p.W+2*lo-p.PadLeft:], sh*p.W, hi-lo, r1-r0)
				}
				// The columns only one phase reads (next to the padding),
				// a column at a time down the rows.
				src := in[(r0*sh+a-p.PadTop)*p.W:]
				edge := func(dst []T, c, off int) {
					for r := 0; r < r1-r0; r++ {
						dst[r*g.wq+c] = src[r*sh*p.W+off]
					}
				}
				ev, od := plane[r0*g.wq:], odd[r0*g.wq:]
				for c := c0; c < min(lo, c1); c++ {
					edge(ev, c, 2*c-p.PadLeft)
				}
				for c := max(hi, c0); c < c1; c++ {
					edge(ev, c, 2*c-p.PadLeft)
				}
				for c := d0; c < min(lo, d1); c++ {
					edge(od, c, 2*c+1-p.PadLeft)
				}
				for c := max(hi, d0); c < d1; c++ {
					edge(od, c, 2*c+1-p.PadLeft)
				}
				b++ // the odd phase is done
				continue
			}
			if sw == 1 {
				iw := c0 + b - p.PadLeft
				dwCopyRows(plane[r0*g.wq+c0:], in[(r0*sh+a-p.PadTop)*p.W+iw:], c1-c0, r1-r0, g.wq, sh*p.W)
				continue
			}
			for r := r0; r < r1; r++ {
				row := plane[r*g.wq+c0 : r*g.wq+c1]
				iw := c0*sw + b - p.PadLeft
				src := in[(r*sh+a-p.PadTop)*p.W:][:p.W]
				for c := range row {
					row[c] = src[iw]
					iw += sw
				}
			}
		}
	}
}

// dwCopyRows copies rows rows of n elements, row i from src[i·srcStride:]
// to dst[i·dstStride:], in ascending order. It may also write zeros to
// the 7 elements past the end of each row but the last: its callers write
// there afterwards, or need zeros there anyway (the padding of a phase
// plane, whose next row, next plane or slack follows).
func dwCopyRows[T Float](dst, src []T, n, rows, dstStride, srcStride int) {
	if d32, ok := any(dst).([]float32); ok && dwCopyRows32(d32, any(src).([]float32), n, rows, dstStride, srcStride) {
		return
	}
	for i := 0; i < rows; i++ {
		copy(dst[i*dstStride:][:n], src[i*srcStride:][:n])
	}
}

// dwPhaseRange returns the rows (or columns) [lo, hi) of phase a (of
// stride s; n in all) that read input rows r·s + a - pad inside [0, size).
func dwPhaseRange(a, s, pad, size, n int) (lo, hi int) {
	if d := pad - a; d > 0 {
		lo = (d + s - 1) / s
	}
	if d := size + pad - a; d > 0 {
		hi = (d + s - 1) / s
	}
	lo, hi = min(lo, n), min(hi, n)
	return lo, max(lo, hi)
}

// stencil computes the output planes [lo, hi) with st.
func (l *depthwiseLoop[T]) stencil(st *dwPlaneStencil[T], lo, hi int) {
	p := &l.p
	mult := p.M / p.C
	ohw, hw, taps := st.g.oh*st.g.ow, p.H*p.W, p.KH*p.KW
	// Planes from memory (an input larger than the caches: MobileNet's
	// early layers at batch 8) are asked for one plane ahead.
	pf := prefetches[T](len(l.x))
	for q := lo; q < hi; q++ {
		n, o := q/p.M, q%p.M
		c := o / mult
		if q == lo || o%mult == 0 {
			if next := (n*p.C + c + 1) * hw; pf && q+1 < hi && next+hw <= len(l.x) {
				prefetchRead(l.x[next : next+hw])
			}
			st.load(l.x[(n*p.C+c)*hw:][:hw])
		}
		var bias T
		if l.b != nil {
			bias = l.b[o]
		}
		acc := st.run(l.w[o*taps:][:taps], bias)
		// The activations run on the stencil's output while it is in
		// the L1 cache, before its rows are copied out.
		if p.Relu {
			relu(acc, acc)
		}
		ApplyActivation(p.Act, acc)
		dwCopyRows(l.y[q*ohw:][:ohw], acc, st.g.ow, st.g.oh, st.g.ow, st.g.wq)
	}
}

// dwPlaneStencil is one worker's state for running the stencil of p
// over planes: the phase planes and the stencil's output.
type dwPlaneStencil[T Float] struct {
	p           ConvParams // a copy: a pointer to a caller's local would move it to the heap
	g           dwGeom
	buf         *[]T
	phases, acc []T
	offs        [dwMaxTaps]int
}

// init sizes st for p, taking its buffers from the scratch lists (give
// them back with release).
func (st *dwPlaneStencil[T]) init(p *ConvParams) {
	st.p, st.g = *p, newDWGeom(p)
	phaseLen := p.StrideH*p.StrideW*st.g.planeLen + dwSlack
	st.buf = getScratch[T](phaseLen + st.g.n + dwSlack)
	st.phases, st.acc = (*st.buf)[:phaseLen], (*st.buf)[phaseLen:]
	clear(st.phases) // the padding, and the slack read by the last vectors
	for t := 0; t < min(p.KH*p.KW, dwMaxTaps); t++ {
		st.offs[t] = st.g.tapOffset(p, t/p.KW, t%p.KW)
	}
}

func (st *dwPlaneStencil[T]) release() { putScratch(st.buf) }

// load lays the input plane in (H×W) out in the phase planes.
func (st *dwPlaneStencil[T]) load(in []T) { dwPhases(&st.p, &st.g, in, st.phases) }

// run computes the stencil of the taps w (KH·KW, row-major) plus bias
// over the loaded plane and returns it, output (y, x) at y·wq + x.
func (st *dwPlaneStencil[T]) run(w []T, bias T) []T {
	p, taps := &st.p, len(w)
	acc := st.acc[:st.g.n]
	for t0 := 0; t0 < taps; t0 += dwMaxTaps {
		t1 := min(taps, t0+dwMaxTaps)
		if taps > dwMaxTaps {
			for t := t0; t < t1; t++ {
				st.offs[t-t0] = st.g.tapOffset(p, t/p.KW, t%p.KW)
			}
		}
		dwStencil(acc, st.phases, st.offs[:t1-t0], w[t0:t1], bias, t0 == 0)
	}
	return acc
}

// avgPoolStencil is AvgPool2D's loop over the planes [lo, hi) for
// windows of at most dwMaxTaps taps: each plane's window sums are the
// depthwise stencil with unit weights (the taps added in the order of the
// scalar loop, the padding adding zeros, so the sums are the same), then
// divided by the separable tap counts. It reports false, doing nothing,
// for larger windows.
func avgPoolStencil[T Float](p *PoolParams, x, y []T, lo, hi int) bool {
	taps := p.KH * p.KW
	if taps > dwMaxTaps || p.OutH <= 0 || p.OutW <= 0 {
		return false
	}
	cp := poolConvParams(p)
	var ones [dwMaxTaps]T
	for i := range ones {
		ones[i] = 1
	}
	var st dwPlaneStencil[T]
	st.init(&cp)
	defer st.release()
	// count[y] (count[OutH+x]) is how many of the window's rows
	// (columns) count.
	cnt := getScratch[T](p.OutH + p.OutW)
	defer putScratch(cnt)
	rows, cols := (*cnt)[:p.OutH], (*cnt)[p.OutH:]
	for i := range rows {
		rows[i] = T(poolTapCount(i*p.StrideH-p.PadTop, p.KH, p.DilH, p.H, p.PadTop, p.PadBottom, p.CountIncludePad))
	}
	for i := range cols {
		cols[i] = T(poolTapCount(i*p.StrideW-p.PadLeft, p.KW, p.DilW, p.W, p.PadLeft, p.PadRight, p.CountIncludePad))
	}
	hw, ohw := p.H*p.W, p.OutH*p.OutW
	// Without empty windows, each output row is its sums divided by the
	// row's tap counts, in whole vectors (the same quotients).
	var den []T
	if !slices.Contains(rows, 0) && !slices.Contains(cols, 0) {
		db := getScratch[T](ohw)
		defer putScratch(db)
		den = (*db)[:ohw]
		for oy, rc := range rows {
			for ox, cc := range cols {
				den[oy*p.OutW+ox] = rc * cc
			}
		}
	}
	for pl := lo; pl < hi; pl++ {
		st.load(x[pl*hw:][:hw])
		acc := st.run(ones[:taps], 0)
		out := y[pl*ohw:][:ohw]
		for oy, rc := range rows {
			src, dst := acc[oy*st.g.wq:][:p.OutW], out[oy*p.OutW:][:p.OutW]
			if den != nil {
				divide(dst, src, den[oy*p.OutW:][:p.OutW])
				continue
			}
			for ox, cc := range cols {
				if n := rc * cc; n == 0 {
					dst[ox] = 0
				} else {
					dst[ox] = src[ox] / n
				}
			}
		}
	}
	return true
}

// divide sets dst[i] = x[i] / d[i] (x and d at least as long as dst).
func divide[T Float](dst, x, d []T) {
	done := 0
	if d32, ok := any(dst).([]float32); ok {
		done = div32(d32, any(x).([]float32), any(d).([]float32))
	}
	for i := done; i < len(dst); i++ {
		dst[i] = x[i] / d[i]
	}
}

// maxPoolStencil is MaxPool2D's loop over the planes [lo, hi) (without
// argmax) for windows of at most dwMaxTaps taps: each plane's window
// maxima by the max stencil, then the windows reaching into the padding
// again by the scalar loop (maxPoolWindow), whose choice among the taps
// inside the plane (the first of them first) the stencil's padding would
// change when that first tap is NaN. It reports false, doing nothing, for
// larger windows.
func maxPoolStencil[T Float](p *PoolParams, x, y []T, hw, ohw, lo, hi int) bool {
	taps := p.KH * p.KW
	if taps > dwMaxTaps || p.OutH <= 0 || p.OutW <= 0 {
		return false
	}
	cp := poolConvParams(p)
	var st dwPlaneStencil[T]
	st.init(&cp)
	defer st.release()
	// Windows [oy0, oy1) × [ox0, ox1) lie inside the plane.
	oy0, oy1 := validRange(-p.PadTop, p.StrideH, p.OutH, p.H-(p.KH-1)*p.DilH)
	ox0, ox1 := validRange(-p.PadLeft, p.StrideW, p.OutW, p.W-(p.KW-1)*p.DilW)
	for pl := lo; pl < hi; pl++ {
		in := x[pl*hw:][:p.H*p.W]
		st.load(in)
		acc := st.acc[:st.g.n]
		dwMaxStencil(acc, st.phases, st.offs[:taps])
		out := y[pl*ohw:][:p.OutH*p.OutW]
		dwCopyRows(out, acc, p.OutW, p.OutH, p.OutW, st.g.wq)
		maxPoolBorders(p, in, out, oy0, oy1, ox0, ox1)
	}
	return true
}

// poolConvParams returns the convolution of one plane whose outputs are
// the windows of p: ceil_mode's last windows read past the bottom and right
// pads, floor mode's may stop short of them.
func poolConvParams(p *PoolParams) ConvParams {
	return ConvParams{N: 1, C: 1, H: p.H, W: p.W, M: 1, KH: p.KH, KW: p.KW, Group: 1,
		PadTop: p.PadTop, PadLeft: p.PadLeft, StrideH: p.StrideH, StrideW: p.StrideW, DilH: p.DilH, DilW: p.DilW,
		PadBottom: (p.OutH-1)*p.StrideH + (p.KH-1)*p.DilH + 1 - p.H - p.PadTop,
		PadRight:  (p.OutW-1)*p.StrideW + (p.KW-1)*p.DilW + 1 - p.W - p.PadLeft}
}

// dwMaxStencil computes dst[i] = the maximum of src[offs[t]+i] over the
// taps (at least one), folded in tap order as best = v > best ? v : best.
// src holds at least dwSlack elements past the last one read, dst at
// least dwSlack past len(dst).
func dwMaxStencil[T Float](dst, src []T, offs []int) {
	if d32, ok := any(dst).([]float32); ok && dwMaxStencil32(d32, any(src).([]float32), offs) {
		return
	}
	copy(dst, src[offs[0]:][:len(dst)])
	for _, off := range offs[1:] {
		s := src[off:][:len(dst)]
		for i, v := range s {
			if v > dst[i] {
				dst[i] = v
			}
		}
	}
}

// poolTapCount is how many of the k taps i0 + j·d of a pooling window
// count for the divisor: those inside [0, size), or with includePad
// inside [-padBegin, size + padEnd).
func poolTapCount(i0, k, d, size, padBegin, padEnd int, includePad bool) int {
	lo, hi := 0, size
	if includePad {
		lo, hi = -padBegin, size+padEnd
	}
	n := 0
	for j := 0; j < k; j++ {
		if i := i0 + j*d; i >= lo && i < hi {
			n++
		}
	}
	return n
}

// dwStencil computes dst[i] = (bias when first, else dst[i]) + Σ_t
// w[t]·src[offs[t]+i]. src holds at least dwSlack elements past the last
// one read, dst at least dwSlack past len(dst).
func dwStencil[T Float](dst, src []T, offs []int, w []T, bias T, first bool) {
	if d32, ok := any(dst).([]float32); ok {
		if dwStencil32(d32, any(src).([]float32), offs, any(w).([]float32), float32(bias), first) {
			return
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
}
