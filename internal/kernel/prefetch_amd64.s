//go:build amd64 && !purego

#include "textflag.h"

// func prefetchLinesL2(p unsafe.Pointer, lines int)
//
// PREFETCHT1 on lines consecutive 64-byte cache lines from p's.
TEXT ·prefetchLinesL2(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), AX
	MOVQ lines+8(FP), CX
	ANDQ $-64, AX
	TESTQ CX, CX
	JLE  done

loop:
	PREFETCHT1 (AX)
	ADDQ $64, AX
	DECQ CX
	JNZ  loop

done:
	RET

// func prefetchLinesWrite(p unsafe.Pointer, lines int)
//
// PREFETCHW (encoded as bytes: 0F 0D /1, (AX)) on lines consecutive
// 64-byte cache lines from p's: each line fetched for writing, owned by
// this core.
TEXT ·prefetchLinesWrite(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), AX
	MOVQ lines+8(FP), CX
	ANDQ $-64, AX
	TESTQ CX, CX
	JLE  done

loop:
	BYTE $0x0F; BYTE $0x0D; BYTE $0x08
	ADDQ $64, AX
	DECQ CX
	JNZ  loop

done:
	RET
