//go:build amd64 && !purego

#include "textflag.h"

// Lane indexes of the even and odd floats of two vectors (32 floats), for
// VPERMI2PS: the columns of 16 outputs here (over vertical maxima) and in
// the Winograd input transform (winograd_amd64.s).
DATA ·laneEven+0(SB)/4, $0
DATA ·laneEven+4(SB)/4, $2
DATA ·laneEven+8(SB)/4, $4
DATA ·laneEven+12(SB)/4, $6
DATA ·laneEven+16(SB)/4, $8
DATA ·laneEven+20(SB)/4, $10
DATA ·laneEven+24(SB)/4, $12
DATA ·laneEven+28(SB)/4, $14
DATA ·laneEven+32(SB)/4, $16
DATA ·laneEven+36(SB)/4, $18
DATA ·laneEven+40(SB)/4, $20
DATA ·laneEven+44(SB)/4, $22
DATA ·laneEven+48(SB)/4, $24
DATA ·laneEven+52(SB)/4, $26
DATA ·laneEven+56(SB)/4, $28
DATA ·laneEven+60(SB)/4, $30
GLOBL ·laneEven(SB), RODATA|NOPTR, $64

DATA ·laneOdd+0(SB)/4, $1
DATA ·laneOdd+4(SB)/4, $3
DATA ·laneOdd+8(SB)/4, $5
DATA ·laneOdd+12(SB)/4, $7
DATA ·laneOdd+16(SB)/4, $9
DATA ·laneOdd+20(SB)/4, $11
DATA ·laneOdd+24(SB)/4, $13
DATA ·laneOdd+28(SB)/4, $15
DATA ·laneOdd+32(SB)/4, $17
DATA ·laneOdd+36(SB)/4, $19
DATA ·laneOdd+40(SB)/4, $21
DATA ·laneOdd+44(SB)/4, $23
DATA ·laneOdd+48(SB)/4, $25
DATA ·laneOdd+52(SB)/4, $27
DATA ·laneOdd+56(SB)/4, $29
DATA ·laneOdd+60(SB)/4, $31
GLOBL ·laneOdd(SB), RODATA|NOPTR, $64

// func maxPool2x2RowsAVX512(in, out *float32, w, ow, rows, ldi, ldo int)
//
// For r < rows and j < ow: out[r·ldo+j] = max(in[r·ldi+2j],
// in[r·ldi+2j+1], in[r·ldi+w+2j], in[r·ldi+w+2j+1]): a 2×2, stride-2 max
// pool over row pairs of width w (2·ow ≤ w; the pairs ldi floats apart,
// 2·w when they follow each other), 16 outputs at a time with the ragged
// end of each row masked, so that short rows (7 or 14 outputs) cost one or
// two steps. Registers: K1/K2 mask the 32 input columns of a step, K3 its
// 16 outputs; Z8/Z9 hold the even/odd column indexes.
TEXT ·maxPool2x2RowsAVX512(SB), NOSPLIT, $0-56
	MOVQ    in+0(FP), SI
	MOVQ    out+8(FP), DI
	MOVQ    w+16(FP), R8
	MOVQ    ow+24(FP), R11
	MOVQ    rows+32(FP), R9
	MOVQ    ldi+40(FP), R10
	SHLQ    $2, R10               // row-pair bytes
	VMOVUPS ·laneEven(SB), Z8
	VMOVUPS ·laneOdd(SB), Z9
	SHLQ    $2, R8                // input row bytes

row:
	TESTQ R9, R9
	JZ    done
	MOVQ  SI, AX                  // row 2r
	LEAQ  (SI)(R8*1), BX          // row 2r+1
	MOVQ  DI, DX
	MOVQ  R11, CX                 // outputs left in the row

step:
	TESTQ   CX, CX
	JZ      rowdone
	MOVQ    $16, R12
	CMPQ    CX, R12
	CMOVQLT CX, R12               // n = min(left, 16) outputs
	MOVQ    $1, R13
	MOVQ    R12, R14
	SHLQ    $1, R14               // 2n input columns
	MOVQ    R14, R15
	CMPQ    R15, $16
	JLE     lowonly
	MOVW    $0xffff, R13
	KMOVW   R13, K1
	SUBQ    $16, R15              // columns in the second vector
	MOVQ    $1, R13
	SHLXQ   R15, R13, R13
	DECQ    R13
	KMOVW   R13, K2
	JMP     masks

lowonly:
	SHLXQ R15, R13, R13
	DECQ  R13
	KMOVW R13, K1
	KXORW K2, K2, K2

masks:
	MOVQ      $1, R13
	SHLXQ     R12, R13, R13
	DECQ      R13
	KMOVW     R13, K3
	VMOVUPS.Z (AX), K1, Z0
	VMOVUPS.Z 64(AX), K2, Z1
	VMOVUPS.Z (BX), K1, Z2
	VMOVUPS.Z 64(BX), K2, Z3
	VMAXPS    Z2, Z0, Z0          // vertical maxima, columns 0-15
	VMAXPS    Z3, Z1, Z1          // and 16-31
	VMOVAPS   Z8, Z4
	VPERMI2PS Z1, Z0, Z4          // even columns
	VMOVAPS   Z9, Z5
	VPERMI2PS Z1, Z0, Z5          // odd columns
	VMAXPS    Z5, Z4, Z4
	VMOVUPS   Z4, K3, (DX)
	ADDQ      $128, AX
	ADDQ      $128, BX
	ADDQ      $64, DX
	SUBQ      R12, CX
	JMP       step

rowdone:
	ADDQ R10, SI
	MOVQ ldo+48(FP), AX
	LEAQ (DI)(AX*4), DI
	DECQ R9
	JMP  row

done:
	VZEROUPPER
	RET

// func packConvPanelAVX512(dst, src *float32, off int, offs *int32, masks *uint16, taps, tap, kc int)
//
// Packs one 16-column panel of a convolution's im2col matrix straight from
// the image (see convB): for i < kc, the 16 floats at dst[16i:] are
// src[off+offs[i]+t] for the lanes t set in masks[(tap+i) mod taps] and 0
// for the others. Masked-off lanes are not read (AVX-512 masked loads do
// not fault), so their addresses may fall outside the image.
TEXT ·packConvPanelAVX512(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ off+16(FP), AX
	LEAQ (SI)(AX*4), SI           // the panel's first pixel
	MOVQ offs+24(FP), BX
	MOVQ masks+32(FP), R8
	MOVQ taps+40(FP), R9
	MOVQ tap+48(FP), R10
	MOVQ kc+56(FP), CX

panel:
	TESTQ     CX, CX
	JZ        panelDone
	KMOVW     (R8)(R10*2), K1
	MOVLQSX   (BX), AX
	VMOVUPS.Z (SI)(AX*4), K1, Z0
	VMOVUPS   Z0, (DI)
	ADDQ      $64, DI
	ADDQ      $4, BX
	INCQ      R10
	CMPQ      R10, R9
	JLT       nextTap
	XORQ      R10, R10

nextTap:
	DECQ CX
	JMP  panel

panelDone:
	VZEROUPPER
	RET

// POOL_MASK sets K to the first R14 lanes, R14 clamped to [0, 16] (R13
// holds 0, R15 16; BX is clobbered).
#define POOL_MASK(K) \
	CMPQ    R14, R15    \
	CMOVQGT R15, R14    \
	CMPQ    R14, R13    \
	CMOVQLT R13, R14    \
	MOVQ    $1, BX      \
	SHLXQ   R14, BX, BX \
	DECQ    BX          \
	KMOVW   BX, K

// POOL_ROW3 loads one input row at R (32 columns from the step's first in
// Z4/Z5, 32 from two columns on in Z6/Z7) and folds it into the column
// maxima Z0-Z3: best = v > best ? v : best, lane by lane.
#define POOL_ROW3(R) \
	VMOVUPS.Z (R), K1, Z4   \
	VMOVUPS.Z 64(R), K2, Z5 \
	VMOVUPS.Z 8(R), K3, Z6  \
	VMOVUPS.Z 72(R), K4, Z7 \
	VMAXPS    Z0, Z4, Z0    \
	VMAXPS    Z1, Z5, Z1    \
	VMAXPS    Z2, Z6, Z2    \
	VMAXPS    Z3, Z7, Z3

// func maxPool3x3s2RowsAVX512(in, out *float32, w, ow, rows, ldi, ldo int)
//
// A 3×3, stride-2 max pool over windows that lie inside the image: for r
// < rows and j < ow, out[r·ldo+j] is the maximum of in[r·ldi + a·w + 2j +
// b] over a, b < 3, as the scalar loop folds it (best = v > best ? v :
// best from the first tap on): NaN when the first tap is NaN, else the
// largest of the taps that are not NaN. Sixteen outputs a step: the three
// rows' column maxima over 32 columns from 2j and from 2j+2 (the even
// ones from the first tap, the others from -Inf so that a NaN there is
// skipped), then the even, odd and next even columns. Only the columns up
// to 2·ow of each row are read.
TEXT ·maxPool3x3s2RowsAVX512(SB), NOSPLIT, $0-56
	MOVQ    in+0(FP), SI
	MOVQ    out+8(FP), DI
	MOVQ    w+16(FP), R8
	SHLQ    $2, R8                // input row bytes
	MOVQ    ow+24(FP), R11
	MOVQ    rows+32(FP), R9
	MOVQ    ldi+40(FP), R10
	SHLQ    $2, R10
	XORQ    R13, R13
	MOVQ    $16, R15
	VMOVUPS ·laneEven(SB), Z8
	VMOVUPS ·laneOdd(SB), Z9
	MOVL    $0xff800000, AX
	VPBROADCASTD AX, Z10          // -Inf
	MOVL    $0xaaaa, AX
	KMOVW   AX, K6                // the odd lanes

prow:
	TESTQ R9, R9
	JZ    pdone3
	MOVQ  SI, AX
	MOVQ  DI, DX
	MOVQ  R11, CX

pstep3:
	TESTQ   CX, CX
	JZ      prowdone
	MOVQ    R15, R12
	CMPQ    CX, R12
	CMOVQLT CX, R12               // n = min(left, 16) outputs
	LEAQ    1(R12)(R12*1), R14    // 2n+1 input columns from the first
	POOL_MASK(K1)
	LEAQ    -15(R12)(R12*1), R14
	POOL_MASK(K2)
	LEAQ    -1(R12)(R12*1), R14
	POOL_MASK(K3)
	LEAQ    -17(R12)(R12*1), R14
	POOL_MASK(K4)
	MOVQ    R12, R14
	POOL_MASK(K5)
	// Row 0 starts the column maxima: the even columns from their first
	// tap, the odd ones and those two on from -Inf.
	VMOVUPS.Z (AX), K1, Z0
	VMOVUPS.Z 64(AX), K2, Z1
	VMOVUPS.Z 8(AX), K3, Z2
	VMOVUPS.Z 72(AX), K4, Z3
	VMAXPS    Z10, Z0, K6, Z0
	VMAXPS    Z10, Z1, K6, Z1
	VMAXPS    Z10, Z2, Z2
	VMAXPS    Z10, Z3, Z3
	LEAQ      (AX)(R8*1), BX
	POOL_ROW3(BX)
	LEAQ      (BX)(R8*1), BX
	POOL_ROW3(BX)
	// Along the row: columns 2j (Z11), 2j+1 (Z12), 2j+2 (Z13).
	VMOVAPS   Z8, Z11
	VPERMI2PS Z1, Z0, Z11
	VMOVAPS   Z9, Z12
	VPERMI2PS Z1, Z0, Z12
	VMOVAPS   Z8, Z13
	VPERMI2PS Z3, Z2, Z13
	VMAXPS    Z11, Z12, Z11
	VMAXPS    Z11, Z13, Z11
	VMOVUPS   Z11, K5, (DX)
	ADDQ      $128, AX
	ADDQ      $64, DX
	SUBQ      R12, CX
	JMP       pstep3

prowdone:
	ADDQ R10, SI
	MOVQ ldo+48(FP), AX
	LEAQ (DI)(AX*4), DI
	DECQ R9
	JMP  prow

pdone3:
	VZEROUPPER
	RET

// func biasTileAVX512(c *float32, ldc, rows, cols int, bias, res *float32, ldr int, relu bool)
//
// The epilogue of a GEMM tile: for r < rows and j < cols (cols ≤ 32),
// c[r·ldc+j] += bias[r], then, unless res is nil, += res[r·ldr+j], then
// with relu max(0, ·) taking the sum as VMAXPS's second source (NaN and
// -0 stay, as in addBiasAVX2: the separate steps' result bit for bit);
// without relu the same max against -Inf, which changes nothing. Only the
// cols columns of each row are touched (read, for res).
TEXT ·biasTileAVX512(SB), NOSPLIT, $0-57
	MOVQ    c+0(FP), DI
	MOVQ    ldc+8(FP), R8
	SHLQ    $2, R8
	MOVQ    rows+16(FP), CX
	MOVQ    cols+24(FP), AX
	MOVQ    bias+32(FP), SI
	MOVQ    res+40(FP), BX
	MOVQ    ldr+48(FP), R12
	SHLQ    $2, R12
	MOVL    $0xff800000, DX       // -Inf
	XORL    R9, R9
	CMPB    relu+56(FP), $0
	CMOVLNE R9, DX                // 0 with relu
	VPBROADCASTD DX, Z2
	TESTQ   CX, CX
	JZ      btdone
	CMPQ    AX, $32
	JNE     btmasks
	TESTQ   BX, BX
	JZ      btfull
	JMP     btfullres

btmasks:
	MOVQ    $16, R9
	CMPQ    AX, R9
	CMOVQLT AX, R9                // columns in the first vector
	MOVL    $-1, R10
	BZHIL   R9, R10, R11
	KMOVW   R11, K1
	SUBQ    $16, AX
	XORQ    R9, R9
	CMPQ    AX, R9
	CMOVQLT R9, AX                // columns in the second vector
	BZHIL   AX, R10, R11
	KMOVW   R11, K2
	JMP     btmasked

	// Whole 32-column rows: unmasked loads, which the kernel's stores
	// forward to (masked loads wait for the stores to reach the cache).
btfull:
	VBROADCASTSS (SI), Z0
	VADDPS       (DI), Z0, Z3
	VADDPS       64(DI), Z0, Z4
	VMAXPS       Z3, Z2, Z3
	VMAXPS       Z4, Z2, Z4
	VMOVUPS      Z3, (DI)
	VMOVUPS      Z4, 64(DI)
	ADDQ         $4, SI
	ADDQ         R8, DI
	DECQ         CX
	JNZ          btfull
	JMP          btdone

btfullres:
	VBROADCASTSS (SI), Z0
	VADDPS       (DI), Z0, Z3
	VADDPS       64(DI), Z0, Z4
	VADDPS       (BX), Z3, Z3
	VADDPS       64(BX), Z4, Z4
	VMAXPS       Z3, Z2, Z3
	VMAXPS       Z4, Z2, Z4
	VMOVUPS      Z3, (DI)
	VMOVUPS      Z4, 64(DI)
	ADDQ         $4, SI
	ADDQ         R8, DI
	ADDQ         R12, BX
	DECQ         CX
	JNZ          btfullres
	JMP          btdone

btmasked:
	VBROADCASTSS (SI), Z0
	VMOVUPS.Z    (DI), K1, Z3
	VMOVUPS.Z    64(DI), K2, Z4
	VADDPS       Z3, Z0, Z3
	VADDPS       Z4, Z0, Z4
	TESTQ        BX, BX
	JZ           btmaskednores
	VMOVUPS.Z    (BX), K1, Z5
	VMOVUPS.Z    64(BX), K2, Z6
	VADDPS       Z5, Z3, Z3
	VADDPS       Z6, Z4, Z4
	ADDQ         R12, BX

btmaskednores:
	VMAXPS       Z3, Z2, Z3
	VMAXPS       Z4, Z2, Z4
	VMOVUPS      Z3, K1, (DI)
	VMOVUPS      Z4, K2, 64(DI)
	ADDQ         $4, SI
	ADDQ         R8, DI
	DECQ         CX
	JNZ          btmasked

btdone:
	VZEROUPPER
	RET
