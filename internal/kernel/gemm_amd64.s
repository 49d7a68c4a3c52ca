//go:build amd64 && !purego

#include "textflag.h"

// Register use in sgemmKernelAVX2:
//   AX  packed A panel (6 floats per k step)
//   BX  packed B panel (16 floats per k step)
//   CX  k steps left
//   DI  C tile, DX its row stride in bytes
//   Y0, Y1   the 16 B values of the current step
//   Y2, Y3   one A value broadcast
//   Y4..Y15  the 6×16 accumulator tile, two registers per row

// STEP does one k step; AOFF and BOFF are the byte offsets of the step's
// A and B values from AX and BX.
#define STEP(AOFF, BOFF) \
	VMOVUPS      BOFF(BX), Y0         \
	VMOVUPS      BOFF+32(BX), Y1      \
	VBROADCASTSS AOFF(AX), Y2         \
	VFMADD231PS  Y0, Y2, Y4           \
	VFMADD231PS  Y1, Y2, Y5           \
	VBROADCASTSS AOFF+4(AX), Y3       \
	VFMADD231PS  Y0, Y3, Y6           \
	VFMADD231PS  Y1, Y3, Y7           \
	VBROADCASTSS AOFF+8(AX), Y2       \
	VFMADD231PS  Y0, Y2, Y8           \
	VFMADD231PS  Y1, Y2, Y9           \
	VBROADCASTSS AOFF+12(AX), Y3      \
	VFMADD231PS  Y0, Y3, Y10          \
	VFMADD231PS  Y1, Y3, Y11          \
	VBROADCASTSS AOFF+16(AX), Y2      \
	VFMADD231PS  Y0, Y2, Y12          \
	VFMADD231PS  Y1, Y2, Y13          \
	VBROADCASTSS AOFF+20(AX), Y3      \
	VFMADD231PS  Y0, Y3, Y14          \
	VFMADD231PS  Y1, Y3, Y15

// STORE0 writes row registers R0, R1 (already scaled by alpha) to the C
// row at DI.
// ZEROACC clears the 6×16 accumulators Y4-Y15.
#define ZEROACC \
	VXORPS Y4, Y4, Y4    \
	VXORPS Y5, Y5, Y5    \
	VXORPS Y6, Y6, Y6    \
	VXORPS Y7, Y7, Y7    \
	VXORPS Y8, Y8, Y8    \
	VXORPS Y9, Y9, Y9    \
	VXORPS Y10, Y10, Y10 \
	VXORPS Y11, Y11, Y11 \
	VXORPS Y12, Y12, Y12 \
	VXORPS Y13, Y13, Y13 \
	VXORPS Y14, Y14, Y14 \
	VXORPS Y15, Y15, Y15

// SCALEACC multiplies the 6×16 accumulators Y4-Y15 by alpha, loads beta
// into Y1 and jumps to withbeta unless beta is 0 (or -0): then C is
// overwritten without being read. A NaN beta is unordered and takes the
// reading path.
#define SCALEACC \
	VBROADCASTSS alpha+40(FP), Y0 \
	VMULPS       Y0, Y4, Y4       \
	VMULPS       Y0, Y5, Y5       \
	VMULPS       Y0, Y6, Y6       \
	VMULPS       Y0, Y7, Y7       \
	VMULPS       Y0, Y8, Y8       \
	VMULPS       Y0, Y9, Y9       \
	VMULPS       Y0, Y10, Y10     \
	VMULPS       Y0, Y11, Y11     \
	VMULPS       Y0, Y12, Y12     \
	VMULPS       Y0, Y13, Y13     \
	VMULPS       Y0, Y14, Y14     \
	VMULPS       Y0, Y15, Y15     \
	VBROADCASTSS beta+44(FP), Y1  \
	VXORPS       X2, X2, X2       \
	UCOMISS      X2, X1           \
	JNE          withbeta         \
	JPS          withbeta

#define STORE0(R0, R1) \
	VMOVUPS R0, (DI)   \
	VMOVUPS R1, 32(DI) \
	ADDQ    DX, DI

// STOREB writes R0, R1 + beta (in Y1) times the C row at DI back to it.
#define STOREB(R0, R1) \
	VFMADD231PS (DI), Y1, R0   \
	VFMADD231PS 32(DI), Y1, R1 \
	VMOVUPS     R0, (DI)       \
	VMOVUPS     R1, 32(DI)     \
	ADDQ        DX, DI

// func sgemmKernelAVX2(k int, a, b, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemmKernelAVX2(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), DX
	SHLQ $2, DX

	ZEROACC

	CMPQ CX, $4
	JLT  tail

loop4:
	STEP(0, 0)
	STEP(24, 64)
	STEP(48, 128)
	STEP(72, 192)
	ADDQ $96, AX
	ADDQ $256, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loop4

tail:
	TESTQ CX, CX
	JZ    store

loop1:
	STEP(0, 0)
	ADDQ $24, AX
	ADDQ $64, BX
	DECQ CX
	JNZ  loop1

store:
	SCALEACC

	STORE0(Y4, Y5)
	STORE0(Y6, Y7)
	STORE0(Y8, Y9)
	STORE0(Y10, Y11)
	STORE0(Y12, Y13)
	STORE0(Y14, Y15)
	VZEROUPPER
	RET

withbeta:
	STOREB(Y4, Y5)
	STOREB(Y6, Y7)
	STOREB(Y8, Y9)
	STOREB(Y10, Y11)
	STOREB(Y12, Y13)
	STOREB(Y14, Y15)
	VZEROUPPER
	RET

// TRANSPOSE8 transposes the 8×8 block in Y0..Y7 (row i in Yi) into
// Y8..Y15 (column t in Y(8+t)), using Y0..Y7 as scratch.
#define TRANSPOSE8 \
	VUNPCKLPS  Y1, Y0, Y8        \
	VUNPCKHPS  Y1, Y0, Y9        \
	VUNPCKLPS  Y3, Y2, Y10       \
	VUNPCKHPS  Y3, Y2, Y11       \
	VUNPCKLPS  Y5, Y4, Y12       \
	VUNPCKHPS  Y5, Y4, Y13       \
	VUNPCKLPS  Y7, Y6, Y14       \
	VUNPCKHPS  Y7, Y6, Y15       \
	VSHUFPS    $0x44, Y10, Y8, Y0  \
	VSHUFPS    $0xEE, Y10, Y8, Y1  \
	VSHUFPS    $0x44, Y11, Y9, Y2  \
	VSHUFPS    $0xEE, Y11, Y9, Y3  \
	VSHUFPS    $0x44, Y14, Y12, Y4 \
	VSHUFPS    $0xEE, Y14, Y12, Y5 \
	VSHUFPS    $0x44, Y15, Y13, Y6 \
	VSHUFPS    $0xEE, Y15, Y13, Y7 \
	VPERM2F128 $0x20, Y4, Y0, Y8   \
	VPERM2F128 $0x20, Y5, Y1, Y9   \
	VPERM2F128 $0x20, Y6, Y2, Y10  \
	VPERM2F128 $0x20, Y7, Y3, Y11  \
	VPERM2F128 $0x31, Y4, Y0, Y12  \
	VPERM2F128 $0x31, Y5, Y1, Y13  \
	VPERM2F128 $0x31, Y6, Y2, Y14  \
	VPERM2F128 $0x31, Y7, Y3, Y15

// LOAD8 loads 8 floats from each of the 8 rows starting at BASE, with
// R8 = row stride and R9 = 3·stride (bytes), into Y0..Y7.
#define LOAD8(BASE) \
	VMOVUPS (BASE), Y0        \
	VMOVUPS (BASE)(R8*1), Y1  \
	VMOVUPS (BASE)(R8*2), Y2  \
	VMOVUPS (BASE)(R9*1), Y3  \
	LEAQ    (BASE)(R8*4), R10 \
	VMOVUPS (R10), Y4         \
	VMOVUPS (R10)(R8*1), Y5   \
	VMOVUPS (R10)(R8*2), Y6   \
	VMOVUPS (R10)(R9*1), Y7

// STORE16(OFF) stores the 8 transposed columns Y8..Y15 at OFF(DI),
// 64 bytes apart (one packed B step each).
#define STORE16(OFF) \
	VMOVUPS Y8, OFF(DI)      \
	VMOVUPS Y9, OFF+64(DI)   \
	VMOVUPS Y10, OFF+128(DI) \
	VMOVUPS Y11, OFF+192(DI) \
	VMOVUPS Y12, OFF+256(DI) \
	VMOVUPS Y13, OFF+320(DI) \
	VMOVUPS Y14, OFF+384(DI) \
	VMOVUPS Y15, OFF+448(DI)

// func packPanel16AVX2(dst, src *float32, ld, n8 int)
//
// Transposes 16 rows of 8·n8 floats (row stride ld floats) into dst, so
// that dst[p·16+j] = src[j·ld+p]: a full packed B panel of a transposed B.
TEXT ·packPanel16AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	MOVQ n8+24(FP), CX
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R8*8), R11 // row 8
	TESTQ CX, CX
	JZ    pack16done

pack16loop:
	LOAD8(SI)
	TRANSPOSE8
	STORE16(0)
	LOAD8(R11)
	TRANSPOSE8
	STORE16(32)
	ADDQ $32, SI
	ADDQ $32, R11
	ADDQ $512, DI
	DECQ CX
	JNZ  pack16loop

pack16done:
	VZEROUPPER
	RET

// STORE6ONE stores the low 6 floats of the transposed column R (whose low
// half is X) at OFF(DI), one packed A step; X0 is scratch.
#define STORE6ONE(R, X, OFF) \
	VMOVUPS      X, OFF(DI)      \
	VEXTRACTF128 $1, R, X0       \
	VMOVSD       X0, OFF+16(DI)

// func packPanel6AVX2(dst, src *float32, ld, n8 int)
//
// Transposes 6 rows of 8·n8 floats (row stride ld floats) into dst, so that
// dst[p·6+i] = src[i·ld+p]: a full packed A panel of a non-transposed A.
TEXT ·packPanel6AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	MOVQ n8+24(FP), CX
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R8*4), R10 // row 4
	TESTQ CX, CX
	JZ    pack6done

pack6loop:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R8*1), Y1
	VMOVUPS (SI)(R8*2), Y2
	VMOVUPS (SI)(R9*1), Y3
	VMOVUPS (R10), Y4
	VMOVUPS (R10)(R8*1), Y5
	VXORPS  Y6, Y6, Y6
	VXORPS  Y7, Y7, Y7
	TRANSPOSE8
	STORE6ONE(Y8, X8, 0)
	STORE6ONE(Y9, X9, 24)
	STORE6ONE(Y10, X10, 48)
	STORE6ONE(Y11, X11, 72)
	STORE6ONE(Y12, X12, 96)
	STORE6ONE(Y13, X13, 120)
	STORE6ONE(Y14, X14, 144)
	STORE6ONE(Y15, X15, 168)
	ADDQ $32, SI
	ADDQ $32, R10
	ADDQ $192, DI
	DECQ CX
	JNZ  pack6loop

pack6done:
	VZEROUPPER
	RET

// gemmMask<> is 16 all-ones int32 followed by 16 zeros: the 8 lanes from
// gemmMask<>+4·(16-n) enable exactly the first n lanes (of 16).
DATA gemmMask<>+0(SB)/8, $0xffffffffffffffff
DATA gemmMask<>+8(SB)/8, $0xffffffffffffffff
DATA gemmMask<>+16(SB)/8, $0xffffffffffffffff
DATA gemmMask<>+24(SB)/8, $0xffffffffffffffff
DATA gemmMask<>+32(SB)/8, $0xffffffffffffffff
DATA gemmMask<>+40(SB)/8, $0xffffffffffffffff
DATA gemmMask<>+48(SB)/8, $0xffffffffffffffff
DATA gemmMask<>+56(SB)/8, $0xffffffffffffffff
DATA gemmMask<>+64(SB)/8, $0
DATA gemmMask<>+72(SB)/8, $0
DATA gemmMask<>+80(SB)/8, $0
DATA gemmMask<>+88(SB)/8, $0
DATA gemmMask<>+96(SB)/8, $0
DATA gemmMask<>+104(SB)/8, $0
DATA gemmMask<>+112(SB)/8, $0
DATA gemmMask<>+120(SB)/8, $0
GLOBL gemmMask<>(SB), RODATA|NOPTR, $128

// func copyPanel16AVX2(dst, src *float32, ld, k, n int)
//
// For p < k: dst[p·16+j] = src[p·ld+j] for j < n and 0 for n ≤ j < 16
// (1 ≤ n ≤ 16, k ≥ 1). Lanes past n are masked off, so they are neither
// read nor able to fault.
TEXT ·copyPanel16AVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	MOVQ k+24(FP), CX
	MOVQ n+32(FP), DX
	SHLQ $2, R8
	CMPQ DX, $16
	JNE  copy16masked

copy16full:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    R8, SI
	ADDQ    $64, DI
	DECQ    CX
	JNZ     copy16full
	VZEROUPPER
	RET

copy16masked:
	LEAQ    gemmMask<>(SB), AX
	NEGQ    DX
	LEAQ    64(AX)(DX*4), AX
	VMOVDQU (AX), Y2
	VMOVDQU 32(AX), Y3

copy16loop:
	VMASKMOVPS (SI), Y2, Y0
	VMASKMOVPS 32(SI), Y3, Y1
	VMOVUPS    Y0, (DI)
	VMOVUPS    Y1, 32(DI)
	ADDQ       R8, SI
	ADDQ       $64, DI
	DECQ       CX
	JNZ        copy16loop
	VZEROUPPER
	RET

// func copyPanel6AVX2(dst, src *float32, ld, k, n int)
//
// For p < k: dst[p·6+i] = src[p·ld+i] for i < n and 0 for n ≤ i < 6
// (1 ≤ n ≤ 6, k ≥ 1).
TEXT ·copyPanel6AVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	MOVQ k+24(FP), CX
	MOVQ n+32(FP), DX
	SHLQ $2, R8
	CMPQ DX, $6
	JNE  copy6masked

copy6full:
	VMOVUPS (SI), X0
	VMOVSD  16(SI), X1
	VMOVUPS X0, (DI)
	VMOVSD  X1, 16(DI)
	ADDQ    R8, SI
	ADDQ    $24, DI
	DECQ    CX
	JNZ     copy6full
	RET

copy6masked:
	LEAQ    gemmMask<>(SB), AX
	NEGQ    DX
	LEAQ    64(AX)(DX*4), AX
	VMOVDQU (AX), Y2

copy6loop:
	VMASKMOVPS   (SI), Y2, Y0
	VMOVUPS      X0, (DI)
	VEXTRACTF128 $1, Y0, X1
	VMOVSD       X1, 16(DI)
	ADDQ         R8, SI
	ADDQ         $24, DI
	DECQ         CX
	JNZ          copy6loop
	VZEROUPPER
	RET

// func sgemvKernelAVX2(k int, a, b *float32, ldb int, c *float32, n int, alpha, beta float32)
//
// For j < n: c[j] = alpha·Σ_{p<k} a[p]·b[p·ldb+j] + beta·c[j], the row
// vector a (k floats) times the row-major k×n matrix b (row stride ldb
// floats). When beta is 0, c is not read. k ≥ 1, n ≥ 1. Columns go 64 at
// a time (8 accumulators), then 8, then a masked last group of fewer than
// 8, whose lanes past n are neither read nor written.
TEXT ·sgemvKernelAVX2(SB), NOSPLIT, $0-56
	MOVQ         k+0(FP), CX
	MOVQ         a+8(FP), AX
	MOVQ         b+16(FP), BX
	MOVQ         ldb+24(FP), DX
	SHLQ         $2, DX
	MOVQ         c+32(FP), DI
	MOVQ         n+40(FP), R8
	VBROADCASTSS alpha+48(FP), Y14
	VBROADCASTSS beta+52(FP), Y15

	// R9 = 1 when beta is 0 (or -0); a NaN beta reads C.
	XORQ    R9, R9
	VXORPS  X0, X0, X0
	UCOMISS X0, X15
	JNE     gv64
	JPS     gv64
	MOVQ    $1, R9

gv64:
	CMPQ   R8, $64
	JLT    gv8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ   AX, SI
	MOVQ   BX, R10
	MOVQ   CX, R11

gv64loop:
	VBROADCASTSS (SI), Y8
	VFMADD231PS  (R10), Y8, Y0
	VFMADD231PS  32(R10), Y8, Y1
	VFMADD231PS  64(R10), Y8, Y2
	VFMADD231PS  96(R10), Y8, Y3
	VFMADD231PS  128(R10), Y8, Y4
	VFMADD231PS  160(R10), Y8, Y5
	VFMADD231PS  192(R10), Y8, Y6
	VFMADD231PS  224(R10), Y8, Y7
	ADDQ         $4, SI
	ADDQ         DX, R10
	DECQ         R11
	JNZ          gv64loop

	VMULPS Y14, Y0, Y0
	VMULPS Y14, Y1, Y1
	VMULPS Y14, Y2, Y2
	VMULPS Y14, Y3, Y3
	VMULPS Y14, Y4, Y4
	VMULPS Y14, Y5, Y5
	VMULPS Y14, Y6, Y6
	VMULPS Y14, Y7, Y7
	TESTQ  R9, R9
	JNZ    gv64store
	VFMADD231PS (DI), Y15, Y0
	VFMADD231PS 32(DI), Y15, Y1
	VFMADD231PS 64(DI), Y15, Y2
	VFMADD231PS 96(DI), Y15, Y3
	VFMADD231PS 128(DI), Y15, Y4
	VFMADD231PS 160(DI), Y15, Y5
	VFMADD231PS 192(DI), Y15, Y6
	VFMADD231PS 224(DI), Y15, Y7

gv64store:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ    $256, BX
	ADDQ    $256, DI
	SUBQ    $64, R8
	JMP     gv64

gv8:
	// One accumulator, k in order, as the 64-column groups and the tail
	// sum: every column of C is the same sum whatever group it falls in
	// (a model whose columns are equal gets equal outputs).
	CMPQ   R8, $8
	JLT    gvtail
	VXORPS Y0, Y0, Y0
	MOVQ   AX, SI
	MOVQ   BX, R10
	MOVQ   CX, R11

gv8loop:
	VBROADCASTSS (SI), Y8
	VFMADD231PS  (R10), Y8, Y0
	ADDQ         $4, SI
	ADDQ         DX, R10
	DECQ         R11
	JNZ          gv8loop

	VMULPS Y14, Y0, Y0
	TESTQ  R9, R9
	JNZ    gv8store
	VFMADD231PS (DI), Y15, Y0

gv8store:
	VMOVUPS Y0, (DI)
	ADDQ    $32, BX
	ADDQ    $32, DI
	SUBQ    $8, R8
	JMP     gv8

gvtail:
	TESTQ   R8, R8
	JZ      gvdone
	LEAQ    gemmMask<>(SB), R12
	NEGQ    R8
	LEAQ    64(R12)(R8*4), R12
	VMOVDQU (R12), Y13
	VXORPS  Y0, Y0, Y0
	MOVQ    AX, SI
	MOVQ    BX, R10
	MOVQ    CX, R11

gvtailloop:
	VBROADCASTSS (SI), Y8
	VMASKMOVPS   (R10), Y13, Y9
	VFMADD231PS  Y9, Y8, Y0
	ADDQ         $4, SI
	ADDQ         DX, R10
	DECQ         R11
	JNZ          gvtailloop

	VMULPS Y14, Y0, Y0
	TESTQ  R9, R9
	JNZ    gvtailstore
	VMASKMOVPS  (DI), Y13, Y9
	VFMADD231PS Y9, Y15, Y0

gvtailstore:
	VMASKMOVPS Y0, Y13, (DI)

gvdone:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// AVX-512VL: the 6×16 micro-kernel with masked edges.
// ---------------------------------------------------------------------

// LANES sets mask register K to the first N lanes (0 ≤ N ≤ 16, N in a
// register other than CX and R10); CX and R10 are scratch.
#define LANES(N, K) \
	MOVQ  N, CX     \
	MOVL  $1, R10   \
	SHLL  CX, R10   \
	DECL  R10       \
	KMOVW R10, K

// Register use in sgemmKernel6x16AVX512: as in sgemmKernelAVX2 (AX, BX
// the packed panels, CX k, DI and DX the C tile and its row stride in
// bytes, Y0, Y1 the B step, Y2, Y3 broadcast A values, Y4..Y15 the 6×16
// accumulators, two per row), plus
//   R8  rows of the tile still to store, R9 columns to store
//   K1, K2  which of columns 0..7 and 8..15 are stored
// After the loop Y0 holds alpha, Y1 beta and Y2, Y3 C values.

// STEP8 does one k step of the left 6×8 half of the 6×16 tile only (when
// at most 8 columns are stored), with the A values broadcast straight
// from memory into the (EVEX-encoded) FMAs.
#define STEP8(AOFF, BOFF) \
	VMOVUPS          BOFF(BX), Y0         \
	VFMADD231PS.BCST AOFF(AX), Y0, Y4     \
	VFMADD231PS.BCST AOFF+4(AX), Y0, Y6   \
	VFMADD231PS.BCST AOFF+8(AX), Y0, Y8   \
	VFMADD231PS.BCST AOFF+12(AX), Y0, Y10 \
	VFMADD231PS.BCST AOFF+16(AX), Y0, Y12 \
	VFMADD231PS.BCST AOFF+20(AX), Y0, Y14

// SPLIT8 sets LO = min(N, 8) and HI = max(N-8, 0).
#define SPLIT8(N, LO, HI) \
	MOVQ    N, LO     \
	MOVQ    $8, HI    \
	CMPQ    LO, HI    \
	CMOVQGT HI, LO    \
	MOVQ    N, HI     \
	SUBQ    LO, HI

// STOREM writes row registers R0, R1 (already scaled by alpha), masked by
// K1 and K2, to the C row at DI, and leaves when it was the last row.
#define STOREM(R0, R1) \
	VMOVUPS R0, K1, (DI)   \
	VMOVUPS R1, K2, 32(DI) \
	DECQ    R8             \
	JZ      done           \
	ADDQ    DX, DI

// STOREMB is STOREM adding beta (in Y1) times the C row first.
#define STOREMB(R0, R1) \
	VMOVUPS.Z   (DI), K1, Y2   \
	VMOVUPS.Z   32(DI), K2, Y3 \
	VFMADD231PS Y2, Y1, R0     \
	VFMADD231PS Y3, Y1, R1     \
	VMOVUPS     R0, K1, (DI)   \
	VMOVUPS     R1, K2, 32(DI) \
	DECQ        R8             \
	JZ          done           \
	ADDQ        DX, DI

// func sgemmKernel6x16AVX512(k int, a, b, c *float32, ldc int, alpha, beta float32, rows, cols int)
//
// C = alpha·Ã·B̃ + beta·C on the top-left rows×cols part of a 6×16 tile
// (1 ≤ rows ≤ 6, 1 ≤ cols ≤ 16, k ≥ 1), the AVX2 micro-kernel with
// AVX-512VL mask registers for the ragged edges: C outside that part is
// neither read nor written, and when beta is 0 C is not read at all.
// When cols ≤ 8 only the left half of the tile is computed.
TEXT ·sgemmKernel6x16AVX512(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), DX
	SHLQ $2, DX
	MOVQ rows+48(FP), R8
	MOVQ cols+56(FP), R9

	ZEROACC

	CMPQ R9, $8
	JLE  half

	CMPQ CX, $4
	JLT  tail16

loop16:
	STEP(0, 0)
	STEP(24, 64)
	STEP(48, 128)
	STEP(72, 192)
	ADDQ $96, AX
	ADDQ $256, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loop16

tail16:
	TESTQ CX, CX
	JZ    store

loop16one:
	STEP(0, 0)
	ADDQ $24, AX
	ADDQ $64, BX
	DECQ CX
	JNZ  loop16one
	JMP  store

half:
	CMPQ CX, $4
	JLT  tail8

loop8:
	STEP8(0, 0)
	STEP8(24, 64)
	STEP8(48, 128)
	STEP8(72, 192)
	ADDQ $96, AX
	ADDQ $256, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loop8

tail8:
	TESTQ CX, CX
	JZ    store

loop8one:
	STEP8(0, 0)
	ADDQ $24, AX
	ADDQ $64, BX
	DECQ CX
	JNZ  loop8one

store:
	SPLIT8(R9, R11, R12)
	LANES(R11, K1)
	LANES(R12, K2)

	SCALEACC

	STOREM(Y4, Y5)
	STOREM(Y6, Y7)
	STOREM(Y8, Y9)
	STOREM(Y10, Y11)
	STOREM(Y12, Y13)
	STOREM(Y14, Y15)
	JMP done

withbeta:
	STOREMB(Y4, Y5)
	STOREMB(Y6, Y7)
	STOREMB(Y8, Y9)
	STOREMB(Y10, Y11)
	STOREMB(Y12, Y13)
	STOREMB(Y14, Y15)

done:
	VZEROUPPER
	RET
