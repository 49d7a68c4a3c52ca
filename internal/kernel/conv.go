package kernel

import (
	"math"
	"unsafe"
)

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
	// Relu applies max(·, 0) to the output as it is computed: the
	// convolution and a Relu after it in one pass (forward only).
	Relu bool
	// Act is applied to the output as it is computed, after the Relu
	// (forward only; ActNone for none).
	Act Activation
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

// im2colRange is im2col for the channels c0+[cLo, cHi) of the group,
// writing only their rows of col.
func im2colRange[T Float](p *ConvParams, x []T, c0, cLo, cHi int, col []T) {
	oh, ow := p.OutH(), p.OutW()
	flat := p.StrideW == 1 && p.StrideH == 1 && ow == p.W
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
				if ylo == yhi {
					continue
				}
				if flat {
					// Output rows as long as input rows, read at stride 1:
					// the valid block is one contiguous run of the input,
					// except that it wraps around from the end of one row
					// to the start of the next where the kernel overhangs
					// a side, which clearWraps then clears.
					src := plane[(ih0+ylo)*p.W+iw0+lo:]
					n := (yhi-1-ylo)*ow + hi - lo
					copy(row[ylo*ow+lo:][:n], src[:n])
					clearWraps(row, 0, ylo*ow, yhi*ow, ow, lo, hi)
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
				if p.StrideW == 1 {
					src := plane[(ih0+ylo*p.StrideH)*p.W+iw0+lo:]
					copyRows(row[ylo*ow+lo:], src, hi-lo, yhi-ylo, ow, p.StrideH*p.W)
					continue
				}
				src := plane[(ih0+ylo*p.StrideH)*p.W+iw0+lo*p.StrideW:]
				gatherStridedRows(row[ylo*ow+lo:], ow, src, p.StrideH*p.W, hi-lo, yhi-ylo, p.StrideW)
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
// one image gradient dx, the adjoint of im2col. It may clear the entries
// of col that fall into padding.
func col2im[T Float](p *ConvParams, col []T, c0 int, dx []T) {
	oh, ow := p.OutH(), p.OutW()
	cg := p.C / p.Group
	flat := p.StrideW == 1 && p.StrideH == 1 && ow == p.W
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
				if flat {
					// As in im2col: one run, once the entries that would
					// wrap around into the neighbouring input rows (the
					// side pads) are zero.
					clearWraps(row, 0, ylo*ow, yhi*ow, ow, lo, hi)
					n := (yhi-1-ylo)*ow + hi - lo
					addRows(plane[(ih0+ylo)*p.W+iw0+lo:], row[ylo*ow+lo:], n, 1, 0, 0)
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
	Conv2DPacked(p, x, w, nil, b, y)
}

// ConvWeights is a convolution kernel (M×(C/group·KH·KW)) packed once for
// the GEMM, a matrix per group, so that the runs of a model with constant
// weights skip packing them: a product at batch 1 otherwise packs them
// again in every worker for every block of output pixels (and a grouped
// convolution, as in ShuffleNet, for every group). A 3×3 kernel at stride
// 1 also gets its Winograd transforms (winograd.go), at the first run that
// takes that path. Safe for concurrent use.
type ConvWeights struct {
	groups []packedA
	wino   winoWeights
}

// PackConvWeights packs w, the kernel of the convolutions p describes
// (M×(C/Group)×KH×KW, row-major; p's N, H, W and pads do not matter), for
// Conv2DPacked: the (M/Group)×(C/Group·KH·KW) matrix of each group, and
// the Winograd transforms of an ungrouped 3×3 kernel at stride 1. It
// returns nil when this process runs no packed GEMM.
func PackConvWeights(p ConvParams, w []float32) *ConvWeights {
	m, k, group := p.M, p.colRows(), p.Group
	if !sgemmFast || m <= 0 || k <= 0 || group <= 0 || m%group != 0 || p.C%group != 0 {
		return nil
	}
	checkMatrix("W", m, k, len(w), k)
	mg := m / group
	pw := &ConvWeights{groups: make([]packedA, group)}
	for g := range pw.groups {
		pw.groups[g] = packA(nil, mg, k, w[g*mg*k:], k)
	}
	pw.wino.init(&p, w)
	return pw
}

// usable returns the packed kernels (one per group) when they serve p in
// this process (the routine set they were packed for still runs), else
// nil.
func (pw *ConvWeights) usable(p *ConvParams) []packedA {
	if pw == nil || !sgemmFast || len(pw.groups) != p.Group || p.Group == 0 {
		return nil
	}
	if pa := &pw.groups[0]; pa.arch != sgemmImpl || pa.m != p.M/p.Group || pa.k != p.colRows() {
		return nil
	}
	return pw.groups
}

// convPoolChunkBytes bounds the convolution output that Conv2DPool keeps
// for a chunk of images before pooling it: about what the cores' L2
// caches hold together.
const convPoolChunkBytes = 1 << 20

// pools2x2 reports whether a convolution p's direct and Winograd paths
// can fuse pool, a max pool of its output: a 2×2 window at stride 2
// without padding over an output of even height and width (the windows
// are then the Winograd tiles, and pairs of output rows), and no
// activation but a Relu (which a max commutes with).
func pools2x2(p *ConvParams, pool *PoolParams) bool {
	oh, ow := p.OutH(), p.OutW()
	return pool.KH == 2 && pool.KW == 2 && pool.StrideH == 2 && pool.StrideW == 2 && pool.DilH == 1 && pool.DilW == 1 &&
		pool.PadTop == 0 && pool.PadLeft == 0 && pool.PadBottom == 0 && pool.PadRight == 0 &&
		oh > 0 && ow > 0 && oh%2 == 0 && ow%2 == 0 && pool.N == p.N && pool.C == p.M && pool.H == oh && pool.W == ow &&
		pool.OutH == oh/2 && pool.OutW == ow/2 && p.Act.Kind == ActNone
}

// Conv2DPool is Conv2DPacked followed by MaxPool2D with pool (whose N, C,
// H and W are the convolution's output's) into y, the pooled output,
// without the convolution's output going out to memory and back: pooled
// in the direct and Winograd paths' last step (pools2x2), or by each
// worker right after each image it computes (convImagesPool), or else in
// chunks of images whose convolution output fits in the cores' caches.
func Conv2DPool[T Float](p ConvParams, x, w []T, pw *ConvWeights, b []T, pool PoolParams, y []T) {
	per := p.M * p.OutH() * p.OutW() // convolution outputs per image
	if per == 0 || p.N == 0 {
		return
	}
	if x32, ok := any(x).([]float32); ok && pools2x2(&p, &pool) {
		var b32 []float32
		if b != nil {
			b32 = any(b).([]float32)
		}
		if !IsDepthwise(p) && canConvDirect(&p) && poolAVX512 {
			// The pool fused into the direct convolution, two output
			// rows at a time.
			convDirect(p, x32, any(w).([]float32), b32, any(y).([]float32), true)
			return
		}
		if u := winogradFor(&p, pw); u != nil {
			// The pool fused into the Winograd output transform.
			convWinograd(&p, x32, b32, any(y).([]float32), u, true)
			return
		}
	}
	if x32, ok := any(x).([]float32); ok && convPoolBandsFor(&p, pw, &pool, b != nil) {
		// One image through a product packing from it: band by band too.
		convPoolBands(&p, x32, pw, any(b).([]float32), &pool, any(y).([]float32))
		return
	}
	if x32, ok := any(x).([]float32); ok && p.N == 1 && !IsDepthwise(p) && canConvDirect(&p) {
		// One image: computed and pooled band by band.
		var b32 []float32
		if b != nil {
			b32 = any(b).([]float32)
		}
		convDirectPool(p, x32, any(w).([]float32), b32, pool, any(y).([]float32))
		return
	}
	if convImagesPool(&p, pw) {
		var pas []packedA
		if _, ok := any(w).([]float32); ok {
			pas = pw.usable(&p)
		}
		convImages(p, x, w, pas, b, &pool, y)
		return
	}
	chw, pout := p.C*p.H*p.W, pool.C*pool.OutH*pool.OutW
	// An image that the convolution splits across the workers by output
	// rows is pooled split the same way: each worker then reads the rows
	// it wrote (in its caches), not the other cores' (resnet18's stem and
	// pool 1.64-1.72 → 1.48-1.57 ms).
	rowsSplit := splitsByRows(&p, pw)
	chunk := convPoolChunkBytes / (per * int(unsafe.Sizeof(T(0))))
	chunk = min(p.N, max(chunk, workerCount(math.MaxInt), 1))
	buf := getScratch[T](chunk * per)
	for n0 := 0; n0 < p.N; n0 += chunk {
		k := min(chunk, p.N-n0)
		pc, qc := p, pool
		pc.N, qc.N = k, k
		Conv2DPacked(pc, x[n0*chw:(n0+k)*chw], w, pw, b, (*buf)[:k*per])
		if k == 1 && rowsSplit {
			maxPoolByRows(qc, (*buf)[:per], y[n0*pout:(n0+1)*pout])
			continue
		}
		MaxPool2D(qc, (*buf)[:k*per], y[n0*pout:(n0+k)*pout], nil)
	}
	putScratch(buf)
}

// convImagesPool reports whether Conv2DPool hands p to convImages with
// its pool: when Conv2DPacked would run p image by image (at least one
// image per worker, no depthwise, direct, Winograd or phase-plane path).
func convImagesPool(p *ConvParams, pw *ConvWeights) bool {
	_, fromImage := canPackFromImage(p)
	return p.N >= workerCount(math.MaxInt) && !IsDepthwise(*p) && !canConvDirect(p) &&
		winogradFor(p, pw) == nil && !(packsFromPhases(p) && fromImage)
}

// splitsByRows reports whether Conv2DPacked splits the one image of p
// across the workers by output pixels (conv2DFew by columns), not by
// Winograd tiles (handed out as the workers come), planes (depthwise) or
// channels. (Conv2DPool pools the direct kernel's one image band by band
// before it asks.)
func splitsByRows(p *ConvParams, pw *ConvWeights) bool {
	if p.N != 1 || workerCount(math.MaxInt) < 2 || IsDepthwise(*p) || canConvDirect(p) {
		return false
	}
	ohw := p.OutH() * p.OutW()
	tiles := (ohw + convColumnTile - 1) / convColumnTile
	return winogradFor(p, pw) == nil && p.M*ohw*p.colRows() >= convFewMinMACs && !splitByChannels(p, tiles)
}

// Conv2DPacked is Conv2D with the kernel w also given packed (pw, from
// PackConvWeights on w; nil to pack it here as needed). Only float32 runs
// use pw.
func Conv2DPacked[T Float](p ConvParams, x, w []T, pw *ConvWeights, b, y []T) {
	if IsDepthwise(p) && p.H > 0 && p.W > 0 {
		// The stencil (whole vectors over padded planes, planes split
		// across the workers) beats im2col and a GEMM per channel at
		// every batch size.
		DepthwiseConv2D(p, x, w, b, y)
		return
	}
	if p.Group == 1 && isPointwise(&p) && p.H == 1 && p.W == 1 && p.M > 0 && p.C > 0 && p.N > 0 {
		// 1×1 images (squeeze-excitation): for one image the kernel times
		// a vector, for several (N×C) times the kernel's transpose.
		if p.N == 1 {
			matVec(p.M, p.C, w, p.C, x, y)
		} else {
			Gemm(false, true, p.N, p.M, p.C, 1, x, p.C, w, p.C, 0, y, p.M)
		}
		out := y[:p.N*p.M]
		if b != nil {
			for i := range out {
				out[i] += b[i%p.M]
			}
		}
		if p.Relu {
			relu(out, out)
		}
		ApplyActivation(p.Act, out)
		return
	}
	if x32, ok := any(x).([]float32); ok && canConvDirect(&p) {
		// Few input channels (conv_direct.go).
		convDirect(p, x32, any(w).([]float32), any(b).([]float32), any(y).([]float32), false)
		return
	}
	if x32, ok := any(x).([]float32); ok {
		if u := winogradFor(&p, pw); u != nil {
			// 3×3 at stride 1: 2.25 times fewer multiply-adds.
			var b32 []float32
			if b != nil {
				b32 = any(b).([]float32)
			}
			convWinograd(&p, x32, b32, any(y).([]float32), u, false)
			return
		}
	}
	if x32, ok := any(x).([]float32); ok && packsFromPhases(&p) {
		if _, ok := canPackFromImage(&p); ok {
			// Stride 2: the products read the image's phase planes.
			buf := getScratch[float32](len(x32))
			toPhases(&p, x32, *buf)
			defer putScratch(buf)
			x = any(*buf).([]T)
		}
	}
	var pas []packedA
	if _, ok := any(w).([]float32); ok {
		pas = pw.usable(&p)
	}
	if p.N < workerCount(math.MaxInt) {
		// Fewer images than workers (batch 1): the images run one after
		// another, each split by output columns across the workers.
		conv2DFew(p, x, w, b, y, pas, nil)
		return
	}
	convImages(p, x, w, pas, b, nil, y)
}

// Conv2DPackedResidual is Conv2DPacked with res (y's shape) added to the
// convolution's output before p's Relu and activation: a convolution, a
// residual Add (a ResNet's skip connection) and the Relu after it in one
// step. At batch 1, a 1×1 convolution with packed weights and a bias adds
// res to each tile as it is computed (tileEpilogue); otherwise res is
// added after the convolution, with the Relu in the same pass.
func Conv2DPackedResidual(p ConvParams, x, w []float32, pw *ConvWeights, b, res, y []float32) {
	res = res[:len(y)]
	if flat, fromImage := canPackFromImage(&p); tileEpilogues && b != nil && p.Group == 1 && isPointwise(&p) && (flat || !fromImage) &&
		!canConvDirect(&p) && p.N < workerCount(math.MaxInt) {
		if pas := pw.usable(&p); len(pas) == 1 {
			conv2DFew(p, x, w, b, y, pas, res)
			return
		}
	}
	q := p
	q.Relu, q.Act = false, Activation{}
	Conv2DPacked(q, x, w, pw, b, y)
	if p.Relu {
		AddRelu(y, y, res)
	} else {
		Add(y, y, res)
	}
	ApplyActivation(p.Act, y)
}

// convImages computes the convolution p image by image, each on one
// worker, with the kernel packed per group in pas (nil: packed here when
// float32). With pool not nil, y is the output max-pooled by pool: each
// worker pools an image's output right after computing it into its
// scratch space, while it is in its caches.
func convImages[T Float](p ConvParams, x, w []T, pas []packedA, b []T, pool *PoolParams, y []T) {
	l := getLoop[conv2DLoop[T]]()
	*l = conv2DLoop[T]{p: p, x: x, w: w, b: b, y: y, groups: pas}
	if pool != nil {
		l.pool, l.pooled = *pool, true
	}
	switch w32, ok := any(w).([]float32); {
	case pas != nil:
	case ok && sgemmFast && p.Group == 1:
		// Every image multiplies the same kernel: pack it once.
		buf := getScratch[float32](roundUp(p.M, sgemmImpl.mr) * p.colRows())
		l.one[0] = packA(*buf, p.M, p.colRows(), w32, p.colRows())
		l.groups = l.one[:]
		defer putScratch(buf)
	}
	parallelRun(p.N, l)
	putLoop(l)
}

// conv2DLoop is the body of Conv2D: a range of images, each on one worker.
type conv2DLoop[T Float] struct {
	p          ConvParams
	x, w, b, y []T
	groups     []packedA  // the kernel packed per group (float32), or nil
	one        [1]packedA // the storage of groups when packed here
	pool       PoolParams // with pooled, y is the output pooled by pool
	pooled     bool
}

func (l *conv2DLoop[T]) run(_, lo, hi int) {
	p := &l.p
	ohw := p.OutH() * p.OutW()
	block := convBlock[T](p, ohw)
	var col []T
	if buf := colScratch[T](p, min(block, ohw), true); buf != nil {
		col = *buf
		defer putScratch(buf)
	}
	var img []T // with l.pooled, an image's convolution output
	pout := l.pool.C * l.pool.OutH * l.pool.OutW
	if l.pooled {
		buf := getScratch[T](p.M * ohw)
		defer putScratch(buf)
		img = *buf
	}
	// A batch larger than the caches comes from memory: each image's
	// input (and output, not pooled) is asked for up front, its lines
	// then arriving side by side rather than one demand miss at a time
	// (the keras2onnx MNIST CNN's 32→32 4×4 layer at batch 128: 252 →
	// 335 GFLOP/s alone).
	pfx := prefetches[T](len(l.x))
	pfy := !l.pooled && prefetches[T](len(l.y))
	for n := lo; n < hi; n++ {
		xn := l.x[n*p.C*p.H*p.W : (n+1)*p.C*p.H*p.W]
		var yn []T
		if l.pooled {
			yn = img
		} else {
			yn = l.y[n*p.M*ohw : (n+1)*p.M*ohw]
		}
		if pfx {
			prefetchRead(xn)
		}
		if pfy {
			prefetchWrite(yn)
		}
		for g := 0; g < p.Group; g++ {
			var pa *packedA
			if l.groups != nil {
				pa = &l.groups[g]
			}
			for j := 0; j < ohw; j += block {
				convColumns(p, xn, l.w, l.b, yn, nil, g, j, min(j+block, ohw), col, pa)
			}
		}
		if l.pooled {
			q := maxPoolLoop[T]{p: l.pool, x: img, y: l.y[n*pout : (n+1)*pout]}
			q.p.N = 1
			q.run(0, 0, q.p.C)
		}
	}
}

// convBlock is the number of output columns whose im2col matrix a worker
// builds at a time: as many as fit in convColumnBlock elements, in whole
// tiles; all n of them when the product packs from the image (no im2col
// matrix, see canPackFromImage: flat, or all the image's n pixels).
func convBlock[T Float](p *ConvParams, n int) int {
	if _, ok := any(T(0)).(float32); ok {
		if flat, from := canPackFromImage(p); flat || from && n == p.OutH()*p.OutW() {
			return max(n, 1)
		}
	}
	return max(convColumnTile, convColumnBlock/p.colRows()/convColumnTile*convColumnTile)
}

// colScratch returns scratch space for the im2col blocks of block
// columns (give it back with putScratch), or nil when the product packs
// from the image and needs none. allRows says whether the blocks are of
// all the group's output channels: rows narrower than the input's pack
// from the image only for the whole group and image (convProductWide),
// a part of the channels takes im2col.
func colScratch[T Float](p *ConvParams, block int, allRows bool) *[]T {
	if isPointwise(p) {
		return nil
	}
	if _, ok := any(T(0)).(float32); ok {
		if flat, from := canPackFromImage(p); flat || from && allRows && block == p.OutH()*p.OutW() {
			return nil
		}
	}
	return getScratch[T](p.colRows() * block)
}

// convColumns computes the output columns (pixels) [j0, j1) of group g of
// one image: im2col of those columns into col (at least colRows·(j1-j0)
// elements), then one product with the group's kernel, or with pa, the
// kernel packed, when it is not nil (float32 only). A float32 product that
// can pack from the image (canPackFromImage) does that and leaves col
// unused.
func convColumns[T Float](p *ConvParams, xn, w, b, yn, res []T, g, j0, j1 int, col []T, pa *packedA) {
	convBlockOf(p, xn, w, b, yn, res, g, 0, p.M/p.Group, j0, j1, col, pa)
}

// convBlockOf is convColumns for the output channels [r0, r1) of the
// group only (r0 a multiple of the GEMM tile height). Output rows narrower
// than the input's are packed from the image (convProductWide) only for
// the whole group and image; a part of them goes through im2col. res, when
// not nil (laid out as yn), is added by the tile epilogue, which the
// caller makes sure runs (Conv2DPackedResidual).
func convBlockOf[T Float](p *ConvParams, xn, w, b, yn, res []T, g, r0, r1, j0, j1 int, col []T, pa *packedA) {
	ohw := p.OutH() * p.OutW()
	mg, rows, nb := p.M/p.Group, p.colRows(), j1-j0
	yg := yn[g*mg*ohw : (g+1)*mg*ohw]
	yr := yg[r0*ohw : r1*ohw] // the rows computed
	x32, is32 := any(xn).([]float32)
	flat, fromImage := canPackFromImage(p)
	if is32 && fromImage && !flat && j0 == 0 && j1 == ohw && r0 == 0 && r1 == mg {
		var b32 []float32
		if b != nil {
			b32 = any(b).([]float32)
		}
		convProductWide(p, x32, any(w).([]float32), pa, g, b32, any(yg).([]float32))
		if p.Relu {
			relu(yg, yg)
		}
		ApplyActivation(p.Act, yg)
		return
	}
	// The product overwrites the block (beta 0). With the kernel packed
	// (float32), each tile gets its bias and Relu as it is computed (the
	// tile epilogue, on CPUs with its vector loop); otherwise the bias is
	// added after the product, with the Relu in the same pass (not filled
	// in first, which would cost a pass over the block and a read of it
	// in the product).
	var ep *tileEpilogue
	if pa != nil && b != nil && tileEpilogues {
		ep = &tileEpilogue{bias: any(b).([]float32)[g*mg+r0 : g*mg+r1], ld: ohw, relu: p.Relu}
		if res != nil {
			ep.res = any(res).([]float32)[(g*mg+r0)*ohw+j0:]
		}
	} else if res != nil {
		panic("kernel: internal: a residual without the tile epilogue")
	}
	wr := w[(g*mg+r0)*rows:] // the kernel's rows computed
	switch {
	case isPointwise(p):
		// A 1×1 kernel at stride 1 without padding: the image's channels
		// are the product's B, row-major with stride OH·OW.
		cg := p.C / p.Group
		xg := xn[g*cg*ohw+j0:]
		if pa != nil {
			gemmPackedA(pa, r0, r1, nb, any(xg).([]float32), ohw, 0, any(yr).([]float32)[j0:], ohw, ep)
		} else {
			Gemm(false, false, r1-r0, nb, rows, 1, wr, rows, xg, ohw, 0, yr[j0:], ohw)
		}
	case is32 && flat && j0%16 == 0:
		convProduct(p, x32, any(w).([]float32), pa, g, r0, r1, j0, nb, 0, any(yr).([]float32)[j0:], ohw, ep)
	default:
		col = col[:rows*nb]
		if j0 == 0 && j1 == ohw {
			im2col(p, xn, g*(p.C/p.Group), col)
		} else {
			im2colColumns(p, xn, g*(p.C/p.Group), j0, j1, col)
		}
		if pa != nil {
			gemmPackedA(pa, r0, r1, nb, any(col).([]float32), nb, 0, any(yr).([]float32)[j0:], ohw, ep)
		} else {
			Gemm(false, false, r1-r0, nb, rows, 1, wr, rows, col, nb, 0, yr[j0:], ohw)
		}
	}
	if ep == nil && (b != nil || p.Relu) || p.Act.Kind != ActNone {
		for m := r0; m < r1; m++ {
			out := yg[m*ohw+j0 : m*ohw+j1]
			switch {
			case ep != nil:
			case b != nil:
				addBias(out, b[g*mg+m], p.Relu)
			case p.Relu:
				relu(out, out)
			}
			ApplyActivation(p.Act, out)
		}
	}
}

// isPointwise reports whether p is a 1×1 convolution at stride 1 without
// padding, whose product reads the image as it is (no im2col matrix, on
// every CPU).
func isPointwise(p *ConvParams) bool {
	return p.KH == 1 && p.KW == 1 && p.StrideH == 1 && p.StrideW == 1 &&
		p.PadTop == 0 && p.PadLeft == 0 && p.PadBottom == 0 && p.PadRight == 0
}

// fill sets every element of s to v, doubling the filled part with copy
// (a vectorized memmove) rather than storing one element at a time.
func fill[T Float](s []T, v T) {
	if len(s) == 0 {
		return
	}
	s[0] = v
	for n := 1; n < len(s); n *= 2 {
		copy(s[n:], s[:n])
	}
}

// convColumnTile is the unit in which conv2DFew splits an image's output
// columns: the micro-kernel's tile width, so that no part but the last
// has a ragged edge.
const convColumnTile = gemmNR

// convFewMinMACs is the size of a convolution (multiply-adds per image)
// below which conv2DFew runs it on the calling goroutine.
const convFewMinMACs = 1 << 18

// conv2DFew is Conv2D for fewer images than workers: each image is split
// by groups and output columns, each worker computing the product (and the
// im2col blocks, unless it packs from the image) for its own columns, so
// that its data stays in its cache and the workers meet once per image
// (not once per group: each hand-off to a helper costs a wake-up, and on a
// busy machine a wait for a descheduled thread).
//
// pas is the kernel packed per group, or nil. res, when not nil, is added
// to the output by the tile epilogue (Conv2DPackedResidual's conditions).
func conv2DFew[T Float](p ConvParams, x, w, b, y []T, pas []packedA, res []T) {
	ohw := p.OutH() * p.OutW()
	tiles := (ohw + convColumnTile - 1) / convColumnTile
	serial := p.M*ohw*p.colRows() < convFewMinMACs
	if !serial && splitByChannels(&p, tiles) {
		panels := (p.M + gemmMR - 1) / gemmMR
		for n := 0; n < p.N; n++ {
			l := getLoop[convChannelsLoop[T]]()
			*l = convChannelsLoop[T]{p: p, xn: x[n*p.C*p.H*p.W : (n+1)*p.C*p.H*p.W], w: w, b: b,
				yn: y[n*p.M*ohw : (n+1)*p.M*ohw], pas: pas}
			if res != nil {
				l.res = res[n*p.M*ohw : (n+1)*p.M*ohw]
			}
			parallelRun(panels, l)
			putLoop(l)
		}
		return
	}
	for n := 0; n < p.N; n++ {
		xn := x[n*p.C*p.H*p.W : (n+1)*p.C*p.H*p.W]
		yn := y[n*p.M*ohw : (n+1)*p.M*ohw]
		l := getLoop[convColumnsLoop[T]]()
		*l = convColumnsLoop[T]{p: p, xn: xn, w: w, b: b, yn: yn, pas: pas, tiles: tiles}
		if res != nil {
			l.res = res[n*p.M*ohw : (n+1)*p.M*ohw]
		}
		if serial {
			l.run(0, 0, p.Group*tiles)
		} else {
			parallelRun(p.Group*tiles, l)
		}
		putLoop(l)
	}
}

// splitByChannels reports whether conv2DFew splits an image of p with
// tiles column tiles by output channels rather than by columns: an
// ungrouped convolution with few columns (the 14×14 and 7×7 planes of
// deep layers) and many channels whose product reads the image itself
// (packed from it, or a pointwise kernel). Split by columns, the workers'
// shares there differ by a tile or by a ragged last tile (7×7: 49 columns
// are 32 + 17, the latter computed 24 wide), and each worker streams the
// whole kernel; split by channels, each computes every column of half
// the channels, reading half the kernel.
//
// A product that needs an im2col matrix (strides, or the AVX2 routine
// set) splits by columns all the same unless the matrix is small next to
// the kernel: split by channels, every worker would need the whole matrix, and building it once per worker or once
// for all (its cache lines then moving between the cores as one writes
// and the others read) made the strided 3×3 convolutions of ResNet
// slower on two cores than on one (128→256 channels at 28×28: 1.3-1.45
// ms by channels, 0.82 by columns, 1.35 on one core).
func splitByChannels(p *ConvParams, tiles int) bool {
	workers := workerCount(math.MaxInt)
	if p.Group != 1 || workers < 2 || tiles >= 8*workers || p.M < 4*workers*gemmMR {
		return false
	}
	// Rows narrower than the input's, packed from the image, are
	// computed a whole group at a time (convProductWide).
	flat, _ := canPackFromImage(p)
	// An im2col matrix a quarter of the kernel or less (deep strided
	// layers: ResNet-50's 1024→2048 1×1 and 512→512 3×3 at stride 2 onto
	// 7×7) is cheap to build on each worker, while split by columns each
	// worker streams the whole kernel (8 MB there) for its few columns.
	return flat || isPointwise(p) || 4*p.OutH()*p.OutW() <= p.M
}

// convChannelsLoop is conv2DFew's body when it splits by channels: a
// range of the image's gemmMR-tall channel panels.
type convChannelsLoop[T Float] struct {
	p            ConvParams
	xn, w, b, yn []T
	res          []T       // added to the output (see conv2DFew), or nil
	pas          []packedA // the kernel packed (one group), or nil
}

func (l *convChannelsLoop[T]) run(_, lo, hi int) {
	p := &l.p
	r0, r1 := lo*gemmMR, min(hi*gemmMR, p.M)
	var pa *packedA
	if l.pas != nil {
		pa = &l.pas[0]
	}
	ohw := p.OutH() * p.OutW()
	block := convBlock[T](p, ohw)
	var col []T
	buf := colScratch[T](p, min(block, ohw), r0 == 0 && r1 == p.M)
	if buf != nil {
		col = *buf
	}
	for j := 0; j < ohw; j += block { // block: whole tiles, or all ohw
		convBlockOf(p, l.xn, l.w, l.b, l.yn, l.res, 0, r0, r1, j, min(j+block, ohw), col, pa)
	}
	if buf != nil {
		putScratch(buf)
	}
}

// convColumnsLoop is the body of conv2DFew: a range of the column tiles of
// one image's groups, item g·tiles+t being tile t of group g.
type convColumnsLoop[T Float] struct {
	p            ConvParams
	xn, w, b, yn []T
	res          []T       // added to the output (see conv2DFew), or nil
	pas          []packedA // the kernel packed per group, or nil
	tiles        int       // column tiles per group
}

func (l *convColumnsLoop[T]) run(_, lo, hi int) {
	for lo < hi {
		g, t0 := lo/l.tiles, lo%l.tiles
		t1 := min(l.tiles, t0+hi-lo)
		l.columns(g, t0, t1)
		lo += t1 - t0
	}
}

// columns computes the column tiles [t0, t1) of group g.
func (l *convColumnsLoop[T]) columns(g, t0, t1 int) {
	p := &l.p
	var pa *packedA
	if l.pas != nil {
		pa = &l.pas[g]
	}
	ohw := p.OutH() * p.OutW()
	j0, j1 := t0*convColumnTile, min(t1*convColumnTile, ohw)
	block := convBlock[T](p, j1-j0)
	var col []T
	buf := colScratch[T](p, min(block, j1-j0), true)
	if buf != nil {
		col = *buf
	}
	for j := j0; j < j1; j += block {
		convColumns(p, l.xn, l.w, l.b, l.yn, l.res, g, j, min(j+block, j1), col, pa)
	}
	if buf != nil {
		putScratch(buf)
	}
}

// convColumnBlock is the most elements of im2col matrix conv2DFew's workers
// build at a time (512 KiB of float32, half a Zen 4 core's L2 cache): a
// wider block falls out of the cache before the product reads it, a
// narrower one repacks the kernel for too few columns.
const convColumnBlock = 1 << 17

// clearWraps zeroes the side-pad entries of an im2col row laid out flat
// (see im2colRange) in the columns [a, e): those of a pixel x < lo or
// x ≥ hi of its output row, that is the runs [k·ow+hi, (k+1)·ow+lo) from
// the valid end of one row to the valid start of the next. row holds the
// columns from j0 on.
func clearWraps[T Float](row []T, j0, a, e, ow, lo, hi int) {
	gap := ow - hi + lo
	if gap <= 0 || a >= e {
		return
	}
	s := hi + (a/ow-1)*ow // the run ending in a's output row or before
	for ; s < e; s += ow {
		for j := max(s, a); j < min(s+gap, e); j++ {
			row[j-j0] = 0
		}
	}
}

// im2colColumns is im2col restricted to the output columns (pixels)
// [j0, j1): col is colRows×(j1-j0), row r holding what row r of the full
// im2col matrix holds in those columns.
func im2colColumns[T Float](p *ConvParams, x []T, c0, j0, j1 int, col []T) {
	oh, ow := p.OutH(), p.OutW()
	nb := j1 - j0
	flat := p.StrideW == 1 && p.StrideH == 1 && ow == p.W
	cg := p.C / p.Group
	for c := 0; c < cg; c++ {
		plane := x[(c0+c)*p.H*p.W : (c0+c+1)*p.H*p.W]
		for kh := 0; kh < p.KH; kh++ {
			ih0 := -p.PadTop + kh*p.DilH
			ylo, yhi := validRange(ih0, p.StrideH, oh, p.H)
			for kw := 0; kw < p.KW; kw++ {
				row := col[((c*p.KH+kh)*p.KW+kw)*nb:][:nb]
				iw0 := -p.PadLeft + kw*p.DilW
				lo, hi := validRange(iw0, p.StrideW, ow, p.W)
				if ylo == yhi || lo == hi {
					clear(row)
					continue
				}
				if flat {
					// The valid pixels of the full row form the run
					// [ylo·ow+lo, (yhi-1)·ow+hi) of one contiguous copy
					// (see im2colRange); take its part in [j0, j1) and
					// clear the side pads within.
					a, e := max(j0, ylo*ow+lo), min(j1, (yhi-1)*ow+hi)
					if a >= e {
						clear(row)
						continue
					}
					clear(row[:a-j0])
					clear(row[e-j0:])
					copy(row[a-j0:e-j0], plane[(ih0+ylo)*p.W+iw0+lo+a-(ylo*ow+lo):][:e-a])
					clearWraps(row, j0, a, e, ow, lo, hi)
					continue
				}
				for j := j0; j < j1; {
					yy, xx := j/ow, j%ow
					if xx == 0 && yy >= ylo && yy < yhi && j+ow <= j1 {
						// Whole output rows inside the image: their
						// pixels in one strided gather, the side pads
						// cleared row by row.
						n := min(yhi-yy, (j1-j)/ow)
						src := plane[(ih0+yy*p.StrideH)*p.W+iw0+lo*p.StrideW:]
						gatherStridedRows(row[j-j0+lo:], ow, src, p.StrideH*p.W, hi-lo, n, p.StrideW)
						if lo > 0 || hi < ow {
							for r := 0; r < n; r++ {
								seg := row[j-j0+r*ow:][:ow]
								clear(seg[:lo])
								clear(seg[hi:])
							}
						}
						j += n * ow
						continue
					}
					end := min(j1, (yy+1)*ow) // this output row's part
					seg := row[j-j0 : end-j0]
					if yy < ylo || yy >= yhi {
						clear(seg)
						j = end
						continue
					}
					// The pixels [a, e) of this part read inside the
					// row; those around them are in the side pads.
					a, e := max(xx, lo), min(xx+len(seg), hi)
					if a >= e {
						clear(seg)
						j = end
						continue
					}
					clear(seg[:a-xx])
					clear(seg[e-xx:])
					src := plane[(ih0+yy*p.StrideH)*p.W+iw0+a*p.StrideW:]
					gatherStridedRows(seg[a-xx:], 0, src, 0, e-a, 1, p.StrideW)
					j = end
				}
			}
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
	if db != nil {
		convBackwardBias(p.N, p.M, ohw, dy, db)
	}
	if dx != nil && convDataAsConv(&p) {
		convBackwardData(p, w, dy, dx)
		dx = nil
	}
	if dw != nil {
		convBackwardFilter(p, x, dy, dw)
	}
	if dx == nil {
		return
	}
	// dcol = W_gᵀ · dY_g for each image and group, scattered back.
	l := getLoop[convBackwardDataLoop[T]]()
	*l = convBackwardDataLoop[T]{p: p, w: w, dy: dy, dx: dx}
	parallelRun(p.N, l)
	putLoop(l)
}

// convBackwardDataLoop is the body of Conv2DBackward's dx by col2im: a
// range of images on one worker (a type, not a closure, so that a call
// allocates nothing: ConvTranspose runs it in sessions).
type convBackwardDataLoop[T Float] struct {
	p         ConvParams
	w, dy, dx []T
}

func (l *convBackwardDataLoop[T]) run(_, lo, hi int) {
	p := &l.p
	w, dy, dx := l.w, l.dy, l.dx
	ohw := p.OutH() * p.OutW()
	mg, rows := p.M/p.Group, p.colRows()
	buf := getScratch[T](rows * ohw)
	col := *buf
	for n := lo; n < hi; n++ {
		dyn := dy[n*p.M*ohw : (n+1)*p.M*ohw]
		dxn := dx[n*p.C*p.H*p.W : (n+1)*p.C*p.H*p.W]
		clear(dxn)
		for g := 0; g < p.Group; g++ {
			dyg := dyn[g*mg*ohw : (g+1)*mg*ohw]
			gemmSerial(true, false, rows, ohw, mg, w[g*mg*rows:], rows, dyg, ohw, 0, col, ohw)
			col2im(p, col, g*(p.C/p.Group), dxn)
		}
	}
	putScratch(buf)
}
