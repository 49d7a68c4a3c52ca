package kernel

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
	oh, ow := p.OutH(), p.OutW()
	cg := p.C / p.Group
	for c := 0; c < cg; c++ {
		plane := x[(c0+c)*p.H*p.W : (c0+c+1)*p.H*p.W]
		for kh := 0; kh < p.KH; kh++ {
			for kw := 0; kw < p.KW; kw++ {
				row := col[((c*p.KH+kh)*p.KW+kw)*oh*ow:][:oh*ow]
				for y := 0; y < oh; y++ {
					ih := y*p.StrideH - p.PadTop + kh*p.DilH
					out := row[y*ow : (y+1)*ow]
					if ih < 0 || ih >= p.H {
						clear(out)
						continue
					}
					src := plane[ih*p.W : (ih+1)*p.W]
					iw := -p.PadLeft + kw*p.DilW
					for x := range out {
						if iw >= 0 && iw < p.W {
							out[x] = src[iw]
						} else {
							out[x] = 0
						}
						iw += p.StrideW
					}
				}
			}
		}
	}
}

// col2im adds a column matrix back into the channels [c0, c0+C/Group) of
// one image gradient dx, the adjoint of im2col.
func col2im[T Float](p *ConvParams, col []T, c0 int, dx []T) {
	oh, ow := p.OutH(), p.OutW()
	cg := p.C / p.Group
	for c := 0; c < cg; c++ {
		plane := dx[(c0+c)*p.H*p.W : (c0+c+1)*p.H*p.W]
		for kh := 0; kh < p.KH; kh++ {
			for kw := 0; kw < p.KW; kw++ {
				row := col[((c*p.KH+kh)*p.KW+kw)*oh*ow:][:oh*ow]
				for y := 0; y < oh; y++ {
					ih := y*p.StrideH - p.PadTop + kh*p.DilH
					if ih < 0 || ih >= p.H {
						continue
					}
					dst := plane[ih*p.W : (ih+1)*p.W]
					iw := -p.PadLeft + kw*p.DilW
					for _, v := range row[y*ow : (y+1)*ow] {
						if iw >= 0 && iw < p.W {
							dst[iw] += v
						}
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
	oh, ow := p.OutH(), p.OutW()
	ohw := oh * ow
	mg, rows := p.M/p.Group, p.colRows()
	cols := make([][]T, workerCount(p.N))
	parallelFor(p.N, func(wk, lo, hi int) {
		if cols[wk] == nil {
			cols[wk] = make([]T, rows*ohw)
		}
		col := cols[wk]
		for n := lo; n < hi; n++ {
			xn := x[n*p.C*p.H*p.W : (n+1)*p.C*p.H*p.W]
			yn := y[n*p.M*ohw : (n+1)*p.M*ohw]
			for g := 0; g < p.Group; g++ {
				im2col(&p, xn, g*(p.C/p.Group), col)
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
	})
}

// Conv2DBackward computes the gradients of a Conv2D given dy, the gradient
// of the loss with respect to y. Each of dx (N×C×H×W), dw (like w) and db
// (M) may be nil when not wanted; those given are overwritten.
func Conv2DBackward[T Float](p ConvParams, x, w, dy, dx, dw, db []T) {
	oh, ow := p.OutH(), p.OutW()
	ohw := oh * ow
	mg, rows := p.M/p.Group, p.colRows()
	if db != nil {
		clear(db)
		for n := 0; n < p.N; n++ {
			for m := 0; m < p.M; m++ {
				var s T
				for _, v := range dy[(n*p.M+m)*ohw : (n*p.M+m+1)*ohw] {
					s += v
				}
				db[m] += s
			}
		}
	}
	if dx == nil && dw == nil {
		return
	}
	workers := workerCount(p.N)
	cols := make([][]T, workers)
	dws := make([][]T, workers)
	parallelFor(p.N, func(wk, lo, hi int) {
		col := make([]T, rows*ohw)
		cols[wk] = col
		var dwk []T
		if dw != nil {
			dwk = make([]T, len(w))
			dws[wk] = dwk
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
		clear(dw)
		for _, d := range dws {
			for i, v := range d {
				dw[i] += v
			}
		}
	}
}
