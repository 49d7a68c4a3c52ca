//go:build amd64 && !purego

#include "textflag.h"

// func dwStencilAVX2(dst, src *float32, offs *int, w *float32, taps, n8 int, bias float32, first, kind int, a, b float32)
//
// dst[i] = (bias when first ≠ 0, else dst[i]) + Σ_{t<taps} w[t]·src[offs[t]+i]
// for i < 8·n8, then the activation kind (0 none, 1 Clip to [a, b], 2
// HardSwish x·min(1, max(0, a·x + b))), in blocks of four vectors (32
// outputs) and then single vectors, each output loaded and stored once for
// all the taps. The bounds are the first operands of VMAXPS/VMINPS, which
// return the second (x) when it is NaN, as in actAVX2.
TEXT ·dwStencilAVX2(SB), NOSPLIT, $0-80
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         offs+16(FP), R8
	MOVQ         w+24(FP), R9
	MOVQ         taps+32(FP), R10
	MOVQ         n8+40(FP), CX
	VBROADCASTSS bias+48(FP), Y15
	MOVQ         first+56(FP), R11
	MOVQ         kind+64(FP), DX
	VBROADCASTSS a+72(FP), Y14
	VBROADCASTSS b+76(FP), Y13
	VXORPS       Y12, Y12, Y12
	MOVL         $0x3f800000, AX
	MOVL         AX, X11
	VBROADCASTSS X11, Y11

block4:
	CMPQ CX, $4
	JLT  block1
	TESTQ R11, R11
	JZ    load4
	VMOVAPS Y15, Y0
	VMOVAPS Y15, Y1
	VMOVAPS Y15, Y2
	VMOVAPS Y15, Y3
	JMP     taps4

load4:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3

taps4:
	MOVQ R8, R12
	MOVQ R9, R13
	MOVQ R10, BX

tap4:
	MOVQ         (R12), AX
	LEAQ         (SI)(AX*4), AX
	VBROADCASTSS (R13), Y4
	VFMADD231PS  (AX), Y4, Y0
	VFMADD231PS  32(AX), Y4, Y1
	VFMADD231PS  64(AX), Y4, Y2
	VFMADD231PS  96(AX), Y4, Y3
	ADDQ         $8, R12
	ADDQ         $4, R13
	DECQ         BX
	JNZ          tap4

	CMPQ DX, $1
	JLT  store4
	JGT  hswish4
	VMAXPS Y0, Y14, Y0
	VMAXPS Y1, Y14, Y1
	VMAXPS Y2, Y14, Y2
	VMAXPS Y3, Y14, Y3
	VMINPS Y0, Y13, Y0
	VMINPS Y1, Y13, Y1
	VMINPS Y2, Y13, Y2
	VMINPS Y3, Y13, Y3
	JMP    store4

hswish4:
	VMOVAPS     Y0, Y5
	VMOVAPS     Y1, Y6
	VMOVAPS     Y2, Y7
	VMOVAPS     Y3, Y8
	VFMADD213PS Y13, Y14, Y5
	VFMADD213PS Y13, Y14, Y6
	VFMADD213PS Y13, Y14, Y7
	VFMADD213PS Y13, Y14, Y8
	VMAXPS      Y5, Y12, Y5
	VMAXPS      Y6, Y12, Y6
	VMAXPS      Y7, Y12, Y7
	VMAXPS      Y8, Y12, Y8
	VMINPS      Y5, Y11, Y5
	VMINPS      Y6, Y11, Y6
	VMINPS      Y7, Y11, Y7
	VMINPS      Y8, Y11, Y8
	VMULPS      Y5, Y0, Y0
	VMULPS      Y6, Y1, Y1
	VMULPS      Y7, Y2, Y2
	VMULPS      Y8, Y3, Y3

store4:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, DI
	ADDQ    $128, SI
	SUBQ    $4, CX
	JMP     block4

block1:
	TESTQ CX, CX
	JZ    dwsdone
	TESTQ R11, R11
	JZ    load1
	VMOVAPS Y15, Y0
	JMP     taps1

load1:
	VMOVUPS (DI), Y0

taps1:
	MOVQ R8, R12
	MOVQ R9, R13
	MOVQ R10, BX

tap1:
	MOVQ         (R12), AX
	VBROADCASTSS (R13), Y4
	VFMADD231PS  (SI)(AX*4), Y4, Y0
	ADDQ         $8, R12
	ADDQ         $4, R13
	DECQ         BX
	JNZ          tap1

	CMPQ DX, $1
	JLT  store1
	JGT  hswish1
	VMAXPS Y0, Y14, Y0
	VMINPS Y0, Y13, Y0
	JMP    store1

hswish1:
	VMOVAPS     Y0, Y5
	VFMADD213PS Y13, Y14, Y5
	VMAXPS      Y5, Y12, Y5
	VMINPS      Y5, Y11, Y5
	VMULPS      Y5, Y0, Y0

store1:
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JMP     block1

dwsdone:
	VZEROUPPER
	RET

// func actAVX2(kind int, a, b float32, x *float32, n8 int)
//
// ApplyActivation's loop over 8·n8 floats: kind 1 is Clip to [a, b], 2
// HardSwish x·min(1, max(0, a·x + b)). The bounds are the first operands
// of VMAXPS/VMINPS, which return the second (x) when it is NaN, so NaN
// stays NaN as in the Go loop.
TEXT ·actAVX2(SB), NOSPLIT, $0-32
	MOVQ         kind+0(FP), AX
	VBROADCASTSS a+8(FP), Y0
	VBROADCASTSS b+12(FP), Y1
	MOVQ         x+16(FP), DI
	MOVQ         n8+24(FP), CX
	TESTQ        CX, CX
	JZ           actdone
	CMPQ         AX, $2
	JEQ          hswish

clip:
	VMOVUPS (DI), Y2
	VMAXPS  Y2, Y0, Y2
	VMINPS  Y2, Y1, Y2
	VMOVUPS Y2, (DI)
	ADDQ    $32, DI
	DECQ    CX
	JNZ     clip
	JMP     actdone

hswish:
	VXORPS Y4, Y4, Y4
	MOVL   $0x3f800000, AX
	MOVL   AX, X5
	VBROADCASTSS X5, Y5

hsloop:
	VMOVUPS     (DI), Y2
	VMOVAPS     Y2, Y3
	VFMADD213PS Y1, Y0, Y3
	VMAXPS      Y3, Y4, Y3
	VMINPS      Y3, Y5, Y3
	VMULPS      Y3, Y2, Y2
	VMOVUPS     Y2, (DI)
	ADDQ        $32, DI
	DECQ        CX
	JNZ         hsloop

actdone:
	VZEROUPPER
	RET

// func dwDeinterleaveAVX2(even, odd, src *float32, n16 int)
//
// even[j] = src[2j], odd[j] = src[2j+1] for j < 8·n16: VSHUFPS picks the
// even (odd) elements of two vectors within each 128-bit lane, VPERMPD
// puts the lanes' pairs in order.
TEXT ·dwDeinterleaveAVX2(SB), NOSPLIT, $0-32
	MOVQ even+0(FP), DI
	MOVQ odd+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ n16+24(FP), CX

dilloop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VSHUFPS $0x88, Y1, Y0, Y2
	VSHUFPS $0xDD, Y1, Y0, Y3
	VPERMPD $0xD8, Y2, Y2
	VPERMPD $0xD8, Y3, Y3
	VMOVUPS Y2, (DI)
	VMOVUPS Y3, (R8)
	ADDQ    $64, SI
	ADDQ    $32, DI
	ADDQ    $32, R8
	DECQ    CX
	JNZ     dilloop
	VZEROUPPER
	RET
