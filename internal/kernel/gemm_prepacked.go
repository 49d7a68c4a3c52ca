package kernel

// PackedB is a constant right-hand side of float32 products, packed once
// into the GEMM's panel layout: the recurrence weights of an LSTM, GRU or
// RNN, multiplied at every time step, or the weights of a Gemm or MatMul
// node. Products with it skip packing B, which for a few rows of A costs
// as much as the arithmetic. It is read-only once made, so any number of
// goroutines may use it at once.
type PackedB struct {
	arch *sgemmArch // the routines it was packed for (nil: not packed)
	k, n int
	b    []float32 // the matrix as given (row-major k×n, row stride ldb)
	ldb  int
	data []float32 // blocks (jc, pc) at jc·k + roundUp(nc, nr)·pc
	bt   []float32 // with SetRows, the matrix transposed (n×k), or nil
}

// SetRows gives pb its matrix transposed as well, bt (n rows of k: the
// layout PyTorch stores a Linear layer's weights in), which a single row
// of A (batch 1) then multiplies row by row: each output a dot product
// of contiguous memory, the rows split across the workers. pb keeps bt.
func (pb *PackedB) SetRows(bt []float32) {
	checkMatrix("Bᵀ", pb.n, pb.k, len(bt), pb.k)
	pb.bt = bt
}

// matVecMinDepth is the shortest row (k) a single row of A multiplies
// B's rows for (SetRows): each dot product ends in adding its eight
// partial sums, which for short rows costs more than streaming B by
// columns saves. In the models at batch 1 (onnxkit bench --profile):
// the PyTorch MNIST CNN's 3136→128 layer 0.019 → 0.013 ms, ResNet-50's
// 2048→1000 0.226 → 0.200 ms, ResNet-18's 512→1000 0.060 → 0.068 ms
// (so not taken there), MobileNetV3's 576→1024 and 1024→1000 even.
const matVecMinDepth = 2048

// AddRows gives pb its matrix transposed, as SetRows does, made here
// (a copy the size of B, once) when single rows of A would read it (k at
// least matVecMinDepth): for weights stored k×n (Keras' dense kernels,
// MatMul's B).
func (pb *PackedB) AddRows() {
	if pb.k < matVecMinDepth || pb.n == 0 || pb.bt != nil {
		return
	}
	bt := make([]float32, pb.n*pb.k)
	transpose2D(bt, pb.k, pb.b, pb.ldb, pb.k, pb.n)
	pb.bt = bt
}

// matVecLoop is the body of a single row times a matrix with SetRows:
// the outputs [4lo, 4hi), each a row of bt times a.
type matVecLoop struct {
	pb   *PackedB
	a, c []float32
}

func (l *matVecLoop) run(_, lo, hi int) {
	k := l.pb.k
	r0, r1 := 4*lo, min(4*hi, l.pb.n)
	matVec(r1-r0, k, l.pb.bt[r0*k:], k, l.a, l.c[r0:r1])
}

// NewPackedB packs the row-major k×n matrix b (row stride ldb), which it
// keeps (single rows of A stream it unpacked). When this process runs no
// packed GEMM (ONNXKIT_GEMM=gonum, other CPUs) nothing is packed and the
// products run Gemm.
func NewPackedB(k, n int, b []float32, ldb int) *PackedB {
	checkMatrix("B", k, n, len(b), ldb)
	pb := &PackedB{k: k, n: n, b: b, ldb: ldb}
	if !sgemmFast || k == 0 || n == 0 {
		return pb
	}
	arch := sgemmImpl
	nr := arch.nr
	kcb := blockSize(k, arch.kc, 1)
	ncb := blockSize(n, arch.nc, nr)
	pb.arch = arch
	pb.data = make([]float32, roundUp(n, nr)*k)
	for jc := 0; jc < n; jc += ncb {
		nc := min(ncb, n-jc)
		for pc := 0; pc < k; pc += kcb {
			kc := min(kcb, k-pc)
			packN(arch.copyB, nr, pb.data[jc*k+roundUp(nc, nr)*pc:], b, ldb, pc, jc, kc, nc)
		}
	}
	return pb
}

// Dims returns the k×n shape of the packed matrix.
func (pb *PackedB) Dims() (k, n int) { return pb.k, pb.n }

// MulSerial computes C = A·B + beta·C in the calling goroutine, for A
// row-major m×k (row stride lda) and C m×n (row stride ldc). It suits the
// small products of a recurrence step, which splitting across goroutines
// would only slow down; a single row (batch 1) is the exception: it reads
// B unpacked, split by columns across the workers when B is large, as
// Gemm does. As in Gemm, C is not read when beta is 0.
func (pb *PackedB) MulSerial(m int, a []float32, lda int, beta float32, c []float32, ldc int) {
	k, n := pb.k, pb.n
	if m == 0 || n == 0 {
		return
	}
	checkMatrix("A", m, k, len(a), lda)
	checkMatrix("C", m, n, len(c), ldc)
	arch := pb.arch
	switch {
	case k == 0:
		scale(beta, c, m, n, ldc)
		return
	case arch == nil || arch != sgemmImpl || m*n*k <= sgemmSmallMACs:
		// Not packed, packed for other routines (tests switch them), or
		// tiny.
		sgemmUnpackedSerial(m, n, k, a, lda, pb.b, pb.ldb, beta, c, ldc)
		return
	case m == 1:
		// A single row streams B unpacked, split by columns across the
		// workers when B is large (Gemm's row-times-matrix path): each
		// core then keeps its part of B in its cache from step to step.
		Gemm(false, false, 1, n, k, 1, a, lda, pb.b, pb.ldb, beta, c, ldc)
		return
	}
	pb.mulColumns(m, 1, a, lda, beta, c, ldc, 0, n)
}

// Mul computes C = alpha·A·B + beta·C like MulSerial, split by columns
// across the worker goroutines when the product is large enough (as Gemm
// splits its products), for a Gemm or MatMul node with constant weights.
func (pb *PackedB) Mul(m int, alpha float32, a []float32, lda int, beta float32, c []float32, ldc int) {
	pb.mul(m, alpha, a, lda, beta, c, ldc, rowBias{})
}

// MulBias computes C = A·B + bias, bias (n long) added to every row of C,
// and then with relu max(C, 0): a MatMul with the Add of a bias and the
// Relu fused after it. Each worker adds the bias to the block of C it has
// just computed, while that is in its cache.
func (pb *PackedB) MulBias(m int, a []float32, lda int, c []float32, ldc int, bias []float32, relu bool) {
	if len(bias) < pb.n {
		panic("kernel: PackedB.MulBias: bias shorter than a row of C")
	}
	pb.mul(m, 1, a, lda, 0, c, ldc, rowBias{bias: bias, relu: relu, on: true})
}

// rowBias is what PackedB.MulBias adds to the rows of a product.
type rowBias struct {
	bias []float32
	relu bool
	on   bool
}

// apply adds the bias to the columns [c0, c1) of rows rows of c (row
// stride ldc), then the Relu.
func (rb rowBias) apply(c []float32, ldc, rows, c0, c1 int) {
	if !rb.on || rows <= 0 || c1 <= c0 {
		return
	}
	addRows(c[c0:], rb.bias[c0:c1], c1-c0, rows, ldc, 0)
	if rb.relu {
		for r := 0; r < rows; r++ {
			seg := c[r*ldc+c0:][:c1-c0]
			relu(seg, seg)
		}
	}
}

func (pb *PackedB) mul(m int, alpha float32, a []float32, lda int, beta float32, c []float32, ldc int, rb rowBias) {
	k, n := pb.k, pb.n
	if m == 0 || n == 0 {
		return
	}
	arch := pb.arch
	if m == 1 && pb.bt != nil && k >= matVecMinDepth && alpha == 1 && beta == 0 && len(a) >= k && len(c) >= n {
		// A single row with B's rows at hand: dot products of
		// contiguous rows, split across the workers when B is large.
		l := getLoop[matVecLoop]()
		*l = matVecLoop{pb: pb, a: a[:k], c: c[:n]}
		if n*k >= sgemvParallelMACs {
			parallelRun((n+3)/4, l)
		} else {
			l.run(0, 0, (n+3)/4)
		}
		putLoop(l)
		rb.apply(c, ldc, 1, 0, n)
		return
	}
	if arch == nil || arch != sgemmImpl || m == 1 || k == 0 || alpha == 0 || m*n*k <= sgemmSmallMACs {
		// Not packed, tiny, or a single row (which streams B unpacked,
		// split by columns): Gemm's own paths.
		Gemm(false, false, m, n, k, alpha, a, lda, pb.b, pb.ldb, beta, c, ldc)
		rb.apply(c, ldc, m, 0, n)
		return
	}
	checkMatrix("A", m, k, len(a), lda)
	checkMatrix("C", m, n, len(c), ldc)
	panels := (n + arch.nr - 1) / arch.nr
	active := sgemmActive.Add(1)
	defer sgemmActive.Add(-1)
	if active > 1 || m*n*k < sgemmParallelMACs || panels < 2 {
		pb.mulColumns(m, alpha, a, lda, beta, c, ldc, 0, n)
		rb.apply(c, ldc, m, 0, n)
		return
	}
	l := getLoop[packedBLoop]()
	*l = packedBLoop{pb: pb, m: m, alpha: alpha, a: a, lda: lda, beta: beta, c: c, ldc: ldc, rb: rb}
	if tiles := (m + 2*arch.mr - 1) / (2 * arch.mr); tiles >= 2*workerCount(tiles) {
		// Rows enough for every worker: split them, so that each packs
		// only its own rows of A (split by columns, every worker packs
		// all of A; with B's 128 columns a batch of 128 spent a third of
		// its time packing A twice).
		l.byRows = true
		parallelRun(tiles, l)
	} else {
		parallelRun(panels, l)
	}
	putLoop(l)
}

// packedBLoop is the body of a parallel PackedB.Mul: a range of B panels,
// or with byRows a range of 2·mr-row tiles of A and C.
type packedBLoop struct {
	pb          *PackedB
	m, lda, ldc int
	alpha, beta float32
	a, c        []float32
	byRows      bool
	rb          rowBias
}

func (l *packedBLoop) run(_, lo, hi int) {
	if l.byRows {
		rows := 2 * l.pb.arch.mr
		r0, r1 := lo*rows, min(hi*rows, l.m)
		l.pb.mulColumns(r1-r0, l.alpha, l.a[r0*l.lda:], l.lda, l.beta, l.c[r0*l.ldc:], l.ldc, 0, l.pb.n)
		l.rb.apply(l.c[r0*l.ldc:], l.ldc, r1-r0, 0, l.pb.n)
		return
	}
	nr := l.pb.arch.nr
	c0, c1 := lo*nr, min(hi*nr, l.pb.n)
	l.pb.mulColumns(l.m, l.alpha, l.a, l.lda, l.beta, l.c, l.ldc, c0, c1)
	l.rb.apply(l.c, l.ldc, l.m, c0, c1)
}

// mulColumns computes the columns [c0, c1) of C = alpha·A·B + beta·C on
// the calling goroutine, c0 a multiple of nr (m ≥ 1, k ≥ 1, B packed for
// the current routines).
func (pb *PackedB) mulColumns(m int, alpha float32, a []float32, lda int, beta float32, c []float32, ldc int, c0, c1 int) {
	arch, k, n := pb.arch, pb.k, pb.n
	bufs := getSgemmBufs()
	defer sgemmPool.put(bufs)
	mr, nr := arch.mr, arch.nr
	kcb := blockSize(k, arch.kc, 1)
	mcb := blockSize(m, arch.mc, mr)
	ncb := blockSize(n, arch.nc, nr)
	bufs.a = grow(bufs.a, mcb*kcb)
	bufs.scratch = grow(bufs.scratch, max(mr, nr)*kcb)
	bufs.tile = grow(bufs.tile, mr*nr)
	for jc := c0 / ncb * ncb; jc < c1; jc += ncb {
		nc := min(ncb, n-jc)
		lo, hi := max(c0, jc), min(c1, jc+nc) // the part of this block asked for
		for pc := 0; pc < k; pc += kcb {
			kc := min(kcb, k-pc)
			bp := pb.data[jc*k+roundUp(nc, nr)*pc+(lo-jc)*kc:][:roundUp(hi-lo, nr)*kc]
			bt := beta
			if pc > 0 {
				bt = 1
			}
			for ic := 0; ic < m; ic += mcb {
				mc := min(mcb, m-ic)
				packT(arch.transA, mr, bufs.a, a, lda, ic, pc, mc, kc, bufs.scratch)
				sgemmMacro(arch, mc, hi-lo, kc, alpha, bt, bufs.a, bp, c[ic*ldc+lo:], ldc, bufs.tile, nil)
			}
		}
	}
}

// sgemmUnpackedSerial is C = A·B + beta·C (no transposes) on one
// goroutine, by whichever path Gemm would take for it.
func sgemmUnpackedSerial(m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if !sgemmFast {
		impl.Sgemm(trans(false), trans(false), m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if m*n*k <= sgemmSmallMACs {
		gemmGeneric(false, false, m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
		return
	}
	bufs := getSgemmBufs()
	sgemmSerial(bufs, sgemmImpl, false, false, m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
	sgemmPool.put(bufs)
}
