//go:build !amd64 || purego

package kernel

// poolAVX512 is false: no vector loop.
const poolAVX512 = false

// maxPool2x2Rows32 has no vector loop here: the caller pools in Go.
func maxPool2x2Rows32(in, out []float32, w, ow, rows int) bool { return false }
