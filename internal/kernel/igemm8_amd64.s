//go:build amd64 && !purego

#include "textflag.h"

// func u8s8Kernel8x32VNNI(ap *int8, bp *uint8, kq int, off *int32, c *int32, ldc int)
//
// c[r*ldc+j] = off[r] + Σ_q Σ_i ap[q][r][i]·bp[q][j][i] for 8 rows r and 32
// columns j: per k-quad q, ap holds the 8 rows' 4 int8 (32 bytes) and bp
// the 32 columns' 4 uint8 (128 bytes). VPDPBUSD multiplies unsigned bytes
// of its second source by the signed bytes of its first (here one row's 4
// weights broadcast) and adds each group of four products into an int32
// lane, exactly. Z0..Z15 hold the tile, two registers a row.
TEXT ·u8s8Kernel8x32VNNI(SB), NOSPLIT, $0-48
	MOVQ ap+0(FP), AX
	MOVQ bp+8(FP), BX
	MOVQ kq+16(FP), CX
	MOVQ off+24(FP), SI
	MOVQ c+32(FP), DI
	MOVQ ldc+40(FP), DX
	SHLQ $2, DX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	TESTQ CX, CX
	JZ    store

loop:
	VMOVDQU32 (BX), Z16
	VMOVDQU32 64(BX), Z17
	VPBROADCASTD 0(AX), Z18
	VPDPBUSD     Z18, Z16, Z0
	VPDPBUSD     Z18, Z17, Z1
	VPBROADCASTD 4(AX), Z19
	VPDPBUSD     Z19, Z16, Z2
	VPDPBUSD     Z19, Z17, Z3
	VPBROADCASTD 8(AX), Z20
	VPDPBUSD     Z20, Z16, Z4
	VPDPBUSD     Z20, Z17, Z5
	VPBROADCASTD 12(AX), Z21
	VPDPBUSD     Z21, Z16, Z6
	VPDPBUSD     Z21, Z17, Z7
	VPBROADCASTD 16(AX), Z18
	VPDPBUSD     Z18, Z16, Z8
	VPDPBUSD     Z18, Z17, Z9
	VPBROADCASTD 20(AX), Z19
	VPDPBUSD     Z19, Z16, Z10
	VPDPBUSD     Z19, Z17, Z11
	VPBROADCASTD 24(AX), Z20
	VPDPBUSD     Z20, Z16, Z12
	VPDPBUSD     Z20, Z17, Z13
	VPBROADCASTD 28(AX), Z21
	VPDPBUSD     Z21, Z16, Z14
	VPDPBUSD     Z21, Z17, Z15
	ADDQ $32, AX
	ADDQ $128, BX
	DECQ CX
	JNZ  loop

store:
	VPBROADCASTD 0(SI), Z18
	VPADDD       Z18, Z0, Z0
	VPADDD       Z18, Z1, Z1
	VMOVDQU32    Z0, (DI)
	VMOVDQU32    Z1, 64(DI)
	ADDQ         DX, DI
	VPBROADCASTD 4(SI), Z18
	VPADDD       Z18, Z2, Z2
	VPADDD       Z18, Z3, Z3
	VMOVDQU32    Z2, (DI)
	VMOVDQU32    Z3, 64(DI)
	ADDQ         DX, DI
	VPBROADCASTD 8(SI), Z18
	VPADDD       Z18, Z4, Z4
	VPADDD       Z18, Z5, Z5
	VMOVDQU32    Z4, (DI)
	VMOVDQU32    Z5, 64(DI)
	ADDQ         DX, DI
	VPBROADCASTD 12(SI), Z18
	VPADDD       Z18, Z6, Z6
	VPADDD       Z18, Z7, Z7
	VMOVDQU32    Z6, (DI)
	VMOVDQU32    Z7, 64(DI)
	ADDQ         DX, DI
	VPBROADCASTD 16(SI), Z18
	VPADDD       Z18, Z8, Z8
	VPADDD       Z18, Z9, Z9
	VMOVDQU32    Z8, (DI)
	VMOVDQU32    Z9, 64(DI)
	ADDQ         DX, DI
	VPBROADCASTD 20(SI), Z18
	VPADDD       Z18, Z10, Z10
	VPADDD       Z18, Z11, Z11
	VMOVDQU32    Z10, (DI)
	VMOVDQU32    Z11, 64(DI)
	ADDQ         DX, DI
	VPBROADCASTD 24(SI), Z18
	VPADDD       Z18, Z12, Z12
	VPADDD       Z18, Z13, Z13
	VMOVDQU32    Z12, (DI)
	VMOVDQU32    Z13, 64(DI)
	ADDQ         DX, DI
	VPBROADCASTD 28(SI), Z18
	VPADDD       Z18, Z14, Z14
	VPADDD       Z18, Z15, Z15
	VMOVDQU32    Z14, (DI)
	VMOVDQU32    Z15, 64(DI)
	VZEROUPPER
	RET

// func u8PackQuads32(b *uint8, ld, panels int, dst *uint8, psize int)
//
// Interleaves 4 rows of bytes (ld apart) into 4-byte column groups: for
// each 32-column panel, dst gets column j's 4 bytes at 4j, 128 bytes in
// all; panels are psize bytes apart in dst. Unpacking bytes, then words,
// of 16-byte rows yields 4 columns per 16-byte register.
TEXT ·u8PackQuads32(SB), NOSPLIT, $0-40
	MOVQ b+0(FP), SI
	MOVQ ld+8(FP), R8
	MOVQ panels+16(FP), CX
	MOVQ dst+24(FP), DI
	MOVQ psize+32(FP), DX
	LEAQ (R8)(R8*2), R9
	TESTQ CX, CX
	JZ    pdone

ploop:
	VMOVDQU 0(SI), X0
	VMOVDQU 0(SI)(R8*1), X1
	VMOVDQU 0(SI)(R8*2), X2
	VMOVDQU 0(SI)(R9*1), X3
	VPUNPCKLBW X1, X0, X4
	VPUNPCKHBW X1, X0, X5
	VPUNPCKLBW X3, X2, X6
	VPUNPCKHBW X3, X2, X7
	VPUNPCKLWD X6, X4, X8
	VPUNPCKHWD X6, X4, X9
	VPUNPCKLWD X7, X5, X10
	VPUNPCKHWD X7, X5, X11
	VMOVDQU X8, 0(DI)
	VMOVDQU X9, 16(DI)
	VMOVDQU X10, 32(DI)
	VMOVDQU X11, 48(DI)
	VMOVDQU 16(SI), X0
	VMOVDQU 16(SI)(R8*1), X1
	VMOVDQU 16(SI)(R8*2), X2
	VMOVDQU 16(SI)(R9*1), X3
	VPUNPCKLBW X1, X0, X4
	VPUNPCKHBW X1, X0, X5
	VPUNPCKLBW X3, X2, X6
	VPUNPCKHBW X3, X2, X7
	VPUNPCKLWD X6, X4, X8
	VPUNPCKHWD X6, X4, X9
	VPUNPCKLWD X7, X5, X10
	VPUNPCKHWD X7, X5, X11
	VMOVDQU X8, 64(DI)
	VMOVDQU X9, 80(DI)
	VMOVDQU X10, 96(DI)
	VMOVDQU X11, 112(DI)
	ADDQ $32, SI
	ADDQ DX, DI
	DECQ CX
	JNZ  ploop

pdone:
	VZEROUPPER
	RET
