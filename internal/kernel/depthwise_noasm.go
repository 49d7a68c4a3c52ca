//go:build !amd64 || purego

package kernel

func dwStencil32(dst, src []float32, offs []int, w []float32, bias float32, first bool) bool {
	return false
}

func act32(a Activation, x []float32) int { return 0 }

func dwCopyRows32(dst, src []float32, n, rows, dstStride, srcStride int) bool { return false }

func dwMaxStencil32(dst, src []float32, offs []int) bool { return false }
