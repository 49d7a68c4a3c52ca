package kernel

import (
	"math/rand/v2"
	"testing"
)

// TestGemmS16 compares the packed integer GEMM (vector kernel where the
// CPU has it, the Go tile kernel, and the simple loop) with a naive
// product, on shapes with ragged edges and extreme 8-bit values.
func TestGemmS16(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][3]int{{1, 1, 1}, {4, 16, 2}, {5, 17, 3}, {7, 33, 64}, {64, 49, 4608}, {33, 3136, 27}, {3, 100, 577}} {
		m, n, k := sz[0], sz[1], sz[2]
		a, b := make([]int16, m*k), make([]int16, k*n)
		for i := range a {
			a[i] = int16(r.IntN(511) - 255)
		}
		for i := range b {
			b[i] = int16(r.IntN(511) - 255)
		}
		if m == 64 {
			for i := range a {
				a[i], b[i%len(b)] = 255, -255 // sums near the int32 range of k·255²
			}
		}
		want := make([]int32, m*n)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var s int32
				for p := 0; p < k; p++ {
					s += int32(a[i*k+p]) * int32(b[p*n+j])
				}
				want[i*n+j] = s
			}
		}
		check := func(name string) {
			c := make([]int32, m*n)
			for i := range c {
				c[i] = 12345 // overwritten, not accumulated
			}
			GemmS16(m, n, k, a, b, c)
			for i := range c {
				if c[i] != want[i] {
					t.Fatalf("%s %dx%dx%d: c[%d] = %d, want %d", name, m, n, k, i, c[i], want[i])
				}
			}
		}
		check("default")
		if s16AVX2 {
			s16AVX2 = false
			check("simple")
			s16AVX2 = true
		}
		kp := (k + 1) / 2
		ap, bp := make([]int16, kp*8), make([]int16, kp*32)
		for i := range ap {
			ap[i] = int16(r.IntN(511) - 255)
		}
		for i := range bp {
			bp[i] = int16(r.IntN(511) - 255)
		}
		var x, y [64]int32
		s16Kernel(ap, bp, kp, &x)
		s16KernelGo(ap, bp, kp, &y)
		if x != y {
			t.Fatalf("tile kernel %d pairs: %v, Go %v", kp, x, y)
		}
	}
}

func BenchmarkGemmS16(b *testing.B) {
	m, n, k := 256, 784, 1152
	a, bb, c := make([]int16, m*k), make([]int16, k*n), make([]int32, m*n)
	for i := range a {
		a[i] = int16(i%255 - 127)
	}
	for i := range bb {
		bb[i] = int16(i%251 - 120)
	}
	b.SetBytes(int64(2 * m * n * k)) // "bytes" are operations: GOPS = MB/s / 1000
	for b.Loop() {
		GemmS16(m, n, k, a, bb, c)
	}
}
