//go:build amd64 && !purego

#include "textflag.h"

// func dwStencilAVX2(dst, src *float32, offs *int, w *float32, taps, n8 int, bias float32, first int)
//
// dst[i] = (bias when first ≠ 0, else dst[i]) + Σ_{t<taps} w[t]·src[offs[t]+i]
// for i < 8·n8 rounded up to a multiple of 32: in blocks of twelve vectors
// (96 outputs), the rest in one block of eight and one of four, each
// output loaded and stored once for all the taps. The twelve (eight)
// independent sums keep both FMA units busy despite their latency, so
// that even a 7×7 plane (73 outputs in the stencil's numbering) runs at
// full rate.
TEXT ·dwStencilAVX2(SB), NOSPLIT, $0-64
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         offs+16(FP), R8
	MOVQ         w+24(FP), R9
	MOVQ         taps+32(FP), R10
	MOVQ         n8+40(FP), CX
	VBROADCASTSS bias+48(FP), Y15
	MOVQ         first+56(FP), R11

dwb12:
	CMPQ CX, $12
	JLT  dwb8
	TESTQ R11, R11
	JZ    dwb12load
	VMOVAPS Y15, Y0
	VMOVAPS Y15, Y1
	VMOVAPS Y15, Y2
	VMOVAPS Y15, Y3
	VMOVAPS Y15, Y4
	VMOVAPS Y15, Y5
	VMOVAPS Y15, Y6
	VMOVAPS Y15, Y7
	VMOVAPS Y15, Y8
	VMOVAPS Y15, Y9
	VMOVAPS Y15, Y10
	VMOVAPS Y15, Y11
	JMP     dwb12taps

dwb12load:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4
	VMOVUPS 160(DI), Y5
	VMOVUPS 192(DI), Y6
	VMOVUPS 224(DI), Y7
	VMOVUPS 256(DI), Y8
	VMOVUPS 288(DI), Y9
	VMOVUPS 320(DI), Y10
	VMOVUPS 352(DI), Y11

dwb12taps:
	MOVQ R8, R12
	MOVQ R9, R13
	MOVQ R10, BX

dwb12tap:
	MOVQ         (R12), AX
	LEAQ         (SI)(AX*4), AX
	VBROADCASTSS (R13), Y14
	VFMADD231PS  (AX), Y14, Y0
	VFMADD231PS  32(AX), Y14, Y1
	VFMADD231PS  64(AX), Y14, Y2
	VFMADD231PS  96(AX), Y14, Y3
	VFMADD231PS  128(AX), Y14, Y4
	VFMADD231PS  160(AX), Y14, Y5
	VFMADD231PS  192(AX), Y14, Y6
	VFMADD231PS  224(AX), Y14, Y7
	VFMADD231PS  256(AX), Y14, Y8
	VFMADD231PS  288(AX), Y14, Y9
	VFMADD231PS  320(AX), Y14, Y10
	VFMADD231PS  352(AX), Y14, Y11
	ADDQ         $8, R12
	ADDQ         $4, R13
	DECQ         BX
	JNZ          dwb12tap

	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	VMOVUPS Y8, 256(DI)
	VMOVUPS Y9, 288(DI)
	VMOVUPS Y10, 320(DI)
	VMOVUPS Y11, 352(DI)
	ADDQ    $384, DI
	ADDQ    $384, SI
	SUBQ    $12, CX
	JMP     dwb12

dwb8:
	CMPQ CX, $4
	JLE  dwb4
	TESTQ R11, R11
	JZ    dwb8load
	VMOVAPS Y15, Y0
	VMOVAPS Y15, Y1
	VMOVAPS Y15, Y2
	VMOVAPS Y15, Y3
	VMOVAPS Y15, Y4
	VMOVAPS Y15, Y5
	VMOVAPS Y15, Y6
	VMOVAPS Y15, Y7
	JMP     dwb8taps

dwb8load:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4
	VMOVUPS 160(DI), Y5
	VMOVUPS 192(DI), Y6
	VMOVUPS 224(DI), Y7

dwb8taps:
	MOVQ R8, R12
	MOVQ R9, R13
	MOVQ R10, BX

dwb8tap:
	MOVQ         (R12), AX
	LEAQ         (SI)(AX*4), AX
	VBROADCASTSS (R13), Y14
	VFMADD231PS  (AX), Y14, Y0
	VFMADD231PS  32(AX), Y14, Y1
	VFMADD231PS  64(AX), Y14, Y2
	VFMADD231PS  96(AX), Y14, Y3
	VFMADD231PS  128(AX), Y14, Y4
	VFMADD231PS  160(AX), Y14, Y5
	VFMADD231PS  192(AX), Y14, Y6
	VFMADD231PS  224(AX), Y14, Y7
	ADDQ         $8, R12
	ADDQ         $4, R13
	DECQ         BX
	JNZ          dwb8tap

	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ    $256, DI
	ADDQ    $256, SI
	SUBQ    $8, CX

dwb4:
	CMPQ CX, $0
	JLE  dwsdone
	TESTQ R11, R11
	JZ    dwb4load
	VMOVAPS Y15, Y0
	VMOVAPS Y15, Y1
	VMOVAPS Y15, Y2
	VMOVAPS Y15, Y3
	JMP     dwb4taps

dwb4load:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3

dwb4taps:
	MOVQ R8, R12
	MOVQ R9, R13
	MOVQ R10, BX

dwb4tap:
	MOVQ         (R12), AX
	LEAQ         (SI)(AX*4), AX
	VBROADCASTSS (R13), Y14
	VFMADD231PS  (AX), Y14, Y0
	VFMADD231PS  32(AX), Y14, Y1
	VFMADD231PS  64(AX), Y14, Y2
	VFMADD231PS  96(AX), Y14, Y3
	ADDQ         $8, R12
	ADDQ         $4, R13
	DECQ         BX
	JNZ          dwb4tap

	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, DI
	ADDQ    $128, SI
	SUBQ    $4, CX
	JMP     dwb4

dwsdone:
	VZEROUPPER
	RET

// func actAVX2(kind int, a, b float32, x *float32, n8 int)
//
// ApplyActivation's loop over 8·n8 floats: kind 1 is Clip to [a, b], 2
// HardSwish x·min(1, max(0, a·x + b)), 4 HardSigmoid max(0, min(1, a·x +
// b)) (a product and a sum rounded apart, as the operator's Go loop). The bounds are the first operands
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
	CMPQ         AX, $4
	JEQ          hsig

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
	VMULPS      Y2, Y0, Y3 // a·x and + b rounded apart, as the Go loop
	VADDPS      Y1, Y3, Y3
	VMAXPS      Y3, Y4, Y3
	VMINPS      Y3, Y5, Y3
	VMULPS      Y3, Y2, Y2
	VMOVUPS     Y2, (DI)
	ADDQ        $32, DI
	DECQ        CX
	JNZ         hsloop

	JMP         actdone

hsig:
	VXORPS Y4, Y4, Y4
	MOVL   $0x3f800000, AX
	MOVL   AX, X5
	VBROADCASTSS X5, Y5

hsigloop:
	VMULPS  (DI), Y0, Y2
	VADDPS  Y1, Y2, Y2
	VMINPS  Y2, Y5, Y2
	VMAXPS  Y2, Y4, Y2
	VMOVUPS Y2, (DI)
	ADDQ    $32, DI
	DECQ    CX
	JNZ     hsigloop

actdone:
	VZEROUPPER
	RET

// dwTailMask<>+4·(8-r) holds the VMASKMOVPS mask of the first r of 8 floats.
DATA dwTailMask<>+0(SB)/4, $0xffffffff
DATA dwTailMask<>+4(SB)/4, $0xffffffff
DATA dwTailMask<>+8(SB)/4, $0xffffffff
DATA dwTailMask<>+12(SB)/4, $0xffffffff
DATA dwTailMask<>+16(SB)/4, $0xffffffff
DATA dwTailMask<>+20(SB)/4, $0xffffffff
DATA dwTailMask<>+24(SB)/4, $0xffffffff
DATA dwTailMask<>+28(SB)/4, $0xffffffff
DATA dwTailMask<>+32(SB)/4, $0
DATA dwTailMask<>+36(SB)/4, $0
DATA dwTailMask<>+40(SB)/4, $0
DATA dwTailMask<>+44(SB)/4, $0
DATA dwTailMask<>+48(SB)/4, $0
DATA dwTailMask<>+52(SB)/4, $0
DATA dwTailMask<>+56(SB)/4, $0
DATA dwTailMask<>+60(SB)/4, $0
GLOBL dwTailMask<>(SB), RODATA|NOPTR, $64

// func dwCopyRowsAVX2(dst, src *float32, n, rows, dstStride, srcStride, exact int)
//
// Copies rows rows of n floats, row i from src + i·srcStride to dst +
// i·dstStride (strides in floats), in whole vectors. The last n mod 8
// floats of a row are loaded with a mask (VMASKMOVPS loads are cheap; its
// stores are slow on AMD) and stored as a whole vector, writing up to 7
// zeros past the row's end; those of the last exact rows are stored one
// by one.
TEXT ·dwCopyRowsAVX2(SB), NOSPLIT, $0-56
	MOVQ    dst+0(FP), DI
	MOVQ    src+8(FP), SI
	MOVQ    n+16(FP), DX
	MOVQ    rows+24(FP), R9
	MOVQ    dstStride+32(FP), R10
	MOVQ    srcStride+40(FP), R11
	MOVQ    exact+48(FP), R14
	SHLQ    $2, R10
	SHLQ    $2, R11
	MOVQ    DX, AX
	ANDQ    $7, AX
	LEAQ    dwTailMask<>(SB), BX
	NEGQ    AX
	VMOVDQU 32(BX)(AX*4), Y7
	MOVQ    DX, AX
	ANDQ    $7, AX
	SHRQ    $3, DX
	TESTQ   R9, R9
	JZ      crdone

crrow:
	MOVQ  DI, R12
	MOVQ  SI, R13
	MOVQ  DX, CX
	TESTQ CX, CX
	JZ    crtail

crvec:
	VMOVUPS (R13), Y0
	VMOVUPS Y0, (R12)
	ADDQ    $32, R12
	ADDQ    $32, R13
	DECQ    CX
	JNZ     crvec

crtail:
	TESTQ AX, AX
	JZ    crnext
	CMPQ  R9, R14
	JLE   crlast
	VMASKMOVPS (R13), Y7, Y0
	VMOVUPS    Y0, (R12)

crnext:
	ADDQ R10, DI
	ADDQ R11, SI
	DECQ R9
	JNZ  crrow
	JMP  crdone

crlast:
	MOVQ AX, CX

crlast1:
	MOVL (R13), BX
	MOVL BX, (R12)
	ADDQ $4, R12
	ADDQ $4, R13
	DECQ CX
	JNZ  crlast1
	JMP  crnext

crdone:
	VZEROUPPER
	RET

// func dwMaxStencilAVX2(dst, src *float32, offs *int, taps, n8 int)
//
// dst[i] = the maximum of src[offs[t]+i] over t < taps (taps ≥ 1) for i <
// 8·n8 rounded up to a multiple of 32, folded in tap order as
// best = v > best ? v : best (v the first operand of VMAXPS): as the
// scalar max pooling loop, so NaN in the first tap stays and NaN later is
// passed over. Blocks of eight vectors, the last ones in blocks of four.
TEXT ·dwMaxStencilAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ offs+16(FP), R8
	MOVQ taps+24(FP), R10
	MOVQ n8+32(FP), CX

mxb8:
	CMPQ CX, $4
	JLE  mxb4
	MOVQ (R8), AX
	LEAQ (SI)(AX*4), AX
	VMOVUPS (AX), Y0
	VMOVUPS 32(AX), Y1
	VMOVUPS 64(AX), Y2
	VMOVUPS 96(AX), Y3
	VMOVUPS 128(AX), Y4
	VMOVUPS 160(AX), Y5
	VMOVUPS 192(AX), Y6
	VMOVUPS 224(AX), Y7
	LEAQ 8(R8), R12
	MOVQ R10, BX
	DECQ BX
	JZ   mxb8store

mxb8tap:
	MOVQ    (R12), AX
	LEAQ    (SI)(AX*4), AX
	VMOVUPS (AX), Y8
	VMAXPS  Y0, Y8, Y0
	VMOVUPS 32(AX), Y9
	VMAXPS  Y1, Y9, Y1
	VMOVUPS 64(AX), Y10
	VMAXPS  Y2, Y10, Y2
	VMOVUPS 96(AX), Y11
	VMAXPS  Y3, Y11, Y3
	VMOVUPS 128(AX), Y8
	VMAXPS  Y4, Y8, Y4
	VMOVUPS 160(AX), Y9
	VMAXPS  Y5, Y9, Y5
	VMOVUPS 192(AX), Y10
	VMAXPS  Y6, Y10, Y6
	VMOVUPS 224(AX), Y11
	VMAXPS  Y7, Y11, Y7
	ADDQ    $8, R12
	DECQ    BX
	JNZ     mxb8tap

mxb8store:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ    $256, DI
	ADDQ    $256, SI
	SUBQ    $8, CX
	JMP     mxb8

mxb4:
	CMPQ CX, $0
	JLE  mxdone
	MOVQ (R8), AX
	LEAQ (SI)(AX*4), AX
	VMOVUPS (AX), Y0
	VMOVUPS 32(AX), Y1
	VMOVUPS 64(AX), Y2
	VMOVUPS 96(AX), Y3
	LEAQ 8(R8), R12
	MOVQ R10, BX
	DECQ BX
	JZ   mxb4store

mxb4tap:
	MOVQ    (R12), AX
	LEAQ    (SI)(AX*4), AX
	VMOVUPS (AX), Y8
	VMAXPS  Y0, Y8, Y0
	VMOVUPS 32(AX), Y9
	VMAXPS  Y1, Y9, Y1
	VMOVUPS 64(AX), Y10
	VMAXPS  Y2, Y10, Y2
	VMOVUPS 96(AX), Y11
	VMAXPS  Y3, Y11, Y3
	ADDQ    $8, R12
	DECQ    BX
	JNZ     mxb4tap

mxb4store:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, DI
	ADDQ    $128, SI
	SUBQ    $4, CX
	JMP     mxb4

mxdone:
	VZEROUPPER
	RET
