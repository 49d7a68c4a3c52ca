package kernel

import "sync"

// freeList is a stack of recycled objects (pointers) shared by every
// goroutine. The kernels keep their loop bodies, packing buffers and
// scratch space in free lists rather than sync.Pools: a sync.Pool is
// emptied by garbage collections and split per processor, so objects put
// back by a helper on one processor and wanted by the caller on another
// get allocated again now and then, while a free list stops allocating
// once it holds as many objects as are ever in use at the same time. Its
// lock is held for a few instructions, once per kernel call.
type freeList struct {
	mu    sync.Mutex
	items []any
}

// get returns the most recently put object, or nil.
func (f *freeList) get() any {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.items)
	if n == 0 {
		return nil
	}
	x := f.items[n-1]
	f.items[n-1] = nil
	f.items = f.items[:n-1]
	return x
}

// put keeps x (a pointer) for a later get.
func (f *freeList) put(x any) {
	f.mu.Lock()
	f.items = append(f.items, x)
	f.mu.Unlock()
}
