package kernel

// Integer matrix products for the quantized operators: operands are int16
// (8-bit values with their zero points subtracted, so every product is
// exact) and sums are accumulated in int32, as onnxruntime does.

// GemmS16 computes the m×n product c = a·b of row-major matrices a (m×k)
// and b (k×n), accumulating in int32 (wrapping on overflow, which 8-bit
// operands reach only beyond k = 33,000). c is overwritten. Rows are
// computed in parallel.
func GemmS16(m, n, k int, a, b []int16, c []int32) {
	if m <= 0 || n <= 0 {
		return
	}
	_, _, _ = a[m*k-1:], b[k*n-1:], c[m*n-1]
	rows := func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			gemmS16Row(n, k, a[i*k:(i+1)*k], b, c[i*n:(i+1)*n])
		}
	}
	if m*n*k < 1<<15 {
		rows(0, 0, m)
		return
	}
	parallelRun(m, loopFunc(rows))
}

// gemmS16Row computes one row of c: the k-vector a times the k×n b.
func gemmS16Row(n, k int, a, b []int16, row []int32) {
	if gemmS16RowAsm(n, k, a, b, row) {
		return
	}
	clear(row)
	p := 0
	for ; p+1 < k; p += 2 {
		a0, a1 := int32(a[p]), int32(a[p+1])
		if a0 == 0 && a1 == 0 {
			continue
		}
		b0, b1 := b[p*n:(p+1)*n], b[(p+1)*n:(p+2)*n]
		b1 = b1[:len(b0)]
		r := row[:len(b0)]
		for j := range b0 {
			r[j] += a0*int32(b0[j]) + a1*int32(b1[j])
		}
	}
	if p < k {
		a0 := int32(a[p])
		b0 := b[p*n : (p+1)*n]
		r := row[:len(b0)]
		for j := range b0 {
			r[j] += a0 * int32(b0[j])
		}
	}
}
