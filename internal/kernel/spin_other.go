//go:build !amd64 || purego

package kernel

// spinPause does nothing where there is no PAUSE instruction to give.
func spinPause() {}
