package kernel

// addRows adds rows of n elements of src (row stride lds) into rows of
// dst (row stride ldd): dst[r·ldd+j] += src[r·lds+j] for r < rows, j < n.
// It is the inner loop of col2im, one call per kernel tap.
func addRows[T Float](dst, src []T, n, rows, ldd, lds int) {
	if n <= 0 || rows <= 0 {
		return
	}
	// Bounds for the whole block, checked once.
	_ = dst[(rows-1)*ldd+n-1]
	_ = src[(rows-1)*lds+n-1]
	if d, ok := any(dst).([]float32); ok && addRows32(d, any(src).([]float32), n, rows, ldd, lds) {
		return
	}
	for r := 0; r < rows; r++ {
		d := dst[r*ldd:][:n]
		for i, v := range src[r*lds:][:n] {
			d[i] += v
		}
	}
}

// copyRows copies rows of n elements of src (row stride lds) into rows of
// dst (row stride ldd). It is the inner loop of im2col, one call per
// kernel tap.
func copyRows[T Float](dst, src []T, n, rows, ldd, lds int) {
	if n <= 0 || rows <= 0 {
		return
	}
	_ = dst[(rows-1)*ldd+n-1]
	_ = src[(rows-1)*lds+n-1]
	if d, ok := any(dst).([]float32); ok && copyRows32(d, any(src).([]float32), n, rows, ldd, lds) {
		return
	}
	for r := 0; r < rows; r++ {
		copy(dst[r*ldd:][:n], src[r*lds:][:n])
	}
}

// deinterleave splits src into its even and odd elements:
// even[j] = src[2j], odd[j] = src[2j+1] (len(even) == len(odd), len(src)
// ≥ 2·len(even)).
func deinterleave[T Float](even, odd, src []T) {
	done := 0
	if e32, ok := any(even).([]float32); ok {
		done = deinterleave32(e32, any(odd).([]float32), any(src).([]float32))
	}
	src = src[:2*len(even)]
	odd = odd[:len(even)]
	for j := done; j < len(even); j++ {
		even[j], odd[j] = src[2*j], src[2*j+1]
	}
}

// gatherStridedRows sets dst[i·ldd+j] = src[i·lds+j·stride] for i <
// rows, j < n: rows of a strided convolution's im2col matrix, or of the
// pixels a strided 1×1 convolution reads. src must hold the last element
// read, (rows-1)·lds+(n-1)·stride, and may end there.
func gatherStridedRows[T Float](dst []T, ldd int, src []T, lds, n, rows, stride int) {
	if rows <= 0 || n <= 0 {
		return
	}
	src = src[:(rows-1)*lds+(n-1)*stride+1]
	if _, ok := any(dst).([]float32); ok && stride == 2 {
		// The vector loop reads each row's 2n floats: all rows but the
		// last have them; the last one's elements but its last do.
		if rows > 1 && gatherEvenRows32(any(dst).([]float32), ldd, any(src).([]float32), lds, n, rows-1) {
			dst, src, rows = dst[(rows-1)*ldd:], src[(rows-1)*lds:], 1
		}
		if rows == 1 && gatherEvenRows32(any(dst).([]float32), 0, any(src).([]float32), 0, n-1, 1) {
			dst[n-1] = src[2*(n-1)]
			return
		}
	}
	for i := 0; i < rows; i++ {
		out, in := dst[i*ldd:][:n], src[i*lds:]
		if stride == 1 {
			copy(out, in)
			continue
		}
		for j := range out {
			out[j] = in[j*stride]
		}
	}
}

// deinterleaveRows is deinterleave of rows rows: even[i·lde+j] =
// src[i·lds+2j] and odd[i·lde+j] = src[i·lds+2j+1] for i < rows, j < n
// (the phase planes of a stride-2 image, one call for all the rows).
func deinterleaveRows[T Float](even, odd []T, lde int, src []T, lds, n, rows int) {
	if e32, ok := any(even).([]float32); ok && deinterleaveRows32(e32, any(odd).([]float32), lde, any(src).([]float32), lds, n, rows) {
		return
	}
	for i := 0; i < rows; i++ {
		deinterleave(even[i*lde:][:n], odd[i*lde:][:n], src[i*lds:][:2*n])
	}
}

// matVec computes y[i] = Σ_{p<k} a[i·lda+p]·x[p] for i < m: a matrix,
// row-major, times a vector, each row's dot product read in place (a
// convolution of a 1×1 image: the squeeze-excitation layers of
// MobileNetV3 and EfficientNet), where the packed product would pack a
// panel of one column and run its tiles 1/32 full.
func matVec[T Float](m, k int, a []T, lda int, x, y []T) {
	done, k8 := 0, 0
	if a32, ok := any(a).([]float32); ok {
		done = matVec32(m, k, a32, lda, any(x).([]float32), any(y).([]float32))
		k8 = k &^ 7
	}
	for i := 0; i < m; i++ {
		p0 := 0
		s := T(0)
		if i < done {
			p0, s = k8, y[i]
		}
		row := a[i*lda:][:k]
		for p := p0; p < k; p++ {
			s += row[p] * x[p]
		}
		y[i] = s
	}
}

// Lerp sets dst[i] = c0·a[i] + c1·b[i] for i < len(dst) (a and b hold at
// least len(dst) elements), each product and the sum rounded (the same
// values in the vector loop and the scalar tail): a row of a linear
// Resize from the two source rows around it.
func Lerp(dst, a, b []float32, c0, c1 float32) {
	done := lerp32(dst, a, b, c0, c1)
	a, b = a[:len(dst)], b[:len(dst)]
	for i := done; i < len(dst); i++ {
		dst[i] = float32(c0*a[i]) + float32(c1*b[i]) // the conversions keep the roundings (no FMA)
	}
}

// LerpGather sets dst[j] = w0[j]·src[k0[j]] + w1[j]·src[k1[j]] for j <
// len(dst), the taps added to 0 one after the other, every product and
// sum rounded (the same values in the vector loop and the scalar tail): a
// row of a linear Resize from its source row. It panics when an index is
// outside src.
func LerpGather(dst, src []float32, k0, k1 []int32, w0, w1 []float32) {
	n := len(dst)
	k0, k1, w0, w1 = k0[:n], k1[:n], w0[:n], w1[:n]
	for j := range n {
		if uint(k0[j]) >= uint(len(src)) || uint(k1[j]) >= uint(len(src)) {
			panic("kernel: LerpGather: index outside the source row")
		}
	}
	for j := lerpGather32(dst, src, k0, k1, w0, w1); j < n; j++ {
		var acc float32
		acc += float32(w0[j] * src[k0[j]])
		acc += float32(w1[j] * src[k1[j]])
		dst[j] = acc
	}
}

// copyParallelMin is the length from which Copy splits its copy across
// the workers: one core's memmove does not take all of the bandwidth the
// caches give two.
const copyParallelMin = 1 << 16

// Copy copies src into dst (len(dst) ≥ len(src)), in parts on the workers
// when long: the blocks of a Concat of feature maps.
func Copy(dst, src []float32) {
	if len(src) < copyParallelMin {
		copy(dst, src)
		return
	}
	dst = dst[:len(src)]
	l := getLoop[copyLoop]()
	*l = copyLoop{dst: dst, src: src}
	parallelRun((len(src)+copyParallelMin/2-1)/(copyParallelMin/2), l)
	putLoop(l)
}

// CopyRuns copies src into dst as a strided layout lists it: dst[d] for
// d < n (n a multiple of dims[last]) is src at the offset off + Σ idx[k]·
// st[k] of the d-th element in row-major order over dims, whose last axis
// has stride 1 (runs of dims[last] consecutive elements: a Transpose
// that keeps the innermost axes, as a channel shuffle's). Long copies are
// split across the workers by runs: each copies the runs it is given
// from wherever they are.
func CopyRuns(dst, src []float32, off, n int, dims, st []int) {
	last := len(dims) - 1
	if last < 0 || n == 0 {
		return
	}
	if st[last] != 1 || n%dims[last] != 0 {
		panic("kernel: CopyRuns: the innermost axis must have stride 1 and n be whole runs")
	}
	l := getLoop[copyRunsLoop]()
	*l = copyRunsLoop{dst: dst[:n], src: src, off: off, dims: dims, st: st}
	parallelRunFor(n/dims[last], 4*n, l)
	putLoop(l)
}

// copyRunsLoop is the body of CopyRuns: a range of runs.
type copyRunsLoop struct {
	dst, src []float32
	off      int
	dims, st []int
}

func (l *copyRunsLoop) run(_, lo, hi int) {
	last := len(l.dims) - 1
	run := l.dims[last]
	var buf [8]int
	idx := buf[:0]
	if last <= len(buf) {
		idx = buf[:last]
	} else {
		idx = make([]int, last)
	}
	// The source offset of run lo: its index over the outer axes.
	s, q := l.off, lo
	for k := last - 1; k >= 0; k-- {
		idx[k] = q % l.dims[k]
		q /= l.dims[k]
		s += idx[k] * l.st[k]
	}
	for r := lo; r < hi; r++ {
		copy(l.dst[r*run:(r+1)*run], l.src[s:s+run])
		for k := last - 1; k >= 0; k-- {
			idx[k]++
			s += l.st[k]
			if idx[k] < l.dims[k] {
				break
			}
			s -= l.st[k] * l.dims[k]
			idx[k] = 0
		}
	}
}

// copyLoop is the body of Copy: a range of parts of copyParallelMin/2
// elements.
type copyLoop struct{ dst, src []float32 }

func (l *copyLoop) run(_, lo, hi int) {
	const part = copyParallelMin / 2
	i0, i1 := lo*part, min(hi*part, len(l.src))
	copy(l.dst[i0:i1], l.src[i0:i1])
}
