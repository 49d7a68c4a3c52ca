package kernel

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// BenchmarkGemm times float32 Gemm on the LeNet products with each packed
// routine set the CPU can run ("packed-avx512", "packed-avx2") and with
// gonum ("gonum") side by side, and reports GFLOP/s (2·m·n·k per call). Products below
// sgemmParallelMACs run on one goroutine, as the per-image convolution
// products do in training (where two images run at once).
func BenchmarkGemm(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, s := range lenetShapes {
		ra, ca := s.m, s.k
		if s.ta {
			ra, ca = s.k, s.m
		}
		rb, cb := s.k, s.n
		if s.tb {
			rb, cb = s.n, s.k
		}
		a := f32(randSlice(r, ra*ca))
		bm := f32(randSlice(r, rb*cb))
		c := make([]float32, s.m*s.n)
		b.Run(s.name, func(b *testing.B) {
			for _, p := range gemmPaths() {
				if strings.HasPrefix(p.name, "packed-go") {
					continue
				}
				name := strings.Replace(p.name, "asm-", "packed-", 1)
				b.Run(name, func(b *testing.B) {
					withPath(p, func() {
						b.ReportAllocs()
						for b.Loop() {
							Gemm(s.ta, s.tb, s.m, s.n, s.k, 1, a, ca, bm, cb, 0, c, s.n)
						}
						b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					})
				})
			}
		})
	}
}
