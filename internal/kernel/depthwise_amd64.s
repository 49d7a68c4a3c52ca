//go:build amd64 && !purego

#include "textflag.h"

// func axpyAVX2(a float32, x, y *float32, n int)
TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS a+0(FP), Y0
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX
	CMPQ CX, $16
	JLT  tail8

loop16:
	VMOVUPS     (DI), Y1
	VMOVUPS     32(DI), Y2
	VFMADD231PS (SI), Y0, Y1
	VFMADD231PS 32(SI), Y0, Y2
	VMOVUPS     Y1, (DI)
	VMOVUPS     Y2, 32(DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	CMPQ        CX, $16
	JGE         loop16

tail8:
	CMPQ CX, $8
	JLT  tail1
	VMOVUPS     (DI), Y1
	VFMADD231PS (SI), Y0, Y1
	VMOVUPS     Y1, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX

tail1:
	TESTQ CX, CX
	JZ    done

loop1:
	VMOVSS      (DI), X1
	VFMADD231SS (SI), X0, X1
	VMOVSS      X1, (DI)
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JNZ         loop1

done:
	VZEROUPPER
	RET

// func dwRowAVX2(dst, src, w *float32, taps, n8 int)
//
// dst[i] += Σ_{t<taps} w[t]·src[i+t] for i < 8·n8: one kernel row of a
// depthwise stencil over contiguous taps, each output vector loaded and
// stored once for all the taps.
TEXT ·dwRowAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ w+16(FP), R8
	MOVQ taps+24(FP), R9
	MOVQ n8+32(FP), CX
	TESTQ CX, CX
	JZ    dwdone

dwloop:
	VMOVUPS (DI), Y0
	MOVQ    R8, R10
	MOVQ    SI, R11
	MOVQ    R9, DX

dwtap:
	VBROADCASTSS (R10), Y1
	VFMADD231PS  (R11), Y1, Y0
	ADDQ         $4, R10
	ADDQ         $4, R11
	DECQ         DX
	JNZ          dwtap

	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     dwloop

dwdone:
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
