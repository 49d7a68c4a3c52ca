package kernel

import "math"

// softmaxParallelElems is the size (rows × row length) from which
// SoftmaxRows splits its rows across the workers.
const softmaxParallelElems = 1 << 15

// SoftmaxRows writes the softmax of each row of x into y, or with log
// the log-softmax: rows of n consecutive elements, len(x)/n of them (y
// may be x). Each row subtracts its maximum before exponentiating; the
// exponentials are Sigmoid's float32 e^t (within 2 ulp of e^t for the
// rounded t = x - max, 0 where t < -87, below float32's smallest normal
// result), summed in float32 in each vector lane, then across lanes. A row holding a NaN or an infinite maximum is computed in
// float64 with package math, NaN and infinities propagating as there.
func SoftmaxRows(x, y []float32, n int, log bool) {
	if n <= 0 || len(x) < n {
		return
	}
	rows := len(x) / n
	y = y[:rows*n]
	if rows < 2 || rows*n < softmaxParallelElems {
		softmaxRows(x, y, n, 0, rows, log)
		return
	}
	l := getLoop[softmaxLoop]()
	*l = softmaxLoop{x: x, y: y, n: n, log: log}
	parallelRun(rows, l)
	putLoop(l)
}

// softmaxLoop is the body of a parallel SoftmaxRows: a range of rows.
type softmaxLoop struct {
	x, y []float32
	n    int
	log  bool
}

func (l *softmaxLoop) run(_, lo, hi int) { softmaxRows(l.x, l.y, l.n, lo, hi, l.log) }

func softmaxRows(x, y []float32, n, lo, hi int, log bool) {
	var ex []float32 // log: the exponentials, which y (maybe x) cannot hold
	if log {
		buf := getScratch[float32](n)
		defer putScratch(buf)
		ex = (*buf)[:n]
	}
	for r := lo; r < hi; r++ {
		xr, yr := x[r*n:][:n], y[r*n:][:n]
		m, nan := rowMax32(xr)
		if nan || math.IsInf(float64(m), 0) {
			softmaxRow64(xr, yr, log)
			continue
		}
		er := yr
		if log {
			er = ex
		}
		done, sum := expShiftVec32(xr, er, m)
		for i := done; i < n; i++ {
			e := float32(0)
			if t := xr[i] - m; t >= expLo {
				e = exp32(t)
			}
			er[i] = e
			sum += float64(e)
		}
		if log {
			// (x - m) - log Σ: x - m is exact for the entries near the
			// maximum, whose results are the ones that matter.
			ScaleShift(xr, yr, 1, -m)
			ScaleShift(yr, yr, 1, -float32(math.Log(sum)))
			continue
		}
		ScaleShift(yr, yr, float32(1/sum), 0)
	}
}

// softmaxRow64 is one row of SoftmaxRows in float64.
func softmaxRow64(x, y []float32, log bool) {
	m := math.Inf(-1)
	for i, v := range x {
		if f := float64(v); f > m || i == 0 {
			m = f
		}
	}
	var sum float64
	for _, v := range x {
		sum += math.Exp(float64(v) - m)
	}
	if log {
		ls := math.Log(sum)
		for i, v := range x {
			y[i] = float32(float64(v) - m - ls)
		}
		return
	}
	for i, v := range x {
		y[i] = float32(math.Exp(float64(v)-m) / sum)
	}
}
