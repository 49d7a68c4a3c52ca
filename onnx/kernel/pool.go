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
	planes := p.N * p.C
	hw, ohw := p.H*p.W, p.OutH*p.OutW
	fast := p.KH == 2 && p.KW == 2 && p.StrideH == 2 && p.StrideW == 2 && p.DilH == 1 && p.DilW == 1 &&
		p.PadTop == 0 && p.PadLeft == 0 && 2*p.OutH <= p.H && 2*p.OutW <= p.W
	parallelFor(planes, func(_, lo, hi int) {
		if fast {
			for pl := lo; pl < hi; pl++ {
				maxPool2x2(p, x[pl*hw:(pl+1)*hw], y[pl*ohw:(pl+1)*ohw], argmax, pl*ohw, pl*hw)
			}
			return
		}
		for pl := lo; pl < hi; pl++ {
			in := x[pl*hw : (pl+1)*hw]
			for oy := 0; oy < p.OutH; oy++ {
				for ox := 0; ox < p.OutW; ox++ {
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
	})
}

// maxPool2x2 is MaxPool2D of one plane for 2×2 windows at stride 2 that
// all lie inside the plane. It visits the taps in the order of the general
// loop, so it picks the same element. When argmax is not nil, the index of
// output o is stored at argmax[o0+o] as base plus its index in the plane.
func maxPool2x2[T Float](p PoolParams, in, out []T, argmax []int, o0, base int) {
	w := p.W
	for oy := 0; oy < p.OutH; oy++ {
		r0 := in[2*oy*w : 2*oy*w+2*p.OutW]
		r1 := in[(2*oy+1)*w : (2*oy+1)*w+2*p.OutW]
		o := out[oy*p.OutW : (oy+1)*p.OutW]
		if argmax == nil {
			for ox := range o {
				best := r0[2*ox]
				if v := r0[2*ox+1]; v > best {
					best = v
				}
				if v := r1[2*ox]; v > best {
					best = v
				}
				if v := r1[2*ox+1]; v > best {
					best = v
				}
				o[ox] = best
			}
			continue
		}
		am := argmax[o0+oy*p.OutW : o0+(oy+1)*p.OutW]
		i0 := base + 2*oy*w
		for ox := range o {
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
// MaxPool2D chose: dx is zeroed, then dx[argmax[i]] += dy[i].
func MaxPool2DBackward[T Float](dy []T, argmax []int, dx []T) {
	clear(dx)
	for i, g := range dy {
		if j := argmax[i]; j >= 0 {
			dx[j] += g
		}
	}
}

// AvgPool2D writes window means of x into y. The divisor counts the window
// taps that fall inside the input, or with CountIncludePad inside the input
// extended by its pads (taps past the pads, which ceil rounding can create,
// never count).
func AvgPool2D[T Float](p PoolParams, x, y []T) {
	planes := p.N * p.C
	hw, ohw := p.H*p.W, p.OutH*p.OutW
	parallelFor(planes, func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			in := x[pl*hw : (pl+1)*hw]
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
	})
}
