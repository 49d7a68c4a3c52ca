//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

// u8s8VNNI reports whether the AVX512-VNNI kernel of GemmU8S8Packed may run.
var u8s8VNNI = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VNNI

// u8s8Kernel8x32VNNI computes an 8×32 tile of int32 sums from a packed
// block of 8 int8 rows and a packed panel of 32 uint8 columns over kq
// k-quads, adds off[row] and stores it to c, rows ldc int32s apart
// (igemm8_amd64.s).
//
//go:noescape
func u8s8Kernel8x32VNNI(ap *int8, bp *uint8, kq int, off *int32, c *int32, ldc int)

// u8PackQuads32 packs 4 rows (ld bytes apart) of panels×32 bytes into
// panels of 128 bytes, psize bytes apart (igemm8_amd64.s).
//
//go:noescape
func u8PackQuads32(b *uint8, ld, panels int, dst *uint8, psize int)

func u8s8Kernel(ap []int8, bp []uint8, kq int, off []int32, c []int32, ldc int) {
	if !u8s8VNNI {
		u8s8KernelGo(ap, bp, kq, off, c, ldc)
		return
	}
	_, _, _, _ = ap[32*kq-1], bp[128*kq-1], off[7], c[7*ldc+31]
	u8s8Kernel8x32VNNI(&ap[0], &bp[0], kq, &off[0], &c[0], ldc)
}

func u8PackQuads(b []uint8, ld, panels int, dst []uint8, psize int) {
	_, _ = b[3*ld+panels*32-1], dst[(panels-1)*psize+127]
	u8PackQuads32(&b[0], ld, panels, &dst[0], psize)
}
