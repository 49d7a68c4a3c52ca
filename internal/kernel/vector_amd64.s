//go:build amd64 && !purego

#include "textflag.h"

// func reluAVX2(x, y *float32, n int)
//
// y[i] = x[i] < 0 ? 0 : x[i] for i < n, 32 then 8 floats at a time, the
// rest (n mod 8) left to the caller. VMAXPS returns its second source when
// either is NaN or both are zeros, so taking x as the second source keeps
// NaN and -0 as they are, like the scalar rule.
TEXT ·reluAVX2(SB), NOSPLIT, $0-24
	MOVQ   x+0(FP), SI
	MOVQ   y+8(FP), DI
	MOVQ   n+16(FP), CX
	VXORPS Y0, Y0, Y0        // Y0 = 0

relu32:
	CMPQ    CX, $32
	JLT     relu8
	VMAXPS  (SI), Y0, Y1     // Y1 = max(0, x) with x the second source
	VMAXPS  32(SI), Y0, Y2
	VMAXPS  64(SI), Y0, Y3
	VMAXPS  96(SI), Y0, Y4
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, 32(DI)
	VMOVUPS Y3, 64(DI)
	VMOVUPS Y4, 96(DI)
	ADDQ    $128, SI
	ADDQ    $128, DI
	SUBQ    $32, CX
	JMP     relu32

relu8:
	CMPQ    CX, $8
	JLT     reludone
	VMAXPS  (SI), Y0, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     relu8

reludone:
	VZEROUPPER
	RET

// func reluGradAVX2(y, dy, dx *float32, n int)
//
// dx[i] = y[i] > 0 ? dy[i] : 0 for i < n, 8 floats at a time, the rest
// (n mod 8) left to the caller: a greater-than mask of y ANDed with dy.
TEXT ·reluGradAVX2(SB), NOSPLIT, $0-32
	MOVQ   y+0(FP), SI
	MOVQ   dy+8(FP), BX
	MOVQ   dx+16(FP), DI
	MOVQ   n+24(FP), CX
	VXORPS Y0, Y0, Y0        // Y0 = 0

grad16:
	CMPQ    CX, $16
	JLT     grad8
	VMOVUPS (SI), Y1
	VMOVUPS 32(SI), Y2
	VCMPPS  $0x1e, Y0, Y1, Y1 // Y1 = y > 0 (greater than, ordered, quiet)
	VCMPPS  $0x1e, Y0, Y2, Y2
	VANDPS  (BX), Y1, Y1
	VANDPS  32(BX), Y2, Y2
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, 32(DI)
	ADDQ    $64, SI
	ADDQ    $64, BX
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     grad16

grad8:
	CMPQ    CX, $8
	JLT     graddone
	VMOVUPS (SI), Y1
	VCMPPS  $0x1e, Y0, Y1, Y1
	VANDPS  (BX), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, BX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     grad8

graddone:
	VZEROUPPER
	RET

// func maxPool2x2RowAVX2(r0, r1, out *float32, n8 int)
//
// For i < 8·n8: out[i] = max(r0[2i], r0[2i+1], r1[2i], r1[2i+1]), the
// window maxima of one output row of a 2×2, stride-2 max pool whose input
// rows are r0 and r1. Each step reads 16 floats of each row: Y0/Y1 take the
// vertical maxima, VSHUFPS splits them into even and odd columns (within
// 128-bit lanes), VMAXPS pairs them, and VPERMQ restores the order.
TEXT ·maxPool2x2RowAVX2(SB), NOSPLIT, $0-32
	MOVQ r0+0(FP), SI
	MOVQ r1+8(FP), BX
	MOVQ out+16(FP), DI
	MOVQ n8+24(FP), CX

pool8:
	TESTQ   CX, CX
	JZ      pooldone
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMAXPS  (BX), Y0, Y0       // vertical maxima of columns 0-7
	VMAXPS  32(BX), Y1, Y1     // and 8-15
	VSHUFPS $0x88, Y1, Y0, Y2  // even columns: o0 o1 o4 o5 | o2 o3 o6 o7
	VSHUFPS $0xdd, Y1, Y0, Y3  // odd columns, same order
	VMAXPS  Y3, Y2, Y2
	VPERMQ  $0xd8, Y2, Y2      // o0 .. o7
	VMOVUPS Y2, (DI)
	ADDQ    $64, SI
	ADDQ    $64, BX
	ADDQ    $32, DI
	DECQ    CX
	JMP     pool8

pooldone:
	VZEROUPPER
	RET

// func maxPool2x2ArgRowAVX2(r0, r1, out *float32, tap *int32, n8 int)
//
// maxPool2x2RowAVX2 that also records, for each output, which tap won:
// 0 r0[2i], 1 r0[2i+1], 2 r1[2i], 3 r1[2i+1]. The taps are visited in that
// order and a later one wins only if strictly greater (an ordered compare:
// never a NaN), exactly as the scalar loop does, so the two agree bit for
// bit, NaNs included. Registers: Y2/Y3 r0's even/odd columns, Y4/Y5 r1's,
// Y6 the best values, Y7 the winning taps, Y8 the mask, Y9-Y11 the tap
// numbers 1-3.
TEXT ·maxPool2x2ArgRowAVX2(SB), NOSPLIT, $0-40
	MOVQ         r0+0(FP), SI
	MOVQ         r1+8(FP), BX
	MOVQ         out+16(FP), DI
	MOVQ         tap+24(FP), DX
	MOVQ         n8+32(FP), CX
	MOVL         $1, AX
	VMOVD        AX, X9
	VPBROADCASTD X9, Y9
	MOVL         $2, AX
	VMOVD        AX, X10
	VPBROADCASTD X10, Y10
	MOVL         $3, AX
	VMOVD        AX, X11
	VPBROADCASTD X11, Y11

arg8:
	TESTQ     CX, CX
	JZ        argdone
	VMOVUPS   (SI), Y0
	VMOVUPS   32(SI), Y1
	VSHUFPS   $0x88, Y1, Y0, Y2   // r0 even columns (lane-permuted order)
	VSHUFPS   $0xdd, Y1, Y0, Y3   // r0 odd columns
	VMOVUPS   (BX), Y0
	VMOVUPS   32(BX), Y1
	VSHUFPS   $0x88, Y1, Y0, Y4   // r1 even columns
	VSHUFPS   $0xdd, Y1, Y0, Y5   // r1 odd columns
	VMOVAPS   Y2, Y6              // best = tap 0
	VPXOR     Y7, Y7, Y7          // winner = 0
	VCMPPS    $0x1e, Y6, Y3, Y8   // tap 1 > best
	VBLENDVPS Y8, Y3, Y6, Y6
	VBLENDVPS Y8, Y9, Y7, Y7
	VCMPPS    $0x1e, Y6, Y4, Y8   // tap 2 > best
	VBLENDVPS Y8, Y4, Y6, Y6
	VBLENDVPS Y8, Y10, Y7, Y7
	VCMPPS    $0x1e, Y6, Y5, Y8   // tap 3 > best
	VBLENDVPS Y8, Y5, Y6, Y6
	VBLENDVPS Y8, Y11, Y7, Y7
	VPERMQ    $0xd8, Y6, Y6       // back to output order
	VPERMQ    $0xd8, Y7, Y7
	VMOVUPS   Y6, (DI)
	VMOVDQU   Y7, (DX)
	ADDQ      $64, SI
	ADDQ      $64, BX
	ADDQ      $32, DI
	ADDQ      $32, DX
	DECQ      CX
	JMP       arg8

argdone:
	VZEROUPPER
	RET

// func addBiasAVX2(x *float32, n8 int, b float32, relu bool)
//
// x[i] += b for i < 8·n8, then with relu x[i] = max(0, x[i]) taking x as
// VMAXPS's second source (NaN and -0 stay, as in reluAVX2).
TEXT ·addBiasAVX2(SB), NOSPLIT, $0-21
	MOVQ         x+0(FP), DI
	MOVQ         n8+8(FP), CX
	VBROADCASTSS b+16(FP), Y1
	VXORPS       Y0, Y0, Y0
	MOVBLZX      relu+20(FP), AX
	TESTQ        AX, AX
	JNZ          biasrelu

bias:
	VADDPS  (DI), Y1, Y2
	VMOVUPS Y2, (DI)
	ADDQ    $32, DI
	DECQ    CX
	JNZ     bias
	VZEROUPPER
	RET

biasrelu:
	VADDPS  (DI), Y1, Y2
	VMAXPS  Y2, Y0, Y2
	VMOVUPS Y2, (DI)
	ADDQ    $32, DI
	DECQ    CX
	JNZ     biasrelu
	VZEROUPPER
	RET

// func divAVX2(dst, x, d *float32, n8 int)
//
// dst[i] = x[i] / d[i] for i < 8·n8 (n8 ≥ 1), correctly rounded as the
// scalar division.
TEXT ·divAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ d+16(FP), DX
	MOVQ n8+24(FP), CX

div8:
	VMOVUPS (SI), Y0
	VDIVPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     div8
	VZEROUPPER
	RET
