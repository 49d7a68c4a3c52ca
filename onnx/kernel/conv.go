package kernel

import "math"

// ConvParams describes a 2-D convolution (really a cross-correlation, as in
// ONNX and Keras) of an N×C×H×W input with an M×(C/Group)×KH×KW kernel.
// Pads are in input pixels at each border; strides and dilations must be at
// least 1. A 1-D convolution is the same with H = KH = 1.
type ConvParams struct {
	N, C, H, W                           int // input
	M                                    int // output channels
	KH, KW                               int // kernel size
	PadTop, PadLeft, PadBottom, PadRight int
	StrideH, StrideW                     int
	DilH, DilW                           int
	Group                                int
}

// OutH is the output height: floor((H + pads - dilated kernel) / stride) + 1.
func (p ConvParams) OutH() int {
	return (p.H+p.PadTop+p.PadBottom-(p.KH-1)*p.DilH-1)/p.StrideH + 1
}

// OutW is the output width.
func (p ConvParams) OutW() int {
	return (p.W+p.PadLeft+p.PadRight-(p.KW-1)*p.DilW-1)/p.StrideW + 1
}

// colRows is the number of rows of one group's im2col matrix.
func (p ConvParams) colRows() int { return p.C / p.Group * p.KH * p.KW }

// im2col lays the receptive fields of the channels [c0, c0+C/Group) of one
// image x (C×H×W) out as a (C/Group·KH·KW)×(OH·OW) matrix, zero where the
// field falls into padding.
func im2col[T Float](p *ConvParams, x []T, c0 int, col []T) {
	im2colRange(p, x, c0, 0, p.C/p.Group, col)
}

// im2colParallel is im2col split by channels across the workers, for a
// batch too small to keep them busy one image each.
func im2colParallel[T Float](p *ConvParams, x []T, c0 int, col []T) {
	l := getLoop[im2colLoop[T]]()
	*l = im2colLoop[T]{p: p, x: x, c0: c0, col: col}
	parallelRunFor(p.C/p.Group, p.colRows()*p.OutH()*p.OutW(), l)
	putLoop(l)
}

// im2colLoop is the body of im2colParallel: a range of channels.
type im2colLoop[T Float] struct {
	p      *ConvParams
	x, col []T
	c0     int
}

func (l *im2colLoop[T]) run(_, lo, hi int) { im2colRange(l.p, l.x, l.c0, lo, hi, l.col) }

// im2colRange is im2col for the channels c0+[cLo, cHi) of the group,
// writing only their rows of col.
func im2colRange[T Float](p *ConvParams, x []T, c0, cLo, cHi int, col []T) {
	oh, ow := p.OutH(), p.OutW()
	for c := cLo; c < cHi; c++ {
		plane := x[(c0+c)*p.H*p.W : (c0+c+1)*p.H*p.W]
		for kh := 0; kh < p.KH; kh++ {
			// Output rows [ylo, yhi) read input rows ih0 + y·StrideH.
			ih0 := -p.PadTop + kh*p.DilH
			ylo, yhi := validRange(ih0, p.StrideH, oh, p.H)
			for kw := 0; kw < p.KW; kw++ {
				row := col[((c*p.KH+kh)*p.KW+kw)*oh*ow:][:oh*ow]
				// Output columns [lo, hi) read input columns iw0 + x·StrideW.
				iw0 := -p.PadLeft + kw*p.DilW
				lo, hi := validRange(iw0, p.StrideW, ow, p.W)
				clear(row[:ylo*ow])
				clear(row[yhi*ow:])
				if lo == hi {
					clear(row[ylo*ow : yhi*ow])
					continue
				}
				if lo > 0 || hi < ow {
					// The few columns in the side pads, as plain stores.
					for y := ylo; y < yhi; y++ {
						out := row[y*ow : (y+1)*ow]
						for x := range out[:lo] {
							out[x] = 0
						}
						for x := hi; x < len(out); x++ {
							out[x] = 0
						}
					}
				}
				if ylo == yhi {
					continue
				}
				if p.StrideW == 1 {
					src := plane[(ih0+ylo*p.StrideH)*p.W+iw0+lo:]
					copyRows(row[ylo*ow+lo:], src, hi-lo, yhi-ylo, ow, p.StrideH*p.W)
					continue
				}
				for y := ylo; y < yhi; y++ {
					src := plane[(ih0+y*p.StrideH)*p.W : (ih0+y*p.StrideH+1)*p.W]
					out := row[y*ow : (y+1)*ow]
					iw := iw0 + lo*p.StrideW
					for x := lo; x < hi; x++ {
						out[x] = src[iw]
						iw += p.StrideW
					}
				}
			}
		}
	}
}

// validRange returns the outputs [lo, hi) of a row of n outputs whose
// input column start+x·stride falls inside [0, w); lo ≤ hi.
func validRange(start, stride, n, w int) (lo, hi int) {
	if start < 0 {
		lo = (-start + stride - 1) / stride
	}
	hi = n
	if last := start + (n-1)*stride; last >= w {
		hi = 0
		if w > start {
			hi = (w - start + stride - 1) / stride
		}
	}
	lo = min(lo, n)
	return lo, max(lo, min(hi, n))
}

// col2im adds a column matrix back into the channels [c0, c0+C/Group) of
// one image gradient dx, the adjoint of im2col.
func col2im[T Float](p *ConvParams, col []T, c0 int, dx []T) {
	oh, ow := p.OutH(), p.OutW()
	cg := p.C / p.Group
	for c := 0; c < cg; c++ {
		plane := dx[(c0+c)*p.H*p.W : (c0+c+1)*p.H*p.W]
		for kh := 0; kh < p.KH; kh++ {
			ih0 := -p.PadTop + kh*p.DilH
			ylo, yhi := validRange(ih0, p.StrideH, oh, p.H)
			if ylo == yhi {
				continue
			}
			for kw := 0; kw < p.KW; kw++ {
				row := col[((c*p.KH+kh)*p.KW+kw)*oh*ow:][:oh*ow]
				iw0 := -p.PadLeft + kw*p.DilW
				lo, hi := validRange(iw0, p.StrideW, ow, p.W)
				if lo == hi {
					continue
				}
				if p.StrideW == 1 {
					dst := plane[(ih0+ylo*p.StrideH)*p.W+iw0+lo:]
					addRows(dst, row[ylo*ow+lo:], hi-lo, yhi-ylo, p.StrideH*p.W, ow)
					continue
				}
				for y := ylo; y < yhi; y++ {
					dst := plane[(ih0+y*p.StrideH)*p.W : (ih0+y*p.StrideH+1)*p.W]
					iw := iw0 + lo*p.StrideW
					for _, v := range row[y*ow+lo : y*ow+hi] {
						dst[iw] += v
						iw += p.StrideW
					}
				}
			}
		}
	}
}

// Conv2D computes y = conv(x, w) + b. x is N×C×H×W, w is M×(C/Group)×KH×KW,
// b has M elements or is nil, and y (N×M×OH×OW) is overwritten.
func Conv2D[T Float](p ConvParams, x, w, b, y []T) {
	l := getLoop[conv2DLoop[T]]()
	*l = conv2DLoop[T]{p: p, x: x, w: w, b: b, y: y}
	// With fewer images than workers (batch 1), the images run one after
	// another with im2col split by channels and the product split by
	// Gemm itself, as the only one in flight.
	l.few = p.N < workerCount(math.MaxInt)
	parallelRun(p.N, l)
	putLoop(l)
}

// conv2DLoop is the body of Conv2D: a range of images.
type conv2DLoop[T Float] struct {
	p          ConvParams
	x, w, b, y []T
	few        bool
}

func (l *conv2DLoop[T]) run(_, lo, hi int) {
	p, x, w, b, y := &l.p, l.x, l.w, l.b, l.y
	ohw := p.OutH() * p.OutW()
	mg, rows := p.M/p.Group, p.colRows()
	buf := getScratch[T](rows * ohw)
	defer putScratch(buf)
	col := *buf
	for n := lo; n < hi; n++ {
		xn := x[n*p.C*p.H*p.W : (n+1)*p.C*p.H*p.W]
		yn := y[n*p.M*ohw : (n+1)*p.M*ohw]
		for g := 0; g < p.Group; g++ {
			if l.few {
				im2colParallel(p, xn, g*(p.C/p.Group), col)
			} else {
				im2col(p, xn, g*(p.C/p.Group), col)
			}
			yg := yn[g*mg*ohw : (g+1)*mg*ohw]
			if b != nil {
				for m := 0; m < mg; m++ {
					bv := b[g*mg+m]
					out := yg[m*ohw : (m+1)*ohw]
					for i := range out {
						out[i] = bv
					}
				}
			}
			beta := T(0)
			if b != nil {
				beta = 1
			}
			Gemm(false, false, mg, ohw, rows, 1, w[g*mg*rows:], rows, col, ohw, beta, yg, ohw)
		}
	}
}

// sum returns the sum of x, accumulated in 8 interleaved partial sums (a
// fixed order, so the result is deterministic) to keep the adds from
// waiting on each other.
func sum[T Float](x []T) T {
	var s [8]T
	i := 0
	for ; i+8 <= len(x); i += 8 {
		v := x[i : i+8 : i+8]
		s[0] += v[0]
		s[1] += v[1]
		s[2] += v[2]
		s[3] += v[3]
		s[4] += v[4]
		s[5] += v[5]
		s[6] += v[6]
		s[7] += v[7]
	}
	for ; i < len(x); i++ {
		s[i%8] += x[i]
	}
	return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]))
}

// Conv2DBackward computes the gradients of a Conv2D given dy, the gradient
// of the loss with respect to y. Each of dx (N×C×H×W), dw (like w) and db
// (M) may be nil when not wanted; those given are overwritten.
func Conv2DBackward[T Float](p ConvParams, x, w, dy, dx, dw, db []T) {
	oh, ow := p.OutH(), p.OutW()
	ohw := oh * ow
	mg, rows := p.M/p.Group, p.colRows()
	if db != nil {
		// Split by channel, each summed in the order of a serial loop.
		parallelFor(p.M, func(_, lo, hi int) {
			for m := lo; m < hi; m++ {
				var acc T
				for n := 0; n < p.N; n++ {
					acc += sum(dy[(n*p.M+m)*ohw : (n*p.M+m+1)*ohw])
				}
				db[m] = acc
			}
		})
	}
	if dx == nil && dw == nil {
		return
	}
	workers := workerCount(p.N)
	// Workers after the first accumulate their part of dw in scratch
	// space, added into dw at the end.
	dws := make([]*[]T, workers)
	parallelFor(p.N, func(wk, lo, hi int) {
		buf := getScratch[T](rows * ohw)
		defer putScratch(buf)
		col := *buf
		var dwk []T
		if dw != nil {
			if wk == 0 {
				dwk = dw[:len(w)]
			} else {
				dws[wk] = getScratch[T](len(w))
				dwk = *dws[wk]
			}
			clear(dwk)
		}
		for n := lo; n < hi; n++ {
			xn := x[n*p.C*p.H*p.W : (n+1)*p.C*p.H*p.W]
			dyn := dy[n*p.M*ohw : (n+1)*p.M*ohw]
			var dxn []T
			if dx != nil {
				dxn = dx[n*p.C*p.H*p.W : (n+1)*p.C*p.H*p.W]
				clear(dxn)
			}
			for g := 0; g < p.Group; g++ {
				dyg := dyn[g*mg*ohw : (g+1)*mg*ohw]
				if dwk != nil {
					im2col(&p, xn, g*(p.C/p.Group), col)
					// dW_g += dY_g · colᵀ
					Gemm(false, true, mg, rows, ohw, 1, dyg, ohw, col, ohw, 1, dwk[g*mg*rows:], rows)
				}
				if dxn != nil {
					// dcol = W_gᵀ · dY_g, then scatter back.
					Gemm(true, false, rows, ohw, mg, 1, w[g*mg*rows:], rows, dyg, ohw, 0, col, ohw)
					col2im(&p, col, g*(p.C/p.Group), dxn)
				}
			}
		}
	})
	if dw != nil {
		for _, b := range dws[1:] {
			if b == nil {
				continue
			}
			for i, v := range (*b)[:len(dw)] {
				dw[i] += v
			}
			putScratch(b)
		}
	}
}
