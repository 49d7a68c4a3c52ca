package kernel

import "sync"

// Scratch space for the kernels (im2col matrices, per-worker partial
// gradients) is recycled through these pools, so that a training step or
// an inference run does not allocate it anew every time.
var scratch32, scratch64 sync.Pool

// getScratch returns a slice of n elements with unspecified contents,
// recycled when possible. Give it back with putScratch.
func getScratch[T Float](n int) *[]T {
	var pool *sync.Pool
	switch any(T(0)).(type) {
	case float32:
		pool = &scratch32
	case float64:
		pool = &scratch64
	}
	if pool != nil {
		if v, ok := pool.Get().(*[]T); ok {
			if cap(*v) >= n {
				*v = (*v)[:n]
				return v
			}
			pool.Put(v)
		}
	}
	s := make([]T, n)
	return &s
}

// putScratch hands a slice from getScratch back for reuse.
func putScratch[T Float](s *[]T) {
	switch any(T(0)).(type) {
	case float32:
		scratch32.Put(s)
	case float64:
		scratch64.Put(s)
	}
}
