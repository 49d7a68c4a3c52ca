//go:build amd64 && !purego

#include "textflag.h"

// func s16Kernel4x16AVX2(ap, bp *int16, kp int, out *int32)
//
// out[r*16+j] = Σ_p ap[p][r]·bp[p][j] over kp k-pairs, for 4 rows r and 16
// columns j: ap holds, per k-pair, the 4 rows' (a[2p], a[2p+1]) int16
// pairs (16 bytes); bp holds, per k-pair, the 16 columns' (b[2p][j],
// b[2p+1][j]) pairs (64 bytes). VPMADDWD multiplies the pairs and adds
// each pair's two products into an int32 exactly; eight 8-int32
// accumulators hold the 4×16 tile.
TEXT ·s16Kernel4x16AVX2(SB), NOSPLIT, $0-32
	MOVQ ap+0(FP), AX
	MOVQ bp+8(FP), BX
	MOVQ kp+16(FP), CX
	MOVQ out+24(FP), DX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	TESTQ CX, CX
	JZ    done

loop:
	VMOVDQU      (BX), Y8
	VMOVDQU      32(BX), Y9
	VPBROADCASTD (AX), Y10
	VPMADDWD     Y8, Y10, Y11
	VPADDD       Y11, Y0, Y0
	VPMADDWD     Y9, Y10, Y12
	VPADDD       Y12, Y1, Y1
	VPBROADCASTD 4(AX), Y13
	VPMADDWD     Y8, Y13, Y14
	VPADDD       Y14, Y2, Y2
	VPMADDWD     Y9, Y13, Y15
	VPADDD       Y15, Y3, Y3
	VPBROADCASTD 8(AX), Y10
	VPMADDWD     Y8, Y10, Y11
	VPADDD       Y11, Y4, Y4
	VPMADDWD     Y9, Y10, Y12
	VPADDD       Y12, Y5, Y5
	VPBROADCASTD 12(AX), Y13
	VPMADDWD     Y8, Y13, Y14
	VPADDD       Y14, Y6, Y6
	VPMADDWD     Y9, Y13, Y15
	VPADDD       Y15, Y7, Y7
	ADDQ         $16, AX
	ADDQ         $64, BX
	DECQ         CX
	JNZ          loop

done:
	VMOVDQU Y0, (DX)
	VMOVDQU Y1, 32(DX)
	VMOVDQU Y2, 64(DX)
	VMOVDQU Y3, 96(DX)
	VMOVDQU Y4, 128(DX)
	VMOVDQU Y5, 160(DX)
	VMOVDQU Y6, 192(DX)
	VMOVDQU Y7, 224(DX)
	VZEROUPPER
	RET
