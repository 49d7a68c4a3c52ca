package kernel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// The packed float32 GEMM follows the usual Goto/BLIS scheme. op(B) is cut
// into column blocks of up to gemmNC and row (k) blocks of up to gemmKC;
// each block is copied into a buffer of gemmNR-wide column panels. op(A) is
// cut into row blocks of up to gemmMC, each copied into gemmMR-tall row
// panels. A micro-kernel then multiplies one A panel by one B panel into a
// gemmMR×gemmNR tile of C held in registers. Packing makes the four
// transpose cases look the same to the micro-kernel, makes its loads
// contiguous, and zero-pads the panels at the ragged edges so that the
// micro-kernel never needs to know about them: an edge tile is computed
// into a scratch tile and only its valid part is merged into C.
//
// Sizes (Zen 4: 32 KiB L1d, 1 MiB L2 per core): one B panel (NR×KC floats,
// 16 KiB) stays in L1 while the micro-kernel sweeps the A block (MC×KC
// floats, 144 KiB) from L2; the B block (KC×NC, up to 1 MiB) streams from
// L2/L3.
const (
	gemmMR = 6   // rows of the micro-kernel tile
	gemmNR = 16  // columns of the micro-kernel tile (two 8-float vectors)
	gemmKC = 256 // depth of a packed block
	gemmMC = 144 // rows of a packed A block, a multiple of gemmMR
	gemmNC = 1024
)

// sgemmParallelMACs is the size (m·n·k) from which a product is split
// across goroutines when it is the only one in flight (see sgemmActive):
// the dense layers of a training batch, and at batch 1 the convolution and
// dense products of one image. Tests lower it.
var sgemmParallelMACs = 1 << 20

// microKernel computes the gemmMR×gemmNR tile C = alpha*Ã·B̃ + beta*C,
// where Ã is a packed A panel (k steps of gemmMR floats) and B̃ a packed B
// panel (k steps of gemmNR floats), and C has row stride ldc (in floats).
// When beta is 0 C is not read. k ≥ 1.
type microKernel func(k int, a, b, c *float32, ldc int, alpha, beta float32)

// panelTransposer packs a full panel from rows of at least 8·n8 floats
// (row stride ld): dst[p·w+i] = src[i·ld+p] for p < 8·n8 and i < w, where
// the panel width w is gemmNR or gemmMR.
type panelTransposer func(dst, src *float32, ld, n8 int)

// panelCopier packs a panel from k rows of a matrix already laid out the
// packed way round: dst[p·w+j] = src[p·ld+j] for j < n and 0 for n ≤ j < w,
// where the panel width w is gemmNR or gemmMR, 1 ≤ n ≤ w and k ≥ 1.
type panelCopier func(dst, src *float32, ld, k, n int)

// rowTimesMatrix computes, for j < n, c[j] = alpha·Σ_{p<k} a[p]·b[p·ldb+j]
// + beta·c[j]: a row vector times a row-major matrix, read in place (no
// packing). When beta is 0 c is not read. k ≥ 1 and n ≥ 1.
type rowTimesMatrix func(k int, a, b *float32, ldb int, c *float32, n int, alpha, beta float32)

// sgemmArch holds the machine-specific routines of the packed Gemm: the
// micro-kernel and, optionally, fast packers (nil means portable Go) and a
// kernel for single-row products (nil means the packed path).
type sgemmArch struct {
	kernel            microKernel
	transB16, transA6 panelTransposer
	copyB16, copyA6   panelCopier
	gemv              rowTimesMatrix
}

// sgemmBufs is one goroutine's packing space, recycled through sgemmPool.
type sgemmBufs struct {
	a, b    []float32
	scratch []float32 // an edge panel's rows, for a panelTransposer
	tile    [gemmMR * gemmNR]float32
	wg      sync.WaitGroup
}

var sgemmPool = sync.Pool{New: func() any { return new(sgemmBufs) }}

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
	done           *sync.WaitGroup
}

var (
	sgemmJobs        = make(chan sgemmJob)
	sgemmHelpersMu   sync.Mutex
	sgemmHelperCount int
)

// sgemmHelpers makes sure n helper goroutines wait on sgemmJobs. Helpers
// live as long as the process; there are at most GOMAXPROCS-1 of them
// (the largest GOMAXPROCS seen).
func sgemmHelpers(n int) {
	sgemmHelpersMu.Lock()
	defer sgemmHelpersMu.Unlock()
	for ; sgemmHelperCount < n; sgemmHelperCount++ {
		go func() {
			for j := range sgemmJobs {
				j.run()
				j.done.Done()
			}
		}()
	}
}

func (j *sgemmJob) run() {
	bufs := sgemmPool.Get().(*sgemmBufs)
	sgemmSerial(bufs, j.arch, j.transA, j.transB, j.m, j.n, j.k, j.alpha, j.a, j.lda, j.b, j.ldb, j.beta, j.c, j.ldc)
	sgemmPool.Put(bufs)
}

// sgemmPacked is the float32 Gemm on arguments already checked, with
// m, n, k ≥ 1 and alpha ≠ 0.
func sgemmPacked(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	arch := sgemmImpl
	active := sgemmActive.Add(1)
	defer sgemmActive.Add(-1)
	bufs := sgemmPool.Get().(*sgemmBufs)
	defer sgemmPool.Put(bufs)

	workers := 1
	if active == 1 && m*n*k >= sgemmParallelMACs {
		workers = runtime.GOMAXPROCS(0)
	}
	// Split the larger of m and n into whole tiles, one part per worker.
	splitN := n >= m
	tiles, unit := (m+gemmMR-1)/gemmMR, gemmMR
	if splitN {
		tiles, unit = (n+gemmNR-1)/gemmNR, gemmNR
	}
	workers = min(workers, tiles)
	if workers <= 1 {
		sgemmSerial(bufs, arch, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	sgemmHelpers(workers - 1)
	per := (tiles + workers - 1) / workers * unit
	size := m
	if splitN {
		size = n
	}
	for lo := per; lo < size; lo += per {
		j := sgemmJob{arch: arch, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
			a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, done: &bufs.wg}
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
		bufs.wg.Add(1)
		select {
		case sgemmJobs <- j:
		default: // every helper is busy: do it here
			j.run()
			bufs.wg.Done()
		}
	}
	if splitN {
		n = min(per, n)
	} else {
		m = min(per, m)
	}
	sgemmSerial(bufs, arch, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	bufs.wg.Wait()
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
	if m == 1 && !transB && (!transA || lda == 1) && arch.gemv != nil {
		// A single row (a batch of one through a dense layer): packing B
		// would cost as much as the product, so stream B as it is.
		_ = a[k-1]
		_ = b[(k-1)*ldb+n-1]
		_ = c[n-1]
		arch.gemv(k, &a[0], &b[0], ldb, &c[0], n, alpha, beta)
		return
	}
	kcb := blockSize(k, gemmKC, 1)
	mcb := blockSize(m, gemmMC, gemmMR)
	ncb := blockSize(n, gemmNC, gemmNR)
	bufs.a = grow(bufs.a, mcb*kcb)
	bufs.b = grow(bufs.b, ncb*kcb)
	bufs.scratch = grow(bufs.scratch, gemmNR*kcb)
	for jc := 0; jc < n; jc += ncb {
		nc := min(ncb, n-jc)
		for pc := 0; pc < k; pc += kcb {
			kc := min(kcb, k-pc)
			if transB {
				packT(arch.transB16, gemmNR, bufs.b, b, ldb, jc, pc, nc, kc, bufs.scratch)
			} else {
				packN(arch.copyB16, gemmNR, bufs.b, b, ldb, pc, jc, kc, nc)
			}
			bt := beta
			if pc > 0 {
				bt = 1
			}
			for ic := 0; ic < m; ic += mcb {
				mc := min(mcb, m-ic)
				if transA {
					packN(arch.copyA6, gemmMR, bufs.a, a, lda, pc, ic, kc, mc)
				} else {
					packT(arch.transA6, gemmMR, bufs.a, a, lda, ic, pc, mc, kc, bufs.scratch)
				}
				sgemmMacro(arch.kernel, mc, nc, kc, alpha, bt, bufs.a, bufs.b, c[ic*ldc+jc:], ldc, &bufs.tile)
			}
		}
	}
}

// sgemmMacro multiplies a packed mc×kc A block by a packed kc×nc B block
// into C (mc×nc, row stride ldc): C = alpha*A·B + beta*C.
func sgemmMacro(kernel microKernel, mc, nc, kc int, alpha, beta float32, ap, bp, c []float32, ldc int, tile *[gemmMR * gemmNR]float32) {
	for jr := 0; jr < nc; jr += gemmNR {
		nr := min(gemmNR, nc-jr)
		bpanel := bp[jr*kc : (jr+gemmNR)*kc]
		for ir := 0; ir < mc; ir += gemmMR {
			mr := min(gemmMR, mc-ir)
			apanel := ap[ir*kc : (ir+gemmMR)*kc]
			if mr == gemmMR && nr == gemmNR {
				ct := c[ir*ldc+jr : (ir+gemmMR-1)*ldc+jr+gemmNR]
				kernel(kc, &apanel[0], &bpanel[0], &ct[0], ldc, alpha, beta)
				continue
			}
			kernel(kc, &apanel[0], &bpanel[0], &tile[0], gemmNR, 1, 0)
			for i := 0; i < mr; i++ {
				row := c[(ir+i)*ldc+jr:][:nr]
				t := tile[i*gemmNR:][:nr]
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
	}
}

// The packed layout. A panel of width w (gemmMR for A, gemmNR for B) holds
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
