package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAdamMatchesScalar checks that Adam (vector loop, split across the
// cores for large inputs) gives bit-identical results to the portable
// loop, over lengths around the vector width and a split-sized one, for
// several steps, with zero, tiny and huge gradients.
func TestAdamMatchesScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 63, 1000, 1 << 17} {
		w1, g := make([]float32, n), make([]float32, n)
		for i := range w1 {
			w1[i] = float32(r.NormFloat64())
			switch i % 5 {
			case 0:
				g[i] = 0
			case 1:
				g[i] = float32(r.NormFloat64() * 1e-30)
			case 2:
				g[i] = float32(r.NormFloat64() * 1e18)
			default:
				g[i] = float32(r.NormFloat64())
			}
		}
		w2 := append([]float32{}, w1...)
		m1, v1 := make([]float32, n), make([]float32, n)
		m2, v2 := make([]float32, n), make([]float32, n)
		for step := 1; step <= 3; step++ {
			alpha := float32(1e-3 * math.Sqrt(1-math.Pow(0.999, float64(step))) / (1 - math.Pow(0.9, float64(step))))
			Adam(w1, g, m1, v1, alpha, 0.1, 0.001, 1e-7)
			adamScalar(w2, g, m2, v2, alpha, 0.1, 0.001, 1e-7)
			for i := range w1 {
				if math.Float32bits(w1[i]) != math.Float32bits(w2[i]) || m1[i] != m2[i] || v1[i] != v2[i] {
					t.Fatalf("n %d step %d: element %d: w %g m %g v %g, portable loop w %g m %g v %g",
						n, step, i, w1[i], m1[i], v1[i], w2[i], m2[i], v2[i])
				}
			}
		}
	}
}

func BenchmarkAdam(b *testing.B) {
	n := 800 * 500 // the LeNet's first dense kernel
	w, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range g {
		g[i] = float32(i%17) - 8
	}
	b.SetBytes(int64(16 * n))
	for b.Loop() {
		Adam(w, g, m, v, 1e-3, 0.1, 0.001, 1e-7)
	}
}

func BenchmarkAdamScalar(b *testing.B) {
	n := 800 * 500
	w, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range g {
		g[i] = float32(i%17) - 8
	}
	b.SetBytes(int64(16 * n))
	for b.Loop() {
		adamScalar(w, g, m, v, 1e-3, 0.1, 0.001, 1e-7)
	}
}
