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

// func convDirect8AVX512(x *float32, offs *int64, taps int, w, bias, y *float32, ldy, n int, relu bool)
//
// convDirect8AVX2 on 16-pixel vectors, two of them at a time (sixteen
// accumulators: a tap's multiply-adds no longer wait on the previous
// tap's): the same sums in the same order, so the same results. The loads
// read x up to the next multiple of 16 past n. A row of at least 16 pixels
// ends with a vector (or the second of a pair) that overlaps the one
// before it, recomputing equal values, rather than with masked stores; a
// row shorter than 16 is stored through a mask.
TEXT ·convDirect8AVX512(SB), NOSPLIT, $0-65
	MOVQ    x+0(FP), SI
	MOVQ    offs+8(FP), R8
	MOVQ    taps+16(FP), R9
	MOVQ    w+24(FP), R10
	MOVQ    bias+32(FP), R11
	MOVQ    y+40(FP), DI
	MOVQ    ldy+48(FP), R12
	SHLQ    $2, R12
	LEAQ    (R12)(R12*2), R13
	MOVQ    n+56(FP), CX
	MOVL    $0xff800000, AX
	MOVBLZX relu+64(FP), BX
	TESTQ   BX, BX
	JZ      zbound
	XORL    AX, AX

zbound:
	MOVL         AX, X15
	VPBROADCASTD X15, Z15
	CMPQ         CX, $0
	JLE          zdone
	CMPQ         CX, $16
	JL           zsingle

zblock:
	// CX ≥ 16 pixels left, or 0.
	CMPQ CX, $0
	JLE  zdone
	CMPQ CX, $16
	JE   zsingle
	// A pair: the second vector DX bytes after the first, 64 or (when
	// fewer than 32 pixels are left) ending at the row's end.
	MOVQ $64, DX
	CMPQ CX, $32
	JGE  zpair
	MOVQ CX, DX
	SUBQ $16, DX
	SHLQ $2, DX

zpair:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	MOVQ   R8, AX
	MOVQ   R10, BX
	MOVQ   R9, R14
	LEAQ   (SI)(DX*1), R13        // the second vector's pixels

ptap:
	MOVQ         (AX), R15
	VMOVUPS      (SI)(R15*1), Z8
	VMOVUPS      (R13)(R15*1), Z9
	VBROADCASTSS 0(BX), Z24
	VBROADCASTSS 4(BX), Z25
	VBROADCASTSS 8(BX), Z26
	VBROADCASTSS 12(BX), Z27
	VBROADCASTSS 16(BX), Z28
	VBROADCASTSS 20(BX), Z29
	VBROADCASTSS 24(BX), Z30
	VBROADCASTSS 28(BX), Z31
	VFMADD231PS  Z24, Z8, Z0
	VFMADD231PS  Z24, Z9, Z16
	VFMADD231PS  Z25, Z8, Z1
	VFMADD231PS  Z25, Z9, Z17
	VFMADD231PS  Z26, Z8, Z2
	VFMADD231PS  Z26, Z9, Z18
	VFMADD231PS  Z27, Z8, Z3
	VFMADD231PS  Z27, Z9, Z19
	VFMADD231PS  Z28, Z8, Z4
	VFMADD231PS  Z28, Z9, Z20
	VFMADD231PS  Z29, Z8, Z5
	VFMADD231PS  Z29, Z9, Z21
	VFMADD231PS  Z30, Z8, Z6
	VFMADD231PS  Z30, Z9, Z22
	VFMADD231PS  Z31, Z8, Z7
	VFMADD231PS  Z31, Z9, Z23
	ADDQ         $8, AX
	ADDQ         $32, BX
	DECQ         R14
	JNZ          ptap

	LEAQ         (R12)(R12*2), R13
	VBROADCASTSS 0(R11), Z24
	VBROADCASTSS 4(R11), Z25
	VBROADCASTSS 8(R11), Z26
	VBROADCASTSS 12(R11), Z27
	VBROADCASTSS 16(R11), Z28
	VBROADCASTSS 20(R11), Z29
	VBROADCASTSS 24(R11), Z30
	VBROADCASTSS 28(R11), Z31
	VADDPS       Z24, Z0, Z0
	VADDPS       Z24, Z16, Z16
	VADDPS       Z25, Z1, Z1
	VADDPS       Z25, Z17, Z17
	VADDPS       Z26, Z2, Z2
	VADDPS       Z26, Z18, Z18
	VADDPS       Z27, Z3, Z3
	VADDPS       Z27, Z19, Z19
	VADDPS       Z28, Z4, Z4
	VADDPS       Z28, Z20, Z20
	VADDPS       Z29, Z5, Z5
	VADDPS       Z29, Z21, Z21
	VADDPS       Z30, Z6, Z6
	VADDPS       Z30, Z22, Z22
	VADDPS       Z31, Z7, Z7
	VADDPS       Z31, Z23, Z23
	VMAXPS       Z0, Z15, Z0
	VMAXPS       Z1, Z15, Z1
	VMAXPS       Z2, Z15, Z2
	VMAXPS       Z3, Z15, Z3
	VMAXPS       Z4, Z15, Z4
	VMAXPS       Z5, Z15, Z5
	VMAXPS       Z6, Z15, Z6
	VMAXPS       Z7, Z15, Z7
	VMAXPS       Z16, Z15, Z16
	VMAXPS       Z17, Z15, Z17
	VMAXPS       Z18, Z15, Z18
	VMAXPS       Z19, Z15, Z19
	VMAXPS       Z20, Z15, Z20
	VMAXPS       Z21, Z15, Z21
	VMAXPS       Z22, Z15, Z22
	VMAXPS       Z23, Z15, Z23
	LEAQ         (DI)(R12*4), BX
	VMOVUPS      Z0, (DI)
	VMOVUPS      Z1, (DI)(R12*1)
	VMOVUPS      Z2, (DI)(R12*2)
	VMOVUPS      Z3, (DI)(R13*1)
	VMOVUPS      Z4, (BX)
	VMOVUPS      Z5, (BX)(R12*1)
	VMOVUPS      Z6, (BX)(R12*2)
	VMOVUPS      Z7, (BX)(R13*1)
	ADDQ         DX, DI
	ADDQ         DX, BX
	VMOVUPS      Z16, (DI)
	VMOVUPS      Z17, (DI)(R12*1)
	VMOVUPS      Z18, (DI)(R12*2)
	VMOVUPS      Z19, (DI)(R13*1)
	VMOVUPS      Z20, (BX)
	VMOVUPS      Z21, (BX)(R12*1)
	VMOVUPS      Z22, (BX)(R12*2)
	VMOVUPS      Z23, (BX)(R13*1)
	// Past both vectors: DX + 64 bytes, DX/4 + 16 pixels.
	ADDQ         $64, DI
	ADDQ         DX, SI
	ADDQ         $64, SI
	SHRQ         $2, DX
	SUBQ         DX, CX
	SUBQ         $16, CX
	CMPQ         CX, $0
	JLE          zdone
	CMPQ         CX, $16
	JGE          zblock
	// Fewer than 16 left after whole vectors: one more, ending at the
	// row's end.
	MOVQ         $16, AX
	SUBQ         CX, AX
	SHLQ         $2, AX
	SUBQ         AX, SI
	SUBQ         AX, DI
	MOVQ         $16, CX

zsingle:
	// One vector: 16 pixels, or fewer (the whole row) through K1.
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	MOVQ   R8, AX
	MOVQ   R10, BX
	MOVQ   R9, R14

ztap:
	MOVQ             (AX), R15
	VMOVUPS          (SI)(R15*1), Z8
	VFMADD231PS.BCST 0(BX), Z8, Z0
	VFMADD231PS.BCST 4(BX), Z8, Z1
	VFMADD231PS.BCST 8(BX), Z8, Z2
	VFMADD231PS.BCST 12(BX), Z8, Z3
	VFMADD231PS.BCST 16(BX), Z8, Z4
	VFMADD231PS.BCST 20(BX), Z8, Z5
	VFMADD231PS.BCST 24(BX), Z8, Z6
	VFMADD231PS.BCST 28(BX), Z8, Z7
	ADDQ             $8, AX
	ADDQ             $32, BX
	DECQ             R14
	JNZ              ztap

	VADDPS.BCST 0(R11), Z0, Z0
	VADDPS.BCST 4(R11), Z1, Z1
	VADDPS.BCST 8(R11), Z2, Z2
	VADDPS.BCST 12(R11), Z3, Z3
	VADDPS.BCST 16(R11), Z4, Z4
	VADDPS.BCST 20(R11), Z5, Z5
	VADDPS.BCST 24(R11), Z6, Z6
	VADDPS.BCST 28(R11), Z7, Z7
	VMAXPS      Z0, Z15, Z0
	VMAXPS      Z1, Z15, Z1
	VMAXPS      Z2, Z15, Z2
	VMAXPS      Z3, Z15, Z3
	VMAXPS      Z4, Z15, Z4
	VMAXPS      Z5, Z15, Z5
	VMAXPS      Z6, Z15, Z6
	VMAXPS      Z7, Z15, Z7

	LEAQ    (DI)(R12*4), BX
	CMPQ    CX, $16
	JL      zpartial
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, (DI)(R12*1)
	VMOVUPS Z2, (DI)(R12*2)
	VMOVUPS Z3, (DI)(R13*1)
	VMOVUPS Z4, (BX)
	VMOVUPS Z5, (BX)(R12*1)
	VMOVUPS Z6, (BX)(R12*2)
	VMOVUPS Z7, (BX)(R13*1)
	JMP     zdone

zpartial:
	MOVQ    $1, AX
	SHLXQ   CX, AX, AX
	DECQ    AX
	KMOVW   AX, K1
	VMOVUPS Z0, K1, (DI)
	VMOVUPS Z1, K1, (DI)(R12*1)
	VMOVUPS Z2, K1, (DI)(R12*2)
	VMOVUPS Z3, K1, (DI)(R13*1)
	VMOVUPS Z4, K1, (BX)
	VMOVUPS Z5, K1, (BX)(R12*1)
	VMOVUPS Z6, K1, (BX)(R12*2)
	VMOVUPS Z7, K1, (BX)(R13*1)

zdone:
	VZEROUPPER
	RET
