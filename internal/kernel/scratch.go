package kernel

import "math/bits"

// Scratch space for the kernels (im2col matrices, per-worker partial
// gradients) is recycled through these free lists, so that a training step or
// an inference run does not allocate it anew every time. There is one list
// per power-of-two size class and element type: a slice of class k has a
// capacity of 2^k elements, so any slice taken from a class fits every
// request of that class, and requests of different sizes (the layers of
// one model) never evict each other.
var scratch32, scratch64 [64]freeList

// scratchClass returns the size class of a request for n ≥ 1 elements:
// the smallest k with 2^k ≥ n.
func scratchClass(n int) int { return bits.Len(uint(n - 1)) }

// getScratch returns a slice of n elements with unspecified contents,
// recycled when possible. Give it back with putScratch.
func getScratch[T Float](n int) *[]T {
	if n <= 0 {
		s := []T{}
		return &s
	}
	k := scratchClass(n)
	var pool *freeList
	switch any(T(0)).(type) {
	case float32:
		pool = &scratch32[k]
	case float64:
		pool = &scratch64[k]
	}
	if pool != nil {
		if v, ok := pool.get().(*[]T); ok {
			*v = (*v)[:n]
			return v
		}
	}
	s := make([]T, n, 1<<k)
	return &s
}

// putScratch hands a slice from getScratch back for reuse.
func putScratch[T Float](s *[]T) {
	c := cap(*s)
	if c == 0 || c&(c-1) != 0 {
		return // not from getScratch
	}
	k := bits.Len(uint(c)) - 1
	switch any(T(0)).(type) {
	case float32:
		scratch32[k].put(s)
	case float64:
		scratch64[k].put(s)
	}
}

// ScratchFloat64 returns a slice of n float64s with unspecified contents,
// recycled when possible (for the operators' per-call work space). Give
// it back with PutScratchFloat64 once nothing reads it.
func ScratchFloat64(n int) *[]float64 { return getScratch[float64](n) }

// PutScratchFloat64 hands a slice from ScratchFloat64 back for reuse.
func PutScratchFloat64(s *[]float64) { putScratch(s) }
