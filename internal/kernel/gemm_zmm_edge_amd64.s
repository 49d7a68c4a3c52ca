//go:build amd64 && !purego

#include "textflag.h"

// sgemmKernel12x32EdgeAVX512 computes the top-left rows×cols part (1 ≤ rows
// ≤ 12, 1 ≤ cols ≤ 32) of a 12×32 tile C = alpha·Ã·B̃ + beta·C in place,
// with 512-bit FMAs: the zmm set's ragged edges, which the 6×16 ymm edge
// kernel would run at half the FMA rate of a Zen 5. Accumulators and panels
// are laid out as in sgemmKernel12x32AVX512 (row r, columns 16h..16h+15 in
// Z(8+2r+h)). It reads the second A panel only when rows > 6 and the second
// B panel only when cols > 16, and runs the narrowest of five loops that
// covers the tile: 4×32, 6×32, 8×32, 12×16, 12×17 or 12×32 (output channel counts
// that are multiples of 4 or 8 but not of 12, such as 64 or 128, leave
// 4 or 8 rows under their whole tiles). C is read and written through the
// masks K1 (columns 0-15) and K2 (16-31), row by row up to rows; when beta
// is 0 (or -0) C is not read. k ≥ 1.

// ROW1 adds A value off(base) times the 16 B values in Z0 to row acc.
#define ROW1(off, base, zb, acc) \
	VBROADCASTSS off(base), zb \
	VFMADD231PS  Z0, zb, acc

// ROW2 adds A value off(base) times the 32 B values in Z0, Z1 to the
// row acc0, acc1.
#define ROW2(off, base, zb, acc0, acc1) \
	VBROADCASTSS off(base), zb  \
	VFMADD231PS  Z0, zb, acc0   \
	VFMADD231PS  Z1, zb, acc1

// HALF2 is one k step of six rows (the A panel at base) by 32 columns
// into the accumulators a0-a11; HALF1 of six rows by 16 columns into
// a0-a5.
#define HALF2(base, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11) \
	ROW2(0, base, Z2, a0, a1)   \
	ROW2(4, base, Z3, a2, a3)   \
	ROW2(8, base, Z2, a4, a5)   \
	ROW2(12, base, Z3, a6, a7)  \
	ROW2(16, base, Z2, a8, a9)  \
	ROW2(20, base, Z3, a10, a11)

// QUARTER2 is one k step of the first four rows of the A panel at base by
// 32 columns into a0-a7.
#define QUARTER2(base, a0, a1, a2, a3, a4, a5, a6, a7) \
	ROW2(0, base, Z2, a0, a1)   \
	ROW2(4, base, Z3, a2, a3)   \
	ROW2(8, base, Z2, a4, a5)   \
	ROW2(12, base, Z3, a6, a7)

#define HALF1(base, a0, a1, a2, a3, a4, a5) \
	ROW1(0, base, Z2, a0)  \
	ROW1(4, base, Z3, a1)  \
	ROW1(8, base, Z2, a2)  \
	ROW1(12, base, Z3, a3) \
	ROW1(16, base, Z2, a4) \
	ROW1(20, base, Z3, a5)

// STORE writes row acc0, acc1 (times alpha in Z0) through K1, K2; with
// beta (Z1) it adds beta times the row of C first.
#define STORE(acc0, acc1) \
	VMULPS  Z0, acc0, acc0 \
	VMULPS  Z0, acc1, acc1 \
	VMOVUPS acc0, K1, (DI) \
	VMOVUPS acc1, K2, 64(DI)

#define STOREB(acc0, acc1) \
	VMULPS      Z0, acc0, acc0   \
	VMULPS      Z0, acc1, acc1   \
	VMOVUPS.Z   (DI), K1, Z4     \
	VMOVUPS.Z   64(DI), K2, Z5   \
	VFMADD231PS Z4, Z1, acc0     \
	VFMADD231PS Z5, Z1, acc1     \
	VMOVUPS     acc0, K1, (DI)   \
	VMOVUPS     acc1, K2, 64(DI)

// NEXT moves DI to the next row of C, or leaves when row n was the last.
#define NEXT(n) \
	CMPQ R12, $n \
	JLE  done    \
	ADDQ DX, DI

// COLMASKS sets K1 and K2 to the columns 0-15 and 16-31 of C to write,
// from cols in R13 (1 to 32); CX and R8 are clobbered.
#define COLMASKS \
	MOVQ    $16, R8  \
	MOVQ    R13, CX  \
	CMPQ    CX, R8   \
	CMOVQGT R8, CX   \
	MOVL    $1, R8   \
	SHLL    CX, R8   \
	DECL    R8       \
	KMOVW   R8, K1   \
	MOVQ    R13, CX  \
	SUBQ    $16, CX  \
	XORQ    R8, R8   \
	CMPQ    CX, R8   \
	CMOVQLT R8, CX   \
	MOVL    $1, R8   \
	SHLL    CX, R8   \
	DECL    R8       \
	KMOVW   R8, K2

// ZERO_ACC clears the 24 accumulators Z8-Z31.
#define ZERO_ACC \
	VPXORD Z8, Z8, Z8 \
	VPXORD Z9, Z9, Z9 \
	VPXORD Z10, Z10, Z10 \
	VPXORD Z11, Z11, Z11 \
	VPXORD Z12, Z12, Z12 \
	VPXORD Z13, Z13, Z13 \
	VPXORD Z14, Z14, Z14 \
	VPXORD Z15, Z15, Z15 \
	VPXORD Z16, Z16, Z16 \
	VPXORD Z17, Z17, Z17 \
	VPXORD Z18, Z18, Z18 \
	VPXORD Z19, Z19, Z19 \
	VPXORD Z20, Z20, Z20 \
	VPXORD Z21, Z21, Z21 \
	VPXORD Z22, Z22, Z22 \
	VPXORD Z23, Z23, Z23 \
	VPXORD Z24, Z24, Z24 \
	VPXORD Z25, Z25, Z25 \
	VPXORD Z26, Z26, Z26 \
	VPXORD Z27, Z27, Z27 \
	VPXORD Z28, Z28, Z28 \
	VPXORD Z29, Z29, Z29 \
	VPXORD Z30, Z30, Z30 \
	VPXORD Z31, Z31, Z31

// STORE_ROWS and STOREB_ROWS write the accumulator rows Z8/Z9 to Z30/Z31
// row by row (STORE or STOREB), leaving for the function's done label
// after row R12.
#define STORE_ROWS \
	STORE(Z8, Z9)   \
	NEXT(1)         \
	STORE(Z10, Z11) \
	NEXT(2)         \
	STORE(Z12, Z13) \
	NEXT(3)         \
	STORE(Z14, Z15) \
	NEXT(4)         \
	STORE(Z16, Z17) \
	NEXT(5)         \
	STORE(Z18, Z19) \
	NEXT(6)         \
	STORE(Z20, Z21) \
	NEXT(7)         \
	STORE(Z22, Z23) \
	NEXT(8)         \
	STORE(Z24, Z25) \
	NEXT(9)         \
	STORE(Z26, Z27) \
	NEXT(10)        \
	STORE(Z28, Z29) \
	NEXT(11)        \
	STORE(Z30, Z31)

#define STOREB_ROWS \
	STOREB(Z8, Z9)   \
	NEXT(1)          \
	STOREB(Z10, Z11) \
	NEXT(2)          \
	STOREB(Z12, Z13) \
	NEXT(3)          \
	STOREB(Z14, Z15) \
	NEXT(4)          \
	STOREB(Z16, Z17) \
	NEXT(5)          \
	STOREB(Z18, Z19) \
	NEXT(6)          \
	STOREB(Z20, Z21) \
	NEXT(7)          \
	STOREB(Z22, Z23) \
	NEXT(8)          \
	STOREB(Z24, Z25) \
	NEXT(9)          \
	STOREB(Z26, Z27) \
	NEXT(10)         \
	STOREB(Z28, Z29) \
	NEXT(11)         \
	STOREB(Z30, Z31)

// func sgemmKernel12x32EdgeAVX512(k int, a, b, c *float32, ldc int, alpha, beta float32, rows, cols int)
TEXT ·sgemmKernel12x32EdgeAVX512(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), DX
	SHLQ $2, DX
	MOVQ rows+48(FP), R12
	MOVQ cols+56(FP), R13
	// R10 = a + 24·k bytes (the second A panel), R11 = b + 64·k bytes.
	LEAQ (CX)(CX*2), R10
	SHLQ $3, R10
	ADDQ AX, R10
	MOVQ CX, R11
	SHLQ $6, R11
	ADDQ BX, R11
	ZERO_ACC
	CMPQ R12, $4
	JLE  loop4
	CMPQ R12, $6
	JLE  loop6
	CMPQ R13, $16
	JLE  loop12h
	CMPQ R13, $17
	JEQ  loop12c
	CMPQ R12, $8
	JLE  loop8

// Twelve rows, 32 columns.
loop12:
	VMOVUPS 0(BX), Z0
	VMOVUPS 0(R11), Z1
	HALF2(AX, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15, Z16, Z17, Z18, Z19)
	HALF2(R10, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31)
	ADDQ    $24, AX
	ADDQ    $24, R10
	ADDQ    $64, BX
	ADDQ    $64, R11
	DECQ    CX
	JNZ     loop12
	JMP     store

// Seven or eight rows, 32 columns.
loop8:
	VMOVUPS 0(BX), Z0
	VMOVUPS 0(R11), Z1
	HALF2(AX, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15, Z16, Z17, Z18, Z19)
	ROW2(0, R10, Z2, Z20, Z21)
	ROW2(4, R10, Z3, Z22, Z23)
	ADDQ    $24, AX
	ADDQ    $24, R10
	ADDQ    $64, BX
	ADDQ    $64, R11
	DECQ    CX
	JNZ     loop8
	JMP     store

// At most four rows, 32 columns (or 16, as loop6).
loop4:
	CMPQ R13, $16
	JGT  loop4w
	MOVQ BX, R11

loop4w:
	VMOVUPS 0(BX), Z0
	VMOVUPS 0(R11), Z1
	QUARTER2(AX, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
	ADDQ    $24, AX
	ADDQ    $64, BX
	ADDQ    $64, R11
	DECQ    CX
	JNZ     loop4w
	JMP     store

// Twelve rows, at most 16 columns.
loop12h:
	VMOVUPS 0(BX), Z0
	HALF1(AX, Z8, Z10, Z12, Z14, Z16, Z18)
	HALF1(R10, Z20, Z22, Z24, Z26, Z28, Z30)
	ADDQ    $24, AX
	ADDQ    $24, R10
	ADDQ    $64, BX
	DECQ    CX
	JNZ     loop12h
	JMP     store

// Seven to twelve rows, 17 columns (7×7 images: 49 = 32 + 17): the
// first 16 as loop12h does, the 17th in lanes 0-5 of Y9 (rows 0-5) and
// Y11 (rows 6-11), one 256-bit FMA per panel and step reading the
// panel's six A values (K3 keeps the read inside them). Each sum runs in
// k order as in the other loops; the column then moves to lane 0 of each
// row's second accumulator, where the stores expect it.
loop12c:
	MOVL $0x3f, R8
	KMOVW R8, K3

loop12cw:
	VMOVUPS      0(BX), Z0
	VBROADCASTSS 0(R11), Y1
	HALF1(AX, Z8, Z10, Z12, Z14, Z16, Z18)
	HALF1(R10, Z20, Z22, Z24, Z26, Z28, Z30)
	VFMADD231PS  0(AX), Y1, K3, Y9
	VFMADD231PS  0(R10), Y1, K3, Y11
	ADDQ         $24, AX
	ADDQ         $24, R10
	ADDQ         $64, BX
	ADDQ         $64, R11
	DECQ         CX
	JNZ          loop12cw
	VALIGND      $0, Z11, Z11, Z21
	VALIGND      $1, Z11, Z11, Z23
	VALIGND      $2, Z11, Z11, Z25
	VALIGND      $3, Z11, Z11, Z27
	VALIGND      $4, Z11, Z11, Z29
	VALIGND      $5, Z11, Z11, Z31
	VALIGND      $1, Z9, Z9, Z11
	VALIGND      $2, Z9, Z9, Z13
	VALIGND      $3, Z9, Z9, Z15
	VALIGND      $4, Z9, Z9, Z17
	VALIGND      $5, Z9, Z9, Z19
	JMP          store

// At most six rows, 32 columns (or 16: the second panel is then not read,
// the first read twice).
loop6:
	CMPQ R13, $16
	JGT  loop6w
	MOVQ BX, R11

loop6w:
	VMOVUPS 0(BX), Z0
	VMOVUPS 0(R11), Z1
	HALF2(AX, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15, Z16, Z17, Z18, Z19)
	ADDQ    $24, AX
	ADDQ    $64, BX
	ADDQ    $64, R11
	DECQ    CX
	JNZ     loop6w

store:
	COLMASKS
	VBROADCASTSS alpha+40(FP), Z0
	VBROADCASTSS beta+44(FP), Z1
	VXORPS X2, X2, X2
	UCOMISS X2, X1
	JNE withbeta
	JPS withbeta
	STORE_ROWS
	JMP  done

withbeta:
	STOREB_ROWS

done:
	VZEROUPPER
	RET

// IMG_LOADB loads row i of the B panels straight from the image (see
// sgemmKernel12x32ImgAVX512): the 32 pixels at SI + 4·offs[i] through
// masks0[t] and masks1[t] (t = R14, the tap of row i) into Z0, Z1, and
// steps to row i+1.
#define IMG_LOADB \
	MOVLQSX   (BX), R12             \
	KMOVW     (R8)(R14*2), K1       \
	KMOVW     (R9)(R14*2), K2       \
	VMOVUPS.Z (SI)(R12*4), K1, Z0   \
	VMOVUPS.Z 64(SI)(R12*4), K2, Z1 \
	ADDQ      $4, BX                \
	INCQ      R14                   \
	CMPQ      R14, R15              \
	CMOVQEQ   R13, R14

// func sgemmKernel12x32ImgAVX512(k int, a, src *float32, off int, offs *int32, masks0, masks1 *uint16, taps, tap int, c *float32, ldc int, alpha, beta float32, rows, cols int)
//
// sgemmKernel12x32EdgeAVX512 with the B panels read from the image instead
// of packed (see convB): row i of the 32 columns is the 32 floats at
// src + off + offs[i] (off: the block's first pixel), lanes 0-15 loaded where masks0[(tap+i) mod taps] has
// their bit, lanes 16-31 where masks1[...] has it, zero elsewhere (masked
// lanes are not read, so their addresses may fall outside the image). The
// multiply-adds are the packed kernels' in the same order: the same
// results, without writing the panels out and reading them back.
TEXT ·sgemmKernel12x32ImgAVX512(SB), NOSPLIT, $0-112
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ src+16(FP), SI
	MOVQ off+24(FP), DX
	LEAQ (SI)(DX*4), SI           // the block's first pixel
	MOVQ offs+32(FP), BX
	MOVQ masks0+40(FP), R8
	MOVQ masks1+48(FP), R9
	MOVQ taps+56(FP), R15
	MOVQ tap+64(FP), R14
	XORQ R13, R13
	// R10 = a + 24·k bytes (the second A panel).
	LEAQ (CX)(CX*2), R10
	SHLQ $3, R10
	ADDQ AX, R10
	ZERO_ACC
	MOVQ rows+96(FP), R12
	CMPQ R12, $4
	JLE  iloop4
	CMPQ R12, $6
	JLE  iloop6
	CMPQ R12, $8
	JLE  iloop8

iloop12:
	IMG_LOADB
	HALF2(AX, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15, Z16, Z17, Z18, Z19)
	HALF2(R10, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31)
	ADDQ $24, AX
	ADDQ $24, R10
	DECQ CX
	JNZ  iloop12
	JMP  istore

iloop8:
	IMG_LOADB
	HALF2(AX, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15, Z16, Z17, Z18, Z19)
	ROW2(0, R10, Z2, Z20, Z21)
	ROW2(4, R10, Z3, Z22, Z23)
	ADDQ $24, AX
	ADDQ $24, R10
	DECQ CX
	JNZ  iloop8
	JMP  istore

iloop6:
	IMG_LOADB
	HALF2(AX, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15, Z16, Z17, Z18, Z19)
	ADDQ $24, AX
	DECQ CX
	JNZ  iloop6
	JMP  istore

iloop4:
	IMG_LOADB
	QUARTER2(AX, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
	ADDQ $24, AX
	DECQ CX
	JNZ  iloop4

istore:
	MOVQ c+72(FP), DI
	MOVQ ldc+80(FP), DX
	SHLQ $2, DX
	MOVQ rows+96(FP), R12
	MOVQ cols+104(FP), R13
	COLMASKS
	VBROADCASTSS alpha+88(FP), Z0
	VBROADCASTSS beta+92(FP), Z1
	VXORPS X2, X2, X2
	UCOMISS X2, X1
	JNE iwithbeta
	JPS iwithbeta
	STORE_ROWS
	JMP  done

iwithbeta:
	STOREB_ROWS

done:
	VZEROUPPER
	RET
