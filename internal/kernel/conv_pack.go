package kernel

import (
	"math"
	"sync"
	"sync/atomic"
)

// Convolutions with stride 1 skip the im2col matrix: the product packs its
// B panels straight from the image. Laid out on output rows as long as the
// input rows (W pixels), row r = (c, kh, kw) of the im2col matrix is the
// channel plane shifted by a constant, offs[r] = c·H·W + (kh·DilH -
// PadTop)·W + (kw·DilW - PadLeft), and a 16-pixel panel of it one masked
// vector load: the mask keeps the pixels whose tap falls inside the image.
// The masks depend only on the panel and the tap (kh, kw), so they are
// computed once per convolution shape. With "same" padding the output rows
// are that long (flat); narrower ones ("valid" padding) are computed W
// wide, the extra pixels zero, and then copied out (wide; see
// convProductWide).

// Stride-2 convolutions of even-sized images whose output is half the
// image (the 3×3/2 pad 1 and 7×7/2 pad 3 layers of ResNets) pack
// from the image too, after it is split into four phase planes per
// channel (the even and odd rows by the even and odd columns, H/2 × W/2
// each, in the channel's own H·W floats; see toPhases): tap (kh, kw) of
// output pixel (y, x) reads image pixel (2y + kh - PadTop, 2x + kw -
// PadLeft), that is pixel (y + dy, x + dx) of phase ((kh-PadTop) mod 2,
// (kw-PadLeft) mod 2) with dy = floor((kh-PadTop)/2) and dx likewise, and
// the phase planes are as wide as the output rows: a constant shift again,
// one masked load per panel and tap (packsFromPhases).

// convPackPlan is what packing from the image needs for one shape.
type convPackPlan struct {
	offs  []int32  // per im2col row
	taps  int      // KH·KW
	masks []uint16 // per 16-pixel panel and tap: the pixels to load (then a panel of zeros)
}

// convPlans memoizes plans by shape, up to maxConvPlans of them.
var (
	convPlans      sync.Map // ConvParams (N 0, Relu false) -> *convPackPlan
	convPlansCount atomic.Int32
)

const maxConvPlans = 256

// canPackFromImage reports whether p's products can pack B from the image
// (float32 on the AVX-512 routine set, stride 1, output rows no longer
// than input rows and at least half as long, so that computing them as
// long at most doubles the work, a non-empty image, offsets that fit in 32
// bits; an empty image padded into a non-empty output is left to im2col). Output rows
// as long as the input rows (flat) can be computed by ranges of pixels,
// narrower ones only a whole image at a time (convProductWide).
//
// Stride-2 convolutions that packsFromPhases accepts are flat too, read
// from the image's phase planes (Conv2DPacked makes them).
func canPackFromImage(p *ConvParams) (flat, ok bool) {
	phases := packsFromPhases(p)
	ok = convPackAVX512 && sgemmFast && sgemmImpl.nr == 16 &&
		(phases || p.StrideH == 1 && p.StrideW == 1 && p.OutW() <= p.W && 2*p.OutW() >= p.W) && p.OutH() > 0 &&
		p.H > 0 && p.W > 0 && p.C > 0 &&
		int64(p.C)*int64(p.H)*int64(p.W) < math.MaxInt32/2 && int64(p.OutH())*int64(p.W) < math.MaxInt32/2
	return ok && (phases || p.OutW() == p.W), ok
}

// packsFromPhases reports whether p is a stride-2 convolution whose
// products read the image's phase planes (see toPhases): ungrouped,
// undilated, the image's height and width even and the output half of
// each, and not 1×1 (which reads one phase of four: its im2col matrix,
// a quarter of the image, costs less than splitting all of it).
func packsFromPhases(p *ConvParams) bool {
	return p.StrideH == 2 && p.StrideW == 2 && p.DilH == 1 && p.DilW == 1 && p.Group == 1 && p.KH*p.KW > 1 &&
		p.H > 0 && p.W > 0 && p.H%2 == 0 && p.W%2 == 0 && p.OutH() == p.H/2 && p.OutW() == p.W/2
}

// toPhases writes the phase planes of every channel plane of x (N·C
// planes of H×W) to dst, in the same place: phase (rh, rw) of a plane, at
// (2·rh + rw)·(H/2)·(W/2) within it, holds the pixels (2i + rh, 2j + rw).
// Planes go to the workers in parts when there are many.
func toPhases(p *ConvParams, x, dst []float32) {
	planes := p.N * p.C
	l := getLoop[phasesLoop]()
	*l = phasesLoop{h: p.H, w: p.W, x: x[:planes*p.H*p.W], dst: dst[:planes*p.H*p.W]}
	parallelRunFor(planes, planes*p.H*p.W, l)
	putLoop(l)
}

// phasesLoop is toPhases's body: a range of planes.
type phasesLoop struct {
	h, w   int
	x, dst []float32
}

func (l *phasesLoop) run(_, lo, hi int) {
	hw, hq, wq := l.h*l.w, l.h/2, l.w/2
	for pl := lo; pl < hi; pl++ {
		src, dst := l.x[pl*hw:(pl+1)*hw], l.dst[pl*hw:(pl+1)*hw]
		for rh := 0; rh < 2; rh++ {
			// The even (odd) rows into phases (rh, 0) and (rh, 1).
			base := rh * 2 * hq * wq
			deinterleaveRows(dst[base:], dst[base+hq*wq:], wq, src[rh*l.w:], 2*l.w, wq, hq)
		}
	}
}

// convPlanFor returns the plan for p's shape.
func convPlanFor(p *ConvParams) *convPackPlan {
	key := *p
	key.N, key.Relu, key.Act = 0, false, Activation{}
	if v, ok := convPlans.Load(key); ok {
		return v.(*convPackPlan)
	}
	plan := newConvPackPlan(p)
	if convPlansCount.Load() < maxConvPlans {
		if _, loaded := convPlans.LoadOrStore(key, plan); !loaded {
			convPlansCount.Add(1)
		}
	}
	return plan
}

func newConvPackPlan(p *ConvParams) *convPackPlan {
	oh, ow, w := p.OutH(), p.OutW(), p.W // pixel j is at (j/w, j%w)
	phases := packsFromPhases(p)
	if phases {
		w = ow // the phase planes' rows
	}
	taps := p.KH * p.KW
	plan := &convPackPlan{taps: taps, offs: make([]int32, p.colRows())}
	for c := 0; c < p.C/p.Group; c++ {
		for kh := 0; kh < p.KH; kh++ {
			for kw := 0; kw < p.KW; kw++ {
				off := c*p.H*p.W + (kh*p.DilH-p.PadTop)*p.W + kw*p.DilW - p.PadLeft
				if phases {
					a, b := kh-p.PadTop, kw-p.PadLeft
					off = c*p.H*p.W + ((a&1)*2+(b&1))*(p.H/2)*w + (a>>1)*w + (b >> 1)
				}
				plan.offs[(c*p.KH+kh)*p.KW+kw] = int32(off)
			}
		}
	}
	panels := (oh*w + 15) / 16
	// One more panel of zero masks: the second panel of a last, narrow
	// 32-column block (see convB.products).
	plan.masks = make([]uint16, (panels+1)*taps)
	rows := make([]uint16, p.KH)
	cols := make([]uint16, p.KW)
	for q := 0; q < panels; q++ {
		clear(rows)
		clear(cols)
		for t := 0; t < 16; t++ {
			j := q*16 + t
			if j >= oh*w {
				break
			}
			y, x := j/w, j%w
			if x >= ow {
				continue // a pixel past a narrow output row: zero
			}
			for kh := range rows {
				if iy := y*p.StrideH + kh*p.DilH - p.PadTop; iy >= 0 && iy < p.H {
					rows[kh] |= 1 << t
				}
			}
			for kw := range cols {
				if ix := x*p.StrideW + kw*p.DilW - p.PadLeft; ix >= 0 && ix < p.W {
					cols[kw] |= 1 << t
				}
			}
		}
		for kh := range rows {
			for kw := range cols {
				plan.masks[q*taps+kh*p.KW+kw] = rows[kh] & cols[kw]
			}
		}
	}
	return plan
}

// convB packs B panels of a convolution's product from the image: the
// channels of one group (plane, from the group's first channel on), for
// the output pixels from j0 (a multiple of 16) on.
type convB struct {
	plan  *convPackPlan
	plane []float32
	j0    int
}

// pack packs the 16-wide panels of the im2col rows [pc, pc+kc) and
// columns [jc, jc+nc) (relative to j0) into dst, as packN would from the
// matrix.
func (cb *convB) pack(dst []float32, pc, jc, kc, nc int) {
	plan := cb.plan
	_ = plan.offs[pc+kc-1]
	for q := 0; q*16 < nc; q++ {
		jp := cb.j0 + jc + q*16
		d := dst[q*16*kc : (q+1)*16*kc]
		masks := plan.masks[jp/16*plan.taps : (jp/16+1)*plan.taps]
		packConvPanelAVX512(&d[0], &cb.plane[0], jp, &plan.offs[pc], &masks[0], plan.taps, pc%plan.taps, kc)
	}
}

// products computes C = alpha·A·B + beta·C for the mc×nc block of C at c
// (row stride ldc; mc ≤ the rows A packs), A the packed mc×kc block ap and
// B the im2col rows [pc, pc+kc) and columns [jc, jc+nc) (relative to
// cb.j0; jc a multiple of 16), read from the image by img 12×32 tile by
// tile, the tiles of a 32-column panel one after another so that its
// pixels stay in the L1 cache.
func (cb *convB) products(img imgKernel, mc, nc, kc, pc, jc int, alpha, beta float32, ap, c []float32, ldc int, ep *tileEpilogue) {
	plan := cb.plan
	_ = plan.offs[pc+kc-1]
	for jr := 0; jr < nc; jr += 32 {
		cols := min(32, nc-jr)
		jp := cb.j0 + jc + jr
		q := jp / 16
		m0, m1 := plan.masks[q*plan.taps:], plan.masks[(q+1)*plan.taps:]
		_ = m1[plan.taps-1]
		for ir := 0; ir < mc; ir += 12 {
			rows := min(12, mc-ir)
			_ = ap[ir*kc+roundUp(rows, 6)*kc-1] // whole A panels of 6 rows
			ct := c[ir*ldc+jr : (ir+rows-1)*ldc+jr+cols]
			img(kc, &ap[ir*kc], &cb.plane[0], jp, &plan.offs[pc], &m0[0], &m1[0], plan.taps, pc%plan.taps, &ct[0], ldc, alpha, beta, rows, cols)
			ep.apply(ct, ldc, ir, jr, rows, cols)
		}
	}
}

// convProductWide computes group g of one image (conv·, plus the bias b
// when it is not nil) for output rows narrower than the input rows: the
// product runs on rows W pixels wide into scratch space, then the OW
// pixels of each row are copied into y (the group's outputs).
func convProductWide(p *ConvParams, xn, w []float32, pa *packedA, g int, b, y []float32) {
	mg, oh, ow := p.M/p.Group, p.OutH(), p.OutW()
	n := oh * p.W
	buf := getScratch[float32](mg * n)
	wide := *buf
	beta := float32(0)
	if b != nil {
		beta = 1
		for m := 0; m < mg; m++ {
			fill(wide[m*n:(m+1)*n], b[g*mg+m])
		}
	}
	convProduct(p, xn, w, pa, g, 0, mg, 0, n, beta, wide, n, nil)
	for m := 0; m < mg; m++ {
		copyRows(y[m*oh*ow:], wide[m*n:], ow, oh, ow, p.W)
	}
	putScratch(buf)
}

// convProduct computes the output channels [r0, r1) (r0 a multiple of the
// tile height) and columns [j0, j0+n) of group g of one image (C = conv·,
// with beta as in Gemm; C's first row is channel r0) packing B from the
// image xn: A is the group's kernel w, or pa when it is not nil.
func convProduct(p *ConvParams, xn, w []float32, pa *packedA, g, r0, r1, j0, n int, beta float32, c []float32, ldc int, ep *tileEpilogue) {
	mg, rows := p.M/p.Group, p.colRows()
	checkMatrix("C", r1-r0, n, len(c), ldc)
	cb := convB{plan: convPlanFor(p), plane: xn[g*(p.C/p.Group)*p.H*p.W:], j0: j0}
	var a []float32
	if pa == nil {
		a = w[(g*mg+r0)*rows:]
		checkMatrix("A", r1-r0, rows, len(a), rows)
	}
	bufs := getSgemmBufs()
	sgemmSerialPacked(bufs, sgemmImpl, false, false, r1-r0, n, rows, 1, a, rows, pa, r0, nil, 0, beta, c, ldc, &cb, ep)
	sgemmPool.put(bufs)
}
