package kernel

import "unsafe"

// Software prefetches for data that comes from memory. A loop over a
// batch's images reads each image once, in an order (plane after plane,
// rows of taps) that the hardware prefetchers do not follow far ahead, so
// that an image not in the caches costs one demand miss after another.
// Asked for up front, in one pass over its cache lines, the lines arrive
// side by side while the work starts on the first ones.

// prefetchMinBytes is the size of a tensor from which its parts are
// prefetched: a core's L2 cache (1 MiB on Zen 4 and Zen 5). A smaller one
// was most likely just written and is still in the caches, where the
// prefetches would only cost their issue.
const prefetchMinBytes = 1 << 20

// prefetches reports whether a tensor of n elements of T is large enough
// for prefetching (prefetchMinBytes).
func prefetches[T Float](n int) bool {
	var zero T
	return n*int(unsafe.Sizeof(zero)) >= prefetchMinBytes
}

// cacheLines returns the number of 64-byte cache lines s spans.
func cacheLines[T Float](s []T) int {
	if len(s) == 0 {
		return 0
	}
	var zero T
	a := uintptr(unsafe.Pointer(&s[0]))
	end := a + uintptr(len(s))*unsafe.Sizeof(zero) - 1
	return int(end/64 - a/64 + 1)
}
