package kernel

// A convolution of one image followed by a max pool whose product packs
// from the image (ResNet's and Inception's 7×7/2 stems, read from phase
// planes; stride-1 "same" convolutions) is computed band by band as the
// direct kernel's (convDirectPool): each worker computes, into its scratch
// space, the columns of the product (output rows) that one band of pooled
// rows reads, with the bias and Relu in the tiles' epilogue, and pools them
// there; the convolution's output (3 MiB for a stem) never goes out to
// memory and back.

// convPoolBandsFor reports whether Conv2DPool runs p and pool band by
// band through the product (convPoolBands): float32, one image, an
// output larger than a band, no depthwise, direct or Winograd path, one
// group, the kernel packed, a bias (the tile epilogue adds it), and a
// product that packs from the image with output rows as long as the
// packed ones.
func convPoolBandsFor(p *ConvParams, pw *ConvWeights, pool *PoolParams, hasBias bool) bool {
	oh, ow := p.OutH(), p.OutW()
	if p.N != 1 || pool.N != 1 || pool.C != p.M || pool.H != oh || pool.W != ow || pool.OutH <= 0 || pool.OutW <= 0 ||
		4*p.M*oh*ow <= convPoolBandBytes || IsDepthwise(*p) || canConvDirect(p) || winogradFor(p, pw) != nil ||
		p.Group != 1 || !tileEpilogues || !hasBias || len(pw.usable(p)) != 1 {
		return false
	}
	flat, _ := canPackFromImage(p)
	return flat
}

// convPoolBands computes Conv2DPool of one image (convPoolBandsFor) band
// by band.
func convPoolBands(p *ConvParams, x []float32, pw *ConvWeights, b []float32, pool *PoolParams, y []float32) {
	if packsFromPhases(p) {
		buf := getScratch[float32](len(x))
		toPhases(p, x, *buf)
		defer putScratch(buf)
		x = *buf
	}
	rows := poolBandRows(p, pool)
	l := getLoop[convPoolLoop]()
	*l = convPoolLoop{p: *p, pool: *pool, x: x, b: b, y: y, pa: &pw.usable(p)[0], rows: rows}
	parallelRun((pool.OutH+rows-1)/rows, l)
	putLoop(l)
}

// convPoolLoop is convPoolBands's body: a range of bands of pooled rows.
type convPoolLoop struct {
	p       ConvParams
	pool    PoolParams
	x, b, y []float32
	pa      *packedA
	rows    int
}

func (l *convPoolLoop) run(_, lo, hi int) {
	p, pool := &l.p, &l.pool
	ow := p.OutW()
	pohw := pool.OutH * pool.OutW
	span := (pool.KH-1)*pool.DilH + 1
	most := ((l.rows-1)*pool.StrideH+span)*ow + 16 // columns of a band, from a multiple of 16
	bandBuf := getScratch[float32](p.M * most)
	defer putScratch(bandBuf)
	for u := lo; u < hi; u++ {
		a, e := u*l.rows, min((u+1)*l.rows, pool.OutH)
		r0, r1 := poolInputRows(pool, a, e)
		if r1 <= r0 {
			maxPoolBand(pool, nil, 0, p.M, l.y[a*pool.OutW:], pohw, a, e)
			continue
		}
		j0, j1 := r0*ow, r1*ow
		js := j0 &^ 15 // the image's panels start at multiples of 16
		nb := j1 - js
		band := (*bandBuf)[:p.M*nb]
		ep := &tileEpilogue{bias: l.b[:p.M], ld: nb, relu: p.Relu}
		convProduct(p, l.x, nil, l.pa, 0, 0, p.M, js, nb, 0, band, nb, ep)
		if p.Act.Kind != ActNone {
			for m := 0; m < p.M; m++ {
				ApplyActivation(p.Act, band[m*nb+j0-js:][:j1-j0])
			}
		}
		maxPoolBand(pool, band[j0-js:], nb, p.M, l.y[a*pool.OutW:], pohw, a, e)
	}
}

// convPoolBandBytes bounds the convolution output of one band of
// convDirectPool and convPoolBands.
const convPoolBandBytes = 256 << 10

// poolBandRows returns how many pooled rows a band of convDirectPool or
// convPoolBands holds: as many as fit in convPoolBandBytes of convolution
// rows, in a whole number of bands per worker.
func poolBandRows(p *ConvParams, pool *PoolParams) int {
	rowBytes := 4 * p.M * p.OutW()
	span := (pool.KH-1)*pool.DilH + 1
	rows := max(1, (convPoolBandBytes/rowBytes-span)/pool.StrideH+1)
	workers := workerCount(pool.OutH)
	bands := roundUp(max((pool.OutH+rows-1)/rows, workers), workers)
	return (pool.OutH + bands - 1) / bands
}
