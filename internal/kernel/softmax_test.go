package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSoftmaxRows checks SoftmaxRows against the float64 definition for
// every vector loop set, row lengths around the vector widths, in place
// and not, rows split across the workers, and the special rows: a NaN
// (NaN out), +Inf (the float64 path), all -Inf, and entries so far below
// the maximum that their exponential underflows (0).
func TestSoftmaxRows(t *testing.T) {
	saved := transcendSet
	defer func() { transcendSet = saved }()
	r := rand.New(rand.NewPCG(5, 6))
	for _, set := range transcendSets() {
		transcendSet = set
		for _, n := range []int{1, 3, 7, 8, 15, 16, 17, 31, 33, 100, 1000} {
			for _, rows := range []int{1, 5, 80} {
				x := make([]float32, rows*n)
				for i := range x {
					x[i] = float32(r.NormFloat64() * 8)
					if i/n%2 == 1 {
						x[i] *= 0.05 // maxima near 0: padding lanes taken for entries would show
					}
				}
				if n > 2 && rows > 2 {
					x[n+1] = -200 // underflows: exactly 0 in the softmax
					x[2*n] = float32(math.NaN())
					x[2*n+1] = float32(math.Inf(1))
				}
				for _, log := range []bool{false, true} {
					for _, inPlace := range []bool{false, true} {
						want := make([]float32, len(x))
						for k := 0; k < rows; k++ {
							softmaxRow64(x[k*n:][:n], want[k*n:][:n], log)
						}
						y := make([]float32, len(x))
						if inPlace {
							y = slices.Clone(x)
							SoftmaxRows(y, y, n, log)
						} else {
							SoftmaxRows(x, y, n, log)
						}
						for i := range want {
							g, w := float64(y[i]), float64(want[i])
							if math.IsNaN(w) {
								if !math.IsNaN(g) {
									t.Fatalf("%s n %d rows %d log %v in place %v: y[%d] = %g, want NaN", set, n, rows, log, inPlace, i, g)
								}
								continue
							}
							// x - max in float32 is rounded: e^(x-max) is
							// off by up to |x-max|·2^-24 relatively.
							k := i / n * n
							mx := slices.Max(x[k : k+n])
							tol := (1e-6 + 1.2e-7*math.Abs(float64(x[i]-mx))) * math.Abs(w)
							if log {
								tol = 2e-6 * max(1, math.Abs(w))
							}
							if math.Abs(g-w) > tol {
								t.Fatalf("%s n %d rows %d log %v in place %v: y[%d] = %g, want %g (x %g)", set, n, rows, log, inPlace, i, g, w, x[i])
							}
						}
					}
				}
			}
		}
	}
	// All -Inf: NaN, as e^(-Inf - -Inf) is.
	x := []float32{float32(math.Inf(-1)), float32(math.Inf(-1))}
	y := make([]float32, 2)
	SoftmaxRows(x, y, 2, false)
	if !math.IsNaN(float64(y[0])) || !math.IsNaN(float64(y[1])) {
		t.Errorf("softmax of [-Inf -Inf] = %v, want NaN NaN", y)
	}
}

func BenchmarkSoftmaxRows(b *testing.B) {
	for _, shape := range [][2]int{{128, 10}, {1, 1000}, {96, 384}} {
		x := make([]float32, shape[0]*shape[1])
		for i := range x {
			x[i] = float32(i%37) * 0.1
		}
		y := make([]float32, len(x))
		b.Run(fmt.Sprintf("%dx%d", shape[0], shape[1]), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				SoftmaxRows(x, y, shape[1], false)
			}
		})
	}
}
