//go:build amd64 && !purego

#include "textflag.h"

// TAPS adds, for CX taps, the 16·n channels at AX (one input pixel; the
// next tap's AX + R14) times the weights at BX (the next tap's BX + R9)
// to the accumulators Z5-Z8: one FMA chain per 16 channels, each in tap
// order.
#define TAPS4 \
	VMOVUPS     (BX), Z1       \
	VMOVUPS     64(BX), Z2     \
	VMOVUPS     128(BX), Z3    \
	VMOVUPS     192(BX), Z4    \
	VFMADD231PS (AX), Z1, Z5   \
	VFMADD231PS 64(AX), Z2, Z6 \
	VFMADD231PS 128(AX), Z3, Z7 \
	VFMADD231PS 192(AX), Z4, Z8 \
	ADDQ        R14, AX        \
	ADDQ        R9, BX         \
	DECQ        CX

#define TAPS2 \
	VMOVUPS     (BX), Z1       \
	VMOVUPS     64(BX), Z2     \
	VFMADD231PS (AX), Z1, Z5   \
	VFMADD231PS 64(AX), Z2, Z6 \
	ADDQ        R14, AX        \
	ADDQ        R9, BX         \
	DECQ        CX

#define TAPS1 \
	VMOVUPS     (BX), Z1       \
	VFMADD231PS (AX), Z1, Z5   \
	ADDQ        R14, AX        \
	ADDQ        R9, BX         \
	DECQ        CX

// MAXTAPSn are TAPSn folding the maximum instead: acc = v > acc ? v :
// acc (VMAXPS returns its second source unless the first is greater), the
// scalar max pool's fold.
#define MAXTAPS4 \
	VMOVUPS (AX), Z1     \
	VMOVUPS 64(AX), Z2   \
	VMOVUPS 128(AX), Z3  \
	VMOVUPS 192(AX), Z4  \
	VMAXPS  Z5, Z1, Z5   \
	VMAXPS  Z6, Z2, Z6   \
	VMAXPS  Z7, Z3, Z7   \
	VMAXPS  Z8, Z4, Z8   \
	ADDQ    R14, AX      \
	DECQ    CX

#define MAXTAPS2 \
	VMOVUPS (AX), Z1     \
	VMOVUPS 64(AX), Z2   \
	VMAXPS  Z5, Z1, Z5   \
	VMAXPS  Z6, Z2, Z6   \
	ADDQ    R14, AX      \
	DECQ    CX

#define MAXTAPS1 \
	VMOVUPS (AX), Z1     \
	VMAXPS  Z5, Z1, Z5   \
	ADDQ    R14, AX      \
	DECQ    CX

// TAP_ADDR turns the kernel row kh in AX into the address of the output
// pixel's first tap of that row inside the image: AX = x + ((rows[3r+2]
// + kh·dh)·width + cols[3c+2] + kw0·dw)·ldx (CX clobbered).
#define TAP_ADDR \
	IMULQ   dh+104(FP), AX \
	MOVLQSX 8(R12), CX     \
	ADDQ    CX, AX         \
	IMULQ   width+88(FP), AX \
	MOVLQSX 8(R13), CX     \
	ADDQ    CX, AX         \
	MOVLQSX (R13), CX      \
	IMULQ   dw+112(FP), CX \
	ADDQ    CX, AX         \
	IMULQ   R8, AX         \
	ADDQ    SI, AX

// func dwChannelsLastAVX512(x *float32, ldx int, w *float32, ldw int, bias, y *float32, ldy int, rows, cols *int32, oh, ow, width, kw, dh, dw, blocks int, relu, max bool)
//
// A depthwise convolution of 16·blocks channels (blocks 1, 2 or 4)
// stored channels-last: input pixel i's channels at x + i·ldx, tap t's
// weights at w + t·ldw, output pixel o's at y + o·ldy. Output (r, c)
// starts from bias and adds, in tap order, the taps (kh, kw) for kh in
// [rows[3r], rows[3r+1]) and kw in [cols[3c], cols[3c+1]) (the taps
// inside the image), reading input pixel (rows[3r+2] + kh·dh)·width +
// cols[3c+2] + kw·dw with weight kh·kw + kw (kw the kernel's width); then
// max(·, 0) with relu. With max, output (r, c) is instead the maximum
// of those taps, folded from the first as the scalar max pool folds them
// (w and bias are not read; every window has a tap inside the image).
TEXT ·dwChannelsLastAVX512(SB), NOSPLIT, $24-130
	MOVQ    x+0(FP), SI
	MOVQ    ldx+8(FP), R8
	SHLQ    $2, R8
	MOVQ    w+16(FP), DI
	MOVQ    ldw+24(FP), R9
	SHLQ    $2, R9
	CMPB    max+129(FP), $0
	JNE     nobias
	MOVQ    bias+32(FP), AX
	VMOVUPS (AX), Z24
	VMOVUPS 64(AX), Z25
	VMOVUPS 128(AX), Z26
	VMOVUPS 192(AX), Z27

nobias:
	MOVQ    y+40(FP), R10
	MOVQ    ldy+48(FP), R11
	SHLQ    $2, R11
	MOVQ    rows+56(FP), R12
	MOVQ    dw+112(FP), R14
	IMULQ   R8, R14         // the next tap along a row: dw pixels on
	VPXORD  Z31, Z31, Z31
	MOVQ    oh+72(FP), R15

row:
	MOVQ cols+64(FP), R13
	MOVQ ow+80(FP), DX

pixel:
	VMOVAPS Z24, Z5
	VMOVAPS Z25, Z6
	VMOVAPS Z26, Z7
	VMOVAPS Z27, Z8
	MOVLQSX (R12), AX
	MOVQ    AX, kh-8(SP)
	MOVLQSX 4(R12), CX
	SUBQ    AX, CX
	JLE     store           // no row of the kernel inside the image
	MOVQ    CX, left-16(SP)
	CMPB    max+129(FP), $0
	JEQ     kernelRow
	// The maximum starts from the first tap inside the image.
	TAP_ADDR
	MOVQ    blocks+120(FP), CX
	VMOVUPS (AX), Z5
	CMPQ    CX, $2
	JLT     kernelRow
	VMOVUPS 64(AX), Z6
	JEQ     kernelRow
	VMOVUPS 128(AX), Z7
	VMOVUPS 192(AX), Z8

kernelRow:
	// AX the row's first tap (TAP_ADDR), BX = w + (kh·kw + kw0)·ldw,
	// CX = kw1 - kw0.
	MOVQ    kh-8(SP), AX
	TAP_ADDR
	MOVQ    kh-8(SP), BX
	IMULQ   kw+96(FP), BX
	MOVLQSX (R13), CX
	ADDQ    CX, BX
	IMULQ   R9, BX
	ADDQ    DI, BX
	MOVL    4(R13), CX
	SUBL    (R13), CX
	MOVLQSX CX, CX
	TESTQ   CX, CX
	JLE     nextKernelRow
	CMPB    max+129(FP), $0
	JNE     maxTaps
	CMPQ    blocks+120(FP), $2
	JLT     taps1
	JEQ     taps2

taps4:
	TAPS4
	JNZ taps4
	JMP nextKernelRow

taps2:
	TAPS2
	JNZ taps2
	JMP nextKernelRow

taps1:
	TAPS1
	JNZ taps1
	JMP nextKernelRow

maxTaps:
	CMPQ blocks+120(FP), $2
	JLT  maxTaps1
	JEQ  maxTaps2

maxTaps4:
	MAXTAPS4
	JNZ maxTaps4
	JMP nextKernelRow

maxTaps2:
	MAXTAPS2
	JNZ maxTaps2
	JMP nextKernelRow

maxTaps1:
	MAXTAPS1
	JNZ maxTaps1

nextKernelRow:
	INCQ kh-8(SP)
	DECQ left-16(SP)
	JNZ  kernelRow

store:
	// max(0, ·) that keeps NaN (VMAXPS returns its second source when
	// either is NaN).
	CMPB    relu+128(FP), $0
	JEQ     write
	VMAXPS  Z5, Z31, Z5
	VMAXPS  Z6, Z31, Z6
	VMAXPS  Z7, Z31, Z7
	VMAXPS  Z8, Z31, Z8

write:
	MOVQ    blocks+120(FP), CX
	VMOVUPS Z5, (R10)
	CMPQ    CX, $2
	JLT     written
	VMOVUPS Z6, 64(R10)
	JEQ     written
	VMOVUPS Z7, 128(R10)
	VMOVUPS Z8, 192(R10)

written:
	ADDQ R11, R10
	ADDQ $12, R13
	DECQ DX
	JNZ  pixel
	ADDQ $12, R12
	DECQ R15
	JNZ  row
	VZEROUPPER
	RET
