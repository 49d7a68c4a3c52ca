//go:build amd64 && !purego

#include "textflag.h"

// LOAD4 loads the next four rows (SI, stride R8, R9 = 3·stride) into
// a-d and moves SI past them.
#define LOAD4(a, b, c, d) \
	VMOVUPS (SI), a        \
	VMOVUPS (SI)(R8*1), b  \
	VMOVUPS (SI)(R8*2), c  \
	VMOVUPS (SI)(R9*1), d  \
	LEAQ    (SI)(R8*4), SI

// func transpose16x16AVX512(dst *float32, ldd int, src *float32, lds int)
//
// dst[j·ldd+i] = src[i·lds+j] for i, j < 16: one 16×16 block transposed.
// The rows are interleaved in pairs of elements (VUNPCKLPS/VUNPCKHPS),
// then of pairs (VUNPCKLPD/VUNPCKHPD), which leaves in each 128-bit lane
// of s_q the four rows' element 4j+q; VSHUFF32X4 then gathers the lanes
// of each column from the four row groups.
TEXT ·transpose16x16AVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), DX
	SHLQ $2, DX
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9 // 3·lds

	LOAD4(Z0, Z1, Z2, Z3)
	LOAD4(Z4, Z5, Z6, Z7)
	LOAD4(Z8, Z9, Z10, Z11)
	LOAD4(Z12, Z13, Z14, Z15)

	// Pairs of rows, element by element.
	VUNPCKLPS Z1, Z0, Z16
	VUNPCKHPS Z1, Z0, Z17
	VUNPCKLPS Z3, Z2, Z18
	VUNPCKHPS Z3, Z2, Z19
	VUNPCKLPS Z5, Z4, Z20
	VUNPCKHPS Z5, Z4, Z21
	VUNPCKLPS Z7, Z6, Z22
	VUNPCKHPS Z7, Z6, Z23
	VUNPCKLPS Z9, Z8, Z24
	VUNPCKHPS Z9, Z8, Z25
	VUNPCKLPS Z11, Z10, Z26
	VUNPCKHPS Z11, Z10, Z27
	VUNPCKLPS Z13, Z12, Z28
	VUNPCKHPS Z13, Z12, Z29
	VUNPCKLPS Z15, Z14, Z30
	VUNPCKHPS Z15, Z14, Z31

	// Groups of four rows: s_q (Z0+q, Z4+q, Z8+q, Z12+q for the row
	// groups) holds in lane j the group's element 4j+q.
	VUNPCKLPD Z18, Z16, Z0
	VUNPCKHPD Z18, Z16, Z1
	VUNPCKLPD Z19, Z17, Z2
	VUNPCKHPD Z19, Z17, Z3
	VUNPCKLPD Z22, Z20, Z4
	VUNPCKHPD Z22, Z20, Z5
	VUNPCKLPD Z23, Z21, Z6
	VUNPCKHPD Z23, Z21, Z7
	VUNPCKLPD Z26, Z24, Z8
	VUNPCKHPD Z26, Z24, Z9
	VUNPCKLPD Z27, Z25, Z10
	VUNPCKHPD Z27, Z25, Z11
	VUNPCKLPD Z30, Z28, Z12
	VUNPCKHPD Z30, Z28, Z13
	VUNPCKLPD Z31, Z29, Z14
	VUNPCKHPD Z31, Z29, Z15

	LEAQ (DX)(DX*2), R9 // 3·ldd
	LEAQ (DI)(DX*4), R10 // column 4
	LEAQ (R10)(DX*4), R11 // column 8
	LEAQ (R11)(DX*4), R12 // column 12

// COLUMNS stores the columns 4j+q, j < 4, from the row groups' s_q in
// a, b, c, e, at the column bases DI, R10, R11, R12 (columns q, 4+q,
// 8+q, 12+q); NEXT_COLUMNS moves the bases to q+1.
#define NEXT_COLUMNS \
	ADDQ DX, DI  \
	ADDQ DX, R10 \
	ADDQ DX, R11 \
	ADDQ DX, R12

#define COLUMNS(a, b, c, e) \
	VSHUFF32X4 $0x44, b, a, Z16 \
	VSHUFF32X4 $0xEE, b, a, Z17 \
	VSHUFF32X4 $0x44, e, c, Z18 \
	VSHUFF32X4 $0xEE, e, c, Z19 \
	VSHUFF32X4 $0x88, Z18, Z16, Z20 \
	VSHUFF32X4 $0xDD, Z18, Z16, Z21 \
	VSHUFF32X4 $0x88, Z19, Z17, Z22 \
	VSHUFF32X4 $0xDD, Z19, Z17, Z23 \
	VMOVUPS    Z20, (DI) \
	VMOVUPS    Z21, (R10) \
	VMOVUPS    Z22, (R11) \
	VMOVUPS    Z23, (R12)

	COLUMNS(Z0, Z4, Z8, Z12)
	NEXT_COLUMNS
	COLUMNS(Z1, Z5, Z9, Z13)
	NEXT_COLUMNS
	COLUMNS(Z2, Z6, Z10, Z14)
	NEXT_COLUMNS
	COLUMNS(Z3, Z7, Z11, Z15)
	VZEROUPPER
	RET
