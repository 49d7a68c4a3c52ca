//go:build !amd64 || purego

package kernel

// spinPause does nothing where there is no PAUSE instruction to give.
func spinPause() {}

// currentCPU returns 0: this build cannot tell which CPU it runs on.
func currentCPU() int { return 0 }
