//go:build amd64 && !purego

#include "textflag.h"

// rowsMask<> is 16 all-ones int32 followed by 16 zeros: the 8 lanes from
// rowsMask<>+4·(16-n) enable exactly the first n lanes (n ≤ 8 here).
DATA rowsMask<>+0(SB)/8, $0xffffffffffffffff
DATA rowsMask<>+8(SB)/8, $0xffffffffffffffff
DATA rowsMask<>+16(SB)/8, $0xffffffffffffffff
DATA rowsMask<>+24(SB)/8, $0xffffffffffffffff
DATA rowsMask<>+32(SB)/8, $0xffffffffffffffff
DATA rowsMask<>+40(SB)/8, $0xffffffffffffffff
DATA rowsMask<>+48(SB)/8, $0xffffffffffffffff
DATA rowsMask<>+56(SB)/8, $0xffffffffffffffff
DATA rowsMask<>+64(SB)/8, $0
DATA rowsMask<>+72(SB)/8, $0
DATA rowsMask<>+80(SB)/8, $0
DATA rowsMask<>+88(SB)/8, $0
DATA rowsMask<>+96(SB)/8, $0
DATA rowsMask<>+104(SB)/8, $0
DATA rowsMask<>+112(SB)/8, $0
DATA rowsMask<>+120(SB)/8, $0
GLOBL rowsMask<>(SB), RODATA|NOPTR, $128

// ROWSETUP loads the arguments of addRowsAVX2 and copyRowsAVX2: DI dst,
// SI src, R8 rows, R9/R10 the row strides in bytes, R11 the full 8-float
// vectors per row, CX the floats left over (n mod 8) and Y15 their mask
// (from rowsMask<>).
#define ROWSETUP \
	MOVQ    dst+0(FP), DI        \
	MOVQ    src+8(FP), SI        \
	MOVQ    n+16(FP), CX         \
	MOVQ    rows+24(FP), R8      \
	MOVQ    ldd+32(FP), R9       \
	MOVQ    lds+40(FP), R10      \
	SHLQ    $2, R9               \
	SHLQ    $2, R10              \
	MOVQ    CX, R11              \
	SHRQ    $3, R11              \
	ANDQ    $7, CX               \
	MOVQ    CX, DX               \
	NEGQ    DX                   \
	LEAQ    rowsMask<>(SB), AX   \
	LEAQ    64(AX)(DX*4), AX     \
	VMOVDQU (AX), Y15

// func addRowsAVX2(dst, src *float32, n, rows, ldd, lds int)
//
// For r < rows and j < n: dst[r·ldd+j] += src[r·lds+j]. Lanes past n are
// neither read nor written.
TEXT ·addRowsAVX2(SB), NOSPLIT, $0-48
	ROWSETUP

addrow:
	TESTQ R8, R8
	JZ    adddone
	MOVQ  DI, AX
	MOVQ  SI, BX
	MOVQ  R11, DX

addvec:
	TESTQ   DX, DX
	JZ      addtail
	VMOVUPS (AX), Y0
	VADDPS  (BX), Y0, Y0
	VMOVUPS Y0, (AX)
	ADDQ    $32, AX
	ADDQ    $32, BX
	DECQ    DX
	JMP     addvec

addtail:
	TESTQ      CX, CX
	JZ         addnext
	VMASKMOVPS (AX), Y15, Y0
	VMASKMOVPS (BX), Y15, Y1
	VADDPS     Y1, Y0, Y0
	VMASKMOVPS Y0, Y15, (AX)

addnext:
	ADDQ R9, DI
	ADDQ R10, SI
	DECQ R8
	JMP  addrow

adddone:
	VZEROUPPER
	RET

// func copyRowsAVX2(dst, src *float32, n, rows, ldd, lds int)
//
// For r < rows and j < n: dst[r·ldd+j] = src[r·lds+j].
TEXT ·copyRowsAVX2(SB), NOSPLIT, $0-48
	ROWSETUP

cprow:
	TESTQ R8, R8
	JZ    cpdone
	MOVQ  DI, AX
	MOVQ  SI, BX
	MOVQ  R11, DX

cpvec:
	TESTQ   DX, DX
	JZ      cptail
	VMOVUPS (BX), Y0
	VMOVUPS Y0, (AX)
	ADDQ    $32, AX
	ADDQ    $32, BX
	DECQ    DX
	JMP     cpvec

cptail:
	TESTQ      CX, CX
	JZ         cpnext
	VMASKMOVPS (BX), Y15, Y0
	VMASKMOVPS Y0, Y15, (AX)

cpnext:
	ADDQ R9, DI
	ADDQ R10, SI
	DECQ R8
	JMP  cprow

cpdone:
	VZEROUPPER
	RET

// func deinterleaveRowsAVX2(even, odd, src *float32, n, rows, lde, lds int)
// For each of rows rows (even and odd lde floats apart, src lds floats
// apart): even[j] = src[2j], odd[j] = src[2j+1] for j < n (n ≥ 8; the
// row's 2n floats are read), in blocks of 8, the last block overlapping
// the one before it when n is not a multiple of 8. A nil odd keeps only
// the even elements (a stride-2 gather). VSHUFPS picks the even (odd)
// elements of two vectors within each 128-bit lane, VPERMPD puts the
// lanes' pairs in order.
TEXT ·deinterleaveRowsAVX2(SB), NOSPLIT, $0-56
	MOVQ even+0(FP), DI
	MOVQ odd+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ n+24(FP), R9
	MOVQ rows+32(FP), R10
	MOVQ lde+40(FP), R11
	SHLQ $2, R11
	MOVQ lds+48(FP), R12
	SHLQ $2, R12
	MOVQ R9, R13
	SHRQ $3, R13           // whole blocks
	LEAQ -8(R9), R14       // the last block's first element
	ANDQ $7, R9            // a ragged end: one more block

drow:
	TESTQ R10, R10
	JZ    ddone
	MOVQ  DI, AX
	MOVQ  R8, BX
	MOVQ  SI, DX
	MOVQ  R13, CX
	MOVQ  R9, R15          // this row's ragged end still to do

dloop:
	VMOVUPS (DX), Y0
	VMOVUPS 32(DX), Y1
	VSHUFPS $0x88, Y1, Y0, Y2
	VPERMPD $0xD8, Y2, Y2
	VMOVUPS Y2, (AX)
	TESTQ   R8, R8
	JZ      dstep
	VSHUFPS $0xDD, Y1, Y0, Y3
	VPERMPD $0xD8, Y3, Y3
	VMOVUPS Y3, (BX)

dstep:
	ADDQ    $64, DX
	ADDQ    $32, AX
	ADDQ    $32, BX
	DECQ    CX
	JNZ     dloop
	TESTQ   R15, R15
	JZ      dnext
	// The ragged end: one more block, ending at the row's last element.
	LEAQ    (DI)(R14*4), AX
	LEAQ    (R8)(R14*4), BX
	LEAQ    (SI)(R14*8), DX
	MOVQ    $1, CX
	XORQ    R15, R15
	JMP     dloop

dnext:
	ADDQ  R11, DI
	TESTQ R8, R8
	JZ    dsrc
	ADDQ  R11, R8             // odd stays nil without odd rows

dsrc:
	ADDQ R12, SI
	DECQ R10
	JMP  drow

ddone:
	VZEROUPPER
	RET

// func matVec4AVX2(m4, k8 int, a *float32, lda int, x, y *float32)
// y[i] = Σ_{p<8·k8} a[i·lda+p]·x[p] for i < 4·m4 (k8 ≥ 1), four rows at a
// time, each row's eight partial sums added at the end.
TEXT ·matVec4AVX2(SB), NOSPLIT, $0-48
	MOVQ m4+0(FP), R9
	MOVQ k8+8(FP), R10
	MOVQ a+16(FP), SI
	MOVQ lda+24(FP), R11
	SHLQ $2, R11               // row stride in bytes
	MOVQ x+32(FP), R12
	MOVQ y+40(FP), DI

mvrows:
	TESTQ  R9, R9
	JZ     mvdone
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ   SI, AX
	LEAQ   (SI)(R11*1), BX
	LEAQ   (BX)(R11*1), CX
	LEAQ   (CX)(R11*1), DX
	MOVQ   R12, R13
	MOVQ   R10, R14

mvcols:
	VMOVUPS     (R13), Y4
	VFMADD231PS (AX), Y4, Y0
	VFMADD231PS (BX), Y4, Y1
	VFMADD231PS (CX), Y4, Y2
	VFMADD231PS (DX), Y4, Y3
	ADDQ        $32, R13
	ADDQ        $32, AX
	ADDQ        $32, BX
	ADDQ        $32, CX
	ADDQ        $32, DX
	DECQ        R14
	JNZ         mvcols

	VHADDPS      Y1, Y0, Y0
	VHADDPS      Y3, Y2, Y2
	VHADDPS      Y2, Y0, Y0    // lanes 0-3 and 4-7: rows 0..3, halves
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVUPS      X0, (DI)
	ADDQ         $16, DI
	LEAQ         (SI)(R11*4), SI
	DECQ         R9
	JMP          mvrows

mvdone:
	VZEROUPPER
	RET

// func lerpRowsAVX2(dst, a, b *float32, n8 int, c0, c1 float32)
// dst[i] = c0·a[i] + c1·b[i] for i < 8·n8 (n8 ≥ 1), the two products and
// their sum each rounded, as the Go loop rounds them.
TEXT ·lerpRowsAVX2(SB), NOSPLIT, $0-40
	MOVQ         dst+0(FP), DI
	MOVQ         a+8(FP), SI
	MOVQ         b+16(FP), DX
	MOVQ         n8+24(FP), CX
	VBROADCASTSS c0+32(FP), Y0
	VBROADCASTSS c1+36(FP), Y1

lerploop:
	VMULPS  (SI), Y0, Y2
	VMULPS  (DX), Y1, Y3
	VADDPS  Y3, Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     lerploop
	VZEROUPPER
	RET

// func lerpGatherAVX2(dst, src *float32, k0, k1 *int32, w0, w1 *float32, n8 int)
// dst[j] = (0 + w0[j]·src[k0[j]]) + w1[j]·src[k1[j]] for j < 8·n8 (n8 ≥
// 1), every product and sum rounded, as the Go loop adds the taps.
TEXT ·lerpGatherAVX2(SB), NOSPLIT, $0-56
	MOVQ   dst+0(FP), DI
	MOVQ   src+8(FP), SI
	MOVQ   k0+16(FP), R8
	MOVQ   k1+24(FP), R9
	MOVQ   w0+32(FP), R10
	MOVQ   w1+40(FP), R11
	MOVQ   n8+48(FP), CX
	VXORPS Y0, Y0, Y0

lgloop:
	VMOVDQU    (R8), Y4
	VPCMPEQD   Y7, Y7, Y7
	VXORPS     Y5, Y5, Y5
	VGATHERDPS Y7, (SI)(Y4*4), Y5
	VMOVDQU    (R9), Y4
	VPCMPEQD   Y7, Y7, Y7
	VXORPS     Y6, Y6, Y6
	VGATHERDPS Y7, (SI)(Y4*4), Y6
	VMULPS     (R10), Y5, Y5
	VMULPS     (R11), Y6, Y6
	VADDPS     Y5, Y0, Y5
	VADDPS     Y6, Y5, Y5
	VMOVUPS    Y5, (DI)
	ADDQ       $32, R8
	ADDQ       $32, R9
	ADDQ       $32, R10
	ADDQ       $32, R11
	ADDQ       $32, DI
	DECQ       CX
	JNZ        lgloop
	VZEROUPPER
	RET

// func scaleShiftRowsAVX2(x, y *float32, n, rows int, a, b *float32, relu bool)
//
// For each of rows rows of n elements (n ≥ 1, one after another in x and
// y): y[i] = x[i]·a[r] + b[r], rounded once (a nil a stands for 1, a nil
// b for -0), then with relu max(·, 0) taking the sum as VMAXPS's
// NaN-returning source (NaN and -0 stay). Whole blocks of 8, then the
// row's last n mod 8 elements through a lane mask (rowsMask<>), so that
// every element takes the same operations wherever it falls; y may be x.
TEXT ·scaleShiftRowsAVX2(SB), NOSPLIT, $0-49
	MOVQ    x+0(FP), SI
	MOVQ    y+8(FP), DI
	MOVQ    n+16(FP), R8
	MOVQ    rows+24(FP), R9
	MOVQ    a+32(FP), R10
	MOVQ    b+40(FP), R11
	MOVQ    R8, R12
	ANDQ    $7, R12          // the ragged end
	LEAQ    rowsMask<>+64(SB), R13
	SHLQ    $2, R12
	SUBQ    R12, R13
	VMOVDQU (R13), Y5        // its lanes
	SHRQ    $2, R12
	VXORPS  Y4, Y4, Y4
	MOVL    $0x3f800000, AX  // 1
	MOVL    $0x80000000, BX  // -0

ssrow:
	TESTQ R9, R9
	JZ    ssdone
	MOVL  AX, DX
	TESTQ R10, R10
	JZ    ssa
	MOVL  (R10), DX
	ADDQ  $4, R10

ssa:
	MOVQ         DX, X1
	VBROADCASTSS X1, Y1
	MOVL         BX, DX
	TESTQ        R11, R11
	JZ           ssb
	MOVL         (R11), DX
	ADDQ         $4, R11

ssb:
	MOVQ         DX, X2
	VBROADCASTSS X2, Y2
	MOVQ         R8, CX
	SHRQ         $3, CX
	JZ           sstail

ss8:
	VMOVUPS     (SI), Y0
	VFMADD213PS Y2, Y1, Y0
	CMPB        relu+48(FP), $0
	JEQ         ss8st
	VMAXPS      Y0, Y4, Y0

ss8st:
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     ss8

sstail:
	TESTQ       R12, R12
	JZ          ssnext
	VMASKMOVPS  (SI), Y5, Y0
	VFMADD213PS Y2, Y1, Y0
	CMPB        relu+48(FP), $0
	JEQ         sstailst
	VMAXPS      Y0, Y4, Y0

sstailst:
	VMASKMOVPS Y0, Y5, (DI)
	LEAQ       (SI)(R12*4), SI
	LEAQ       (DI)(R12*4), DI

ssnext:
	DECQ R9
	JMP  ssrow

ssdone:
	VZEROUPPER
	RET
