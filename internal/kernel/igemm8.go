package kernel

// The 8-bit integer GEMM of the quantized convolutions: int8 weights
// (zero point 0) times uint8 activations (any zero point), summed exactly
// in int32. On CPUs with AVX512-VNNI one VPDPBUSD multiplies 64 u8·s8
// pairs and adds them four by four into 16 int32 sums, with no
// intermediate saturation, so the sums are exact; the activations' zero
// point z is taken out afterwards through the weights' row sums:
// Σ w·(x - z) = Σ w·x - z·Σ w (all in wrapping int32 arithmetic, so equal
// to the widened int16 product of GemmS16 bit for bit).

// PackedU8S8 is the left operand of GemmU8S8Packed: an m×k int8 matrix
// (quantized weights) packed once, in blocks of 8 rows, each k-quad of a
// block holding the 8 rows' 4 bytes (32 bytes); k is padded with zeros to
// a multiple of 4 and m to a multiple of 8.
type PackedU8S8 struct {
	m, k, kq int
	blocks   []int8
	rowSum   []int32 // Σ_k a[i][k] per row
}

// U8S8VNNI reports whether GemmU8S8Packed runs its AVX512-VNNI kernel on
// this CPU; without it, it runs a Go kernel, slower than GemmS16's.
func U8S8VNNI() bool { return u8s8VNNI }

// PackU8S8 packs the row-major m×k matrix a.
func PackU8S8(m, k int, a []int8) *PackedU8S8 {
	m, k = max(m, 0), max(k, 0)
	kq := (k + 3) / 4
	p := &PackedU8S8{m: m, k: k, kq: kq, blocks: make([]int8, ((m+7)/8)*kq*32), rowSum: make([]int32, m)}
	for i := 0; i < m; i++ {
		row := a[i*k : (i+1)*k]
		if k == 0 {
			break
		}
		dst := p.blocks[(i/8)*kq*32+(i%8)*4:]
		var s int32
		for q, v := range row {
			dst[(q/4)*32+q%4] = v
			s += int32(v)
		}
		p.rowSum[i] = s
	}
	return p
}

// GemmU8S8Packed computes c = a·(b - bzp) + bias: a is packed m×k int8,
// b a row-major k×n uint8 matrix whose every element has bzp subtracted,
// bias (nil or m values) is added to each row. Sums are int32, wrapping
// on overflow (beyond k ≈ 66,000). c (m×n, row-major) is overwritten.
// Tiles of 8 rows by 32 columns run in parallel.
func GemmU8S8Packed(a *PackedU8S8, n int, b []uint8, bzp int32, bias []int32, c []int32) {
	m, k, kq := a.m, a.k, a.kq
	if m <= 0 || n <= 0 {
		return
	}
	_, _ = b[:k*n], c[m*n-1]
	blocks, panels := (m+7)/8, (n+31)/32
	off := make([]int32, blocks*8)
	for i := 0; i < m; i++ {
		off[i] = -bzp * a.rowSum[i]
		if bias != nil {
			off[i] += bias[i]
		}
	}
	if k == 0 {
		for i := 0; i < m; i++ {
			row := c[i*n : (i+1)*n]
			for j := range row {
				row[j] = off[i]
			}
		}
		return
	}
	psize := kq * 128
	bps := ScratchUint8(panels * psize)
	defer PutScratchUint8(bps)
	bp := *bps
	parallelRunFor(kq, k*n, loopFunc(func(_, lo, hi int) {
		for q := lo; q < hi; q++ {
			packU8Quad(b, k, n, q, bp[q*128:], psize)
		}
	}))
	ap := a.blocks
	tile := func(blk, pn int, out *[256]int32) {
		rows, cols := min(8, m-blk*8), min(32, n-pn*32)
		apb, bpp := ap[blk*kq*32:(blk+1)*kq*32], bp[pn*psize:(pn+1)*psize]
		if rows == 8 && cols == 32 {
			u8s8Kernel(apb, bpp, kq, off[blk*8:blk*8+8], c[blk*8*n+pn*32:], n)
			return
		}
		u8s8Kernel(apb, bpp, kq, off[blk*8:blk*8+8], out[:], 32)
		for r := 0; r < rows; r++ {
			copy(c[(blk*8+r)*n+pn*32:(blk*8+r)*n+pn*32+cols], out[r*32:r*32+cols])
		}
	}
	work := m * n * k / 8
	// The outer loop runs over the operand with more packed data, so that
	// each worker streams its share of it once against the other operand.
	if blocks*32 <= panels*128 {
		parallelRunFor(panels, work, loopFunc(func(_, lo, hi int) {
			var out [256]int32
			for pn := lo; pn < hi; pn++ {
				for blk := 0; blk < blocks; blk++ {
					tile(blk, pn, &out)
				}
			}
		}))
		return
	}
	parallelRunFor(blocks, work, loopFunc(func(_, lo, hi int) {
		var out [256]int32
		for blk := lo; blk < hi; blk++ {
			for pn := 0; pn < panels; pn++ {
				tile(blk, pn, &out)
			}
		}
	}))
}

// packU8Quad packs rows 4q..4q+3 of the k×n matrix b into dst, the
// quad's 128 bytes of its first panel, panels being psize bytes apart:
// each panel of 32 columns holds the columns' 4 bytes side by side.
// Rows past k and columns past n are 0.
func packU8Quad(b []uint8, k, n, q int, dst []uint8, psize int) {
	full := 0
	if 4*q+4 <= k {
		full = n / 32
		if full > 0 {
			u8PackQuads(b[4*q*n:], n, full, dst, psize)
		}
	}
	for pn := full; pn*32 < n; pn++ {
		d := dst[pn*psize : pn*psize+128]
		j0 := pn * 32
		for r := 0; r < 4; r++ {
			if 4*q+r >= k {
				for j := 0; j < 32; j++ {
					d[4*j+r] = 0
				}
				continue
			}
			row := b[(4*q+r)*n : (4*q+r+1)*n]
			for j := 0; j < 32; j++ {
				var v uint8
				if j0+j < n {
					v = row[j0+j]
				}
				d[4*j+r] = v
			}
		}
	}
}

// u8PackQuadsGo packs the 4 rows (ld bytes apart) of b into panels full
// 32-column panels of dst (see packU8Quad).
func u8PackQuadsGo(b []uint8, ld, panels int, dst []uint8, psize int) {
	for pn := 0; pn < panels; pn++ {
		d := dst[pn*psize : pn*psize+128]
		for r := 0; r < 4; r++ {
			row := b[r*ld+pn*32 : r*ld+pn*32+32]
			for j, v := range row {
				d[4*j+r] = v
			}
		}
	}
}

// u8s8KernelGo is the tile kernel in Go (see u8s8Kernel8x32VNNI): it
// writes the 8×32 tile of sums plus off[row] to c, rows ldc apart.
func u8s8KernelGo(ap []int8, bp []uint8, kq int, off []int32, c []int32, ldc int) {
	var acc [256]int32
	for q := 0; q < kq; q++ {
		a, b := ap[q*32:q*32+32], bp[q*128:q*128+128]
		for r := 0; r < 8; r++ {
			a0, a1, a2, a3 := int32(a[4*r]), int32(a[4*r+1]), int32(a[4*r+2]), int32(a[4*r+3])
			o := acc[r*32 : r*32+32]
			for j := range o {
				o[j] += a0*int32(b[4*j]) + a1*int32(b[4*j+1]) + a2*int32(b[4*j+2]) + a3*int32(b[4*j+3])
			}
		}
	}
	for r := 0; r < 8; r++ {
		row := c[r*ldc : r*ldc+32]
		for j := range row {
			row[j] = acc[r*32+j] + off[r]
		}
	}
}
