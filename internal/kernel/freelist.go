package kernel

import "sync"

// freeList is a store of recycled objects (pointers) shared by every
// goroutine. The kernels keep their loop bodies, packing buffers and
// scratch space in free lists rather than sync.Pools: a sync.Pool is
// emptied by garbage collections, so the objects in it get allocated
// again now and then, while a free list stops allocating once it holds as
// many objects as are ever in use at the same time.
//
// It keeps one stack per CPU (as far as currentCPU tells them apart): put
// pushes onto the stack of the CPU it runs on and get pops from that
// stack first, taking from the others only when it is empty. A buffer
// thus tends to go back to the core whose cache holds its lines: handed
// to a goroutine on the other core, every line it writes would first
// have to be fetched from there (packing buffers and im2col blocks moving
// between two cores cost a batch-1 ResNet-18 several percent).
type freeList struct {
	stacks [freeListCPUs]freeStack
}

// freeListCPUs is the number of stacks of a freeList, a power of two;
// CPUs beyond it share stacks.
const freeListCPUs = 8

// freeStack is one CPU's stack, alone on its cache lines.
type freeStack struct {
	mu    sync.Mutex
	items []any
	_     [64 - 8 - 24]byte
}

// get returns an object put back earlier, preferably on this CPU, or nil.
func (f *freeList) get() any {
	c := currentCPU()
	for i := range freeListCPUs {
		s := &f.stacks[(c+i)&(freeListCPUs-1)]
		s.mu.Lock()
		if n := len(s.items); n > 0 {
			x := s.items[n-1]
			s.items[n-1] = nil
			s.items = s.items[:n-1]
			s.mu.Unlock()
			return x
		}
		s.mu.Unlock()
	}
	return nil
}

// put keeps x (a pointer) for a later get.
func (f *freeList) put(x any) {
	s := &f.stacks[currentCPU()&(freeListCPUs-1)]
	s.mu.Lock()
	s.items = append(s.items, x)
	s.mu.Unlock()
}
