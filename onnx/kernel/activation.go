package kernel

// parallelMinElems is the length from which the elementwise kernels split
// their work across goroutines; below it, starting them costs more than
// it saves.
const parallelMinElems = 1 << 16

// elementwise runs body over [0, n) in one call, or split into chunks run
// in parallel when n is large.
func elementwise(n int, body func(lo, hi int)) {
	if n < parallelMinElems {
		body(0, n)
		return
	}
	parallelFor(n, func(_, lo, hi int) { body(lo, hi) })
}

// Relu writes max(x, 0) into y (len(y) ≥ len(x)).
func Relu[T Float](x, y []T) {
	y = y[:len(x)]
	elementwise(len(x), func(lo, hi int) {
		yy := y[lo:hi]
		for i, v := range x[lo:hi] {
			yy[i] = max(v, 0)
		}
	})
}

// ReluGrad writes into dx the gradient of a ReLU from its output y and the
// output gradient dy: dy where y > 0, else 0.
func ReluGrad[T Float](y, dy, dx []T) {
	dy, dx = dy[:len(y)], dx[:len(y)]
	elementwise(len(y), func(lo, hi int) {
		g, d := dy[lo:hi], dx[lo:hi]
		for i, v := range y[lo:hi] {
			if v > 0 {
				d[i] = g[i]
			} else {
				d[i] = 0
			}
		}
	})
}
