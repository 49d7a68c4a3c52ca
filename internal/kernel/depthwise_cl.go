package kernel

// Depthwise convolutions of small planes, channels last. On a 7×7 or
// 14×14 plane the per-plane stencil (depthwise.go) spends most of its
// time laying each plane out padded and on the rows' ragged ends; with
// the channels interleaved (an image's planes transposed to pixels ×
// channels) one vector holds one pixel of 16 channels, each tap is one
// FMA per 16 channels with no padding written out, and the plane's size
// no longer matters. The planes are transposed in and the outputs back
// in 16×16 blocks; the taps inside the image of each output pixel are
// added in tap order after the bias, as the stencil adds them, so the
// two paths agree (up to the sign of zero sums: the stencil also adds the
// padding's zeros). Average and max pools of small planes run the
// same way: unit weights, then the quotients by the tap counts, or the
// maximum folded from each window's first tap inside the image.

// dwChannelsLastMaxPixels is the largest output plane (OutH·OutW) that
// DepthwiseConv2D runs channels last.
var dwChannelsLastMaxPixels = 196

// dwChannelsLastMaxInput is the largest input plane (H·W) it takes: a
// work item holds its 64 channels' planes transposed, so a large input
// with a small output (a huge stride) keeps the per-plane stencil.
const dwChannelsLastMaxInput = 1024

// dwChannelsLastGroup is the most channels one work item (a worker's
// share of an image) interleaves: four 16-channel vectors, the
// accumulators of the four FMA chains the kernel runs.
const dwChannelsLastGroup = 64

// dwChannelsLast computes the depthwise convolution p (IsDepthwise) of
// float32 x into y channels last when p has one output channel per input
// channel and small output planes on a CPU with the kernel, and reports
// whether it did.
func dwChannelsLast(p *ConvParams, x, w, b, y []float32) bool {
	if !canDWChannelsLast(p) {
		return false
	}
	dwChannelsLastRun(p, x, w, b, nil, false, y)
	if p.Act.Kind != ActNone {
		ApplyActivation(p.Act, y[:p.N*p.M*p.OutH()*p.OutW()])
	}
	return true
}

// canDWChannelsLast reports whether dwChannelsLast runs p.
func canDWChannelsLast(p *ConvParams) bool {
	oh, ow := p.OutH(), p.OutW()
	return dwCLAVX512 && p.M == p.C && oh*ow <= dwChannelsLastMaxPixels && oh > 0 && ow > 0 &&
		p.H*p.W > 0 && p.H*p.W <= dwChannelsLastMaxInput
}

// dwChannelsLastRun computes p's sums (canDWChannelsLast) into y, the
// kernel w or, when w is nil, unit weights (an average pool's window
// sums, each output plane then divided by den, its pixels' tap counts);
// with max, the windows' maxima instead (a max pool; w, b and den nil).
func dwChannelsLastRun(p *ConvParams, x, w, b, den []float32, max bool, y []float32) {
	oh, ow := p.OutH(), p.OutW()
	// rows[3r:3r+3] = the kernel rows [kh0, kh1) output row r reads
	// inside the image and its first input row (r·StrideH - PadTop);
	// cols the same across.
	geom := ScratchInt32(3 * (oh + ow))
	defer PutScratchInt32(geom)
	rows, cols := (*geom)[:3*oh], (*geom)[3*oh:3*(oh+ow)]
	for r := range oh {
		base := r*p.StrideH - p.PadTop
		lo, hi := tapRange(base, p.DilH, p.KH, p.H)
		rows[3*r], rows[3*r+1], rows[3*r+2] = int32(lo), int32(hi), int32(base)
	}
	for c := range ow {
		base := c*p.StrideW - p.PadLeft
		lo, hi := tapRange(base, p.DilW, p.KW, p.W)
		cols[3*c], cols[3*c+1], cols[3*c+2] = int32(lo), int32(hi), int32(base)
	}
	groups := (p.C + dwChannelsLastGroup - 1) / dwChannelsLastGroup
	l := getLoop[dwChannelsLastLoop]()
	*l = dwChannelsLastLoop{p: *p, x: x, w: w, b: b, den: den, y: y, rows: rows, cols: cols, groups: groups, max: max}
	if p.N*p.C*oh*ow*p.KH*p.KW < convFewMinMACs {
		l.run(0, 0, p.N*groups)
	} else {
		parallelRun(p.N*groups, l)
	}
	putLoop(l)
}

// tapRange returns the taps [lo, hi) of a kernel of k taps at dilation
// dil whose input base + t·dil falls inside [0, size).
func tapRange(base, dil, k, size int) (lo, hi int) {
	if base < 0 {
		lo = (-base + dil - 1) / dil
	}
	hi = k
	if last := base + (k-1)*dil; last >= size {
		hi = max(0, (size-1-base)/dil+1)
		if size-1-base < 0 {
			hi = 0
		}
	}
	return min(lo, hi), hi
}

// dwChannelsLastLoop is dwChannelsLast's body: work item i is the
// channels [64g, 64g+64) of image n, i = n·groups + g.
type dwChannelsLastLoop struct {
	p               ConvParams
	x, w, b, den, y []float32
	rows, cols      []int32
	groups          int
	max             bool // max pool: the windows' maxima
}

func (l *dwChannelsLastLoop) run(_, lo, hi int) {
	p := &l.p
	hw, ohw, taps := p.H*p.W, p.OutH()*p.OutW(), p.KH*p.KW
	const g = dwChannelsLastGroup
	buf := getScratch[float32]((hw + ohw + taps + 1) * g)
	defer putScratch(buf)
	xt := (*buf)[:hw*g]
	yt := (*buf)[hw*g : (hw+ohw)*g]
	wt := (*buf)[(hw+ohw)*g : (hw+ohw+taps)*g]
	bias := (*buf)[(hw+ohw+taps)*g:][:g]
	for i := lo; i < hi; i++ {
		n, c0 := i/l.groups, i%l.groups*g
		cw := min(g, p.C-c0)
		ld := roundUp(cw, 16)
		transpose2D(xt, ld, l.x[(n*p.C+c0)*hw:], hw, cw, hw)
		switch {
		case l.w != nil:
			transpose2D(wt, ld, l.w[c0*taps:], taps, cw, taps)
		case i == lo && !l.max:
			fill(wt, 1)
		}
		clear(bias)
		if l.b != nil {
			copy(bias, l.b[c0:c0+cw])
		}
		for v := 0; v < ld/16; {
			blocks := 4
			for blocks > ld/16-v {
				blocks /= 2
			}
			dwChannelsLastAVX512(&xt[16*v], ld, &wt[16*v], ld, &bias[16*v], &yt[16*v], ld,
				&l.rows[0], &l.cols[0], p.OutH(), p.OutW(), p.W, p.KW, p.DilH, p.DilW, blocks, p.Relu, l.max)
			v += blocks
		}
		out := l.y[(n*p.M+c0)*ohw:][:cw*ohw]
		transpose2D(out, ohw, yt, ld, ohw, cw)
		if l.den != nil {
			for c := 0; c < cw; c++ {
				divide(out[c*ohw:][:ohw], out[c*ohw:][:ohw], l.den)
			}
		}
	}
}

// transpose2D sets dst[j·ldd+i] = src[i·lds+j] for i < rows, j < cols:
// the rows×cols matrix src (row stride lds) transposed into dst (cols
// rows, stride ldd), 16×16 blocks at a time where the CPU has the
// AVX-512 block transpose, the ragged edges element by element.
func transpose2D(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	_, _ = src[(rows-1)*lds+cols-1], dst[(cols-1)*ldd+rows-1]
	r16, c16 := 0, 0
	if dwCLAVX512 {
		r16, c16 = rows&^15, cols&^15
		for i := 0; i < r16; i += 16 {
			for j := 0; j < c16; j += 16 {
				transpose16x16AVX512(&dst[j*ldd+i], ldd, &src[i*lds+j], lds)
			}
		}
	}
	for i := 0; i < rows; i++ {
		j0 := 0
		if i < r16 {
			j0 = c16 // the blocks did the rest of this row
		}
		s := src[i*lds : i*lds+cols]
		for j := j0; j < cols; j++ {
			dst[j*ldd+i] = s[j]
		}
	}
}

// avgPoolChannelsLast computes AvgPool2D's float32 window means of small
// output planes as the depthwise convolution with unit weights channels
// last, then divided by the windows' tap counts (the sums and quotients
// of avgPoolStencil), and reports whether it did: not for windows
// without a tap to count.
func avgPoolChannelsLast(p *PoolParams, x, y []float32) bool {
	cp := poolConvParams(p)
	cp.N, cp.C, cp.M, cp.Group = p.N, p.C, p.C, p.C
	if !canDWChannelsLast(&cp) || cp.OutH() != p.OutH || cp.OutW() != p.OutW {
		return false
	}
	ohw := p.OutH * p.OutW
	db := getScratch[float32](p.OutH + p.OutW + ohw)
	defer putScratch(db)
	rows, cols, den := (*db)[:p.OutH], (*db)[p.OutH:p.OutH+p.OutW], (*db)[p.OutH+p.OutW:][:ohw]
	for i := range rows {
		rows[i] = float32(poolTapCount(i*p.StrideH-p.PadTop, p.KH, p.DilH, p.H, p.PadTop, p.PadBottom, p.CountIncludePad))
	}
	for i := range cols {
		cols[i] = float32(poolTapCount(i*p.StrideW-p.PadLeft, p.KW, p.DilW, p.W, p.PadLeft, p.PadRight, p.CountIncludePad))
	}
	for oy, rc := range rows {
		for ox, cc := range cols {
			if rc*cc == 0 {
				return false
			}
			den[oy*p.OutW+ox] = rc * cc
		}
	}
	dwChannelsLastRun(&cp, x, nil, nil, den, false, y)
	return true
}

// maxPoolChannelsLast computes MaxPool2D's float32 window maxima (no
// argmax) of small output planes channels last, folded as the scalar
// loop folds them, and reports whether it did: not when a window lies
// entirely in the padding, nor for the 2×2/2 and 3×3/2 windows that have
// vector loops of their own (whose fold, NaNs and ±0 included, the
// fused convolution-and-pool paths share).
func maxPoolChannelsLast(p *PoolParams, x, y []float32) bool {
	if p.DilH == 1 && p.DilW == 1 && p.StrideH == 2 && p.StrideW == 2 && (p.KH == 2 && p.KW == 2 || p.KH == 3 && p.KW == 3) {
		return false
	}
	cp := poolConvParams(p)
	cp.N, cp.C, cp.M, cp.Group = p.N, p.C, p.C, p.C
	if !canDWChannelsLast(&cp) || cp.OutH() != p.OutH || cp.OutW() != p.OutW {
		return false
	}
	for i := range p.OutH {
		if lo, hi := tapRange(i*p.StrideH-p.PadTop, p.DilH, p.KH, p.H); lo >= hi {
			return false
		}
	}
	for i := range p.OutW {
		if lo, hi := tapRange(i*p.StrideW-p.PadLeft, p.DilW, p.KW, p.W); lo >= hi {
			return false
		}
	}
	dwChannelsLastRun(&cp, x, nil, nil, nil, true, y)
	return true
}
