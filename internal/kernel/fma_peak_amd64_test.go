//go:build amd64 && !purego

package kernel

import (
	"testing"

	"golang.org/x/sys/cpu"
)

// BenchmarkFMAPeak measures the float32 FMA peak of one core (a loop of
// independent FMAs, no memory traffic) with 256-bit and, where the CPU has
// them, 512-bit vectors, and of all GOMAXPROCS cores with each, in
// GFLOP/s: the ceiling the GEMM's GFLOP/s (see
// BenchmarkGemm, BenchmarkConv2D) is a fraction of. bench/compare.sh
// prints it next to the LeNet's achieved GFLOP/s.
func BenchmarkFMAPeak(b *testing.B) {
	const iters = 1 << 16
	b.Run("ymm", func(b *testing.B) {
		if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
			b.Skip("no AVX2/FMA")
		}
		for b.Loop() {
			fmaLoopYMM(iters)
		}
		b.ReportMetric(192*iters*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("ymm-all-cores", func(b *testing.B) {
		if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
			b.Skip("no AVX2/FMA")
		}
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				fmaLoopYMM(iters)
			}
		})
		b.ReportMetric(192*iters*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("zmm", func(b *testing.B) {
		if !hasAVX512() {
			b.Skip("no AVX-512")
		}
		for b.Loop() {
			fmaLoopZMM(iters)
		}
		b.ReportMetric(384*iters*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("zmm-all-cores", func(b *testing.B) {
		if !hasAVX512() {
			b.Skip("no AVX-512")
		}
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				fmaLoopZMM(iters)
			}
		})
		b.ReportMetric(384*iters*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}
