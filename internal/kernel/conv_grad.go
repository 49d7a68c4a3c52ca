package kernel

import "sync/atomic"

// The gradient of a convolution with respect to its input, computed as a
// forward convolution (so that it runs the forward path's products, packed
// from the image, rather than a product with K = M and a col2im scatter).

// convDataAsConv reports whether the input gradient of p is computed by
// convBackwardData: one group, stride and dilation 1, and every pad smaller
// than the kernel (so that the flipped convolution's pads are not
// negative); and at least convDataMinC input channels, the rows of that
// convolution's product (with fewer, a product with K = M and col2im is
// faster).
func convDataAsConv(p *ConvParams) bool {
	return p.Group == 1 && p.C >= convDataMinC && p.StrideH == 1 && p.StrideW == 1 && p.DilH == 1 && p.DilW == 1 &&
		p.PadTop >= 0 && p.PadBottom >= 0 && p.PadLeft >= 0 && p.PadRight >= 0 &&
		p.PadTop < p.KH && p.PadBottom < p.KH && p.PadLeft < p.KW && p.PadRight < p.KW &&
		p.OutH() > 0 && p.OutW() > 0
}

// convDataMinC is the fewest input channels for which convDataAsConv holds.
const convDataMinC = 8

// convBackwardData computes dx (N×C×H×W, overwritten) from dy (N×M×OH×OW)
// for a convolution accepted by convDataAsConv: dx is the convolution of dy
// with the kernel's input and output channels swapped and its taps
// reversed (C×M×KH×KW), with pads KH-1-pad (KW-1-pad) on each border, whose
// output is exactly H×W at stride 1.
func convBackwardData[T Float](p ConvParams, w, dy, dx []T) {
	kk := p.KH * p.KW
	buf := getScratch[T](p.C * p.M * kk)
	wf := *buf
	for m := 0; m < p.M; m++ {
		for c := 0; c < p.C; c++ {
			src := w[(m*p.C+c)*kk : (m*p.C+c+1)*kk]
			dst := wf[(c*p.M+m)*kk : (c*p.M+m+1)*kk]
			for i, v := range src {
				dst[kk-1-i] = v
			}
		}
	}
	q := ConvParams{
		N: p.N, C: p.M, H: p.OutH(), W: p.OutW(), M: p.C, KH: p.KH, KW: p.KW,
		PadTop: p.KH - 1 - p.PadTop, PadBottom: p.KH - 1 - p.PadBottom,
		PadLeft: p.KW - 1 - p.PadLeft, PadRight: p.KW - 1 - p.PadRight,
		StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 1,
	}
	Conv2D(q, dy, wf, nil, dx)
	putScratch(buf)
}

// convFilterBlock is the number of images whose kernel gradients one part
// of convBackwardFilter sums: the parts are taken by whichever worker is
// free (a worker the machine deschedules holds up no more than a part),
// and are added up in a fixed order, so the result does not depend on
// which worker ran which part.
const convFilterBlock = 8

// convBackwardFilter computes dw (like the kernel, overwritten) from x and
// dy: dW_g = Σ_n dY_n,g · col_n,gᵀ, with col the im2col matrix of image n.
func convBackwardFilter[T Float](p ConvParams, x, dy, dw []T) {
	ohw := p.OutH() * p.OutW()
	mg, rows := p.M/p.Group, p.colRows()
	size := p.M * rows
	parts := (p.N + convFilterBlock - 1) / convFilterBlock
	dw = dw[:size]
	if parts == 0 || ohw == 0 {
		clear(dw)
		return
	}
	// Part 0 sums into dw, the others into sums[(part-1)·size:].
	var sumsBuf *[]T
	var sums []T
	if parts > 1 {
		sumsBuf = getScratch[T]((parts - 1) * size)
		sums = *sumsBuf
	}
	var next atomic.Int32
	workers := workerCount(parts)
	parallelFor(workers, func(_, _, _ int) {
		buf := getScratch[T](rows * ohw)
		col := *buf
		for {
			part := int(next.Add(1)) - 1
			if part >= parts {
				break
			}
			acc := dw
			if part > 0 {
				acc = sums[(part-1)*size : part*size]
			}
			clear(acc)
			for n := part * convFilterBlock; n < min((part+1)*convFilterBlock, p.N); n++ {
				xn := x[n*p.C*p.H*p.W : (n+1)*p.C*p.H*p.W]
				dyn := dy[n*p.M*ohw : (n+1)*p.M*ohw]
				for g := 0; g < p.Group; g++ {
					im2col(&p, xn, g*(p.C/p.Group), col)
					// dW_g += dY_g · colᵀ
					gemmSerial(false, true, mg, rows, ohw, dyn[g*mg*ohw:], ohw, col, ohw, 1, acc[g*mg*rows:], rows)
				}
			}
		}
		putScratch(buf)
	})
	for part := 1; part < parts; part++ {
		for i, v := range sums[(part-1)*size : part*size] {
			dw[i] += v
		}
	}
	if sumsBuf != nil {
		putScratch(sumsBuf)
	}
}

// gemmSerial is Gemm with alpha 1 on the calling goroutine: for products
// that workers already run side by side (Gemm would split a large one
// when no other product is in flight at that moment).
func gemmSerial[T Float](transA, transB bool, m, n, k int, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	a32, ok := any(a).([]float32)
	if !ok || !sgemmFast || m == 0 || n == 0 || k == 0 || m*n*k <= sgemmSmallMACs {
		Gemm(transA, transB, m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
		return
	}
	ra, ca, rb, cb := m, k, k, n
	if transA {
		ra, ca = k, m
	}
	if transB {
		rb, cb = n, k
	}
	checkMatrix("A", ra, ca, len(a), lda)
	checkMatrix("B", rb, cb, len(b), ldb)
	checkMatrix("C", m, n, len(c), ldc)
	bufs := getSgemmBufs()
	sgemmSerial(bufs, sgemmImpl, transA, transB, m, n, k, 1, a32, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	sgemmPool.put(bufs)
}

// convBackwardBias computes db (m elements, overwritten), the sums of the
// planes of dy (n×m×hw) by channel. Split by channel, each worker adds the
// images' planes of its channels element-wise (vector adds) into scratch,
// in image order, then sums each channel's plane: a fixed order, so the
// result does not depend on the split.
func convBackwardBias[T Float](n, m, hw int, dy, db []T) {
	if n == 0 || hw == 0 {
		clear(db[:m])
		return
	}
	parallelFor(m, func(_, lo, hi int) {
		size := (hi - lo) * hw
		buf := getScratch[T](size)
		acc := *buf
		copy(acc, dy[lo*hw:lo*hw+size])
		for i := 1; i < n; i++ {
			addRows(acc, dy[(i*m+lo)*hw:], size, 1, size, size)
		}
		for c := lo; c < hi; c++ {
			db[c] = sum(acc[(c-lo)*hw : (c-lo+1)*hw])
		}
		putScratch(buf)
	})
}
