//go:build amd64 && !purego

#include "textflag.h"

// The sigmoid and tanh loops of transcend.go, 8 floats a step with AVX2
// and FMA, 16 with AVX-512. Each computes exactly the steps of the Go
// functions sigmoid32 and tanh32 (see there), branch-free: tanh computes
// both of its forms and blends them. NaN inputs are copied to the output
// at the end (an unordered compare of x with itself picks them).

// transcendConsts holds the constants of the sigmoid and tanh loops, each
// repeated in 16 lanes (64 bytes), so that a ymm or zmm operand reads it
// from memory; the names below give each one's offset. Values as in
// transcend.go (float32 bit patterns; bias and the masks are integers).
#define C_one transcendConsts<>+0(SB)
#define C_two transcendConsts<>+64(SB)
#define C_lo transcendConsts<>+128(SB)
#define C_hi transcendConsts<>+192(SB)
#define C_log2e transcendConsts<>+256(SB)
#define C_ln2hi transcendConsts<>+320(SB)
#define C_ln2lo transcendConsts<>+384(SB)
#define C_e7 transcendConsts<>+448(SB)
#define C_e6 transcendConsts<>+512(SB)
#define C_e5 transcendConsts<>+576(SB)
#define C_e4 transcendConsts<>+640(SB)
#define C_e3 transcendConsts<>+704(SB)
#define C_e2 transcendConsts<>+768(SB)
#define C_small transcendConsts<>+832(SB)
#define C_q0 transcendConsts<>+896(SB)
#define C_q1 transcendConsts<>+960(SB)
#define C_q2 transcendConsts<>+1024(SB)
#define C_q3 transcendConsts<>+1088(SB)
#define C_q4 transcendConsts<>+1152(SB)
#define C_bias transcendConsts<>+1216(SB)
#define C_abs transcendConsts<>+1280(SB)
#define C_sign transcendConsts<>+1344(SB)
DATA transcendConsts<>+0(SB)/8, $0x3f8000003f800000
DATA transcendConsts<>+8(SB)/8, $0x3f8000003f800000
DATA transcendConsts<>+16(SB)/8, $0x3f8000003f800000
DATA transcendConsts<>+24(SB)/8, $0x3f8000003f800000
DATA transcendConsts<>+32(SB)/8, $0x3f8000003f800000
DATA transcendConsts<>+40(SB)/8, $0x3f8000003f800000
DATA transcendConsts<>+48(SB)/8, $0x3f8000003f800000
DATA transcendConsts<>+56(SB)/8, $0x3f8000003f800000
DATA transcendConsts<>+64(SB)/8, $0x4000000040000000
DATA transcendConsts<>+72(SB)/8, $0x4000000040000000
DATA transcendConsts<>+80(SB)/8, $0x4000000040000000
DATA transcendConsts<>+88(SB)/8, $0x4000000040000000
DATA transcendConsts<>+96(SB)/8, $0x4000000040000000
DATA transcendConsts<>+104(SB)/8, $0x4000000040000000
DATA transcendConsts<>+112(SB)/8, $0x4000000040000000
DATA transcendConsts<>+120(SB)/8, $0x4000000040000000
DATA transcendConsts<>+128(SB)/8, $0xc2ae0000c2ae0000
DATA transcendConsts<>+136(SB)/8, $0xc2ae0000c2ae0000
DATA transcendConsts<>+144(SB)/8, $0xc2ae0000c2ae0000
DATA transcendConsts<>+152(SB)/8, $0xc2ae0000c2ae0000
DATA transcendConsts<>+160(SB)/8, $0xc2ae0000c2ae0000
DATA transcendConsts<>+168(SB)/8, $0xc2ae0000c2ae0000
DATA transcendConsts<>+176(SB)/8, $0xc2ae0000c2ae0000
DATA transcendConsts<>+184(SB)/8, $0xc2ae0000c2ae0000
DATA transcendConsts<>+192(SB)/8, $0x42b2000042b20000
DATA transcendConsts<>+200(SB)/8, $0x42b2000042b20000
DATA transcendConsts<>+208(SB)/8, $0x42b2000042b20000
DATA transcendConsts<>+216(SB)/8, $0x42b2000042b20000
DATA transcendConsts<>+224(SB)/8, $0x42b2000042b20000
DATA transcendConsts<>+232(SB)/8, $0x42b2000042b20000
DATA transcendConsts<>+240(SB)/8, $0x42b2000042b20000
DATA transcendConsts<>+248(SB)/8, $0x42b2000042b20000
DATA transcendConsts<>+256(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA transcendConsts<>+264(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA transcendConsts<>+272(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA transcendConsts<>+280(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA transcendConsts<>+288(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA transcendConsts<>+296(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA transcendConsts<>+304(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA transcendConsts<>+312(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA transcendConsts<>+320(SB)/8, $0x3f3180003f318000
DATA transcendConsts<>+328(SB)/8, $0x3f3180003f318000
DATA transcendConsts<>+336(SB)/8, $0x3f3180003f318000
DATA transcendConsts<>+344(SB)/8, $0x3f3180003f318000
DATA transcendConsts<>+352(SB)/8, $0x3f3180003f318000
DATA transcendConsts<>+360(SB)/8, $0x3f3180003f318000
DATA transcendConsts<>+368(SB)/8, $0x3f3180003f318000
DATA transcendConsts<>+376(SB)/8, $0x3f3180003f318000
DATA transcendConsts<>+384(SB)/8, $0xb95e8083b95e8083
DATA transcendConsts<>+392(SB)/8, $0xb95e8083b95e8083
DATA transcendConsts<>+400(SB)/8, $0xb95e8083b95e8083
DATA transcendConsts<>+408(SB)/8, $0xb95e8083b95e8083
DATA transcendConsts<>+416(SB)/8, $0xb95e8083b95e8083
DATA transcendConsts<>+424(SB)/8, $0xb95e8083b95e8083
DATA transcendConsts<>+432(SB)/8, $0xb95e8083b95e8083
DATA transcendConsts<>+440(SB)/8, $0xb95e8083b95e8083
DATA transcendConsts<>+448(SB)/8, $0x39500d0139500d01
DATA transcendConsts<>+456(SB)/8, $0x39500d0139500d01
DATA transcendConsts<>+464(SB)/8, $0x39500d0139500d01
DATA transcendConsts<>+472(SB)/8, $0x39500d0139500d01
DATA transcendConsts<>+480(SB)/8, $0x39500d0139500d01
DATA transcendConsts<>+488(SB)/8, $0x39500d0139500d01
DATA transcendConsts<>+496(SB)/8, $0x39500d0139500d01
DATA transcendConsts<>+504(SB)/8, $0x39500d0139500d01
DATA transcendConsts<>+512(SB)/8, $0x3ab60b613ab60b61
DATA transcendConsts<>+520(SB)/8, $0x3ab60b613ab60b61
DATA transcendConsts<>+528(SB)/8, $0x3ab60b613ab60b61
DATA transcendConsts<>+536(SB)/8, $0x3ab60b613ab60b61
DATA transcendConsts<>+544(SB)/8, $0x3ab60b613ab60b61
DATA transcendConsts<>+552(SB)/8, $0x3ab60b613ab60b61
DATA transcendConsts<>+560(SB)/8, $0x3ab60b613ab60b61
DATA transcendConsts<>+568(SB)/8, $0x3ab60b613ab60b61
DATA transcendConsts<>+576(SB)/8, $0x3c0888893c088889
DATA transcendConsts<>+584(SB)/8, $0x3c0888893c088889
DATA transcendConsts<>+592(SB)/8, $0x3c0888893c088889
DATA transcendConsts<>+600(SB)/8, $0x3c0888893c088889
DATA transcendConsts<>+608(SB)/8, $0x3c0888893c088889
DATA transcendConsts<>+616(SB)/8, $0x3c0888893c088889
DATA transcendConsts<>+624(SB)/8, $0x3c0888893c088889
DATA transcendConsts<>+632(SB)/8, $0x3c0888893c088889
DATA transcendConsts<>+640(SB)/8, $0x3d2aaaab3d2aaaab
DATA transcendConsts<>+648(SB)/8, $0x3d2aaaab3d2aaaab
DATA transcendConsts<>+656(SB)/8, $0x3d2aaaab3d2aaaab
DATA transcendConsts<>+664(SB)/8, $0x3d2aaaab3d2aaaab
DATA transcendConsts<>+672(SB)/8, $0x3d2aaaab3d2aaaab
DATA transcendConsts<>+680(SB)/8, $0x3d2aaaab3d2aaaab
DATA transcendConsts<>+688(SB)/8, $0x3d2aaaab3d2aaaab
DATA transcendConsts<>+696(SB)/8, $0x3d2aaaab3d2aaaab
DATA transcendConsts<>+704(SB)/8, $0x3e2aaaab3e2aaaab
DATA transcendConsts<>+712(SB)/8, $0x3e2aaaab3e2aaaab
DATA transcendConsts<>+720(SB)/8, $0x3e2aaaab3e2aaaab
DATA transcendConsts<>+728(SB)/8, $0x3e2aaaab3e2aaaab
DATA transcendConsts<>+736(SB)/8, $0x3e2aaaab3e2aaaab
DATA transcendConsts<>+744(SB)/8, $0x3e2aaaab3e2aaaab
DATA transcendConsts<>+752(SB)/8, $0x3e2aaaab3e2aaaab
DATA transcendConsts<>+760(SB)/8, $0x3e2aaaab3e2aaaab
DATA transcendConsts<>+768(SB)/8, $0x3f0000003f000000
DATA transcendConsts<>+776(SB)/8, $0x3f0000003f000000
DATA transcendConsts<>+784(SB)/8, $0x3f0000003f000000
DATA transcendConsts<>+792(SB)/8, $0x3f0000003f000000
DATA transcendConsts<>+800(SB)/8, $0x3f0000003f000000
DATA transcendConsts<>+808(SB)/8, $0x3f0000003f000000
DATA transcendConsts<>+816(SB)/8, $0x3f0000003f000000
DATA transcendConsts<>+824(SB)/8, $0x3f0000003f000000
DATA transcendConsts<>+832(SB)/8, $0x3f0ccccd3f0ccccd
DATA transcendConsts<>+840(SB)/8, $0x3f0ccccd3f0ccccd
DATA transcendConsts<>+848(SB)/8, $0x3f0ccccd3f0ccccd
DATA transcendConsts<>+856(SB)/8, $0x3f0ccccd3f0ccccd
DATA transcendConsts<>+864(SB)/8, $0x3f0ccccd3f0ccccd
DATA transcendConsts<>+872(SB)/8, $0x3f0ccccd3f0ccccd
DATA transcendConsts<>+880(SB)/8, $0x3f0ccccd3f0ccccd
DATA transcendConsts<>+888(SB)/8, $0x3f0ccccd3f0ccccd
DATA transcendConsts<>+896(SB)/8, $0xbeaaaaa6beaaaaa6
DATA transcendConsts<>+904(SB)/8, $0xbeaaaaa6beaaaaa6
DATA transcendConsts<>+912(SB)/8, $0xbeaaaaa6beaaaaa6
DATA transcendConsts<>+920(SB)/8, $0xbeaaaaa6beaaaaa6
DATA transcendConsts<>+928(SB)/8, $0xbeaaaaa6beaaaaa6
DATA transcendConsts<>+936(SB)/8, $0xbeaaaaa6beaaaaa6
DATA transcendConsts<>+944(SB)/8, $0xbeaaaaa6beaaaaa6
DATA transcendConsts<>+952(SB)/8, $0xbeaaaaa6beaaaaa6
DATA transcendConsts<>+960(SB)/8, $0x3e0886b23e0886b2
DATA transcendConsts<>+968(SB)/8, $0x3e0886b23e0886b2
DATA transcendConsts<>+976(SB)/8, $0x3e0886b23e0886b2
DATA transcendConsts<>+984(SB)/8, $0x3e0886b23e0886b2
DATA transcendConsts<>+992(SB)/8, $0x3e0886b23e0886b2
DATA transcendConsts<>+1000(SB)/8, $0x3e0886b23e0886b2
DATA transcendConsts<>+1008(SB)/8, $0x3e0886b23e0886b2
DATA transcendConsts<>+1016(SB)/8, $0x3e0886b23e0886b2
DATA transcendConsts<>+1024(SB)/8, $0xbd5c98cebd5c98ce
DATA transcendConsts<>+1032(SB)/8, $0xbd5c98cebd5c98ce
DATA transcendConsts<>+1040(SB)/8, $0xbd5c98cebd5c98ce
DATA transcendConsts<>+1048(SB)/8, $0xbd5c98cebd5c98ce
DATA transcendConsts<>+1056(SB)/8, $0xbd5c98cebd5c98ce
DATA transcendConsts<>+1064(SB)/8, $0xbd5c98cebd5c98ce
DATA transcendConsts<>+1072(SB)/8, $0xbd5c98cebd5c98ce
DATA transcendConsts<>+1080(SB)/8, $0xbd5c98cebd5c98ce
DATA transcendConsts<>+1088(SB)/8, $0x3cacc1213cacc121
DATA transcendConsts<>+1096(SB)/8, $0x3cacc1213cacc121
DATA transcendConsts<>+1104(SB)/8, $0x3cacc1213cacc121
DATA transcendConsts<>+1112(SB)/8, $0x3cacc1213cacc121
DATA transcendConsts<>+1120(SB)/8, $0x3cacc1213cacc121
DATA transcendConsts<>+1128(SB)/8, $0x3cacc1213cacc121
DATA transcendConsts<>+1136(SB)/8, $0x3cacc1213cacc121
DATA transcendConsts<>+1144(SB)/8, $0x3cacc1213cacc121
DATA transcendConsts<>+1152(SB)/8, $0xbbce4ec7bbce4ec7
DATA transcendConsts<>+1160(SB)/8, $0xbbce4ec7bbce4ec7
DATA transcendConsts<>+1168(SB)/8, $0xbbce4ec7bbce4ec7
DATA transcendConsts<>+1176(SB)/8, $0xbbce4ec7bbce4ec7
DATA transcendConsts<>+1184(SB)/8, $0xbbce4ec7bbce4ec7
DATA transcendConsts<>+1192(SB)/8, $0xbbce4ec7bbce4ec7
DATA transcendConsts<>+1200(SB)/8, $0xbbce4ec7bbce4ec7
DATA transcendConsts<>+1208(SB)/8, $0xbbce4ec7bbce4ec7
DATA transcendConsts<>+1216(SB)/8, $0x0000007f0000007f
DATA transcendConsts<>+1224(SB)/8, $0x0000007f0000007f
DATA transcendConsts<>+1232(SB)/8, $0x0000007f0000007f
DATA transcendConsts<>+1240(SB)/8, $0x0000007f0000007f
DATA transcendConsts<>+1248(SB)/8, $0x0000007f0000007f
DATA transcendConsts<>+1256(SB)/8, $0x0000007f0000007f
DATA transcendConsts<>+1264(SB)/8, $0x0000007f0000007f
DATA transcendConsts<>+1272(SB)/8, $0x0000007f0000007f
DATA transcendConsts<>+1280(SB)/8, $0x7fffffff7fffffff
DATA transcendConsts<>+1288(SB)/8, $0x7fffffff7fffffff
DATA transcendConsts<>+1296(SB)/8, $0x7fffffff7fffffff
DATA transcendConsts<>+1304(SB)/8, $0x7fffffff7fffffff
DATA transcendConsts<>+1312(SB)/8, $0x7fffffff7fffffff
DATA transcendConsts<>+1320(SB)/8, $0x7fffffff7fffffff
DATA transcendConsts<>+1328(SB)/8, $0x7fffffff7fffffff
DATA transcendConsts<>+1336(SB)/8, $0x7fffffff7fffffff
DATA transcendConsts<>+1344(SB)/8, $0x8000000080000000
DATA transcendConsts<>+1352(SB)/8, $0x8000000080000000
DATA transcendConsts<>+1360(SB)/8, $0x8000000080000000
DATA transcendConsts<>+1368(SB)/8, $0x8000000080000000
DATA transcendConsts<>+1376(SB)/8, $0x8000000080000000
DATA transcendConsts<>+1384(SB)/8, $0x8000000080000000
DATA transcendConsts<>+1392(SB)/8, $0x8000000080000000
DATA transcendConsts<>+1400(SB)/8, $0x8000000080000000
GLOBL transcendConsts<>(SB), RODATA|NOPTR, $1408

// EXP sets P = e^T for T clamped to [lo, hi], with N as scratch; T is
// overwritten by the reduced argument r. ROUND is VROUNDPS (ymm) or
// VRNDSCALEPS (zmm), both with immediate 0: round to nearest even.
#define EXP(ROUND, T, N, P) \
	VMULPS       C_log2e, T, N; \
	ROUND        $0, N, N; \
	VFNMADD231PS C_ln2hi, N, T; \
	VFNMADD231PS C_ln2lo, N, T; \
	VMOVUPS      C_e7, P; \
	VFMADD213PS  C_e6, T, P; \
	VFMADD213PS  C_e5, T, P; \
	VFMADD213PS  C_e4, T, P; \
	VFMADD213PS  C_e3, T, P; \
	VFMADD213PS  C_e2, T, P; \
	VFMADD213PS  C_one, T, P; \
	VFMADD213PS  C_one, T, P; \
	VCVTPS2DQ    N, N; \
	VPADDD       C_bias, N, N; \
	VPSLLD       $23, N, N; \
	VMULPS       N, P, P

// SIGMOID sets R4 = sigmoid(R0), using R1-R3 as scratch.
#define SIGMOID(ROUND, R0, R1, R2, R3, R4) \
	VXORPS  C_sign, R0, R1; \
	VMAXPS  C_lo, R1, R1; \
	VMINPS  C_hi, R1, R1; \
	EXP(ROUND, R1, R2, R3); \
	VADDPS  C_one, R3, R3; \
	VMOVUPS C_one, R4; \
	VDIVPS  R3, R4, R4

// TANH_PARTS sets R3 = the small-|x| form of tanh|R0| and R6 the large-|x|
// form, with R1 = |R0| and R2, R4, R5 as scratch.
#define TANH_PARTS(ROUND, R0, R1, R2, R3, R4, R5, R6) \
	VANDPS      C_abs, R0, R1; \
	VMULPS      R1, R1, R2; \
	VMOVUPS     C_q4, R3; \
	VFMADD213PS C_q3, R2, R3; \
	VFMADD213PS C_q2, R2, R3; \
	VFMADD213PS C_q1, R2, R3; \
	VFMADD213PS C_q0, R2, R3; \
	VMULPS      R1, R2, R2; \
	VFMADD213PS R1, R2, R3; \
	VADDPS      R1, R1, R4; \
	VMINPS      C_hi, R4, R4; \
	EXP(ROUND, R4, R5, R6); \
	VADDPS      C_one, R6, R6; \
	VMOVUPS     C_two, R4; \
	VDIVPS      R6, R4, R4; \
	VMOVUPS     C_one, R6; \
	VSUBPS      R4, R6, R6

// func sigmoidAVX2(x, y *float32, n int)
//
// y[i] = sigmoid(x[i]) for i < n, n a multiple of 8.
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX

sig8:
	CMPQ      CX, $8
	JLT       sigdone
	VMOVUPS   (SI), Y0
	SIGMOID(VROUNDPS, Y0, Y1, Y2, Y3, Y4)
	VCMPPS    $3, Y0, Y0, Y5       // Y5 = x is NaN
	VBLENDVPS Y5, Y0, Y4, Y4
	VMOVUPS   Y4, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JMP       sig8

sigdone:
	VZEROUPPER
	RET

// func tanhAVX2(x, y *float32, n int)
//
// y[i] = tanh(x[i]) for i < n, n a multiple of 8.
TEXT ·tanhAVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX

tanh8:
	CMPQ      CX, $8
	JLT       tanhdone
	VMOVUPS   (SI), Y0
	TANH_PARTS(VROUNDPS, Y0, Y1, Y2, Y3, Y4, Y5, Y6)
	VCMPPS    $1, C_small, Y1, Y7  // Y7 = |x| < small
	VBLENDVPS Y7, Y3, Y6, Y6
	VANDPS    C_sign, Y0, Y7
	VORPS     Y7, Y6, Y6           // the sign of x
	VCMPPS    $3, Y0, Y0, Y7       // Y7 = x is NaN
	VBLENDVPS Y7, Y0, Y6, Y6
	VMOVUPS   Y6, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JMP       tanh8

tanhdone:
	VZEROUPPER
	RET

// func sigmoidAVX512(x, y *float32, n int)
//
// sigmoidAVX2 16 floats at a time (n a multiple of 16).
TEXT ·sigmoidAVX512(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX

zsig16:
	CMPQ      CX, $16
	JLT       zsigdone
	VMOVUPS   (SI), Z0
	SIGMOID(VRNDSCALEPS, Z0, Z1, Z2, Z3, Z4)
	VCMPPS    $3, Z0, Z0, K1
	VBLENDMPS Z0, Z4, K1, Z4
	VMOVUPS   Z4, (DI)
	ADDQ      $64, SI
	ADDQ      $64, DI
	SUBQ      $16, CX
	JMP       zsig16

zsigdone:
	VZEROUPPER
	RET

// func tanhAVX512(x, y *float32, n int)
//
// tanhAVX2 16 floats at a time (n a multiple of 16).
TEXT ·tanhAVX512(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX

ztanh16:
	CMPQ      CX, $16
	JLT       ztanhdone
	VMOVUPS   (SI), Z0
	TANH_PARTS(VRNDSCALEPS, Z0, Z1, Z2, Z3, Z4, Z5, Z6)
	VCMPPS    $1, C_small, Z1, K1
	VBLENDMPS Z3, Z6, K1, Z6
	VANDPS    C_sign, Z0, Z7
	VORPS     Z7, Z6, Z6
	VCMPPS    $3, Z0, Z0, K1
	VBLENDMPS Z0, Z6, K1, Z6
	VMOVUPS   Z6, (DI)
	ADDQ      $64, SI
	ADDQ      $64, DI
	SUBQ      $16, CX
	JMP       ztanh16

ztanhdone:
	VZEROUPPER
	RET

// HSUM8 sets the low element of X6 to the sum of Y6's 8 lanes (X1
// scratch).
#define HSUM8 \
	VEXTRACTF128 $1, Y6, X1; \
	VADDPS       X1, X6, X6; \
	VPERMILPS    $0x4e, X6, X1; \
	VADDPS       X1, X6, X6; \
	VPERMILPS    $0xb1, X6, X1; \
	VADDPS       X1, X6, X6

// func expShiftAVX2(x, y *float32, n int, m float32) (sum float32)
//
// y[i] = e^(x[i]-m) for i < n (n a multiple of 8), 0 where x[i]-m is below
// lo (e^-87: the true value is smaller than float32's smallest normal),
// and their sum (8 lanes' sums, then added pairwise).
TEXT ·expShiftAVX2(SB), NOSPLIT, $0-36
	MOVQ         x+0(FP), SI
	MOVQ         y+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSS m+24(FP), Y7
	VXORPS       Y6, Y6, Y6

xs8:
	CMPQ    CX, $8
	JLT     xs8done
	VMOVUPS (SI), Y0
	VSUBPS  Y7, Y0, Y0            // t = x - m ≤ 0
	VCMPPS  $13, C_lo, Y0, Y5     // Y5 = t ≥ lo
	VMAXPS  C_lo, Y0, Y0
	EXP(VROUNDPS, Y0, Y1, Y2)
	VANDPS  Y5, Y2, Y2
	VADDPS  Y2, Y6, Y6
	VMOVUPS Y2, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     xs8

xs8done:
	HSUM8
	VMOVSS X6, sum+32(FP)
	VZEROUPPER
	RET

// func expShiftAVX512(x, y *float32, n int, m float32) (sum float32)
//
// expShiftAVX2 16 floats at a time, any n (the last part vector through a
// mask: only its n%16 elements are read, written and summed).
TEXT ·expShiftAVX512(SB), NOSPLIT, $0-36
	MOVQ         x+0(FP), SI
	MOVQ         y+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSS m+24(FP), Z7
	VXORPS       Z6, Z6, Z6

xs16:
	CMPQ    CX, $16
	JLT     xs16done
	VMOVUPS (SI), Z0
	VSUBPS    Z7, Z0, Z0
	VCMPPS    $13, C_lo, Z0, K2
	VMAXPS    C_lo, Z0, Z0
	EXP(VRNDSCALEPS, Z0, Z1, Z2)
	VMOVAPS.Z Z2, K2, Z2
	VADDPS  Z2, Z6, Z6
	VMOVUPS Z2, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     xs16

xs16done:
	TESTQ     CX, CX
	JZ        xs16end
	MOVL      $1, AX
	SHLL      CX, AX
	DECL      AX
	KMOVW     AX, K3                // the n%16 elements left
	VMOVUPS.Z (SI), K3, Z0
	VSUBPS    Z7, Z0, Z0
	VCMPPS    $13, C_lo, Z0, K2
	KANDW     K3, K2, K2
	VMAXPS    C_lo, Z0, Z0
	EXP(VRNDSCALEPS, Z0, Z1, Z2)
	VMOVAPS.Z Z2, K2, Z2
	VADDPS    Z2, Z6, Z6
	VMOVUPS   Z2, K3, (DI)

xs16end:
	VEXTRACTF32X8 $1, Z6, Y1
	VADDPS        Y1, Y6, Y6
	HSUM8
	VMOVSS        X6, sum+32(FP)
	VZEROUPPER
	RET

// func rowMaxAVX2(x *float32, n8 int) (m float32, nan bool)
//
// The largest of x[0:n8] (n8 a positive multiple of 8) and whether one of
// them is a NaN.
TEXT ·rowMaxAVX2(SB), NOSPLIT, $0-21
	MOVQ    x+0(FP), SI
	MOVQ    n8+8(FP), CX
	VMOVUPS (SI), Y0
	VXORPS  Y2, Y2, Y2

rmax8:
	VMOVUPS (SI), Y1
	VCMPPS  $3, Y1, Y1, Y3 // NaN lanes
	VORPS   Y3, Y2, Y2
	VMAXPS  Y1, Y0, Y0
	ADDQ    $32, SI
	SUBQ    $8, CX
	JNZ     rmax8
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0x4e, X0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0xb1, X0, X1
	VMAXPS       X1, X0, X0
	VMOVSS       X0, m+16(FP)
	VMOVMSKPS    Y2, AX
	TESTL        AX, AX
	SETNE        nan+20(FP)
	VZEROUPPER
	RET
