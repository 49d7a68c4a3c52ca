package kernel

import "math"

// Adam applies one Adam update to the parameters w from their gradient g
// and moments m and v (all of one length), in place:
//
//	m += (g - m)·b1;  v += (g² - v)·b2;  w -= alpha·m / (√v + eps)
//
// where b1 and b2 are 1 − β1 and 1 − β2 and alpha the bias-corrected
// learning rate. The vector loop (AVX2, 8 at a time) does the same float32
// operations in the same order as the portable one, without fused
// multiply-adds, so results do not depend on the CPU or on how the update
// is split across the cores.
func Adam(w, g, m, v []float32, alpha, b1, b2, eps float32) {
	n := len(w)
	g, m, v = g[:n], m[:n], v[:n]
	// Split across the cores from 2^16 parameters (the dense layers'
	// kernels): ParallelFor splits work of 2^15 or more.
	ParallelFor(n, n/2, func(lo, hi int) {
		adamRange(w[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], alpha, b1, b2, eps)
	})
}

// adamRange is Adam on one range, on the calling goroutine.
func adamRange(w, g, m, v []float32, alpha, b1, b2, eps float32) {
	done := adam32(w, g, m, v, alpha, b1, b2, eps)
	adamScalar(w[done:], g[done:], m[done:], v[done:], alpha, b1, b2, eps)
}

// adamScalar is the portable Adam loop.
func adamScalar(w, g, m, v []float32, alpha, b1, b2, eps float32) {
	for j, gj := range g {
		m[j] += (gj - m[j]) * b1
		v[j] += (gj*gj - v[j]) * b2
		w[j] -= alpha * m[j] / (float32(math.Sqrt(float64(v[j]))) + eps)
	}
}
