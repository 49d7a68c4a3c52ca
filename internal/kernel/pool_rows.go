package kernel

import "math"

// poolInputRows returns the rows [r0, r1) of a plane that the windows of
// the output rows [a, b) of p read (clipped to the plane; r1 ≤ r0 when
// they all lie in the padding).
func poolInputRows(p *PoolParams, a, b int) (r0, r1 int) {
	r0 = max(0, a*p.StrideH-p.PadTop)
	r1 = min(p.H, (b-1)*p.StrideH-p.PadTop+(p.KH-1)*p.DilH+1)
	return r0, r1
}

// maxPoolBand is MaxPool2D without argmax of the output rows [a, b) of
// planes planes of p: in holds each plane's rows poolInputRows(p, a, b)
// (W floats each, one after another), ldx floats from one plane's to the
// next's, and out receives each plane's (b-a)·OutW outputs, ldy floats
// apart. Each band is pooled as a plane of its own whose top padding is
// what the first window has above it (windows past the band's last row
// are past the plane's, padding either way). It lets a worker pool rows
// of a convolution's output as soon as it has computed them.
func maxPoolBand[T Float](p *PoolParams, in []T, ldx, planes int, out []T, ldy, a, b int) {
	if a >= b || planes <= 0 {
		return
	}
	r0, r1 := poolInputRows(p, a, b)
	if r1 <= r0 {
		// Every window lies in the padding.
		for pl := 0; pl < planes; pl++ {
			o := out[pl*ldy:][:(b-a)*p.OutW]
			for i := range o {
				o[i] = T(math.Inf(-1))
			}
		}
		return
	}
	q := *p
	q.N, q.C, q.OutH = 1, planes, b-a
	q.H, q.PadTop = r1-r0, r0-(a*p.StrideH-p.PadTop)
	l := maxPoolLoop[T]{p: q, x: in, y: out, ldx: ldx, ldy: ldy}
	l.run(0, 0, planes)
}

// maxPoolByRows is MaxPool2D without argmax split across the workers by
// output rows, every worker pooling all planes' rows [a, b): after a
// convolution that split its output pixels the same way (one image, by
// columns), each worker reads the rows it wrote, not the other core's.
func maxPoolByRows[T Float](p PoolParams, x, y []T) {
	l := getLoop[maxPoolRowsLoop[T]]()
	*l = maxPoolRowsLoop[T]{p: p, x: x, y: y}
	parallelRunFor(p.OutH, len(x), l)
	putLoop(l)
}

// maxPoolRowsLoop is the body of maxPoolByRows: a range of output rows.
type maxPoolRowsLoop[T Float] struct {
	p    PoolParams
	x, y []T
}

func (l *maxPoolRowsLoop[T]) run(_, a, b int) {
	p := &l.p
	r0, _ := poolInputRows(p, a, b)
	hw, ohw := p.H*p.W, p.OutH*p.OutW
	maxPoolBand(p, l.x[r0*p.W:], hw, p.N*p.C, l.y[a*p.OutW:], ohw, a, b)
}
