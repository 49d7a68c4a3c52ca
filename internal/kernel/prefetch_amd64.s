//go:build amd64 && !purego

#include "textflag.h"

// LINES_FROM_ARGS loads the arguments (p, lines) into AX (p's cache line)
// and CX (the count), and returns when the count is not positive.
#define LINES_FROM_ARGS \
	MOVQ  p+0(FP), AX;      \
	MOVQ  lines+8(FP), CX;  \
	ANDQ  $-64, AX;         \
	TESTQ CX, CX;           \
	JG    2(PC);            \
	RET

// NEXT_LINE steps AX to the next cache line and counts CX down.
#define NEXT_LINE \
	ADDQ $64, AX; \
	DECQ CX

// func prefetchLinesL2(p unsafe.Pointer, lines int)
//
// PREFETCHT1 on lines consecutive 64-byte cache lines from p's.
TEXT ·prefetchLinesL2(SB), NOSPLIT, $0-16
	LINES_FROM_ARGS

read:
	PREFETCHT1 (AX)
	NEXT_LINE
	JNZ read
	RET

// func prefetchLinesWrite(p unsafe.Pointer, lines int)
//
// PREFETCHW (encoded as bytes: 0F 0D /1, (AX)) on lines consecutive
// 64-byte cache lines from p's: each line fetched for writing, owned by
// this core.
TEXT ·prefetchLinesWrite(SB), NOSPLIT, $0-16
	LINES_FROM_ARGS

write:
	BYTE $0x0F; BYTE $0x0D; BYTE $0x08
	NEXT_LINE
	JNZ write
	RET
