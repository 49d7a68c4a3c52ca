//go:build amd64 && !purego

#include "textflag.h"

// convDirectMask<> is 8 all-ones int32 followed by 8 zeros: the 8 lanes
// from convDirectMask<>+4·(8-n) enable exactly the first n lanes.
DATA convDirectMask<>+0(SB)/8, $0xffffffffffffffff
DATA convDirectMask<>+8(SB)/8, $0xffffffffffffffff
DATA convDirectMask<>+16(SB)/8, $0xffffffffffffffff
DATA convDirectMask<>+24(SB)/8, $0xffffffffffffffff
DATA convDirectMask<>+32(SB)/8, $0
DATA convDirectMask<>+40(SB)/8, $0
DATA convDirectMask<>+48(SB)/8, $0
DATA convDirectMask<>+56(SB)/8, $0
GLOBL convDirectMask<>(SB), RODATA|NOPTR, $64

// func convDirect8AVX2(x *float32, offs *int64, taps int, w, bias, y *float32, ldy, n int, relu bool)
//
// Eight output channels of one row of a direct convolution: for i < 8 and
// p < n, y[i·ldy+p] = act((Σ_t w[8t+i]·x[offs[t]/4+p]) + bias[i]) (the
// sum in t order, fused multiply-adds from 0, then the bias), act
// max(·, 0) when relu is set (NaN stays NaN). offs are byte offsets; the
// loads read x up to the next multiple of 8 past n (the caller's slack),
// the stores write exactly n floats per channel (masked only when n < 8).
TEXT ·convDirect8AVX2(SB), NOSPLIT, $0-65
	MOVQ   x+0(FP), SI
	MOVQ   offs+8(FP), R8
	MOVQ   taps+16(FP), R9
	MOVQ   w+24(FP), R10
	MOVQ   bias+32(FP), R11
	MOVQ   y+40(FP), DI
	MOVQ   ldy+48(FP), R12
	SHLQ   $2, R12
	LEAQ   (R12)(R12*2), R13
	MOVQ   n+56(FP), CX
	MOVQ   CX, DX
	// Y15: the lower bound of the outputs, 0 for relu, else -Inf. VMAXPS
	// with it as first source keeps NaN (the second source).
	MOVL         $0xff800000, AX
	MOVBLZX      relu+64(FP), BX
	TESTQ        BX, BX
	JZ           bound
	XORL         AX, AX

bound:
	MOVL         AX, X15
	VPBROADCASTD X15, Y15

block:
	CMPQ CX, $0
	JLE  done
	CMPQ CX, $8
	JGE  compute
	CMPQ DX, $8
	JL   compute
	// The last n mod 8 pixels of a row of at least 8: recompute the last
	// whole vector of the row instead (overlapping stores of equal
	// values; AMD's masked stores are slow).
	MOVQ $8, AX
	SUBQ CX, AX
	SHLQ $2, AX
	SUBQ AX, SI
	SUBQ AX, DI
	MOVQ $8, CX

compute:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ R8, AX
	MOVQ R10, BX
	MOVQ R9, R14

tap:
	MOVQ         (AX), R15
	VMOVUPS      (SI)(R15*1), Y8
	VBROADCASTSS 0(BX), Y9
	VBROADCASTSS 4(BX), Y10
	VBROADCASTSS 8(BX), Y11
	VBROADCASTSS 12(BX), Y12
	VFMADD231PS  Y9, Y8, Y0
	VFMADD231PS  Y10, Y8, Y1
	VFMADD231PS  Y11, Y8, Y2
	VFMADD231PS  Y12, Y8, Y3
	VBROADCASTSS 16(BX), Y9
	VBROADCASTSS 20(BX), Y10
	VBROADCASTSS 24(BX), Y11
	VBROADCASTSS 28(BX), Y12
	VFMADD231PS  Y9, Y8, Y4
	VFMADD231PS  Y10, Y8, Y5
	VFMADD231PS  Y11, Y8, Y6
	VFMADD231PS  Y12, Y8, Y7
	ADDQ         $8, AX
	ADDQ         $32, BX
	DECQ         R14
	JNZ          tap

	// The bias is added to the finished sum, as the GEMM path and a
	// separate Add do: fusing it changes no rounding.
	VBROADCASTSS 0(R11), Y8
	VBROADCASTSS 4(R11), Y9
	VBROADCASTSS 8(R11), Y10
	VBROADCASTSS 12(R11), Y11
	VADDPS       Y8, Y0, Y0
	VADDPS       Y9, Y1, Y1
	VADDPS       Y10, Y2, Y2
	VADDPS       Y11, Y3, Y3
	VBROADCASTSS 16(R11), Y8
	VBROADCASTSS 20(R11), Y9
	VBROADCASTSS 24(R11), Y10
	VBROADCASTSS 28(R11), Y11
	VADDPS       Y8, Y4, Y4
	VADDPS       Y9, Y5, Y5
	VADDPS       Y10, Y6, Y6
	VADDPS       Y11, Y7, Y7
	VMAXPS Y0, Y15, Y0
	VMAXPS Y1, Y15, Y1
	VMAXPS Y2, Y15, Y2
	VMAXPS Y3, Y15, Y3
	VMAXPS Y4, Y15, Y4
	VMAXPS Y5, Y15, Y5
	VMAXPS Y6, Y15, Y6
	VMAXPS Y7, Y15, Y7

	LEAQ (DI)(R12*4), BX
	CMPQ CX, $8
	JL   partial
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, (DI)(R12*1)
	VMOVUPS Y2, (DI)(R12*2)
	VMOVUPS Y3, (DI)(R13*1)
	VMOVUPS Y4, (BX)
	VMOVUPS Y5, (BX)(R12*1)
	VMOVUPS Y6, (BX)(R12*2)
	VMOVUPS Y7, (BX)(R13*1)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     block

partial:
	MOVQ       CX, AX
	NEGQ       AX
	LEAQ       convDirectMask<>(SB), R14
	VMOVDQU    32(R14)(AX*4), Y14
	VMASKMOVPS Y0, Y14, (DI)
	VMASKMOVPS Y1, Y14, (DI)(R12*1)
	VMASKMOVPS Y2, Y14, (DI)(R12*2)
	VMASKMOVPS Y3, Y14, (DI)(R13*1)
	VMASKMOVPS Y4, Y14, (BX)
	VMASKMOVPS Y5, Y14, (BX)(R12*1)
	VMASKMOVPS Y6, Y14, (BX)(R12*2)
	VMASKMOVPS Y7, Y14, (BX)(R13*1)

done:
	VZEROUPPER
	RET
