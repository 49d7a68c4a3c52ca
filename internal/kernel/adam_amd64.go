//go:build amd64 && !purego

package kernel

// adamAVX2 runs the Adam update on n elements, n a multiple of 8 (see
// adam_amd64.s).
//
//go:noescape
func adamAVX2(w, grad, mom, vel *float32, n int, alpha, b1, b2, eps float32)

// adam32 runs the vector Adam loop on the longest prefix of whole vectors
// and returns its length (0 without AVX2).
func adam32(w, g, m, v []float32, alpha, b1, b2, eps float32) int {
	n := len(w) &^ 7
	if !vectorAVX2 || n == 0 {
		return 0
	}
	_, _, _ = g[n-1], m[n-1], v[n-1]
	adamAVX2(&w[0], &g[0], &m[0], &v[0], n, alpha, b1, b2, eps)
	return n
}
