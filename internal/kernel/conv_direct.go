package kernel

// Direct convolution for inputs with few channels, as the first layer of
// an MNIST CNN has (one channel, 3×3 to 5×5 kernels): there, the im2col
// matrix has only C·KH·KW (9 to 25) rows, so the GEMM spends more on
// packing it and on loading and storing its output tiles than on
// multiply-adds. The direct kernel copies the receptive rows of the input
// with their zero padding once and computes eight output channels at a
// time, eight pixels per vector, every tap a broadcast weight times a
// shifted row of the padded input: no im2col matrix and no tile stores
// beyond the output itself.

// convDirectMaxTaps is the largest C·KH·KW the direct path takes: the
// im2col GEMM wins once its depth amortizes the packing.
const convDirectMaxTaps = 32

// convDirectSlack is how many floats past a row's last pixel the row
// kernels may read: up to the next whole vector.
const convDirectSlack = 16

// canConvDirect reports whether Conv2DPacked runs p as a direct
// convolution: float32 on a CPU with the AVX2 row kernel, one group,
// stride 1 or 2 (the same along both axes), dilation 1, a multiple of 8
// output channels and at most convDirectMaxTaps taps. An activation
// other than Relu (MobileNetV3's HardSwish) is applied to each block of
// output rows once computed.
func canConvDirect(p *ConvParams) bool {
	return convDirectAVX2 && p.Group == 1 && p.StrideH == p.StrideW && (p.StrideH == 1 || p.StrideH == 2) && p.DilH == 1 && p.DilW == 1 &&
		p.M >= 8 && p.M%8 == 0 && p.C >= 1 && p.KH >= 1 && p.KW >= 1 &&
		p.C*p.KH*p.KW <= convDirectMaxTaps && p.PadTop >= 0 && p.PadLeft >= 0 && p.PadBottom >= 0 && p.PadRight >= 0 &&
		p.OutH() > 0 && p.OutW() > 0
}

// convDirect computes the convolution p (canConvDirect) of x with the
// kernel w and bias b (nil: none) into y, parallel over images and, when
// there are fewer images than twice the workers, over blocks of output
// rows. With pool (pools2x2), y is the output's 2×2, stride-2 max pool:
// each pair of output rows is computed into scratch rows and pooled from
// there, in the worker's L1 cache. At stride 2 each padded input row is
// stored as its even columns then its odd ones, so that every tap still
// reads consecutive floats for consecutive output pixels (the first
// layers of SqueezeNet, MobileNet and UltraFace: 3 channels, 3×3,
// stride 2).
func convDirect(p ConvParams, x, w, b, y []float32, pool bool) {
	l := getLoop[convDirectLoop]()
	*l = convDirectLoop{p: p, x: x, y: y, pool: pool}
	oh := p.OutH()
	chunks := 1
	if workers := workerCount(p.N * oh); p.N < 2*workers {
		chunks = min(oh, (2*workers+p.N-1)/p.N)
	}
	l.rows = (oh + chunks - 1) / chunks
	if pool {
		l.rows = roundUp(l.rows, 2) // whole pairs of rows
	}
	l.chunks = (oh + l.rows - 1) / l.rows
	l.runAll(w, b)
}

// convDirectPool is convDirect of one image followed by pool, band by
// band: each unit of the loop computes the output rows that one band of
// pooled rows reads into scratch rows, and pools them from there, so that
// the convolution's output never leaves the worker's caches.
func convDirectPool(p ConvParams, x, w, b []float32, pool PoolParams, y []float32) {
	rows := poolBandRows(&p, &pool)
	l := getLoop[convDirectLoop]()
	*l = convDirectLoop{p: p, x: x, y: y, band: true, bandPool: pool, poolRows: rows}
	l.rows = (rows-1)*pool.StrideH + (pool.KH-1)*pool.DilH + 1 // the most convolution rows of a unit
	l.chunks = (pool.OutH + rows - 1) / rows
	l.runAll(w, b)
}

// runAll regroups the kernel w and bias b (nil: none) for the row
// kernel and runs the loop l over every unit of every image.
func (l *convDirectLoop) runAll(w, b []float32) {
	p := &l.p
	taps := p.C * p.KH * p.KW
	// The kernel regrouped as [M/8][taps][8]: the eight weights of a tap
	// that one row call broadcasts, side by side.
	wb := getScratch[float32](p.M*taps + p.M)
	defer putScratch(wb)
	wg, bias := (*wb)[:p.M*taps], (*wb)[p.M*taps:]
	for m := 0; m < p.M; m++ {
		g, i := m/8, m%8
		for t := 0; t < taps; t++ {
			wg[(g*taps+t)*8+i] = w[m*taps+t]
		}
	}
	if b != nil {
		copy(bias, b[:p.M])
	} else {
		clear(bias)
	}
	l.w, l.b = wg, bias
	parallelRun(p.N*l.chunks, l)
	putLoop(l)
}

// convDirectLoop is the body of convDirect: a range of (image, block of
// output rows) units.
type convDirectLoop struct {
	p            ConvParams
	x, w, b, y   []float32
	rows, chunks int // output rows per unit (the most, with band), units per image
	pool         bool
	// With band, y is the output pooled by bandPool and a unit is a band
	// of poolRows pooled rows (convDirectPool).
	band     bool
	bandPool PoolParams
	poolRows int
}

func (l *convDirectLoop) run(_, lo, hi int) {
	p := &l.p
	oh, ow := p.OutH(), p.OutW()
	st := p.StrideH
	wp := p.W + p.PadLeft + p.PadRight
	half := 0 // stride 2: where a row's odd columns start
	if st == 2 {
		half = (wp + 1) / 2
	}
	taps := p.C * p.KH * p.KW
	var offs [convDirectMaxTaps]int64
	buf := getScratch[float32](p.C*((l.rows-1)*st+p.KH)*wp + 2*convDirectSlack)
	defer putScratch(buf)
	var pair []float32 // with l.pool, two output rows of every channel
	if l.pool {
		pb := getScratch[float32](p.M * 2 * ow)
		defer putScratch(pb)
		pair = *pb
	}
	var band []float32 // with l.band, the convolution rows of a unit
	if l.band {
		bb := getScratch[float32](p.M * l.rows * ow)
		defer putScratch(bb)
		band = *bb
	}
	for u := lo; u < hi; u++ {
		n, r0 := u/l.chunks, u%l.chunks*l.rows
		r1 := min(r0+l.rows, oh)
		var a, e int // with l.band, the unit's pooled rows
		if l.band {
			bp := &l.bandPool
			a, e = u%l.chunks*l.poolRows, min((u%l.chunks+1)*l.poolRows, bp.OutH)
			r0, r1 = poolInputRows(bp, a, e)
			if r1 <= r0 { // every window in the padding
				pohw := bp.OutH * bp.OutW
				maxPoolBand(bp, nil, 0, p.M, l.y[n*p.M*pohw+a*bp.OutW:], pohw, a, e)
				continue
			}
		}
		// The padded input rows [st·r0, st·(r1-1)+KH) of every channel: r
		// rows of wp floats per channel, then the slack that the last
		// vector of a row may read.
		r := (r1-r0-1)*st + p.KH
		plane := r * wp
		xp := (*buf)[:p.C*plane+2*convDirectSlack]
		clear(xp)
		for c := 0; c < p.C; c++ {
			xc := l.x[(n*p.C+c)*p.H*p.W:][:p.H*p.W]
			for i := 0; i < r; i++ {
				ih := st*r0 + i - p.PadTop
				if ih < 0 || ih >= p.H {
					continue
				}
				row, dst := xc[ih*p.W:(ih+1)*p.W], xp[c*plane+i*wp:][:wp]
				if st == 1 {
					copy(dst[p.PadLeft:], row)
					continue
				}
				// Padded column q = iw + PadLeft goes to q/2 of the even
				// or the odd half.
				even, odd := dst[:half], dst[half:]
				a := p.PadLeft
				lo, hi := even[a/2:], odd[a/2:] // where x[0] and x[1] go
				if a%2 == 1 {
					lo, hi = odd[(a-1)/2:], even[(a+1)/2:]
				}
				pairs := p.W / 2
				deinterleave(lo[:pairs], hi[:pairs], row[:2*pairs])
				if p.W%2 == 1 {
					lo[pairs] = row[p.W-1]
				}
			}
		}
		t := 0
		for c := 0; c < p.C; c++ {
			for kh := 0; kh < p.KH; kh++ {
				for kw := 0; kw < p.KW; kw++ {
					col := kw
					if st == 2 {
						col = kw%2*half + kw/2
					}
					offs[t] = int64(4 * (c*plane + kh*wp + col))
					t++
				}
			}
		}
		if l.pool {
			ow2, ohw2 := ow/2, oh/2*(ow/2)
			yn := l.y[n*p.M*ohw2 : (n+1)*p.M*ohw2]
			for o := r0; o < r1; o += 2 {
				for k := 0; k < 2; k++ {
					xr := xp[(o+k-r0)*st*wp:]
					for g := 0; g < p.M/8; g++ {
						yr := pair[g*16*ow+k*ow:]
						convDirect8(xr, offs[:taps], l.w[g*taps*8:(g+1)*taps*8], l.b[g*8:g*8+8], yr[:14*ow+ow], 2*ow, ow, p.Relu)
					}
				}
				maxPool2x2RowsStrided32(pair, yn[o/2*ow2:], ow, ow2, p.M, 2*ow, ohw2)
			}
			continue
		}
		if l.band {
			bp := &l.bandPool
			ld := (r1 - r0) * ow
			for o := r0; o < r1; o++ {
				xr := xp[(o-r0)*st*wp:]
				for g := 0; g < p.M/8; g++ {
					yr := band[g*8*ld+(o-r0)*ow:]
					convDirect8(xr, offs[:taps], l.w[g*taps*8:(g+1)*taps*8], l.b[g*8:g*8+8], yr[:7*ld+ow], ld, ow, p.Relu)
				}
			}
			if p.Act.Kind != ActNone {
				for m := 0; m < p.M; m++ {
					ApplyActivation(p.Act, band[m*ld:(m+1)*ld])
				}
			}
			pohw := bp.OutH * bp.OutW
			maxPoolBand(bp, band, ld, p.M, l.y[n*p.M*pohw+a*bp.OutW:], pohw, a, e)
			continue
		}
		yn := l.y[n*p.M*oh*ow : (n+1)*p.M*oh*ow]
		for o := r0; o < r1; o++ {
			xr := xp[(o-r0)*st*wp:]
			for g := 0; g < p.M/8; g++ {
				yr := yn[g*8*oh*ow+o*ow:]
				convDirect8(xr, offs[:taps], l.w[g*taps*8:(g+1)*taps*8], l.b[g*8:g*8+8], yr[:7*oh*ow+ow], oh*ow, ow, p.Relu)
			}
		}
		if p.Act.Kind != ActNone {
			for m := 0; m < p.M; m++ {
				ApplyActivation(p.Act, yn[m*oh*ow+r0*ow:m*oh*ow+r1*ow])
			}
		}
	}
}
