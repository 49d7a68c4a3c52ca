//go:build amd64 && !purego

#include "textflag.h"

// Lane indexes for VPERMI2PS over two vectors (32 floats) that interleave
// their first and second halves (the even and odd ones, ·laneEven and
// ·laneOdd, are in avx512_amd64.s).
DATA winoLo<>+0(SB)/4, $0
DATA winoLo<>+4(SB)/4, $16
DATA winoLo<>+8(SB)/4, $1
DATA winoLo<>+12(SB)/4, $17
DATA winoLo<>+16(SB)/4, $2
DATA winoLo<>+20(SB)/4, $18
DATA winoLo<>+24(SB)/4, $3
DATA winoLo<>+28(SB)/4, $19
DATA winoLo<>+32(SB)/4, $4
DATA winoLo<>+36(SB)/4, $20
DATA winoLo<>+40(SB)/4, $5
DATA winoLo<>+44(SB)/4, $21
DATA winoLo<>+48(SB)/4, $6
DATA winoLo<>+52(SB)/4, $22
DATA winoLo<>+56(SB)/4, $7
DATA winoLo<>+60(SB)/4, $23
GLOBL winoLo<>(SB), RODATA|NOPTR, $64

DATA winoHi<>+0(SB)/4, $8
DATA winoHi<>+4(SB)/4, $24
DATA winoHi<>+8(SB)/4, $9
DATA winoHi<>+12(SB)/4, $25
DATA winoHi<>+16(SB)/4, $10
DATA winoHi<>+20(SB)/4, $26
DATA winoHi<>+24(SB)/4, $11
DATA winoHi<>+28(SB)/4, $27
DATA winoHi<>+32(SB)/4, $12
DATA winoHi<>+36(SB)/4, $28
DATA winoHi<>+40(SB)/4, $13
DATA winoHi<>+44(SB)/4, $29
DATA winoHi<>+48(SB)/4, $14
DATA winoHi<>+52(SB)/4, $30
DATA winoHi<>+56(SB)/4, $15
DATA winoHi<>+60(SB)/4, $31
GLOBL winoHi<>(SB), RODATA|NOPTR, $64

// WINO_ROW transforms one input row of 16 tiles (the 34 floats at R):
// with E, O the even and odd columns and E', O' the same one tile on,
// T0..T3 = E−E', O+E', E'−O, O−O' (the rows of B^T applied along it).
#define WINO_ROW(R, T0, T1, T2, T3) \
	VMOVUPS   (R), Z0   \
	VMOVUPS   64(R), Z1 \
	VMOVUPS   8(R), Z2  \
	VMOVUPS   72(R), Z3 \
	VMOVAPS   Z30, Z4   \
	VPERMI2PS Z1, Z0, Z4 \
	VMOVAPS   Z31, Z5   \
	VPERMI2PS Z1, Z0, Z5 \
	VMOVAPS   Z30, Z6   \
	VPERMI2PS Z3, Z2, Z6 \
	VMOVAPS   Z31, Z7   \
	VPERMI2PS Z3, Z2, Z7 \
	VSUBPS    Z6, Z4, T0 \
	VADDPS    Z6, Z5, T1 \
	VSUBPS    Z5, Z6, T2 \
	VSUBPS    Z7, Z5, T3

// WINO_COL applies B^T down the rows (R0..R3, one column k of the four
// row transforms) and stores the 4 results at Q, Q+4·plane, Q+8·plane and
// Q+12·plane (the planes ξ = k, 4+k, 8+k, 12+k).
#define WINO_COL(R0, R1, R2, R3, Q) \
	VSUBPS  R2, R0, Z0          \
	VADDPS  R2, R1, Z1          \
	VSUBPS  R1, R2, Z2          \
	VSUBPS  R3, R1, Z3          \
	VMOVUPS Z0, (Q)             \
	VMOVUPS Z1, (Q)(R15*1)      \
	VMOVUPS Z2, (Q)(R15*2)      \
	VMOVUPS Z3, (Q)(R11*1)

// func winoInputAVX512(dst, src *float32, ld, plane, n int)
//
// The Winograd F(2×2, 3×3) input transform of one row of n tiles: tile j
// is the 4×4 block src[r·ld + 2j + s] (r, s < 4) and its transform
// B^T·d·B goes to dst[ξ·plane + j] for ξ = 4a+b. Reads src[r·ld + i] for
// i < 2·roundUp(n, 16) + 2 and writes whole steps of 16 tiles: dst[ξ·plane
// + j] for j < roundUp(n, 16), the tiles past n with values to be
// overwritten (masked stores of the ragged step cost as much as the rest
// of the transform).
TEXT ·winoInputAVX512(SB), NOSPLIT, $0-40
	MOVQ    dst+0(FP), DI
	MOVQ    src+8(FP), SI
	MOVQ    ld+16(FP), R8
	SHLQ    $2, R8                // row bytes
	MOVQ    plane+24(FP), R9
	SHLQ    $2, R9                // plane bytes
	MOVQ    n+32(FP), CX
	MOVQ    R9, R15
	SHLQ    $2, R15               // 4 planes
	LEAQ    (R15)(R15*2), R11     // 12 planes
	VMOVUPS ·laneEven(SB), Z30
	VMOVUPS ·laneOdd(SB), Z31

step:
	TESTQ   CX, CX
	JLE     done
	MOVQ    SI, AX
	WINO_ROW(AX, Z8, Z9, Z10, Z11)
	ADDQ    R8, AX
	WINO_ROW(AX, Z12, Z13, Z14, Z15)
	ADDQ    R8, AX
	WINO_ROW(AX, Z16, Z17, Z18, Z19)
	ADDQ    R8, AX
	WINO_ROW(AX, Z20, Z21, Z22, Z23)
	MOVQ    DI, AX
	WINO_COL(Z8, Z12, Z16, Z20, AX)
	ADDQ    R9, AX
	WINO_COL(Z9, Z13, Z17, Z21, AX)
	ADDQ    R9, AX
	WINO_COL(Z10, Z14, Z18, Z22, AX)
	ADDQ    R9, AX
	WINO_COL(Z11, Z15, Z19, Z23, AX)
	ADDQ    $64, DI
	ADDQ    $128, SI
	SUBQ    $16, CX
	JMP     step

done:
	VZEROUPPER
	RET

// WINO_LOAD4 loads the planes ξ = 4a..4a+3 (a row of the 4×4 products)
// of 16 tiles at Q into A0..A3.
#define WINO_LOAD4(Q, A0, A1, A2, A3) \
	VMOVUPS (Q), A0        \
	VMOVUPS (Q)(R9*1), A1  \
	VMOVUPS (Q)(R9*2), A2  \
	VMOVUPS (Q)(R10*1), A3

// WINO_AT applies A^T to four values: S0 = M0+M1+M2, S1 = M1−M2−M3.
#define WINO_AT(M0, M1, M2, M3, S0, S1) \
	VADDPS M1, M0, S0 \
	VADDPS M2, S0, S0 \
	VSUBPS M2, M1, S1 \
	VSUBPS M3, S1, S1

// WINO_OUTPUT16 applies A^T·M·A to 16 tiles: the products at SI (planes
// R9 bytes apart; R10 = 3 planes, R11 = 4) down the rows into S0k (Z16+k)
// and S1k (Z20+k), then along them into y00, y01 (Z24, Z25) and y10, y11
// (Z26, Z27). AX is clobbered.
#define WINO_OUTPUT16 \
	MOVQ SI, AX                             \
	WINO_LOAD4(AX, Z0, Z1, Z2, Z3)          \
	ADDQ R11, AX                            \
	WINO_LOAD4(AX, Z4, Z5, Z6, Z7)          \
	ADDQ R11, AX                            \
	WINO_LOAD4(AX, Z8, Z9, Z10, Z11)        \
	ADDQ R11, AX                            \
	WINO_LOAD4(AX, Z12, Z13, Z14, Z15)      \
	WINO_AT(Z0, Z4, Z8, Z12, Z16, Z20)      \
	WINO_AT(Z1, Z5, Z9, Z13, Z17, Z21)      \
	WINO_AT(Z2, Z6, Z10, Z14, Z18, Z22)     \
	WINO_AT(Z3, Z7, Z11, Z15, Z19, Z23)     \
	WINO_AT(Z16, Z17, Z18, Z19, Z24, Z25)   \
	WINO_AT(Z20, Z21, Z22, Z23, Z26, Z27)

// func winoOutputAVX512(y0, y1, src *float32, plane, n, width int, bias float32, relu, rows, ystride, sstride int)
//
// The Winograd F(2×2, 3×3) output transform of rows rows of n tiles: with
// m the 4×4 values src[ξ·plane + j] of tile j, A^T·m·A (+ bias, then
// max(·, 0) when relu is not 0, NaN kept) are the outputs y0[2j], y0[2j+1]
// and, unless y1 is nil, y1[2j], y1[2j+1], for 2j, 2j+1 < width ≤ 2n; the
// next row of tiles is at src + sstride and its outputs at y0 + ystride
// and y1 + ystride. Reads src[ξ·plane + j] for j < roundUp(n, 16).
TEXT ·winoOutputAVX512(SB), NOSPLIT, $0-88
	MOVQ         plane+24(FP), R9
	SHLQ         $2, R9           // plane bytes
	VBROADCASTSS bias+48(FP), Z28
	MOVQ         relu+56(FP), R8
	LEAQ         (R9)(R9*2), R10  // 3 planes
	MOVQ         R9, R11
	SHLQ         $2, R11          // 4 planes
	VPXORD       Z29, Z29, Z29
	VMOVUPS      winoLo<>(SB), Z30
	VMOVUPS      winoHi<>(SB), Z31

orow:
	// A row of tiles; the row pointers live in the argument slots.
	CMPQ rows+64(FP), $0
	JLE  odone
	MOVQ y0+0(FP), DI
	MOVQ y1+8(FP), BX
	MOVQ src+16(FP), SI
	MOVQ n+32(FP), CX
	MOVQ width+40(FP), DX         // output columns left

ostep:
	TESTQ   CX, CX
	JLE     orownext
	// K2, K3: the output columns of this step in each stored vector.
	MOVQ    $16, R12
	CMPQ    DX, R12
	CMOVQLT DX, R12
	MOVQ    $1, R13
	SHLXQ   R12, R13, R13
	DECQ    R13
	KMOVW   R13, K2
	MOVQ    DX, R12
	SUBQ    $16, R12
	MOVQ    $0, R13
	CMPQ    R12, R13
	CMOVQLT R13, R12
	MOVQ    $16, R13
	CMPQ    R12, R13
	CMOVQGT R13, R12
	MOVQ    $1, R13
	SHLXQ   R12, R13, R13
	DECQ    R13
	KMOVW   R13, K3

	WINO_OUTPUT16
	VADDPS     Z28, Z24, Z24
	VADDPS     Z28, Z25, Z25
	VADDPS     Z28, Z26, Z26
	VADDPS     Z28, Z27, Z27
	TESTQ      R8, R8
	JZ         store
	VMAXPS     Z24, Z29, Z24
	VMAXPS     Z25, Z29, Z25
	VMAXPS     Z26, Z29, Z26
	VMAXPS     Z27, Z29, Z27

store:
	VMOVAPS   Z30, Z0
	VPERMI2PS Z25, Z24, Z0
	VMOVAPS   Z31, Z1
	VPERMI2PS Z25, Z24, Z1
	VMOVAPS   Z30, Z2
	VPERMI2PS Z27, Z26, Z2
	VMOVAPS   Z31, Z3
	VPERMI2PS Z27, Z26, Z3
	CMPQ      DX, $32
	JLT       opartial
	VMOVUPS   Z0, (DI)            // a whole step: plain stores
	VMOVUPS   Z1, 64(DI)
	TESTQ     BX, BX
	JZ        next
	VMOVUPS   Z2, (BX)
	VMOVUPS   Z3, 64(BX)
	ADDQ      $128, BX
	JMP       next

opartial:
	VMOVUPS   Z0, K2, (DI)
	VMOVUPS   Z1, K3, 64(DI)
	TESTQ     BX, BX
	JZ        next
	VMOVUPS   Z2, K2, (BX)
	VMOVUPS   Z3, K3, 64(BX)
	ADDQ      $128, BX

next:
	ADDQ $128, DI
	ADDQ $64, SI
	SUBQ $32, DX
	SUBQ $16, CX
	JMP  ostep

orownext:
	MOVQ ystride+72(FP), AX
	SHLQ $2, AX
	ADDQ AX, y0+0(FP)
	CMPQ y1+8(FP), $0
	JEQ  orownoy1
	ADDQ AX, y1+8(FP)

orownoy1:
	MOVQ sstride+80(FP), AX
	SHLQ $2, AX
	ADDQ AX, src+16(FP)
	DECQ rows+64(FP)
	JMP  orow

odone:
	VZEROUPPER
	RET

// func winoOutputPoolAVX512(y, src *float32, plane, n int, bias float32, relu int)
//
// The output transform of n tiles followed by a 2×2, stride-2 max pool
// over each tile, whose four outputs are one pool window: y[j] =
// act(max(y00, y01, y10, y11) + bias) for the products src[ξ·plane + j],
// j < n (max before the bias: rounding is monotone, so the sum is the
// same), act max(·, 0) when relu is set. Sixteen tiles a step; the loads
// read whole steps (the planes' slack), the last step's stores are
// masked.
TEXT ·winoOutputPoolAVX512(SB), NOSPLIT, $0-48
	MOVQ         y+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         plane+16(FP), R9
	SHLQ         $2, R9           // plane bytes
	MOVQ         n+24(FP), CX
	VBROADCASTSS bias+32(FP), Z28
	MOVQ         relu+40(FP), R8
	LEAQ         (R9)(R9*2), R10  // 3 planes
	MOVQ         R9, R11
	SHLQ         $2, R11          // 4 planes
	VPXORD       Z29, Z29, Z29

pstep:
	TESTQ      CX, CX
	JLE        pdone
	WINO_OUTPUT16
	VMAXPS     Z25, Z24, Z24
	VMAXPS     Z27, Z26, Z26
	VMAXPS     Z26, Z24, Z24
	VADDPS     Z28, Z24, Z24
	TESTQ      R8, R8
	JZ         pstore
	VMAXPS     Z24, Z29, Z24

pstore:
	CMPQ    CX, $16
	JLT     ppartial
	VMOVUPS Z24, (DI)
	ADDQ    $64, DI
	ADDQ    $64, SI
	SUBQ    $16, CX
	JMP     pstep

ppartial:
	MOVQ    $1, R13
	SHLXQ   CX, R13, R13
	DECQ    R13
	KMOVW   R13, K2
	VMOVUPS Z24, K2, (DI)

pdone:
	VZEROUPPER
	RET
