package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPackedB checks products with a prepacked B against Gemm on every
// path this machine runs, for shapes with ragged edges, several depth and
// column blocks, single rows, Mul split by columns and by rows, and beta 0
// (C not read) or not.
func TestPackedB(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, p := range gemmPaths() {
		withPath(p, func() {
			for _, s := range []struct{ m, n, k int }{
				{1, 1, 1}, {1, 300, 64}, {2, 256, 64}, {8, 512, 128}, {7, 37, 5}, {13, 1100, 300}, {25, 40, 600}, {64, 2100, 200}, {30, 700, 100},
				{130, 200, 70}, {100, 17, 900}, // Mul split by rows
			} {
				for _, beta := range []float32{0, 0.5} {
					ldb, lda, ldc := s.n+3, s.k+1, s.n+2
					a := f32(randSlice(r, s.m*lda))
					b := f32(randSlice(r, s.k*ldb))
					c0 := f32(randSlice(r, s.m*ldc))
					want := append([]float32(nil), c0...)
					Gemm(false, false, s.m, s.n, s.k, 1, a, lda, b, ldb, beta, want, ldc)
					got := append([]float32(nil), c0...)
					if beta == 0 {
						for i := range got {
							got[i] = float32(math.NaN())
						}
						for i := 0; i < s.m; i++ {
							for j := s.n; j < ldc; j++ {
								got[i*ldc+j] = want[i*ldc+j]
							}
						}
					}
					pb := NewPackedB(s.k, s.n, b, ldb)
					par := append([]float32(nil), got...)
					pb.MulSerial(s.m, a, lda, beta, got, ldc)
					for i := range want {
						if d := math.Abs(float64(got[i] - want[i])); !(d <= 1e-5*float64(s.k)) {
							t.Fatalf("%s %+v beta %g: c[%d] = %g, want %g", p.name, s, beta, i, got[i], want[i])
						}
					}
					// Mul, parallel where large, with alpha: 2·A·B + beta·C.
					want2 := append([]float32(nil), c0...)
					Gemm(false, false, s.m, s.n, s.k, 2, a, lda, b, ldb, beta, want2, ldc)
					pb.Mul(s.m, 2, a, lda, beta, par, ldc)
					for i := range want2 {
						if d := math.Abs(float64(par[i] - want2[i])); !(d <= 2e-5*float64(s.k)) {
							t.Fatalf("%s %+v beta %g: Mul: c[%d] = %g, want %g", p.name, s, beta, i, par[i], want2[i])
						}
					}
				}
			}
		})
	}
}

// TestPackedBMulBias checks MulBias against Mul followed by the bias and
// the Relu, bit for bit (the same products), on the shapes of every path:
// a single row, tiny, serial, split by rows and by columns; the columns
// past n (ldc > n) untouched.
func TestPackedBMulBias(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	for _, p := range gemmPaths() {
		withPath(p, func() {
			for _, s := range []struct{ m, n, k int }{
				{1, 300, 64}, {3, 5, 2}, {7, 37, 5}, {25, 40, 600}, {8, 512, 128}, {130, 200, 70}, {128, 128, 784}, {13, 1100, 300},
			} {
				for _, relu := range []bool{false, true} {
					lda, ldc := s.k+1, s.n+2
					a := f32(randSlice(r, s.m*lda))
					b := f32(randSlice(r, s.k*s.n))
					bias := f32(randSlice(r, s.n))
					pb := NewPackedB(s.k, s.n, b, s.n)
					want := f32(randSlice(r, s.m*ldc))
					got := append([]float32(nil), want...)
					pb.Mul(s.m, 1, a, lda, 0, want, ldc)
					neg := 0
					for i := 0; i < s.m; i++ {
						for j := 0; j < s.n; j++ {
							v := want[i*ldc+j] + bias[j]
							if relu && v < 0 {
								v, neg = 0, neg+1
							}
							want[i*ldc+j] = v
						}
					}
					if relu && neg == 0 {
						t.Fatalf("%+v: no negative sums: the test does not exercise the Relu", s)
					}
					pb.MulBias(s.m, a, lda, got, ldc, bias, relu)
					for i := range want {
						if got[i] != want[i] {
							t.Fatalf("%s %+v relu %v: c[%d] = %g, want %g", p.name, s, relu, i, got[i], want[i])
						}
					}
				}
			}
		})
	}
}

// TestPackedBRows checks a single row times a PackedB given its rows
// (SetRows) or making them (AddRows), with a bias and the Relu, against the product by columns,
// for depths around matVecMinDepth and row counts that leave ragged
// groups of four.
func TestPackedBRows(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, k := range []int{matVecMinDepth - 1, matVecMinDepth, matVecMinDepth + 13} {
		for _, n := range []int{1, 7, 130} {
			b := f32(randSlice(r, k*n))
			bt := make([]float32, n*k)
			for i := 0; i < k; i++ {
				for j := 0; j < n; j++ {
					bt[j*k+i] = b[i*n+j]
				}
			}
			a := f32(randSlice(r, k))
			bias := f32(randSlice(r, n))
			want := make([]float32, n)
			for j := range want {
				var s float64
				for i := 0; i < k; i++ {
					s += float64(a[i]) * float64(b[i*n+j])
				}
				want[j] = max(float32(s)+bias[j], 0)
			}
			for _, made := range []bool{false, true} {
				pb := NewPackedB(k, n, b, n)
				if made {
					pb.AddRows()
				} else {
					pb.SetRows(bt)
				}
				got := make([]float32, n)
				pb.MulBias(1, a, k, got, n, bias, true)
				for j := range want {
					if d := math.Abs(float64(got[j] - want[j])); d > 1e-3*(1+math.Abs(float64(want[j]))) {
						t.Fatalf("k=%d n=%d AddRows %v: y[%d] = %v, want %v", k, n, made, j, got[j], want[j])
					}
				}
			}
		}
	}
}
