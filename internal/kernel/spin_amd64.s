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
