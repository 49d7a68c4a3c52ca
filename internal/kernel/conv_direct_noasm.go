//go:build !amd64 || purego

package kernel

// convDirectAVX2 is false: no vector row kernel on this build.
const convDirectAVX2 = false

func convDirect8(x []float32, offs []int64, w, bias, y []float32, ldy, n int, relu bool) bool {
	return false
}
