package kernel

import (
	"runtime"
	"sync"
	"testing"
)

// TestFreeList checks that a free list hands back every object put into
// it, whichever CPU put it there and whichever asks, and nothing else.
func TestFreeList(t *testing.T) {
	if c := currentCPU(); c < 0 || c > 0xfff {
		t.Fatalf("currentCPU() = %d", c)
	}
	var f freeList
	if x := f.get(); x != nil {
		t.Fatalf("empty list: got %v", x)
	}
	// Objects put from goroutines on every processor, taken from one.
	const n = 64
	var wg sync.WaitGroup
	for g := range runtime.GOMAXPROCS(0) * 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += runtime.GOMAXPROCS(0) * 2 {
				v := i
				f.put(&v)
			}
		}()
	}
	wg.Wait()
	seen := make([]bool, n)
	for range n {
		x, ok := f.get().(*int)
		if !ok || seen[*x] {
			t.Fatalf("got %v", x)
		}
		seen[*x] = true
	}
	if x := f.get(); x != nil {
		t.Fatalf("drained list: got %v", x)
	}
	// The same goroutine (most likely on the same CPU) gets back what it
	// put last.
	a, b := new(int), new(int)
	f.put(a)
	f.put(b)
	if x := f.get(); x != b && x != a {
		t.Fatalf("got %v", x)
	}
}
