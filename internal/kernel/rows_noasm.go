//go:build !amd64 || purego

package kernel

func addRows32(dst, src []float32, n, rows, ldd, lds int) bool  { return false }
func copyRows32(dst, src []float32, n, rows, ldd, lds int) bool { return false }

func deinterleave32(even, odd, src []float32) int { return 0 }

func deinterleaveRows32(even, odd []float32, lde int, src []float32, lds, n, rows int) bool {
	return false
}

func matVec32(m, k int, a []float32, lda int, x, y []float32) int { return 0 }

func lerp32(dst, a, b []float32, c0, c1 float32) int { return 0 }

func lerpGather32(dst, src []float32, k0, k1 []int32, w0, w1 []float32) int { return 0 }

func gatherEvenRows32(dst []float32, ldd int, src []float32, lds, n, rows int) bool { return false }

func scaleShiftRows32(x, y []float32, n, rows int, a, b []float32, relu bool) bool { return false }
