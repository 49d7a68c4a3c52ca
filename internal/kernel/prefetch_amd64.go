//go:build amd64 && !purego

package kernel

import "unsafe"

// prefetchLinesL2 issues PREFETCHT1 for lines cache lines from p's.
//
//go:noescape
func prefetchLinesL2(p unsafe.Pointer, lines int)

// prefetchLinesWrite issues PREFETCHW for lines cache lines from p's.
//
//go:noescape
func prefetchLinesWrite(p unsafe.Pointer, lines int)

// prefetchRead asks the core to bring s's cache lines into its L2 cache,
// without waiting for them.
func prefetchRead[T Float](s []T) {
	if n := cacheLines(s); n > 0 {
		prefetchLinesL2(unsafe.Pointer(&s[0]), n)
	}
}

// prefetchWrite asks the core to take s's cache lines, for writing,
// without waiting for them.
func prefetchWrite[T Float](s []T) {
	if n := cacheLines(s); n > 0 {
		prefetchLinesWrite(unsafe.Pointer(&s[0]), n)
	}
}
