//go:build !amd64 || purego

package kernel

// transcendSet is "go": Sigmoid and Tanh run the Go loops.
var transcendSet = "go"

// transcendSets lists the loop sets this CPU can run.
func transcendSets() []string { return []string{"go"} }

func sigmoidVec32(x, y []float32) int { return 0 }
func tanhVec32(x, y []float32) int    { return 0 }

func expShiftVec32(x, y []float32, m float32) (int, float64) { return 0, 0 }

// rowMax32 returns the largest element of x (len(x) ≥ 1) and whether x
// holds a NaN (the maximum is then meaningless).
func rowMax32(x []float32) (m float32, nan bool) {
	m, nan = x[0], x[0] != x[0]
	for _, v := range x[1:] {
		if v > m {
			m = v
		}
		nan = nan || v != v
	}
	return m, nan
}
