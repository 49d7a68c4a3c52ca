//go:build amd64 && !purego

package kernel

// spinPause executes one PAUSE instruction; spinning loops call it
// between polls.
//
//go:noescape
func spinPause()
