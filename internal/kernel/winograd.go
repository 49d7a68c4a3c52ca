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
// computed and packed once, at the first run that takes the path
// (winoWeights); the input and output transforms run as AVX-512 loops
// over rows of 16 tiles (winograd_amd64.s), the bias and a Relu in the
// output transform. F(2×2, 3×3) only adds and subtracts in its input and
// output transforms and halves in the kernel's, so its results stay within
// a few float32 roundings of the direct sum (a 256-channel sum in numpy:
// 2.1e-7 off, the direct float32 sum 1.1e-7); F(4×4, 3×3) would save
// more multiplies but was 6.5e-6 off. A NaN in the input reaches exactly
// the outputs over it, as in the direct sum (the transforms' zeros keep it
// out of the others); an infinite input can give NaN where the direct sum
// gives ±Inf, since the transforms subtract.
//
// The tiles of all the images, in row-major order image after image, are
// cut into chunks that the workers take from a shared counter: each
// transforms its chunk's input (V, 16·C·t floats for t tiles), runs the
// 16 products into M (16·M·t) and transforms M into the output, so V and
// M stay in its cache. When there are too few tiles to share (small
// planes at batch 1), the workers split the output channels instead.

// winoMinTiles is the number of tiles a convolution (all its images) must
// have for the Winograd path. The 7×7 planes of deep layers have 16 an
// image: at batch 1 their products were 1.36 times faster alone
// (512→512, BenchmarkConvWinograd) but no faster in resnet18, whose 16
// kernel matrices per layer (16/9 of the kernel's size) then stream from
// memory for one image's work; from batch 2 on, a chunk of tiles spans
// images and the matrices serve them all.
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

// winoEveryShape makes winogradFor take every shape the Winograd path
// can compute, whether it pays or not: the tests of the path itself.
var winoEveryShape = false

// winoPays reports whether the Winograd path beats the GEMM path for c
// input and m output channels. Per tile the transforms cost about c + m,
// the products save about c·m multiply-adds of 36, so the path pays from
// some r = c·m/(c+m) on. In the models (onnxkit bench --profile, batch
// 1, alternated): SqueezeNet's 16→64 on 55×55 (r 12.8) runs faster on the
// GEMM path; U-Net's 32→32 on 32×32 (r 16) and 64→32 (21) 1.3-1.4 times
// faster with Winograd, as are PyTorch's MNIST CNN (32→64 on 14×14, 21)
// and U-Net's 64→64 on 16×16 (32). (Microbenchmarks, their inputs warm
// in the caches, favour the GEMM path up to r ≈ 26; the models do not.)
//
// Expanding layers (m ≥ 4c) stay on the GEMM path: there the output
// transform (per tile, 16 products of each of the m channels read and 4
// outputs written) and the products' stores (c-deep sums, 16·m per
// tile) outweigh the multiply-adds saved. SqueezeNet's expands (16→64,
// 32→128, 48→192 and 64→256 on 55×55 to 13×13; r 13-51) made the model
// 7% faster on the GEMM path (3.11 → 2.90 ms, 9 alternated runs, 7
// won) and its 32→128 layers 0.39 → 0.33 ms.
func winoPays(c, m int) bool {
	if winoEveryShape {
		return true
	}
	return c*m >= 16*(c+m) && m < 4*c
}

// winoMinRowsPerWorker is the fewest output channels a worker computes
// when the channels are shared out (winoByChannels): each worker then
// transforms every tile's input itself. At 32 (from 64) the PyTorch
// MNIST CNN's 32→64 layer on 14×14 at batch 1 (49 tiles, its pool fused)
// takes the path: 0.075 → 0.070 ms for the model, alternated three times.
const winoMinRowsPerWorker = 32

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
// when this process does not run the Winograd path. It computes one
// matrix at a time into one scratch matrix (16 of them at once would
// raise a big model's peak memory by all its transforms again).
func packWinograd(p *ConvParams, w []float32) []packedA {
	if !sgemmFast || !canWinograd(p) {
		return nil
	}
	m, c := p.M, p.C
	checkMatrix("W", m, c*9, len(w), c*9)
	// The rows of G: U_ξ = G[ξ/4]·g·G[ξ%4]^T.
	g := [4][3]float32{{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}}
	buf := getScratch[float32](m * c)
	defer putScratch(buf)
	u := *buf
	pas := make([]packedA, 16)
	for xi := range pas {
		gr, gs := &g[xi/4], &g[xi%4]
		for k := range u {
			k9 := w[k*9 : k*9+9]
			var v float32
			for b := 0; b < 3; b++ {
				// Column b of G[ξ/4]·g (its products by 0, ±½ and 1
				// are exact).
				h := gr[0]*k9[b] + gr[1]*k9[3+b] + gr[2]*k9[6+b]
				v += gs[b] * h
			}
			u[k] = v
		}
		pas[xi] = packA(nil, m, c, u, c)
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
	if oh <= 0 || ow <= 0 || p.N*tiles < winoMinTiles {
		return nil
	}
	if _, byChannels := winoByChannels(p, p.N*tiles); !byChannels && p.N*tiles < 32*workerCount(math.MaxInt) {
		// Too few tiles for every worker, too few channels to share.
		return nil
	}
	if !winoPays(p.C, p.M) {
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

// winoByChannels reports whether convWinograd shares the work of p (total
// tiles over all its images) out among the workers by output channels
// rather than by tiles: when a worker would get fewer tiles than two of
// the micro-kernel's blocks of columns. Each of the parts workers then
// computes a share of the output channels of every tile (transforming
// every tile's input itself).
func winoByChannels(p *ConvParams, total int) (parts int, byChannels bool) {
	workers := min(workerCount(math.MaxInt), winoMaxWorkers)
	if workers < 2 || total/workers >= 64 || p.M < winoMinRowsPerWorker*workers {
		return 1, false
	}
	return workers, true
}

// convWinograd computes the convolution p (canWinograd) of x with the
// kernel transforms u into y, adding b (nil: none) and applying p.Relu
// and p.Act; with pool (pools2x2), y is the convolution's 2×2, stride-2
// max pool instead, each tile's four outputs one window.
func convWinograd(p *ConvParams, x, b, y []float32, u []packedA, pool bool) {
	oh, ow := p.OutH(), p.OutW()
	th, tw := (oh+1)/2, (ow+1)/2
	parts, byChannels := winoByChannels(p, p.N*th*tw)
	l := getLoop[winoLoop]()
	*l = winoLoop{p: *p, x: x, b: b, y: y, u: u, th: th, tw: tw, chunk: winoChunk(p), parts: parts, byChannels: byChannels, pool: pool}
	n := parts
	if !byChannels {
		l.dynamic = true
		l.workers = min(workerCount(math.MaxInt), len(l.sets))
		n = min(l.workers, (p.N*th*tw+31)/32)
	}
	sets := l.sets[:n]
	// Every worker's scratch space, taken here rather than by each worker
	// as it starts: which workers run depends on the helpers' timing, and
	// a set first needed in a timed run would be allocated there.
	l.ld = 2*tw + 48
	most := min(l.chunk, p.N*th*tw) // tiles in a chunk
	for i := range sets {
		sets[i] = winoScratch{
			pad: getScratch[float32]((2*th + 4) * l.ld),
			v:   getScratch[float32](16*winoPlane(p.C, most) + 16),
			mo:  getScratch[float32](16*winoPlane(p.M, most) + 16),
		}
		clear(*sets[i].pad)
	}
	parallelRun(n, l)
	for i := range sets {
		putScratch(sets[i].pad)
		putScratch(sets[i].v)
		putScratch(sets[i].mo)
	}
	putLoop(l)
}

// winoMaxWorkers bounds the workers one Winograd convolution uses (the
// scratch sets live in its recycled loop, so that a call allocates
// nothing).
const winoMaxWorkers = 64

// winoScratch is one worker's scratch space: the padded input rows under
// a chunk's tiles in one image (column k holds input column k − PadLeft,
// zero outside the image, with room for a transform's last 16-tile step
// from any tile on), the transformed inputs V and the products M.
type winoScratch struct{ pad, v, mo *[]float32 }

// winoLoop is convWinograd's body. Shared out by tiles, each worker takes
// chunks of tiles (in row-major order, image after image) from a common
// counter until none are left, so that a worker that starts late or runs
// slower (the helper often does, its caches cold) takes fewer: chunks of
// l.chunk tiles, shrinking near the end. Shared out by channels, a task is
// one part of the output channels, for every tile.
type winoLoop struct {
	p            ConvParams // by value: p does not escape
	x, b, y      []float32
	u            []packedA
	th, tw       int // tile rows and columns
	chunk, parts int
	byChannels   bool
	pool         bool // y is the 2×2 max pool of the output (pools2x2)
	dynamic      bool
	workers      int
	next         atomic.Int64                // the next tile (over all images) to take
	ld           int                         // the row stride of the padded input rows
	sets         [winoMaxWorkers]winoScratch // one per worker (the loop's w)
}

// take claims the next chunk of tiles [g0, g1), numbered over all the
// images (image n's tile q is n·tiles + q; a chunk may span images), or
// reports that none is left.
func (l *winoLoop) take() (g0, g1 int, ok bool) {
	total := int64(l.p.N * l.th * l.tw)
	for {
		g := l.next.Load()
		if g >= total {
			return 0, 0, false
		}
		// Guided: a chunk is at most a (2·workers)-th of what is left.
		size := min(l.chunk, max(32, roundUp(int(total-g)/(2*l.workers), 16)))
		end := min(g+int64(size), total)
		if l.next.CompareAndSwap(g, end) {
			return int(g), int(end), true
		}
	}
}

func (l *winoLoop) run(w, lo, hi int) {
	p, tiles := &l.p, l.th*l.tw
	sc := &l.sets[w]
	pad, v, mo := *sc.pad, *sc.v, *sc.mo
	if l.dynamic {
		for {
			g0, g1, ok := l.take()
			if !ok {
				return
			}
			l.chunkOf(g0, g1, 0, p.M, pad, l.ld, v, mo)
		}
	}
	for part := lo; part < hi; part++ {
		step := roundUp((p.M+l.parts-1)/l.parts, 2*gemmMR)
		m0, m1 := min(part*step, p.M), min((part+1)*step, p.M)
		for g0 := 0; g0 < p.N*tiles; g0 += l.chunk {
			l.chunkOf(g0, min(g0+l.chunk, p.N*tiles), m0, m1, pad, l.ld, v, mo)
		}
	}
}

// chunkOf computes the output channels [m0, m1) of the tiles [g0, g1)
// (numbered over all the images), with pad (rows of ld floats) for the
// padded input rows and v and mo for the transformed inputs and the
// products.
func (l *winoLoop) chunkOf(g0, g1, m0, m1 int, pad []float32, ld int, v, mo []float32) {
	p := &l.p
	oh, ow := p.OutH(), p.OutW()
	tw, hw, tiles := l.tw, p.H*p.W, l.th*l.tw
	tc := g1 - g0                                      // tiles in this chunk: the products' columns
	pv, pm := winoPlane(p.C, tc), winoPlane(m1-m0, tc) // plane strides of V and M
	vp := v[:16*pv+16]
	// The input transform, image by image; in each plane row of V the
	// tiles go in increasing order, as the whole-step stores need.
	for c := 0; c < p.C; c++ {
		for g := g0; g < g1; {
			n, q0 := g/tiles, g%tiles
			q1 := min(tiles, q0+g1-g)
			xc := l.x[(n*p.C+c)*hw : (n*p.C+c+1)*hw]
			ia, ib := q0/tw, (q1-1)/tw // the tile rows touched
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
				winoInputRow(vp[c*tc+n*tiles+q-g0:], pad[2*(i-ia)*ld+2*j0:], ld, pv, j1-j0)
				q += j1 - j0
			}
			g += q1 - q0
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
		sgemmSerialPacked(bufs, u.arch, false, false, m1-m0, tc, p.C, 1, nil, 0, u, m0, b, tc, 0, c, tc, nil, nil)
	}
	sgemmPool.put(bufs)
	for m := m0; m < m1; m++ {
		var bias float32
		if l.b != nil {
			bias = l.b[m]
		}
		if l.pool {
			// A pooled output per tile, in the tiles' order: the
			// chunk's tiles of an image in one call.
			for g := g0; g < g1; {
				n, q0 := g/tiles, g%tiles
				q1 := min(tiles, q0+g1-g)
				winoOutputPool(l.y[(n*p.M+m)*tiles+q0:], mp[(m-m0)*tc+g-g0:], pm, q1-q0, bias, p.Relu)
				g += q1 - q0
			}
			continue
		}
		for g := g0; g < g1; {
			n, q0 := g/tiles, g%tiles
			q1 := min(tiles, q0+g1-g)
			ym := l.y[(n*p.M+m)*oh*ow : (n*p.M+m+1)*oh*ow]
			src := mp[(m-m0)*tc:] // the products of channel m
			for q := q0; q < q1; {
				i, j0 := q/tw, q%tw
				j1 := min(tw, j0+q1-q)
				rows := 1
				if j0 == 0 && j1 == tw {
					// Whole tile rows with two output rows each go in
					// one call.
					rows = max(min((q1-q)/tw, oh/2-i), 1)
				}
				w := min(2*j1, ow) - 2*j0
				y0 := ym[2*i*ow+2*j0:]
				var y1 []float32
				if 2*i+1 < oh {
					y1 = ym[(2*i+1)*ow+2*j0:]
				}
				winoOutputRows(y0, y1, src[n*tiles+q-g0:], pm, j1-j0, w, bias, p.Relu, rows, 2*ow, tw)
				if p.Act.Kind != ActNone {
					if rows > 1 || j0 == 0 && j1 == tw && y1 != nil {
						ApplyActivation(p.Act, ym[2*i*ow:2*(i+rows)*ow])
					} else {
						ApplyActivation(p.Act, y0[:w])
						if y1 != nil {
							ApplyActivation(p.Act, y1[:w])
						}
					}
				}
				q += (rows-1)*tw + j1 - j0
			}
			g += q1 - q0
		}
	}
}
