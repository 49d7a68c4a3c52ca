package kernel

import (
	"math"
	"sync"
	"sync/atomic"
)

// Winograd F(2×2, 3×3) convolution (Lavin and Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2016) for ungrouped 3×3 kernels at
// stride 1: each 2×2 block of outputs (a tile) is A^T·[(G·g·G^T) ⊙
// (B^T·d·B)]·A, d the 4×4 input block under it and g a 3×3 kernel. Summed
// over the input channels, the 16 element-wise products become 16 GEMMs
// (U_ξ, M×C, times V_ξ, C×tiles): 16 multiply-adds per tile and channel
// pair instead of 36, 2.25 times fewer. The kernel's transforms U_ξ are
// computed and packed once, with the rest of the model's weights
// (PackConvWeights); the input and output transforms run as AVX-512 loops
// over rows of 16 tiles (winograd_amd64.s), the bias and a Relu in the
// output transform. F(2×2, 3×3) only adds and subtracts in its input and
// output transforms and halves in the kernel's, so its results stay within
// a few float32 roundings of the direct sum (F(4×4, 3×3) would save more
// multiplies but lose about a decimal digit).
//
// An image is cut into chunks of whole tile rows that the workers take
// one at a time: each transforms its chunk's input (V, 16·C·t floats for t
// tiles), runs the 16 products into M (16·M·t) and transforms M into the
// output, so V and M stay in its cache.

// winoMinTiles is the number of tiles an image must have for the Winograd
// path: fewer (the 7×7 planes of deep layers: 16 tiles) make the products
// too thin for the micro-kernel's 32 columns, while their 16 kernel
// matrices, 1.8 times the kernel's size, still stream from memory.
const winoMinTiles = 32

// winoMinIn and winoMinOut are the fewest input and output channels the
// Winograd path takes: the products' depth and height. Per tile the
// transforms touch 16·(C+M) values for 16·C·M multiply-adds; in
// BenchmarkConvWinograd (batch 1, 2 threads, Zen 5) 16→16 channels ran
// even with the GEMM path, 16→32 and 32→32 1.4 times faster, 64→64 1.6.
const (
	winoMinIn  = 16
	winoMinOut = 32
)

// winoMinRowsPerWorker is the fewest output channels a worker computes
// when an image's channels are shared out (winoByChannels): each worker then
// transforms every tile's input itself.
const winoMinRowsPerWorker = 64

// winoChunkBytes bounds a chunk's transformed input and products (V and
// M): about what a core's L2 cache holds with the kernel blocks streaming
// through it.
const winoChunkBytes = 512 << 10

// canWinograd reports whether p's shape runs the Winograd path when its
// kernel transforms exist (the image's size aside).
func canWinograd(p *ConvParams) bool {
	return winogradAVX512 && p.Group == 1 && p.KH == 3 && p.KW == 3 &&
		p.StrideH == 1 && p.StrideW == 1 && p.DilH == 1 && p.DilW == 1 &&
		p.C >= winoMinIn && p.M >= winoMinOut
}

// winoWeights are a kernel's Winograd transforms, computed and packed at
// the first run that takes the Winograd path: a model's 3×3 kernels at
// stride 1 all could, but those of small planes (ResNet's 7×7: 16 tiles)
// never do, and their transforms would cost 16/9 of their size in memory
// (50 MB in ResNet-18).
type winoWeights struct {
	once sync.Once
	p    ConvParams // the convolution's shape (p.Group 1, 3×3, stride 1)
	w    []float32  // the M×C×3×3 kernel, kept until packed
	u    []packedA  // the 16 packed matrices, once packed
}

// init records the kernel w of convolutions p (when canWinograd) for a
// later pack.
func (ww *winoWeights) init(p *ConvParams, w []float32) {
	if sgemmFast && canWinograd(p) {
		checkMatrix("W", p.M, p.C*9, len(w), p.C*9)
		ww.p, ww.w = *p, w
	}
}

// get packs the transforms on the first call and returns them (nil when
// init recorded no kernel).
func (ww *winoWeights) get() []packedA {
	ww.once.Do(func() {
		if ww.w != nil {
			ww.u = packWinograd(&ww.p, ww.w)
			ww.w = nil
		}
	})
	return ww.u
}

// packWinograd computes the kernel transforms U_ξ = (G·g·G^T)[ξ] of the
// m×c×3×3 kernel w and packs each m×c matrix for the GEMM, or returns nil
// when this process does not run the Winograd path.
func packWinograd(p *ConvParams, w []float32) []packedA {
	if !sgemmFast || !canWinograd(p) {
		return nil
	}
	m, c := p.M, p.C
	checkMatrix("W", m, c*9, len(w), c*9)
	u := make([]float32, 16*m*c)
	for o := 0; o < m; o++ {
		for i := 0; i < c; i++ {
			g := w[(o*c+i)*9 : (o*c+i)*9+9]
			// G·g (4×3), then its rows times G^T (4×4).
			var t [4][3]float32
			for s := 0; s < 3; s++ {
				a, b, e := g[s], g[3+s], g[6+s]
				t[0][s], t[1][s], t[2][s], t[3][s] = a, (a+b+e)/2, (a-b+e)/2, e
			}
			for r := 0; r < 4; r++ {
				a, b, e := t[r][0], t[r][1], t[r][2]
				for s, v := range [4]float32{a, (a + b + e) / 2, (a - b + e) / 2, e} {
					u[(4*r+s)*m*c+o*c+i] = v
				}
			}
		}
	}
	pas := make([]packedA, 16)
	for xi := range pas {
		pas[xi] = packA(nil, m, c, u[xi*m*c:(xi+1)*m*c], c)
	}
	return pas
}

// winogradFor returns the kernel transforms in pw when p runs the
// Winograd path, else nil.
func winogradFor(p *ConvParams, pw *ConvWeights) []packedA {
	if pw == nil || pw.wino.p.M == 0 || !canWinograd(p) {
		return nil
	}
	oh, ow := p.OutH(), p.OutW()
	tiles := (oh + 1) / 2 * ((ow + 1) / 2)
	if oh <= 0 || ow <= 0 || tiles < winoMinTiles {
		return nil
	}
	if parts, byChannels := winoByChannels(p, tiles); byChannels && p.M < winoMinRowsPerWorker*parts {
		return nil
	}
	u := pw.wino.get()
	if len(u) != 16 || u[0].arch != sgemmImpl || u[0].m != p.M || u[0].k != p.C {
		return nil
	}
	return u
}

// winoPlane is the stride of the 16 planes of V or M (rows×tiles
// floats): an odd number of cache lines, so that the 16 streams the
// transforms read or write at once fall in different L1 sets (64×64
// floats apart, they all hit one set), with at least 16 floats after the
// last row for the input transform's whole last step.
func winoPlane(rows, tiles int) int {
	lines := (rows*tiles+15)/16 + 1
	return (lines | 1) * 16
}

// winoChunk is the most tiles the products of a chunk have: a multiple of
// the micro-kernel's 32 columns, as many as keep V and M within
// winoChunkBytes (but at least 64).
func winoChunk(p *ConvParams) int {
	return max(64, winoChunkBytes/(16*(p.C+p.M)*4)/32*32)
}

// winoByChannels reports whether convWinograd shares the images of p
// (tiles tiles each) out among the workers by output channels rather than
// by tiles: when fewer images than workers would leave each worker fewer
// tiles than the micro-kernel's two blocks of columns. Each worker then
// computes parts output channels of every tile (transforming every
// tile's input itself).
func winoByChannels(p *ConvParams, tiles int) (parts int, byChannels bool) {
	workers := workerCount(math.MaxInt)
	if p.N >= workers {
		return 1, false
	}
	parts = (workers + p.N - 1) / p.N
	if tiles/parts >= 64 || p.M < 2*gemmMR*parts {
		return 1, false
	}
	return parts, true
}

// convWinograd computes the convolution p (canWinograd) of x with the
// kernel transforms u into y, adding b (nil: none) and applying p.Relu
// and p.Act.
func convWinograd(p *ConvParams, x, b, y []float32, u []packedA) {
	oh, ow := p.OutH(), p.OutW()
	th, tw := (oh+1)/2, (ow+1)/2
	parts, byChannels := winoByChannels(p, th*tw)
	l := getLoop[winoLoop]()
	*l = winoLoop{p: *p, x: x, b: b, y: y, u: u, th: th, tw: tw, chunk: winoChunk(p), parts: parts, byChannels: byChannels}
	workers := workerCount(math.MaxInt)
	if byChannels {
		parallelRun(p.N*parts, l)
	} else {
		l.dynamic = true
		l.workers = workers
		parallelRun(min(workers, p.N*th*tw), l)
	}
	putLoop(l)
}

// winoLoop is convWinograd's body. Shared out by tiles, each worker takes
// chunks of tiles (in row-major order, within one image) from a common
// counter until none are left, so that a worker that starts late or runs
// slower (the helper often does, its caches cold) takes fewer: chunks of
// l.chunk tiles, shrinking near the end. Shared out by channels, a task is
// one part of an image's output channels.
type winoLoop struct {
	p            ConvParams // by value: p does not escape
	x, b, y      []float32
	u            []packedA
	th, tw       int // tile rows and columns
	chunk, parts int
	byChannels   bool
	dynamic      bool
	workers      int
	next         atomic.Int64 // the next tile (over all images) to take
}

// take claims the next chunk of tiles [q0, q1) of image n, or reports
// that none is left.
func (l *winoLoop) take() (n, q0, q1 int, ok bool) {
	tiles := l.th * l.tw
	total := int64(l.p.N * tiles)
	for {
		g := l.next.Load()
		if g >= total {
			return 0, 0, 0, false
		}
		// Guided: a chunk is at most a (2·workers)-th of what is left.
		size := min(l.chunk, max(32, roundUp(int(total-g)/(2*l.workers), 16)))
		n, q0 = int(g)/tiles, int(g)%tiles
		q1 = min(q0+size, tiles)
		if l.next.CompareAndSwap(g, int64(n*tiles+q1)) {
			return n, q0, q1, true
		}
	}
}

func (l *winoLoop) run(_, lo, hi int) {
	p, tw := &l.p, l.tw
	// The input rows under a chunk's tiles, padded: column k holds input
	// column k − PadLeft, zero outside the image, with room for a
	// transform's last 16-tile step from any tile on.
	ld := 2*tw + 48
	pad := getScratch[float32]((2*l.th + 4) * ld)
	defer putScratch(pad)
	clear(*pad)
	tiles := l.th * tw
	v := getScratch[float32](16*winoPlane(p.C, min(l.chunk, tiles)) + 16)
	defer putScratch(v)
	mo := getScratch[float32](16*winoPlane(p.M, min(l.chunk, tiles)) + 16)
	defer putScratch(mo)
	if l.dynamic {
		for {
			n, q0, q1, ok := l.take()
			if !ok {
				return
			}
			l.chunkOf(n, q0, q1, 0, p.M, *pad, ld, *v, *mo)
		}
	}
	for task := lo; task < hi; task++ {
		n, part := task/l.parts, task%l.parts
		step := roundUp((p.M+l.parts-1)/l.parts, 2*gemmMR)
		m0, m1 := min(part*step, p.M), min((part+1)*step, p.M)
		for q0 := 0; q0 < tiles; q0 += l.chunk {
			l.chunkOf(n, q0, min(q0+l.chunk, tiles), m0, m1, *pad, ld, *v, *mo)
		}
	}
}

// chunkOf computes the output channels [m0, m1) of the tiles [q0, q1) of
// image n, with pad (rows of ld floats) for the padded input rows and v
// and mo for the transformed inputs and the products.
func (l *winoLoop) chunkOf(n, q0, q1, m0, m1 int, pad []float32, ld int, v, mo []float32) {
	p := &l.p
	oh, ow := p.OutH(), p.OutW()
	tw, hw := l.tw, p.H*p.W
	tc := q1 - q0 // tiles in this chunk
	xn := l.x[n*p.C*hw : (n+1)*p.C*hw]
	yn := l.y[n*p.M*oh*ow : (n+1)*p.M*oh*ow]
	pv, pm := winoPlane(p.C, tc), winoPlane(m1-m0, tc) // plane strides of V and M
	vp := v[:16*pv+16]
	ia, ib := q0/tw, (q1-1)/tw // the tile rows the chunk touches
	for c := 0; c < p.C; c++ {
		xc := xn[c*hw : (c+1)*hw]
		for r := 0; r < 2*(ib-ia)+4; r++ {
			row := pad[r*ld+p.PadLeft : r*ld+p.PadLeft+p.W]
			if iy := 2*ia + r - p.PadTop; iy >= 0 && iy < p.H {
				copy(row, xc[iy*p.W:(iy+1)*p.W])
			} else {
				clear(row)
			}
		}
		for q := q0; q < q1; {
			// The part [j0, j1) of tile row i in the chunk.
			i, j0 := q/tw, q%tw
			j1 := min(tw, j0+q1-q)
			winoInputRow(vp[c*tc+q-q0:], pad[2*(i-ia)*ld+2*j0:], ld, pv, j1-j0)
			q += j1 - j0
		}
	}
	// The products' rows [m0, m1): M_ξ is (m1−m0)×tc.
	mp := mo[:16*pm+16]
	bufs := getSgemmBufs()
	for xi := 0; xi < 16; xi++ {
		u := &l.u[xi]
		b, c := vp[xi*pv:], mp[xi*pm:]
		checkMatrix("V", p.C, tc, len(b), tc)
		checkMatrix("M", m1-m0, tc, len(c), tc)
		sgemmSerialPacked(bufs, u.arch, false, false, m1-m0, tc, p.C, 1, nil, 0, u, m0, b, tc, 0, c, tc, nil)
	}
	sgemmPool.put(bufs)
	for m := m0; m < m1; m++ {
		var bias float32
		if l.b != nil {
			bias = l.b[m]
		}
		ym := yn[m*oh*ow : (m+1)*oh*ow]
		for q := q0; q < q1; {
			i, j0 := q/tw, q%tw
			j1 := min(tw, j0+q1-q)
			w := min(2*j1, ow) - 2*j0
			y0 := ym[2*i*ow+2*j0 : 2*i*ow+2*j0+w]
			var y1 []float32
			if 2*i+1 < oh {
				y1 = ym[(2*i+1)*ow+2*j0 : (2*i+1)*ow+2*j0+w]
			}
			winoOutputRow(y0, y1, mp[(m-m0)*tc+q-q0:], pm, j1-j0, w, bias, p.Relu)
			if p.Act.Kind != ActNone {
				ApplyActivation(p.Act, y0)
				if y1 != nil {
					ApplyActivation(p.Act, y1)
				}
			}
			q += j1 - j0
		}
	}
}
