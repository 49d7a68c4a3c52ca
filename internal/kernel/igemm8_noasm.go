//go:build !amd64 || purego

package kernel

// Without assembly the 8-bit GEMM runs its tile kernel and packing in Go.

var u8s8VNNI = false

func u8s8Kernel(ap []int8, bp []uint8, kq int, off []int32, c []int32, ldc int) {
	u8s8KernelGo(ap, bp, kq, off, c, ldc)
}

func u8PackQuads(b []uint8, ld, panels int, dst []uint8, psize int) {
	u8PackQuadsGo(b, ld, panels, dst, psize)
}
