//go:build amd64 && !purego

#include "textflag.h"

// func requant8AVX512(acc *int32, n int, mult float32, zp int32, lo, hi float32, dst *uint8)
//
// dst[i] = int8(cvt(clamp(float32(acc[i])·mult, lo, hi)) + zp), 16 at a
// time; VCVTPS2DQ rounds half to even (the default MXCSR mode) and the
// clamped value fits the 8-bit range after adding zp, so VPMOVDB's
// truncation is exact.
TEXT ·requant8AVX512(SB), NOSPLIT, $0-40
	MOVQ         acc+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS mult+16(FP), Z1
	MOVL         zp+20(FP), AX
	VPBROADCASTD AX, Z2
	VBROADCASTSS lo+24(FP), Z3
	VBROADCASTSS hi+28(FP), Z4
	MOVQ         dst+32(FP), DI
	SHRQ         $4, CX
	JZ           done

loop:
	VCVTDQ2PS (SI), Z0
	VMULPS    Z1, Z0, Z0
	VMAXPS    Z3, Z0, Z0
	VMINPS    Z4, Z0, Z0
	VCVTPS2DQ Z0, Z0
	VPADDD    Z2, Z0, Z0
	VPMOVDB   Z0, (DI)
	ADDQ      $64, SI
	ADDQ      $16, DI
	DECQ      CX
	JNZ       loop

done:
	VZEROUPPER
	RET

// func quant8AVX512(x *float32, n int, scale float32, zp int32, lo, hi float32, dst *uint8)
//
// dst[i] = int8(cvt(clamp(x[i] / scale, lo, hi)) + zp), NaN quotients
// (zeroed under mask K2) giving zp; 16 at a time.
TEXT ·quant8AVX512(SB), NOSPLIT, $0-40
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS scale+16(FP), Z1
	MOVL         zp+20(FP), AX
	VPBROADCASTD AX, Z2
	VBROADCASTSS lo+24(FP), Z3
	VBROADCASTSS hi+28(FP), Z4
	MOVQ         dst+32(FP), DI
	SHRQ         $4, CX
	JZ           qdone

qloop:
	VMOVUPS   (SI), Z0
	VDIVPS    Z1, Z0, Z0
	VCMPPS    $3, Z0, Z0, K2
	VXORPS    Z0, Z0, K2, Z0
	VMAXPS    Z3, Z0, Z0
	VMINPS    Z4, Z0, Z0
	VCVTPS2DQ Z0, Z0
	VPADDD    Z2, Z0, Z0
	VPMOVDB   Z0, (DI)
	ADDQ      $64, SI
	ADDQ      $16, DI
	DECQ      CX
	JNZ       qloop

qdone:
	VZEROUPPER
	RET

// func depthwiseU8AVX512(a *dwArgs)
//
// For each output row, blocks of 16 columns (the last under mask K1):
// Z0 starts at off and gets w[t]·x for every tap t, x being 16 bytes
// (stride 1) or the low bytes of 16 byte pairs (stride 2) zero-extended;
// then the block is stored. Rows of dst are contiguous, so DI just
// advances. Registers: AX args, SI row source, DI destination, BX rows
// left, CX dh·pw, DX sh·pw, R8 16·sw, R9 weights, R10/R11 tap counters,
// R12 tap row, R13 tap source, R14 columns left, R15 block source.
TEXT ·depthwiseU8AVX512(SB), NOSPLIT, $0-8
	MOVQ         a+0(FP), AX
	MOVQ         0(AX), SI
	MOVQ         72(AX), DI
	MOVQ         8(AX), R8
	MOVQ         40(AX), CX
	IMULQ        R8, CX
	MOVQ         56(AX), DX
	IMULQ        R8, DX
	MOVQ         64(AX), R8
	SHLQ         $4, R8
	MOVL         96(AX), R10
	VPBROADCASTD R10, Z2
	MOVL         $0xff, R10
	VPBROADCASTD R10, Z3
	MOVQ         80(AX), BX

dwrow:
	MOVQ 88(AX), R14
	MOVQ SI, R15

dwblk:
	MOVQ    $16, R10
	CMPQ    R14, R10
	CMOVQLT R14, R10
	MOVL    $-1, R11
	BZHIL   R10, R11, R11
	KMOVW   R11, K1
	VMOVDQA32 Z2, Z0
	MOVQ    16(AX), R9
	MOVQ    R15, R12
	MOVQ    24(AX), R10

dwky:
	MOVQ R12, R13
	MOVQ 32(AX), R11

dwkx:
	CMPQ R8, $32
	JEQ  dws2
	VPMOVZXBD.Z (R13), K1, Z5
	JMP  dwmac

dws2:
	VPMOVZXWD.Z (R13), K1, Z5
	VPANDD      Z3, Z5, Z5

dwmac:
	VPMULLD.BCST (R9), Z5, Z5
	VPADDD       Z5, Z0, Z0
	ADDQ         $4, R9
	ADDQ         48(AX), R13
	DECQ         R11
	JNZ          dwkx
	ADDQ         CX, R12
	DECQ         R10
	JNZ          dwky
	VMOVDQU32    Z0, K1, (DI)
	MOVQ         $16, R10
	CMPQ         R14, R10
	CMOVQLT      R14, R10
	LEAQ         (DI)(R10*4), DI
	ADDQ         R8, R15
	SUBQ         R10, R14
	JG           dwblk
	ADDQ         DX, SI
	DECQ         BX
	JNZ          dwrow
	VZEROUPPER
	RET

// func qaddU8AVX512(a, b *uint8, n int, ra, rb, fixed, lo, hi float32, dst *uint8)
//
// dst[i] = cvt(clamp(b[i]·rb + (a[i]·ra + fixed), lo, hi)), two FMAs, 16
// at a time; the bounds are integers, so clamping before rounding is the
// same as after.
TEXT ·qaddU8AVX512(SB), NOSPLIT, $0-56
	MOVQ         a+0(FP), SI
	MOVQ         b+8(FP), BX
	MOVQ         n+16(FP), CX
	VBROADCASTSS ra+24(FP), Z1
	VBROADCASTSS rb+28(FP), Z2
	VBROADCASTSS fixed+32(FP), Z3
	VBROADCASTSS lo+36(FP), Z4
	VBROADCASTSS hi+40(FP), Z7
	MOVQ         dst+48(FP), DI
	SHRQ         $4, CX
	JZ           adone

aloop:
	VPMOVZXBD   (SI), Z0
	VCVTDQ2PS   Z0, Z0
	VPMOVZXBD   (BX), Z5
	VCVTDQ2PS   Z5, Z5
	VMOVAPS     Z3, Z6
	VFMADD231PS Z1, Z0, Z6
	VFMADD231PS Z2, Z5, Z6
	VMAXPS      Z4, Z6, Z6
	VMINPS      Z7, Z6, Z6
	VCVTPS2DQ   Z6, Z6
	VPMOVDB     Z6, (DI)
	ADDQ        $16, SI
	ADDQ        $16, BX
	ADDQ        $16, DI
	DECQ        CX
	JNZ         aloop

adone:
	VZEROUPPER
	RET

// func dequantU8AVX512(x *uint8, n int, zp int32, scale float32, dst *float32)
//
// dst[i] = float32(x[i] - zp)·scale, 16 at a time (the difference is
// exact in float32).
TEXT ·dequantU8AVX512(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	MOVL         zp+16(FP), AX
	VPBROADCASTD AX, Z2
	VBROADCASTSS scale+20(FP), Z1
	MOVQ         dst+24(FP), DI
	SHRQ         $4, CX
	JZ           ddone

dloop:
	VPMOVZXBD (SI), Z0
	VPSUBD    Z2, Z0, Z0
	VCVTDQ2PS Z0, Z0
	VMULPS    Z1, Z0, Z0
	VMOVUPS   Z0, (DI)
	ADDQ      $16, SI
	ADDQ      $64, DI
	DECQ      CX
	JNZ       dloop

ddone:
	VZEROUPPER
	RET
