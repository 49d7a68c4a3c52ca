//go:build amd64 && !purego

#include "textflag.h"

// func spinPause()
//
// One PAUSE: tells the core that this thread is spinning, which frees
// execution resources for a sibling hardware thread and eases the memory
// pipeline when the polled word changes.
TEXT ·spinPause(SB), NOSPLIT, $0-0
	PAUSE
	RET

// func rdpid() int
//
// The number the OS keeps in IA32_TSC_AUX for the CPU this thread runs on
// (Linux: node<<12 | cpu), by RDPID (encoded as bytes: F3 0F C7 /7, RAX).
TEXT ·rdpid(SB), NOSPLIT, $0-8
	BYTE $0xF3; BYTE $0x0F; BYTE $0xC7; BYTE $0xF8
	MOVQ AX, ret+0(FP)
	RET

// func rdtscpAux() int
//
// The same number by RDTSCP (ECX), for CPUs without RDPID.
TEXT ·rdtscpAux(SB), NOSPLIT, $0-8
	RDTSCP
	MOVL CX, CX
	MOVQ CX, ret+0(FP)
	RET
