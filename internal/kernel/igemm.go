package kernel

// Integer matrix products for the quantized operators: operands are int16
// (8-bit values with their zero points subtracted, so every product is
// exact) and sums are accumulated in int32, as onnxruntime does.

// GemmS16 computes the m×n product c = a·b of row-major matrices a (m×k)
// and b (k×n), accumulating in int32 (wrapping on overflow, which 8-bit
// operands reach only beyond k = 33,000). c is overwritten.
//
// Both operands are packed in k-pairs: a in blocks of 4 rows, b in panels
// of 16 columns, each k-pair of each column holding (b[2p][j],
// b[2p+1][j]); a 4×16 tile kernel (AVX2 VPMADDWD where the CPU has it,
// chosen at run time, else Go) multiplies a block by a panel. Tiles run in
// parallel.
func GemmS16(m, n, k int, a, b []int16, c []int32) {
	if m <= 0 || n <= 0 {
		return
	}
	_, _, _ = a[m*k-1:], b[k*n-1:], c[m*n-1]
	if k == 0 {
		clear(c[:m*n])
		return
	}
	if !s16AVX2 || m*n*k < 1<<14 {
		gemmS16Simple(m, n, k, a, b, c)
		return
	}
	kp := (k + 1) / 2
	blocks, panels := (m+3)/4, (n+15)/16
	ap := make([]int16, blocks*kp*8)
	for i := 0; i < m; i++ {
		row, dst := a[i*k:(i+1)*k], ap[(i/4)*kp*8+(i%4)*2:]
		for p := 0; p < k; p++ {
			dst[(p/2)*8+p%2] = row[p]
		}
	}
	bp := make([]int16, panels*kp*32)
	for p := 0; p < k; p++ {
		row := b[p*n : (p+1)*n]
		for j, v := range row {
			bp[((j/16)*kp+p/2)*32+(j%16)*2+p%2] = v
		}
	}
	tile := func(blk, pn int, out *[64]int32) {
		s16Kernel(ap[blk*kp*8:(blk+1)*kp*8], bp[pn*kp*32:(pn+1)*kp*32], kp, out)
		rows, cols := min(4, m-blk*4), min(16, n-pn*16)
		for r := 0; r < rows; r++ {
			copy(c[(blk*4+r)*n+pn*16:(blk*4+r)*n+pn*16+cols], out[r*16:r*16+cols])
		}
	}
	// The outer loop runs over the operand with more packed data, so that
	// each worker streams its share of it once against the other operand.
	if blocks*8 <= panels*32 {
		parallelRun(panels, loopFunc(func(_, lo, hi int) {
			var out [64]int32
			for pn := lo; pn < hi; pn++ {
				for blk := 0; blk < blocks; blk++ {
					tile(blk, pn, &out)
				}
			}
		}))
		return
	}
	parallelRun(blocks, loopFunc(func(_, lo, hi int) {
		var out [64]int32
		for blk := lo; blk < hi; blk++ {
			for pn := 0; pn < panels; pn++ {
				tile(blk, pn, &out)
			}
		}
	}))
}

// s16KernelGo is the tile kernel in Go (see s16Kernel4x16AVX2).
func s16KernelGo(ap, bp []int16, kp int, out *[64]int32) {
	clear(out[:])
	for p := 0; p < kp; p++ {
		a, b := ap[p*8:p*8+8], bp[p*32:p*32+32]
		for r := 0; r < 4; r++ {
			a0, a1 := int32(a[2*r]), int32(a[2*r+1])
			o := out[r*16 : r*16+16]
			for j := range o {
				o[j] += a0*int32(b[2*j]) + a1*int32(b[2*j+1])
			}
		}
	}
}

// gemmS16Simple is GemmS16 without packing, for small products and CPUs
// without the vector kernel; rows run in parallel.
func gemmS16Simple(m, n, k int, a, b []int16, c []int32) {
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
