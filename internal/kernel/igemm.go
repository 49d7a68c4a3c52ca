package kernel

// Integer matrix products for the quantized operators: operands are int16
// (8-bit values with their zero points subtracted, so every product is
// exact) and sums are accumulated in int32, as onnxruntime does.

// GemmS16 computes the m×n product c = a·b of row-major matrices a (m×k)
// and b (k×n), accumulating in int32 (wrapping on overflow, which 8-bit
// operands reach only beyond k = 33,000). c is overwritten.
//
// Both operands are packed in k-pairs: a in blocks of 4 rows (see
// PackS16), b in panels of 16 columns, each k-pair of each column holding
// (b[2p][j], b[2p+1][j]); a 4×16 tile kernel (AVX2 VPMADDWD where the CPU
// has it, chosen at run time, else Go) multiplies a block by a panel.
// Tiles run in parallel.
func GemmS16(m, n, k int, a, b []int16, c []int32) {
	GemmS16Packed(PackS16(m, k, a), n, b, c)
}

// PackedS16 is the left operand of GemmS16Packed: an m×k int16 matrix
// packed once, so that a constant operand (quantized weights) is not
// packed again on every product.
type PackedS16 struct {
	m, k, kp int
	raw      []int16 // the row-major matrix, for the unpacked path
	blocks   []int16 // blocks of 4 rows, k-pairs interleaved; nil when unused
}

// PackS16 packs the row-major m×k matrix a (kept, not copied: a must not
// change while the result is used).
func PackS16(m, k int, a []int16) *PackedS16 {
	p := &PackedS16{m: m, k: k, kp: (k + 1) / 2, raw: a[:m*k]}
	if !s16AVX2 || m <= 0 || k <= 0 {
		return p
	}
	kp := p.kp
	p.blocks = make([]int16, ((m+3)/4)*kp*8)
	for i := 0; i < m; i++ {
		row, dst := a[i*k:(i+1)*k], p.blocks[(i/4)*kp*8+(i%4)*2:]
		for q := 0; q < k; q++ {
			dst[(q/2)*8+q%2] = row[q]
		}
	}
	return p
}

// GemmS16Packed is GemmS16 with a packed left operand.
func GemmS16Packed(a *PackedS16, n int, b []int16, c []int32) {
	m, k, kp := a.m, a.k, a.kp
	if m <= 0 || n <= 0 {
		return
	}
	_, _ = b[k*n-1:], c[m*n-1]
	if k == 0 {
		clear(c[:m*n])
		return
	}
	if a.blocks == nil || m*n*k < 1<<14 {
		gemmS16Simple(m, n, k, a.raw, b, c)
		return
	}
	blocks, panels := (m+3)/4, (n+15)/16
	// Columns past n and the second half of an odd last k-pair may hold
	// anything: they meet zeros of the packed a or are never copied out.
	bps := ScratchInt16(panels * kp * 32)
	defer PutScratchInt16(bps)
	bp := *bps
	pack := func(_, lo, hi int) {
		for pn := lo; pn < hi; pn++ {
			j0 := pn * 16
			cnt := min(16, n-j0)
			dst := bp[pn*kp*32 : (pn+1)*kp*32]
			for q := 0; q < k; q += 2 {
				d := dst[(q/2)*32 : (q/2)*32+32]
				r0 := b[q*n+j0 : q*n+j0+cnt]
				for j, v := range r0 {
					d[2*j] = v
				}
				if q+1 < k {
					r1 := b[(q+1)*n+j0 : (q+1)*n+j0+cnt]
					for j, v := range r1 {
						d[2*j+1] = v
					}
				}
			}
		}
	}
	parallelRun(panels, loopFunc(pack))
	ap := a.blocks
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
