//go:build amd64 && !purego

#include "textflag.h"

// func adamAVX2(w, grad, mom, vel *float32, n int, alpha, b1, b2, eps float32)
//
// Per element, in float32 and in this order (no fused multiply-adds, so
// that results equal the portable loop's):
//   m = m + (g - m)*b1
//   v = v + (g*g - v)*b2
//   w = w - (alpha*m) / (sqrt(v) + eps)
TEXT ·adamAVX2(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ mom+16(FP), R8
	MOVQ vel+24(FP), R9
	MOVQ n+32(FP), CX
	VBROADCASTSS alpha+40(FP), Y8
	VBROADCASTSS b1+44(FP), Y9
	VBROADCASTSS b2+48(FP), Y10
	VBROADCASTSS eps+52(FP), Y11

loop:
	VMOVUPS (SI), Y0
	VMOVUPS (R8), Y1
	VSUBPS  Y1, Y0, Y2
	VMULPS  Y9, Y2, Y2
	VADDPS  Y2, Y1, Y1
	VMOVUPS Y1, (R8)
	VMOVUPS (R9), Y4
	VMULPS  Y0, Y0, Y3
	VSUBPS  Y4, Y3, Y3
	VMULPS  Y10, Y3, Y3
	VADDPS  Y3, Y4, Y4
	VMOVUPS Y4, (R9)
	VSQRTPS Y4, Y5
	VADDPS  Y11, Y5, Y5
	VMULPS  Y1, Y8, Y6
	VDIVPS  Y5, Y6, Y6
	VMOVUPS (DI), Y7
	VSUBPS  Y6, Y7, Y7
	VMOVUPS Y7, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, R8
	ADDQ    $32, R9
	SUBQ    $8, CX
	JNZ     loop
	VZEROUPPER
	RET
