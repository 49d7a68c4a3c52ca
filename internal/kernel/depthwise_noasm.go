//go:build !amd64 || purego

package kernel

func axpy32(a float32, x, y []float32) bool { return false }

func dwRow32(dst, src, w []float32) int { return 0 }

func act32(a Activation, x []float32) int { return 0 }
