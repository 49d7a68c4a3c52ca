package kernel

import "math"

// WindowParams describes a sliding-window operation (convolution or
// pooling) over the k spatial axes of an N×C×D1×…×Dk input, for any k ≥ 1.
// It is the N-d counterpart of ConvParams and PoolParams, used for inputs
// with more than two spatial axes (3-D convolution and pooling); the 2-D
// kernels remain the fast path for one and two spatial axes.
//
// Every per-axis slice has k entries. Kernel sizes, strides and dilations
// must be at least 1, pads at least 0, and Out must be the output size
// along each axis for these settings (the caller computes it, choosing
// floor or ceil rounding, and checks that it is positive).
type WindowParams struct {
	N, C      int
	In        []int // spatial input sizes D1..Dk
	Kernel    []int
	Strides   []int
	Dilations []int
	PadBegin  []int
	PadEnd    []int
	Out       []int
}

func prod(s []int) int {
	p := 1
	for _, v := range s {
		p *= v
	}
	return p
}

// taps lists, for one spatial axis, the input coordinate read by each
// (kernel index, output index) pair, -1 where it falls into padding:
// taps[k*out+o].
func (p *WindowParams) taps(axis int) []int {
	k, out := p.Kernel[axis], p.Out[axis]
	t := make([]int, k*out)
	for ki := 0; ki < k; ki++ {
		for o := 0; o < out; o++ {
			c := o*p.Strides[axis] - p.PadBegin[axis] + ki*p.Dilations[axis]
			if c < 0 || c >= p.In[axis] {
				c = -1
			}
			t[ki*out+o] = c
		}
	}
	return t
}

// im2colND lays the receptive fields of channels [c0, c0+cg) of one image
// x out as a (cg·∏Kernel)×(∏Out) matrix, zero where a field reads padding.
func im2colND[T Float](p *WindowParams, taps [][]int, x []T, c0, cg int, col []T) {
	dims := len(p.In)
	inSize, outSize, kSize := prod(p.In), prod(p.Out), prod(p.Kernel)
	inStride := make([]int, dims)
	s := 1
	for a := dims - 1; a >= 0; a-- {
		inStride[a] = s
		s *= p.In[a]
	}
	kidx := make([]int, dims)
	oidx := make([]int, dims)
	for c := 0; c < cg; c++ {
		plane := x[(c0+c)*inSize : (c0+c+1)*inSize]
		clear(kidx)
		for kf := 0; kf < kSize; kf++ {
			row := col[(c*kSize+kf)*outSize:][:outSize]
			clear(oidx)
			for of := range row {
				off := 0
				for a := 0; a < dims; a++ {
					ic := taps[a][kidx[a]*p.Out[a]+oidx[a]]
					if ic < 0 {
						off = -1
						break
					}
					off += ic * inStride[a]
				}
				if off < 0 {
					row[of] = 0
				} else {
					row[of] = plane[off]
				}
				odometer(oidx, p.Out)
			}
			odometer(kidx, p.Kernel)
		}
	}
}

// odometer advances a row-major multi-index within dims by one.
func odometer(idx, dims []int) {
	for a := len(idx) - 1; a >= 0; a-- {
		idx[a]++
		if idx[a] < dims[a] {
			return
		}
		idx[a] = 0
	}
}

// ConvND computes y = conv(x, w) + b over any number of spatial axes. x is
// N×C×D1×…×Dk, w is M×(C/group)×K1×…×Kk, b has M elements or is nil, and y
// (N×M×O1×…×Ok) is overwritten. C and M must be multiples of group.
func ConvND[T Float](p WindowParams, m, group int, x, w, b, y []T) {
	inSize, outSize, kSize := prod(p.In), prod(p.Out), prod(p.Kernel)
	cg, mg := p.C/group, m/group
	rows := cg * kSize
	taps := make([][]int, len(p.In))
	for a := range taps {
		taps[a] = p.taps(a)
	}
	cols := make([][]T, workerCount(p.N))
	parallelFor(p.N, func(wk, lo, hi int) {
		if cols[wk] == nil {
			cols[wk] = make([]T, rows*outSize)
		}
		col := cols[wk]
		for n := lo; n < hi; n++ {
			xn := x[n*p.C*inSize : (n+1)*p.C*inSize]
			yn := y[n*m*outSize : (n+1)*m*outSize]
			for g := 0; g < group; g++ {
				im2colND(&p, taps, xn, g*cg, cg, col)
				yg := yn[g*mg*outSize : (g+1)*mg*outSize]
				beta := T(0)
				if b != nil {
					beta = 1
					for j := 0; j < mg; j++ {
						out := yg[j*outSize : (j+1)*outSize]
						for i := range out {
							out[i] = b[g*mg+j]
						}
					}
				}
				Gemm(false, false, mg, outSize, rows, 1, w[g*mg*rows:], rows, col, outSize, beta, yg, outSize)
			}
		}
	})
}

// poolND visits every output of a pooling over any number of spatial axes:
// for each plane (image and channel) and output position it calls visit
// with the plane's input, the flat output index and the in-plane input
// offsets of the window taps that fall inside the input, plus the number
// of taps inside the input extended by its pads.
func poolND[T Float](p *WindowParams, x []T, visit func(in []T, o int, offs []int, padded int)) {
	dims := len(p.In)
	inSize, outSize, kSize := prod(p.In), prod(p.Out), prod(p.Kernel)
	inStride := make([]int, dims)
	s := 1
	for a := dims - 1; a >= 0; a-- {
		inStride[a] = s
		s *= p.In[a]
	}
	parallelFor(p.N*p.C, func(_, lo, hi int) {
		oidx := make([]int, dims)
		kidx := make([]int, dims)
		offs := make([]int, 0, min(kSize, inSize)) // only taps inside the input are kept
		for pl := lo; pl < hi; pl++ {
			in := x[pl*inSize : (pl+1)*inSize]
			clear(oidx)
			for o := 0; o < outSize; o++ {
				offs = offs[:0]
				padded := 0
				clear(kidx)
				for kf := 0; kf < kSize; kf++ {
					off, inside, inPad := 0, true, true
					for a := 0; a < dims; a++ {
						c := oidx[a]*p.Strides[a] - p.PadBegin[a] + kidx[a]*p.Dilations[a]
						if c < 0 || c >= p.In[a] {
							inside = false
						}
						if c < -p.PadBegin[a] || c >= p.In[a]+p.PadEnd[a] {
							inPad = false
						}
						off += c * inStride[a]
					}
					if inside {
						offs = append(offs, off)
					}
					if inPad {
						padded++
					}
					odometer(kidx, p.Kernel)
				}
				visit(in, pl*outSize+o, offs, padded)
				odometer(oidx, p.Out)
			}
		}
	})
}

// MaxPoolND writes the window maxima of x (N×C×D1×…×Dk) into y
// (N×C×O1×…×Ok). When argmax is not nil it receives, for every output, the
// flat index into x of the element chosen (the first maximum in row-major
// window order). A window entirely in padding yields -Inf and index -1.
func MaxPoolND[T Float](p WindowParams, x, y []T, argmax []int) {
	inSize, outSize := prod(p.In), prod(p.Out)
	poolND(&p, x, func(in []T, o int, offs []int, _ int) {
		best, bi := T(math.Inf(-1)), -1
		for _, off := range offs {
			if v := in[off]; v > best || bi < 0 {
				best, bi = v, off
			}
		}
		y[o] = best
		if argmax != nil {
			if bi >= 0 {
				bi += o / outSize * inSize
			}
			argmax[o] = bi
		}
	})
}

// AvgPoolND writes the window means of x (N×C×D1×…×Dk) into y. The divisor
// counts the taps inside the input or, with countIncludePad, inside the
// input extended by its pads (taps past the pads, which ceil rounding can
// create, never count). A window with no counted tap yields 0.
func AvgPoolND[T Float](p WindowParams, countIncludePad bool, x, y []T) {
	poolND(&p, x, func(in []T, o int, offs []int, padded int) {
		var sum T
		for _, off := range offs {
			sum += in[off]
		}
		count := len(offs)
		if countIncludePad {
			count = padded
		}
		if count == 0 {
			y[o] = 0
		} else {
			y[o] = sum / T(count)
		}
	})
}
