//go:build !amd64 || purego

package kernel

// prefetchRead does nothing in this build (see the amd64 version).
func prefetchRead[T Float](s []T) {}

// prefetchWrite does nothing in this build (see the amd64 version).
func prefetchWrite[T Float](s []T) {}
