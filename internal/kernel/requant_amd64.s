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

// func macU8AVX512(dst *int32, src *uint8, blocks, stride int, w, zx int32)
//
// dst[i] += w·(src[i·stride] - zx) for 16·blocks elements, stride 1 or 2.
// Stride 2 zero-extends 16 byte pairs to int32 and keeps their low byte.
TEXT ·macU8AVX512(SB), NOSPLIT, $0-40
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         blocks+16(FP), CX
	MOVQ         stride+24(FP), DX
	MOVL         w+32(FP), AX
	VPBROADCASTD AX, Z1
	MOVL         zx+36(FP), AX
	VPBROADCASTD AX, Z2
	MOVL         $0xff, AX
	VPBROADCASTD AX, Z3
	TESTQ        CX, CX
	JZ           mdone
	CMPQ         DX, $2
	JEQ          loop2

loop1:
	VPMOVZXBD (SI), Z0
	VPSUBD    Z2, Z0, Z0
	VPMULLD   Z1, Z0, Z0
	VPADDD    (DI), Z0, Z0
	VMOVDQU32 Z0, (DI)
	ADDQ      $16, SI
	ADDQ      $64, DI
	DECQ      CX
	JNZ       loop1
	JMP       mdone

loop2:
	VPMOVZXWD (SI), Z0
	VPANDD    Z3, Z0, Z0
	VPSUBD    Z2, Z0, Z0
	VPMULLD   Z1, Z0, Z0
	VPADDD    (DI), Z0, Z0
	VMOVDQU32 Z0, (DI)
	ADDQ      $32, SI
	ADDQ      $64, DI
	DECQ      CX
	JNZ       loop2

mdone:
	VZEROUPPER
	RET
