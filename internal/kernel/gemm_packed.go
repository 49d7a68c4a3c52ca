package kernel

import (
	"runtime"
	"sync/atomic"
)

// The packed float32 GEMM follows the usual Goto/BLIS scheme. op(B) is cut
// into column blocks of up to nc and row (k) blocks of up to kc; each
// block is copied into a buffer of nr-wide column panels. op(A) is cut
// into row blocks of up to mc, each copied into mr-tall row panels. A
// micro-kernel then multiplies one A panel by one B panel into an mr×nr
// tile of C held in registers. Packing makes the four
// transpose cases look the same to the micro-kernel, makes its loads
// contiguous, and zero-pads the panels at the ragged edges so that the
// micro-kernel never needs to know about them: an edge tile is computed
// into a scratch tile and only its valid part is merged into C (or, with
// an edgeKernel, masked in registers).
//
// The tile (mr×nr) and block sizes (kc, mc, nc) belong to the sgemmArch,
// since they follow from the micro-kernel's register file. Both amd64
// routine sets use 6×16 (twelve 8-float accumulators; see sgemmAVX512
// for why not a 12×32 zmm tile). Sizes (Zen 4: 32 KiB L1d, 1 MiB L2 per core): one
// B panel (nr×kc floats, 16 KiB) stays in L1 while the micro-kernel sweeps
// the A block (mc×kc floats, 144 KiB) from L2; the B block (kc×nc, up to
// 1 MiB) streams from L2/L3.
const (
	gemmMR = 6   // rows of the AVX2 and portable micro-kernel tile
	gemmNR = 16  // columns of the AVX2 and portable tile (two 8-float vectors)
	gemmKC = 256 // depth of a packed block
	gemmMC = 144 // rows of a packed A block, a multiple of gemmMR
	gemmNC = 1024
)

// sgemmParallelMACs is the size (m·n·k) from which a product is split
// across goroutines when it is the only one in flight (see sgemmActive):
// the dense layers of a training batch, and at batch 1 the convolution and
// dense products of one image. Tests lower it.
var sgemmParallelMACs = 1 << 20

// sgemvParallelMACs is the same for a single row times a matrix (a dense
// layer at batch 1), which is bound by reading the matrix: split by
// columns, each core reads its own part of the weights, which can then
// stay in its cache from one run to the next.
var sgemvParallelMACs = 1 << 16

// microKernel computes the mr×nr tile C = alpha*Ã·B̃ + beta*C, where Ã is
// a packed A panel (k steps of mr floats) and B̃ a packed B panel (k steps
// of nr floats), mr×nr being its sgemmArch's tile, and C has row stride ldc
// (in floats). When beta is 0 C is not read. k ≥ 1.
type microKernel func(k int, a, b, c *float32, ldc int, alpha, beta float32)

// bigKernel computes a whole 12×32 block as a microKernel does from two
// A panels and two B panels (see sgemmArch.big), then, with bias not
// nil, adds bias[r] to its row r, the residual res (row stride ldr)
// unless it is nil, and with relu takes max(0, ·): the tile epilogue,
// bit for bit, before the block is stored.
type bigKernel func(k int, a, b, c *float32, ldc int, alpha, beta float32, bias, res *float32, ldr int, relu bool)

// edgeKernel is a microKernel that only reads and writes the top-left
// rows×cols part of C (1 ≤ rows ≤ mr, 1 ≤ cols ≤ nr), so that it can
// compute the tiles at the ragged edges of C in place as well as full ones.
type edgeKernel func(k int, a, b, c *float32, ldc int, alpha, beta float32, rows, cols int)

// imgMaxRows is the most rows of C whose products read B from the image
// (sgemmArch.img) rather than pack it: BenchmarkConvImgKernel (one
// goroutine, Zen 5) ran 32 and 48 output channels 1.1–1.2 times faster
// that way, 64 even (3×3) or 6% slower (4×4 on 14×14), 128 3% slower, 512
// even: a panel packed once serves many 12-row tiles from contiguous
// memory, the image's rows scattered over a dozen cache lines per tap do
// not. (A variable for the tests and the benchmark.)
var imgMaxRows = 48

// imgKernel is a 12×32 edgeKernel (two A panels, 1 ≤ rows ≤ 12, 1 ≤ cols
// ≤ 32) whose B is not packed but read from a convolution's image: row i
// of its 32 columns is the 32 floats at src + off + offs[i], the first 16
// loaded where masks0[(tap+i) mod taps] has their bit, the other 16 where
// masks1[(tap+i) mod taps] does, zero elsewhere (see convB).
type imgKernel func(k int, a, src *float32, off int, offs *int32, masks0, masks1 *uint16, taps, tap int, c *float32, ldc int, alpha, beta float32, rows, cols int)

// panelTransposer packs a full panel from rows of at least 8·n8 floats
// (row stride ld): dst[p·w+i] = src[i·ld+p] for p < 8·n8 and i < w, where
// the panel width w is its sgemmArch's nr or mr.
type panelTransposer func(dst, src *float32, ld, n8 int)

// panelCopier packs a panel from k rows of a matrix already laid out the
// packed way round: dst[p·w+j] = src[p·ld+j] for j < n and 0 for n ≤ j < w,
// where the panel width w is its sgemmArch's nr or mr, 1 ≤ n ≤ w and k ≥ 1.
type panelCopier func(dst, src *float32, ld, k, n int)

// rowTimesMatrix computes, for j < n, c[j] = alpha·Σ_{p<k} a[p]·b[p·ldb+j]
// + beta·c[j]: a row vector times a row-major matrix, read in place (no
// packing). When beta is 0 c is not read. k ≥ 1 and n ≥ 1.
type rowTimesMatrix func(k int, a, b *float32, ldb int, c *float32, n int, alpha, beta float32)

// sgemmArch holds the machine-specific routines of the packed Gemm and
// the sizes that suit them: the micro-kernel with its mr×nr tile, the block
// sizes, optionally fast packers for mr- and nr-wide panels (nil means
// portable Go) and a kernel for single-row products (nil means the packed
// path).
type sgemmArch struct {
	name string // for tests and benchmarks
	// mr×nr is the micro-kernel's tile; kc, mc and nc bound the depth of a
	// packed block, the rows of an A block (a multiple of mr) and the
	// columns of a B block.
	mr, nr, kc, mc, nc int
	// kernel computes full tiles; edge tiles go through a scratch tile.
	// When edge is set it computes every tile instead, in place.
	kernel microKernel
	edge   edgeKernel
	// big, when set, computes whole 12×32 blocks of C from two adjacent
	// mr-tall A panels and two adjacent nr-wide B panels (mr = 6, nr =
	// 16); the tiles around them go through edge or kernel.
	big bigKernel
	// bigEdge, when set with big, computes the ragged blocks around the
	// whole 12×32 ones (the top-left rows×cols of a 12×32 block), in
	// place; edge then only takes blocks of at most mr×nr.
	bigEdge edgeKernel
	// img, when set (with big), computes the products of convolutions
	// that pack B from the image (convB) without packing it.
	img            imgKernel
	transB, transA panelTransposer
	copyB, copyA   panelCopier
	gemv           rowTimesMatrix
}

// pickSgemmImpl returns the first of archs, or the one named by env
// ("avx2", say) when that is among them.
func pickSgemmImpl(archs []*sgemmArch, env string) *sgemmArch {
	for _, a := range archs {
		if a.name == env {
			return a
		}
	}
	if len(archs) == 0 {
		return nil
	}
	return archs[0]
}

// sgemmBufs is one goroutine's packing space, recycled through sgemmPool.
type sgemmBufs struct {
	a, b    []float32
	scratch []float32 // an edge panel's rows, for a panelTransposer
	tile    []float32 // an edge tile, mr×nr
	join    join      // the slices handed to helpers
	jobs    []sgemmJob
}

var sgemmPool freeList // of *sgemmBufs

// getSgemmBufs returns packing space from sgemmPool; give it back with
// sgemmPool.put.
func getSgemmBufs() *sgemmBufs {
	if b, ok := sgemmPool.get().(*sgemmBufs); ok {
		return b
	}
	return new(sgemmBufs)
}

// sgemmActive counts the packed products in flight. A large product only
// goes parallel when it is alone: when callers already run products side
// by side (say, one image each), splitting further would only add work.
var sgemmActive atomic.Int32

// sgemmJob is one slice of a product handed to a helper goroutine.
type sgemmJob struct {
	arch           *sgemmArch
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	done           *join
}

func (j *sgemmJob) do() {
	j.run()
	j.done.pending.Add(-1)
}

func (j *sgemmJob) run() {
	bufs := getSgemmBufs()
	sgemmSerial(bufs, j.arch, j.transA, j.transB, j.m, j.n, j.k, j.alpha, j.a, j.lda, j.b, j.ldb, j.beta, j.c, j.ldc)
	sgemmPool.put(bufs)
}

// sgemmPacked is the float32 Gemm on arguments already checked, with
// m, n, k ≥ 1 and alpha ≠ 0.
func sgemmPacked(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	arch := sgemmImpl
	active := sgemmActive.Add(1)
	defer sgemmActive.Add(-1)
	bufs := getSgemmBufs()
	defer sgemmPool.put(bufs)

	workers := 1
	if active == 1 && (m*n*k >= sgemmParallelMACs || m == 1 && n*k >= sgemvParallelMACs) {
		workers = runtime.GOMAXPROCS(0)
	}
	// Split the larger of m and n into whole tiles, one part per worker.
	splitN := n >= m
	tiles, unit := (m+arch.mr-1)/arch.mr, arch.mr
	if splitN {
		tiles, unit = (n+arch.nr-1)/arch.nr, arch.nr
	}
	workers = min(workers, tiles)
	if workers <= 1 {
		sgemmSerial(bufs, arch, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	startHelpers()
	if cap(bufs.jobs) < workers {
		bufs.jobs = make([]sgemmJob, workers)
	}
	jobs := bufs.jobs[:workers]
	defer clear(jobs) // drop the operands
	per := (tiles + workers - 1) / workers * unit
	size := m
	if splitN {
		size = n
	}
	for w, lo := 1, per; lo < size; w, lo = w+1, lo+per {
		j := &jobs[w]
		*j = sgemmJob{arch: arch, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
			a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, done: &bufs.join}
		if splitN {
			j.n = min(per, n-lo)
			j.c = c[lo:]
			if transB {
				j.b = b[lo*ldb:]
			} else {
				j.b = b[lo:]
			}
		} else {
			j.m = min(per, m-lo)
			j.c = c[lo*ldc:]
			if transA {
				j.a = a[lo:]
			} else {
				j.a = a[lo*lda:]
			}
		}
		bufs.join.pending.Add(1)
		if !tasks.push(j) { // the queue is full: do it here
			j.do()
		}
	}
	if splitN {
		n = min(per, n)
	} else {
		m = min(per, m)
	}
	sgemmSerial(bufs, arch, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	bufs.join.wait()
}

// grow returns s resized to n, reallocating only when it is too small.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// blockSize splits n into ceil(n/limit) near-equal blocks and returns
// their size rounded up to a multiple of unit, so that no block is a sliver.
func blockSize(n, limit, unit int) int {
	blocks := (n + limit - 1) / limit
	size := (n + blocks - 1) / blocks
	return (size + unit - 1) / unit * unit
}

// sgemmSerial computes the product in the calling goroutine.
func sgemmSerial(bufs *sgemmBufs, arch *sgemmArch, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmSerialPacked(bufs, arch, transA, transB, m, n, k, alpha, a, lda, nil, 0, b, ldb, beta, c, ldc, nil, nil)
}

// sgemmSerialPacked is sgemmSerial that takes A already packed when pa is
// not nil (see packA; a, lda and transA are then unused): the rows
// [r0, r0+m) of the matrix pa packs, r0 a multiple of mr. It packs B
// from an image with cb when it is not nil (see convB; b, ldb and transB
// are then unused). With ep, each tile of C gets ep's bias, residual and
// Relu as soon as its last depth block is computed (ep.bias[i] for row i
// of C, ep.res laid out as C).
func sgemmSerialPacked(bufs *sgemmBufs, arch *sgemmArch, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, pa *packedA, r0 int, b []float32, ldb int, beta float32, c []float32, ldc int, cb *convB, ep *tileEpilogue) {
	if pa == nil && cb == nil && m == 1 && !transB && (!transA || lda == 1) && arch.gemv != nil {
		// A single row (a batch of one through a dense layer): packing B
		// would cost as much as the product, so stream B as it is.
		_ = a[k-1]
		_ = b[(k-1)*ldb+n-1]
		_ = c[n-1]
		arch.gemv(k, &a[0], &b[0], ldb, &c[0], n, alpha, beta)
		ep.apply(c, ldc, 0, 0, 1, n)
		return
	}
	mr, nr := arch.mr, arch.nr
	kcb := blockSize(k, arch.kc, 1)
	mcb := blockSize(m, arch.mc, mr)
	ncb := blockSize(n, arch.nc, nr)
	bufs.a = grow(bufs.a, mcb*kcb)
	bufs.b = grow(bufs.b, ncb*kcb)
	bufs.scratch = grow(bufs.scratch, max(mr, nr)*kcb)
	bufs.tile = grow(bufs.tile, mr*nr)
	for jc := 0; jc < n; jc += ncb {
		nc := min(ncb, n-jc)
		for pc := 0; pc < k; pc += kcb {
			kc := min(kcb, k-pc)
			packB := func(j0, cols int) {
				switch {
				case cb != nil:
					cb.pack(bufs.b, pc, j0, kc, cols)
				case transB:
					packT(arch.transB, nr, bufs.b, b, ldb, j0, pc, cols, kc, bufs.scratch)
				default:
					packN(arch.copyB, nr, bufs.b, b, ldb, pc, j0, kc, cols)
				}
			}
			bt := beta
			if pc > 0 {
				bt = 1
			}
			var last *tileEpilogue // the epilogue, on the last depth block
			if pc+kc == k {
				last = ep
			}
			if cb != nil && arch.img != nil && m <= imgMaxRows {
				// B read from the image by the micro-kernel itself.
				for ic := 0; ic < m; ic += mcb {
					mc := min(mcb, m-ic)
					ap := bufs.a
					if pa != nil {
						ap = pa.data[pc*roundUp(pa.m, mr)+(r0+ic)*kc:]
					} else {
						packT(arch.transA, mr, bufs.a, a, lda, ic, pc, mc, kc, bufs.scratch)
					}
					cb.products(arch.img, mc, nc, kc, pc, jc, alpha, bt, ap, c[ic*ldc+jc:], ldc, last.at(ic, jc))
				}
				continue
			}
			if m <= mcb && nc > 2*nr {
				// One block of rows: each B panel serves it once, so it
				// is packed just before its products, while it stays in
				// the L1 cache, not with the whole kc×nc block, which
				// goes out to L2 and comes back (the same products in
				// the same order).
				ap := bufs.a
				switch {
				case pa != nil:
					ap = pa.data[pc*roundUp(pa.m, mr)+r0*kc:]
				case transA:
					packN(arch.copyA, mr, bufs.a, a, lda, pc, 0, kc, m)
				default:
					packT(arch.transA, mr, bufs.a, a, lda, 0, pc, m, kc, bufs.scratch)
				}
				for jr := 0; jr < nc; jr += 2 * nr {
					cols := min(2*nr, nc-jr)
					packB(jc+jr, cols)
					sgemmMacro(arch, m, cols, kc, alpha, bt, ap, bufs.b, c[jc+jr:], ldc, bufs.tile, last.at(0, jc+jr))
				}
				continue
			}
			packB(jc, nc)
			for ic := 0; ic < m; ic += mcb {
				mc := min(mcb, m-ic)
				ap := bufs.a
				switch {
				case pa != nil:
					ap = pa.data[pc*roundUp(pa.m, mr)+(r0+ic)*kc:]
				case transA:
					packN(arch.copyA, mr, bufs.a, a, lda, pc, ic, kc, mc)
				default:
					packT(arch.transA, mr, bufs.a, a, lda, ic, pc, mc, kc, bufs.scratch)
				}
				sgemmMacro(arch, mc, nc, kc, alpha, bt, ap, bufs.b, c[ic*ldc+jc:], ldc, bufs.tile, last.at(ic, jc))
			}
		}
	}
}

// roundUp rounds n up to a multiple of unit.
func roundUp(n, unit int) int { return (n + unit - 1) / unit * unit }

// packedA is a row-major m×k matrix packed once for sgemmSerialPacked, in
// the blocks sgemmSerial would pack it in: for each depth block [pc,
// pc+kc) and row block [ic, ic+mc), its mr-tall panels at
// pc·roundUp(m, mr) + ic·kc. Products with many right-hand sides (a
// convolution's kernel times each image's im2col blocks) pack it once.
type packedA struct {
	arch *sgemmArch
	m, k int
	data []float32
}

// packA packs the row-major m×k matrix a (row stride lda) into dst (grown
// as needed) for the current routine set, which must exist (sgemmFast).
func packA(dst []float32, m, k int, a []float32, lda int) packedA {
	arch := sgemmImpl
	mr := arch.mr
	kcb := blockSize(k, arch.kc, 1)
	mcb := blockSize(m, arch.mc, mr)
	dst = grow(dst, roundUp(m, mr)*k)
	scratch := getScratch[float32](mr * kcb)
	for pc := 0; pc < k; pc += kcb {
		kc := min(kcb, k-pc)
		for ic := 0; ic < m; ic += mcb {
			mc := min(mcb, m-ic)
			packT(arch.transA, mr, dst[pc*roundUp(m, mr)+ic*kc:], a, lda, ic, pc, mc, kc, *scratch)
		}
	}
	putScratch(scratch)
	return packedA{arch: arch, m: m, k: k, data: dst}
}

// gemmPackedA computes C = A·B + beta·C for the rows [r0, r1) of A
// packed by packA (r0 a multiple of the tile height mr; C is (r1-r0)×n,
// row stride ldc) and B a row-major k×n matrix (row stride ldb), in the
// calling goroutine, with ep's bias and Relu on each tile (see
// sgemmSerialPacked) when it is not nil.
func gemmPackedA(pa *packedA, r0, r1, n int, b []float32, ldb int, beta float32, c []float32, ldc int, ep *tileEpilogue) {
	checkMatrix("B", pa.k, n, len(b), ldb)
	checkMatrix("C", r1-r0, n, len(c), ldc)
	bufs := getSgemmBufs()
	sgemmSerialPacked(bufs, pa.arch, false, false, r1-r0, n, pa.k, 1, nil, 0, pa, r0, b, ldb, beta, c, ldc, nil, ep)
	sgemmPool.put(bufs)
}

// tileEpilogue is what a convolution's product applies to each tile of
// its output once the tile's sums are complete: the bias of each output
// channel (row), a residual (a tensor of the output's shape added, as a
// ResNet's skip connection) and a Relu, while the tile is in the L1
// cache, in place of passes over the whole output after the product.
type tileEpilogue struct {
	bias []float32 // per row of the C block the product computes
	res  []float32 // nil, or laid out as the C block (row stride ld)
	ld   int
	relu bool
}

// at returns the epilogue of the part of the block from row r0, column
// c0 on (nil for nil).
func (ep *tileEpilogue) at(r0, c0 int) *tileEpilogue {
	if ep == nil || r0 == 0 && c0 == 0 {
		return ep
	}
	e := &tileEpilogue{bias: ep.bias[r0:], ld: ep.ld, relu: ep.relu}
	if ep.res != nil {
		e.res = ep.res[r0*ep.ld+c0:]
	}
	return e
}

// apply adds to the tile c (rows×cols, row stride ldc, at row r0 and
// column j0 of the block) the bias of its rows, then the residual, then
// the Relu: the separate steps' results, bit for bit. A nil ep does
// nothing.
func (ep *tileEpilogue) apply(c []float32, ldc, r0, j0, rows, cols int) {
	if ep == nil || rows <= 0 || cols <= 0 {
		return
	}
	bias := ep.bias[r0 : r0+rows]
	for j := 0; j < cols; j += 32 {
		n := min(32, cols-j)
		var res []float32
		if ep.res != nil {
			res = ep.res[r0*ep.ld+j0+j:]
		}
		if biasTile32(c[j:], ldc, rows, n, bias, res, ep.ld, ep.relu) {
			continue
		}
		for i, b := range bias {
			row := c[i*ldc+j:][:n]
			if res == nil {
				addBias(row, b, ep.relu)
				continue
			}
			addBias(row, b, false)
			rr := res[i*ep.ld:][:n]
			for k := range row {
				row[k] += rr[k]
			}
			if ep.relu {
				relu(row, row)
			}
		}
	}
}

// sgemmMacro multiplies a packed mc×kc A block by a packed kc×nc B block
// into C (mc×nc, row stride ldc): C = alpha*A·B + beta*C, then with ep
// ep's bias, residual and Relu on each tile as it is computed (ep aligned
// with this block). tile holds mr×nr floats.
func sgemmMacro(arch *sgemmArch, mc, nc, kc int, alpha, beta float32, ap, bp, c []float32, ldc int, tile []float32, ep *tileEpilogue) {
	mr, nr := arch.mr, arch.nr
	if arch.big != nil && arch.bigEdge != nil {
		// 12×32 blocks everywhere: whole ones by big, ragged ones by
		// bigEdge, or by edge when they fit one mr×nr tile.
		for jr := 0; jr < nc; jr += 2 * nr {
			cols := min(2*nr, nc-jr)
			bpanel := bp[jr*kc:]
			for ir := 0; ir < mc; ir += 2 * mr {
				rows := min(2*mr, mc-ir)
				ct := c[ir*ldc+jr : (ir+rows-1)*ldc+jr+cols]
				switch {
				case rows == 2*mr && cols == 2*nr && ep != nil:
					// The epilogue in the kernel, before its stores.
					var res *float32
					if ep.res != nil {
						rt := ep.res[ir*ep.ld+jr : (ir+rows-1)*ep.ld+jr+cols]
						res = &rt[0]
					}
					arch.big(kc, &ap[ir*kc], &bpanel[0], &ct[0], ldc, alpha, beta, &ep.bias[ir], res, ep.ld, ep.relu)
					continue
				case rows == 2*mr && cols == 2*nr:
					arch.big(kc, &ap[ir*kc], &bpanel[0], &ct[0], ldc, alpha, beta, nil, nil, 0, false)
				case rows <= mr && cols <= nr:
					arch.edge(kc, &ap[ir*kc], &bpanel[0], &ct[0], ldc, alpha, beta, rows, cols)
				default:
					arch.bigEdge(kc, &ap[ir*kc], &bpanel[0], &ct[0], ldc, alpha, beta, rows, cols)
				}
				ep.apply(ct, ldc, ir, jr, rows, cols)
			}
		}
		return
	}
	for jr := 0; jr < nc; jr += nr {
		ir := 0
		if arch.big != nil && nc-jr >= 2*nr && mc >= 2*mr {
			// Two B panels at once: whole 12×32 blocks, then the rows
			// left under them tile by tile in each panel.
			bpanel := bp[jr*kc : (jr+2*nr)*kc]
			for ; ir+2*mr <= mc; ir += 2 * mr {
				ct := c[ir*ldc+jr : (ir+2*mr-1)*ldc+jr+2*nr]
				arch.big(kc, &ap[ir*kc : (ir+2*mr)*kc][0], &bpanel[0], &ct[0], ldc, alpha, beta, nil, nil, 0, false)
				ep.apply(ct, ldc, ir, jr, 2*mr, 2*nr)
			}
			for ; ir < mc; ir += mr {
				rows := min(mr, mc-ir)
				sgemmTile(arch, kc, alpha, beta, ap[ir*kc:(ir+mr)*kc], bp[jr*kc:(jr+nr)*kc], c[ir*ldc+jr:], ldc, rows, nr, tile)
				sgemmTile(arch, kc, alpha, beta, ap[ir*kc:(ir+mr)*kc], bp[(jr+nr)*kc:(jr+2*nr)*kc], c[ir*ldc+jr+nr:], ldc, rows, nr, tile)
				ep.apply(c[ir*ldc+jr:], ldc, ir, jr, rows, 2*nr)
			}
			jr += nr // two panels done
			continue
		}
		cols := min(nr, nc-jr)
		bpanel := bp[jr*kc : (jr+nr)*kc]
		for ; ir < mc; ir += mr {
			rows := min(mr, mc-ir)
			sgemmTile(arch, kc, alpha, beta, ap[ir*kc:(ir+mr)*kc], bpanel, c[ir*ldc+jr:], ldc, rows, cols, tile)
			ep.apply(c[ir*ldc+jr:], ldc, ir, jr, rows, cols)
		}
	}
}

// sgemmTile computes the top-left rows×cols part of one mr×nr tile of C
// (row stride ldc) from an A panel and a B panel: with the edge kernel in
// place, with the full-tile kernel in place, or through the scratch tile.
func sgemmTile(arch *sgemmArch, kc int, alpha, beta float32, apanel, bpanel, c []float32, ldc, rows, cols int, tile []float32) {
	mr, nr := arch.mr, arch.nr
	if arch.edge != nil {
		ct := c[:(rows-1)*ldc+cols]
		arch.edge(kc, &apanel[0], &bpanel[0], &ct[0], ldc, alpha, beta, rows, cols)
		return
	}
	if rows == mr && cols == nr {
		ct := c[:(mr-1)*ldc+nr]
		arch.kernel(kc, &apanel[0], &bpanel[0], &ct[0], ldc, alpha, beta)
		return
	}
	arch.kernel(kc, &apanel[0], &bpanel[0], &tile[0], nr, 1, 0)
	for i := 0; i < rows; i++ {
		row := c[i*ldc:][:cols]
		t := tile[i*nr:][:cols]
		if beta == 0 {
			for j := range row {
				row[j] = alpha * t[j]
			}
		} else {
			for j := range row {
				row[j] = alpha*t[j] + beta*row[j]
			}
		}
	}
}

// The packed layout. A panel of width w (mr for A, nr for B) holds
// kc steps of w floats: step p of panel q of a block is the w consecutive
// elements op(A)[i0+q·w+i][p0+p] (i < w) or op(B)[p0+p][j0+q·w+j] (j < w),
// zero past the matrix edge. Viewed in storage, either the panel's w
// elements of a step are consecutive in memory (B not transposed, A
// transposed: packN copies) or its kc steps are (A not transposed, B
// transposed: packT transposes).

// packN packs the w-wide panels of the block of rows [p0, p0+kc) and
// columns [c0, c0+nc) of the row-major matrix x (row stride ld), where a
// panel is w consecutive columns: step p of panel q is x[p0+p][c0+q·w:][:w].
func packN(fast panelCopier, w int, dst, x []float32, ld, p0, c0, kc, nc int) {
	for q := 0; q*w < nc; q++ {
		d := dst[q*w*kc : (q+1)*w*kc]
		n := min(w, nc-q*w)
		src := x[p0*ld+c0+q*w:]
		_ = src[(kc-1)*ld+n-1]
		if fast != nil {
			fast(&d[0], &src[0], ld, kc, n)
			continue
		}
		for p := 0; p < kc; p++ {
			e := d[p*w : (p+1)*w]
			copy(e, src[p*ld:][:n])
			clear(e[n:])
		}
	}
}

// packT packs the w-wide panels of the block of rows [r0, r0+nr) and
// columns [p0, p0+kc) of the row-major matrix x (row stride ld), where a
// panel is w consecutive rows, transposed: step p of panel q holds
// x[r0+q·w+i][p0+p] for i < w. scratch holds at least w·kc floats.
func packT(fast panelTransposer, w int, dst, x []float32, ld, r0, p0, nr, kc int, scratch []float32) {
	for q := 0; q*w < nr; q++ {
		d := dst[q*w*kc : (q+1)*w*kc]
		rows := min(w, nr-q*w)
		src, sld := x[(r0+q*w)*ld+p0:], ld
		if rows < w && fast != nil {
			// Stage the edge panel's rows, and zero ones under them, so
			// that the transposer can treat it as a full panel.
			sc := scratch[:w*kc]
			for i := 0; i < w; i++ {
				if i < rows {
					copy(sc[i*kc:(i+1)*kc], src[i*ld:][:kc])
				} else {
					clear(sc[i*kc : (i+1)*kc])
				}
			}
			src, sld, rows = sc, kc, w
		}
		_ = src[(rows-1)*sld+kc-1]
		p := 0
		if fast != nil && rows == w && kc >= 8 {
			p = kc &^ 7
			fast(&d[0], &src[0], sld, p/8)
		}
		if p == kc {
			continue
		}
		if rows < w {
			clear(d)
		}
		for i := 0; i < rows; i++ {
			di := d[p*w+i:]
			for t, v := range src[i*sld+p : i*sld+kc] {
				di[t*w] = v
			}
		}
	}
}
